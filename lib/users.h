/* users.h: admin users: yescrypt password hashes (libxcrypt) and login lock-out. */
#ifndef WAPOOL_USERS_H
#define WAPOOL_USERS_H

#include "db.h"

enum user_login {
	USER_LOGIN_OK,
	USER_LOGIN_BAD,		/* unknown user or wrong password (not told apart) */
	USER_LOGIN_LOCKED,	/* too many failures: locked until *locked_seconds from now */
	USER_LOGIN_DB,		/* the database failed: *rc holds the DB_* code */
	USER_LOGIN__MAX
};

/* Shortest password user_add and user_set_password accept. */
#define USER_PASSWORD_MIN 10

/*
 * Hash password with yescrypt (crypt_gensalt_rn("$y$", 0, ...) + crypt_r)
 * and insert the user.  Returns DB_OK with *id, DB_DUPLICATE when the name
 * exists, DB_ERROR when hashing failed, or another DB_* code.
 */
int	user_add(struct db *db, const char *name, const char *password, long long *id);
/* Replace a user's password and clear its lock-out; DB_NOT_FOUND for no such user. */
int	user_set_password(struct db *db, const char *name, const char *password);
/*
 * Check name and password.  After max_failures consecutive failures the
 * account is locked for lockout_minutes; a locked account is refused
 * without checking the password.  Unknown names cost one hash too, so
 * timing does not tell them apart.  On OK *user_id is set and the failure
 * count reset; on LOCKED *locked_seconds is how long it remains.
 */
enum user_login user_authenticate(struct db *db, const char *name, const char *password,
	    long long max_failures, long long lockout_minutes, long long *user_id,
	    long long *locked_seconds, int *rc);

#endif
