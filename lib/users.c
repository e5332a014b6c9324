/* users.c: admin users, yescrypt hashes, lock-out after repeated failures. */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "users.h"
#include "util.h"

static const char sql_user_add[] =
    "INSERT INTO users (username, password_hash) VALUES (?, ?)";
static const char sql_user_password[] =
    "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL,"
    " must_change_password = 0 WHERE username = ?";
static const char sql_user_get[] =
    "SELECT id, password_hash, GREATEST(0, TIMESTAMPDIFF(SECOND, NOW(6), locked_until))"
    " FROM users WHERE username = ?";
/* SET is evaluated left to right: locked_until reads the old failure count. */
static const char sql_user_failed[] =
    "UPDATE users SET"
    " locked_until = IF(failed_logins + 1 >= ?, DATE_ADD(NOW(6), INTERVAL ? MINUTE), NULL),"
    " failed_logins = IF(failed_logins + 1 >= ?, 0, failed_logins + 1) WHERE id = ?";
static const char sql_user_ok[] =
    "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = NOW(6)"
    " WHERE id = ?";

/*
 * A valid yescrypt hash of a random string: unknown users are checked
 * against it so that a login with a wrong name costs as much as one with a
 * wrong password.
 */
static const char dummy_hash[] =
    "$y$j9T$RGroTU7WnbT5Jqqhq9T2j.$togQQ8QqEsZwvHUtEMT258Vy5WlVwbuwj51fO3WVGl8";

/*
 * Hash password into a new string (caller frees), NULL on failure.
 * struct crypt_data is 32 KiB: on the heap, off the worker thread's stack.
 */
static char *
password_hash(const char *password)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data = NULL;
	char *out = NULL, *h;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		log_warn("crypt_gensalt_rn");
		return NULL;
	}
	data = xcalloc(1, sizeof(*data));
	h = crypt_r(password, salt, data);
	if (h != NULL && h[0] == '$')
		out = xstrdup(h);
	else
		log_warnx("crypt_r could not hash with %s", salt);
	explicit_bzero(data, sizeof(*data));
	free(data);
	return out;
}

/* True when password matches hash (constant-time comparison of the results). */
static bool
password_verify(const char *password, const char *hash)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *h = crypt_r(password, hash, data);
	bool ok = h != NULL && h[0] == '$' && const_time_equal(h, strlen(h), hash, strlen(hash));

	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

int
user_add(struct db *db, const char *name, const char *password, long long *id)
{
	unsigned long long new_id = 0;
	char *hash;
	int rc;

	if ((hash = password_hash(password)) == NULL)
		return DB_ERROR;
	rc = db_exec(db, sql_user_add, (struct db_param[]){ DB_TEXT(name), DB_TEXT(hash) }, 2,
	    NULL, &new_id);
	*id = (long long)new_id;
	free(hash);
	return rc;
}

int
user_set_password(struct db *db, const char *name, const char *password)
{
	unsigned long long affected = 0;
	char *hash;
	int rc;

	if ((hash = password_hash(password)) == NULL)
		return DB_ERROR;
	rc = db_exec(db, sql_user_password, (struct db_param[]){ DB_TEXT(hash), DB_TEXT(name) },
	    2, &affected, NULL);
	free(hash);
	if (rc == DB_OK && affected == 0)
		return DB_NOT_FOUND;
	return rc;
}

enum user_login
user_authenticate(struct db *db, const char *name, const char *password,
    long long max_failures, long long lockout_minutes, long long *user_id,
    long long *locked_seconds, int *rc)
{
	struct db_result res = { 0 };
	enum user_login result = USER_LOGIN_BAD;
	long long id, locked;

	*user_id = 0;
	*locked_seconds = 0;
	if ((*rc = db_query(db, sql_user_get, (struct db_param[]){ DB_TEXT(name) }, 1, &res)) !=
	    DB_OK)
		return USER_LOGIN_DB;
	if (res.nrows == 0) {
		(void)password_verify(password, dummy_hash);
		goto out;
	}
	id = db_int(&res, 0, 0, 0);
	locked = db_int(&res, 0, 2, 0);
	if (locked > 0) {
		*locked_seconds = locked;
		result = USER_LOGIN_LOCKED;
		goto out;
	}
	if (!password_verify(password, db_value(&res, 0, 1))) {
		*rc = db_exec(db, sql_user_failed, (struct db_param[]){ DB_INT(max_failures),
		    DB_INT(lockout_minutes), DB_INT(max_failures), DB_INT(id) }, 4, NULL, NULL);
		result = *rc == DB_OK ? USER_LOGIN_BAD : USER_LOGIN_DB;
		goto out;
	}
	if ((*rc = db_exec(db, sql_user_ok, (struct db_param[]){ DB_INT(id) }, 1, NULL, NULL)) !=
	    DB_OK) {
		result = USER_LOGIN_DB;
		goto out;
	}
	*user_id = id;
	result = USER_LOGIN_OK;
out:
	db_result_free(&res);
	return result;
}
