# bench/local.mk: benchmark helper programs.
