/* db.h: MariaDB access: one connection per thread, prepared statements only. */
#ifndef WAPOOL_DB_H
#define WAPOOL_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

struct db;

/* Return codes of every db_* and SQL-owning lib function. */
enum db_rc {
	DB_OK = 0,
	DB_ERROR = -1,		/* a bug or a constraint we did not expect: log it */
	DB_DOWN = -2,		/* the server cannot be reached: answer 503, retry later */
	DB_DUPLICATE = -3,	/* a unique key refused the row */
	DB_NOT_FOUND = -4,	/* the row the caller named does not exist */
	DB_CONFLICT = -5,	/* the row exists but not in the expected state */
};

enum db_type { DB_TYPE_NULL, DB_TYPE_INT, DB_TYPE_DOUBLE, DB_TYPE_TEXT };

/* One bound parameter; text is not copied and must live until the call returns. */
struct db_param {
	enum db_type	 type;
	long long	 i;
	double		 d;
	const char	*s;
	size_t		 len;
};

#define DB_INT(v)	((struct db_param){ .type = DB_TYPE_INT, .i = (long long)(v) })
#define DB_DOUBLE(v)	((struct db_param){ .type = DB_TYPE_DOUBLE, .d = (v) })
#define DB_NULL		((struct db_param){ .type = DB_TYPE_NULL })
/* NULL text binds SQL NULL. */
#define DB_TEXT(v)	db_param_text(v)
#define DB_BLOB(p, n)	((struct db_param){ .type = DB_TYPE_TEXT, .s = (p), .len = (n) })
/* A long long where 0 means "no value" (optional foreign keys). */
#define DB_ID_OR_NULL(v) ((v) > 0 ? DB_INT(v) : DB_NULL)

struct db_param db_param_text(const char *s);

/* A whole result set, every value as text (NULL pointer for SQL NULL). */
struct db_result {
	size_t	  nrows;
	size_t	  ncols;
	char	**values;	/* nrows * ncols */
	size_t	 *lengths;
};

/*
 * Connect with the configuration's settings (utf8mb4, time_zone UTC, no
 * auto-reconnect, no multi-statements, connect timeout 3 s).  Returns
 * DB_OK, or DB_DOWN with the reason in err.  *out is always set and must
 * be released with db_close(), even after a failure: later calls
 * reconnect by themselves.
 */
int	 db_open(struct db **out, const struct config *c, struct buf *err);
/*
 * The same for a thread that runs nothing but transactions (the intake
 * committer): the connection stays in autocommit=0 mode, so db_begin
 * costs no round trip and db_commit one (COMMIT) where db_open's pair
 * costs three (SET autocommit=0, COMMIT, SET autocommit=1).  Every
 * db_exec and db_query must sit between db_begin and db_commit or
 * db_rollback; one outside is refused with DB_ERROR.  A connection found
 * lost by a transaction's first statement is re-established and the
 * statement retried, as db_begin's check would have done.
 */
int	 db_open_tx(struct db **out, const struct config *c, struct buf *err);
void	 db_close(struct db *db);
/* Reconnect now if the connection was lost; DB_OK or DB_DOWN. */
int	 db_ensure(struct db *db);

/*
 * Run a statement that returns no rows.  The statement is prepared once
 * per connection and cached by its text.  affected and insert_id may be
 * NULL.  Outside a transaction a lost connection is re-established and
 * the statement retried once; inside one the caller gets DB_DOWN and must
 * start over.
 */
int	 db_exec(struct db *db, const char *sql, const struct db_param *params,
	    size_t nparams, unsigned long long *affected, unsigned long long *insert_id);
/* Run a query and fetch every row into out (free with db_result_free). */
int	 db_query(struct db *db, const char *sql, const struct db_param *params,
	    size_t nparams, struct db_result *out);
void	 db_result_free(struct db_result *r);
/* Value of a cell; NULL for SQL NULL. */
const char *db_value(const struct db_result *r, size_t row, size_t col);
/* Integer value of a cell, or fallback when NULL or not a number. */
long long db_int(const struct db_result *r, size_t row, size_t col, long long fallback);

int	 db_begin(struct db *db);
int	 db_commit(struct db *db);
void	 db_rollback(struct db *db);

/*
 * Whether a multi-row INSERT ... VALUES on this connection gets the
 * consecutive auto-increment ids LAST_INSERT_ID(), +1, ... in row order
 * (innodb_autoinc_lock_mode 0 or 1 and auto_increment_increment 1; see
 * db.c).  Asked once per connection; DB_OK with *out set, or the query's
 * error.
 */
int	 db_autoinc_consecutive(struct db *db, bool *out);

/* The last error text (for logs; never shown to webhook senders). */
const char *db_error(const struct db *db);
/*
 * True when the last failure (DB_ERROR) was a deadlock or a lock wait
 * timeout: the transaction was rolled back and may simply be run again.
 */
bool	 db_busy(const struct db *db);

#endif
