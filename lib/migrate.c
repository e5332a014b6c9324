/* migrate.c: the schema migrator behind "wapoolctl migrate". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"
#include "util.h"

static const char sql_create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT UNSIGNED NOT NULL PRIMARY KEY,"
    " name VARCHAR(200) NOT NULL,"
    " applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
static const char sql_current[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char sql_record[] = "INSERT INTO schema_migrations (version, name) VALUES (?, ?)";
/* Two concurrent migrators (two hosts starting at once) must not interleave. */
static const char sql_lock[] = "SELECT GET_LOCK('wapool_migrate', 60)";
static const char sql_unlock[] = "SELECT RELEASE_LOCK('wapool_migrate')";

struct migration {
	long long	 version;
	char		*name;
};

static int
migration_compare(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* Files named NNN-description.sql, sorted by number. */
static int
migrate_list(const char *dir, struct migration **out, size_t *count, struct buf *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct migration *list = NULL;
	size_t n = 0;

	if (d == NULL) {
		buf_printf(err, "cannot open schema directory %s", dir);
		return DB_ERROR;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), digits = 0;
		long long version;

		while (e->d_name[digits] >= '0' && e->d_name[digits] <= '9')
			digits++;
		if (digits == 0 || e->d_name[digits] != '-' || len < 5 ||
		    strcmp(e->d_name + len - 4, ".sql") != 0)
			continue;
		if (!safe_strntoll(e->d_name, digits, &version))
			continue;
		list = xrealloc(list, (n + 1) * sizeof(*list));
		list[n].version = version;
		list[n].name = xstrdup(e->d_name);
		n++;
	}
	closedir(d);
	qsort(list, n, sizeof(*list), migration_compare);
	*out = list;
	*count = n;
	return DB_OK;
}

/*
 * Run a file statement by statement.  Our migrations keep ';' only at the
 * end of statements and '--' comments on their own lines, so a simple
 * splitter is enough and it is checked here, not assumed.
 */
static int
migrate_run_file(struct db *db, const char *path, struct buf *err)
{
	FILE *f = fopen(path, "r");
	struct buf statement = BUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	int rc = DB_OK;

	if (f == NULL) {
		buf_printf(err, "cannot read %s", path);
		return DB_ERROR;
	}
	while (getline(&line, &cap, f) != -1) {
		char *s = line, *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, "--", 2) == 0 || *s == '\n' || *s == '\0')
			continue;
		buf_puts(&statement, line);
		end = statement.ptr + statement.len;
		while (end > statement.ptr && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
			end--;
		if (end > statement.ptr && end[-1] == ';') {
			end[-1] = '\0';
			if ((rc = db_exec(db, statement.ptr, NULL, 0, NULL, NULL)) != DB_OK) {
				buf_printf(err, "%s: %s", path, db_error(db));
				goto out;
			}
			buf_reset(&statement);
		}
	}
	if (statement.len > 0 && strspn(statement.ptr, " \t\r\n") != statement.len) {
		buf_printf(err, "%s: last statement has no terminating ';'", path);
		rc = DB_ERROR;
	}
out:
	free(line);
	buf_free(&statement);
	fclose(f);
	return rc;
}

int
migrate_current_version(struct db *db, long long *version)
{
	struct db_result r;
	int rc;

	if ((rc = db_exec(db, sql_create_table, NULL, 0, NULL, NULL)) != DB_OK)
		return rc;
	if ((rc = db_query(db, sql_current, NULL, 0, &r)) != DB_OK)
		return rc;
	*version = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return DB_OK;
}

int
migrate_apply(struct db *db, const char *dir, struct buf *report, struct buf *err)
{
	struct migration *list = NULL;
	struct db_result r = { 0 };
	size_t n = 0, i;
	long long current = 0;
	bool locked = false;
	int rc;

	if ((rc = migrate_list(dir, &list, &n, err)) != DB_OK)
		return rc;
	if ((rc = db_query(db, sql_lock, NULL, 0, &r)) != DB_OK) {
		buf_printf(err, "%s", db_error(db));
		goto out;
	}
	locked = db_int(&r, 0, 0, 0) == 1;
	db_result_free(&r);
	if (!locked) {
		buf_puts(err, "another migration is running (lock wapool_migrate held for 60 s)");
		rc = DB_CONFLICT;
		goto out;
	}
	if ((rc = migrate_current_version(db, &current)) != DB_OK) {
		buf_printf(err, "%s", db_error(db));
		goto out;
	}
	if (n > 0 && current > list[n - 1].version) {
		buf_printf(err, "the database is at schema version %lld, newer than this "
		    "wapool knows (%lld): upgrade wapool instead", current, list[n - 1].version);
		rc = DB_CONFLICT;
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *path;

		if (list[i].version <= current)
			continue;
		path = xasprintf("%s/%s", dir, list[i].name);
		rc = migrate_run_file(db, path, err);
		free(path);
		if (rc != DB_OK)
			goto out;
		if ((rc = db_exec(db, sql_record, (struct db_param[]){ DB_INT(list[i].version),
		    DB_TEXT(list[i].name) }, 2, NULL, NULL)) != DB_OK) {
			buf_printf(err, "%s", db_error(db));
			goto out;
		}
		buf_printf(report, "applied %s\n", list[i].name);
	}
	rc = DB_OK;
out:
	if (locked && db_query(db, sql_unlock, NULL, 0, &r) == DB_OK)
		db_result_free(&r);
	for (i = 0; i < n; i++)
		free(list[i].name);
	free(list);
	return rc;
}
