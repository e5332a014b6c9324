#!/bin/sh
# autogen.sh: regenerate the autotools files from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
# tap-driver.sh comes with automake; copy it once so make check can use it.
if [ ! -f build-aux/tap-driver.sh ]; then
	for d in /usr/share/automake-*; do
		[ -f "$d/tap-driver.sh" ] && cp "$d/tap-driver.sh" build-aux/ && break
	done
fi
autoreconf -fi
