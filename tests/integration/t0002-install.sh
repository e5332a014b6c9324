#!/usr/bin/env bash
# t0002-install.sh: `make install DESTDIR=...` puts every program, the schema,
# the static files and the documented examples under DESTDIR, and the
# installed programs work: wapoolctl migrates the stack's database from the
# installed schema (a no-op: it is current) and refuses bad usage with 2.
. "$(dirname "$0")/../lib.sh"

root=$TEST_TMP/root
if ! make -C "$BUILDDIR" install DESTDIR="$root" > "$TEST_TMP/install.out" 2>&1; then
	not_ok "make install DESTDIR=... succeeds" "$(tail -n 15 "$TEST_TMP/install.out")"
	done_testing
fi
ok "make install DESTDIR=... succeeds"

prefix=$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")
[ -n "$prefix" ] || prefix=/usr/local
for f in bin/wapoolctl sbin/wapoold libexec/wapool.fcgi; do
	check "installed $f is executable" test -x "$root$prefix/$f"
done
for f in schema/001-core.sql htdocs/app.js htdocs/style.css; do
	check "installed share/wapool/$f" test -s "$root$prefix/share/wapool/$f"
done
check "installed the documented configuration example" \
	test -s "$root$prefix/share/doc/wapool/examples/wapool.conf.example"
is "$(ls "$root$prefix/share/wapool/schema" | wc -l)" "$(ls "$SRCDIR"/schema/*.sql | wc -l)" \
	"every migration is installed"
is "$(ls "$root")" "$(echo "$prefix" | cut -d/ -f2)" "nothing is installed outside the prefix"

out=$("$root$prefix/bin/wapoolctl" -f "$WAPOOL_CONF" migrate \
	--schema-dir "$root$prefix/share/wapool/schema" 2>&1)
is "$?" 0 "the installed wapoolctl migrates from the installed schema"
like "$out" "schema at version [0-9]+" "and reports the version ($out)"
"$root$prefix/bin/wapoolctl" -f "$WAPOOL_CONF" no-such-command > /dev/null 2>&1
is "$?" 2 "the installed wapoolctl answers a usage error with status 2"

done_testing
