/* sessions.c: admin sessions keyed by SHA-256 of a random token. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sessions.h"
#include "util.h"

static const char sql_session_add[] =
    "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)"
    " VALUES (?, ?, ?, DATE_ADD(NOW(6), INTERVAL ? HOUR))";
static const char sql_session_get[] =
    "SELECT s.user_id, u.username, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = ? AND s.expires_at > NOW(6)";
static const char sql_session_delete[] = "DELETE FROM sessions WHERE token_hash = ?";
static const char sql_session_purge[] = "DELETE FROM sessions WHERE expires_at <= NOW(6)";

int
session_random_hex(char *out, size_t nbytes)
{
	unsigned char raw[64];

	if (nbytes > sizeof(raw) || random_bytes(raw, nbytes) != 0)
		return -1;
	hex_encode(raw, nbytes, out);
	return 0;
}

/* SHA-256 of the token text; false for anything that is not one of our tokens. */
static bool
token_digest(const char *token, unsigned char digest[32])
{
	unsigned int len = 0;
	size_t i;

	if (token == NULL || strlen(token) != SESSION_TOKEN_LEN)
		return false;
	for (i = 0; i < SESSION_TOKEN_LEN; i++)
		if (!((token[i] >= '0' && token[i] <= '9') || (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return EVP_Digest(token, SESSION_TOKEN_LEN, digest, &len, EVP_sha256(), NULL) == 1 &&
	    len == 32;
}

int
session_create(struct db *db, long long user_id, long long hours,
    char token[SESSION_TOKEN_LEN + 1], char csrf[SESSION_TOKEN_LEN + 1])
{
	unsigned char digest[32];
	int rc;

	if (session_random_hex(token, SESSION_TOKEN_LEN / 2) != 0 ||
	    session_random_hex(csrf, SESSION_TOKEN_LEN / 2) != 0 || !token_digest(token, digest))
		return DB_ERROR;
	/* Purging is housekeeping: a failure here must not refuse the login. */
	(void)db_exec(db, sql_session_purge, NULL, 0, NULL, NULL);
	rc = db_exec(db, sql_session_add, (struct db_param[]){ DB_BLOB((const char *)digest, 32),
	    DB_INT(user_id), DB_TEXT(csrf), DB_INT(hours) }, 4, NULL, NULL);
	explicit_bzero(digest, sizeof(digest));
	return rc;
}

int
session_lookup(struct db *db, const char *token, struct session_row *out)
{
	struct db_result res = { 0 };
	unsigned char digest[32];
	const char *csrf;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!token_digest(token, digest))
		return DB_NOT_FOUND;
	rc = db_query(db, sql_session_get, (struct db_param[]){ DB_BLOB((const char *)digest, 32) },
	    1, &res);
	if (rc != DB_OK)
		return rc;
	if (res.nrows == 0 || (csrf = db_value(&res, 0, 2)) == NULL ||
	    strlen(csrf) != SESSION_TOKEN_LEN) {
		db_result_free(&res);
		return DB_NOT_FOUND;
	}
	out->user_id = db_int(&res, 0, 0, 0);
	out->user_name = xstrdup(db_value(&res, 0, 1) != NULL ? db_value(&res, 0, 1) : "");
	memcpy(out->csrf, csrf, SESSION_TOKEN_LEN + 1);
	db_result_free(&res);
	return DB_OK;
}

void
session_row_free(struct session_row *s)
{
	free(s->user_name);
	s->user_name = NULL;
}

int
session_delete(struct db *db, const char *token)
{
	unsigned char digest[32];

	if (!token_digest(token, digest))
		return DB_OK;
	return db_exec(db, sql_session_delete,
	    (struct db_param[]){ DB_BLOB((const char *)digest, 32) }, 1, NULL, NULL);
}
