# schema/local.mk: migrations installed for wapoolctl migrate.
schemadir = $(pkgdatadir)/schema
dist_schema_DATA = $(sort $(wildcard $(srcdir)/schema/*.sql))
