# bench/local.mk: benchmark helper programs (not installed).
#   bench/fcgi-null     baseline (a) of bench/intake.sh: null FastCGI responder
#   bench/fcgi-insert   baseline (b): one prepared durable INSERT per request
#   bench/curl-blast    raw libcurl-multi load: dispatch baseline ("send") and
#                       the paced webhook latency probe ("pace")
# Run the benchmarks with bench/intake.sh and bench/dispatch.sh; results
# go to BENCHMARKS.md.
noinst_PROGRAMS += bench/fcgi-null bench/fcgi-insert bench/curl-blast
bench_fcgi_null_SOURCES = bench/fcgi-null.c
bench_fcgi_null_LDADD = $(FCGI_LIBS)
bench_fcgi_insert_SOURCES = bench/fcgi-insert.c
bench_fcgi_insert_LDADD = $(MARIADB_LIBS) $(FCGI_LIBS)
bench_curl_blast_SOURCES = bench/curl-blast.c
bench_curl_blast_LDADD = $(CURL_LIBS) $(JSONC_LIBS)
