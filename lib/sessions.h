/* sessions.h: admin login sessions; the database holds only SHA-256 of each token. */
#ifndef WAPOOL_SESSIONS_H
#define WAPOOL_SESSIONS_H

#include "db.h"

/* Tokens are 32 random bytes as 64 lowercase hex characters. */
#define SESSION_TOKEN_LEN 64

struct session_row {
	long long	 user_id;
	char		*user_name;
	char		 csrf[SESSION_TOKEN_LEN + 1];
};

/*
 * Open a session for user_id lasting hours.  token and csrf receive new
 * random tokens; only SHA-256(token) is stored.  Expired sessions are
 * purged on the way.  DB_OK or a DB_* code (DB_ERROR if no randomness).
 */
int	session_create(struct db *db, long long user_id, long long hours,
	    char token[SESSION_TOKEN_LEN + 1], char csrf[SESSION_TOKEN_LEN + 1]);
/*
 * The live session for token: DB_OK and out filled (free with
 * session_row_free), DB_NOT_FOUND for an unknown, expired or malformed
 * token, or another DB_* code.
 */
int	session_lookup(struct db *db, const char *token, struct session_row *out);
void	session_row_free(struct session_row *s);
/* End the session for token (unknown tokens are not an error). */
int	session_delete(struct db *db, const char *token);
/* Fill out with n random bytes as hex (2n+1 bytes); 0 or -1. */
int	session_random_hex(char *out, size_t nbytes);

#endif
