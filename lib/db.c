/* db.c: MariaDB connection, prepared-statement cache, reconnect, result fetching. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "db.h"
#include "log.h"
#include "util.h"

#define STMT_CACHE_SLOTS 512

struct stmt_slot {
	char		*sql;
	MYSQL_STMT	*stmt;
};

struct db {
	MYSQL		*conn;		/* NULL while disconnected */
	const struct config *config;
	bool		 in_transaction;
	/* db_open_tx: autocommit stays off between transactions (see there) */
	bool		 tx_only;
	/* in a transaction that has sent no statement yet: nothing to lose */
	bool		 tx_fresh;
	/* db_autoinc_consecutive's answer for this connection: -1 not asked */
	int		 autoinc_consecutive;
	bool		 busy;		/* the last failure was a deadlock or lock wait timeout */
	char		 error[512];
	struct stmt_slot cache[STMT_CACHE_SLOTS];
};

struct db_param
db_param_text(const char *s)
{
	struct db_param p = { .type = DB_TYPE_NULL };

	if (s != NULL) {
		p.type = DB_TYPE_TEXT;
		p.s = s;
		p.len = strlen(s);
	}
	return p;
}

static void
db_cache_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < STMT_CACHE_SLOTS; i++) {
		if (db->cache[i].stmt != NULL)
			mysql_stmt_close(db->cache[i].stmt);
		free(db->cache[i].sql);
		db->cache[i].stmt = NULL;
		db->cache[i].sql = NULL;
	}
}

static void
db_disconnect(struct db *db)
{
	db_cache_clear(db);
	if (db->conn != NULL)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_transaction = false;
}

/*
 * An error that arrives while a result set streams in (a deadlock found
 * while SELECT ... FOR UPDATE read its rows) left the connection out of
 * step: the next execute of that statement waited for an answer that
 * never came, until the read timeout, and wapoold's loop with it (t0209:
 * a daemon that did not stop; gdb showed it in poll() under
 * mysql_stmt_execute while the server listed its session as Sleep).
 * Start afresh: the server has rolled the transaction back anyway.
 */
static void
db_drop_after_stream_error(struct db *db)
{
	if (db->conn != NULL)
		db_disconnect(db);
}

/* Errors after which the connection is unusable and must be rebuilt. */
static bool
db_errno_is_lost(unsigned int code)
{
	return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST ||
	    code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR ||
	    code == ER_UNKNOWN_STMT_HANDLER || code == CR_COMMANDS_OUT_OF_SYNC ||
	    code == ER_CONNECTION_KILLED || code == ER_SERVER_SHUTDOWN ||
	    code == CR_SERVER_LOST_EXTENDED;
}

static int
db_connect(struct db *db)
{
	const struct config *c = db->config;
	unsigned int timeout = 3, io_timeout = 30;
	my_bool no = 0;
	MYSQL *conn;

	if ((conn = mysql_init(NULL)) == NULL) {
		snprintf(db->error, sizeof(db->error), "mysql_init failed");
		return DB_DOWN;
	}
	mysql_optionsv(conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_optionsv(conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	/* Auto-reconnect silently drops prepared statements (stack.md pitfall 12). */
	mysql_optionsv(conn, MYSQL_OPT_RECONNECT, &no);
	mysql_optionsv(conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/*
	 * UTC everywhere.  READ COMMITTED: no gap locks, so daemons claiming
	 * with SKIP LOCKED at once do not deadlock on each other's index gaps
	 * (they did under REPEATABLE READ), and nothing here needs repeatable
	 * reads.  A row lock is never waited on for InnoDB's 50 s default:
	 * wapool's transactions are milliseconds long, so a longer wait is a
	 * stuck peer, and the caller's retry beats a frozen loop.
	 */
	mysql_optionsv(conn, MYSQL_INIT_COMMAND, db->tx_only ?
	    "SET time_zone = '+00:00', tx_isolation = 'READ-COMMITTED',"
	    " innodb_lock_wait_timeout = 10, autocommit = 0" :
	    "SET time_zone = '+00:00', tx_isolation = 'READ-COMMITTED',"
	    " innodb_lock_wait_timeout = 10");
	if (mysql_real_connect(conn, c->db_host, c->db_user, c->db_password,
	    c->db_name, (unsigned int)c->db_port,
	    c->db_socket[0] != '\0' ? c->db_socket : NULL, 0) == NULL) {
		snprintf(db->error, sizeof(db->error), "connect: %s", mysql_error(conn));
		mysql_close(conn);
		return DB_DOWN;
	}
	db->conn = conn;
	db->in_transaction = false;
	db->tx_fresh = false;
	/* Perhaps another server, or the same one restarted: ask again. */
	db->autoinc_consecutive = -1;
	return DB_OK;
}

static int
db_open_mode(struct db **out, const struct config *c, bool tx_only, struct buf *err)
{
	struct db *db = xcalloc(1, sizeof(*db));
	int rc;

	db->config = c;
	db->tx_only = tx_only;
	db->autoinc_consecutive = -1;
	*out = db;
	if ((rc = db_connect(db)) != DB_OK && err != NULL)
		buf_puts(err, db->error);
	return rc;
}

int
db_open(struct db **out, const struct config *c, struct buf *err)
{
	return db_open_mode(out, c, false, err);
}

int
db_open_tx(struct db **out, const struct config *c, struct buf *err)
{
	return db_open_mode(out, c, true, err);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db);
}

int
db_ensure(struct db *db)
{
	if (db->conn != NULL)
		return DB_OK;
	return db_connect(db);
}

const char *
db_error(const struct db *db)
{
	return db->error;
}

bool
db_busy(const struct db *db)
{
	return db->busy;
}

static uint32_t
sql_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Map a server error code to our return codes, remembering the text. */
static int
db_fail(struct db *db, unsigned int code, const char *message)
{
	snprintf(db->error, sizeof(db->error), "%u: %s", code, message);
	db->busy = code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT;
	if (db->busy) {
		/*
		 * A fresh connection: after a deadlock reported while a SELECT ...
		 * FOR UPDATE's rows were read (mysql_stmt_store_result), the next
		 * execute of that cached statement waited forever for an answer
		 * (seen with two daemons claiming at once).  The server has rolled
		 * the transaction back already; reconnecting costs a millisecond.
		 */
		db_disconnect(db);
		return DB_ERROR;
	}
	if (code == ER_DUP_ENTRY || code == ER_DUP_UNIQUE)
		return DB_DUPLICATE;
	if (db_errno_is_lost(code) || code == CR_SERVER_HANDSHAKE_ERR) {
		db_disconnect(db);
		return DB_DOWN;
	}
	return DB_ERROR;
}

/* Prepared statement for sql from the cache, preparing it on a miss. */
static int
db_prepare(struct db *db, const char *sql, MYSQL_STMT **out)
{
	uint32_t h = sql_hash(sql);
	size_t i, slot = h % STMT_CACHE_SLOTS;
	MYSQL_STMT *stmt;

	/* Linear probing over a small table; full table = start afresh. */
	for (i = 0; i < STMT_CACHE_SLOTS; i++) {
		struct stmt_slot *s = &db->cache[(slot + i) % STMT_CACHE_SLOTS];

		if (s->sql == NULL) {
			slot = (slot + i) % STMT_CACHE_SLOTS;
			break;
		}
		if (strcmp(s->sql, sql) == 0) {
			*out = s->stmt;
			return DB_OK;
		}
	}
	if (i == STMT_CACHE_SLOTS) {
		db_cache_clear(db);
		slot = h % STMT_CACHE_SLOTS;
	}
	if ((stmt = mysql_stmt_init(db->conn)) == NULL)
		return db_fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
		int rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));

		mysql_stmt_close(stmt);
		if (rc == DB_ERROR)
			log_error("db: prepare failed (%s): %s", db->error, sql);
		return rc;
	}
	db->cache[slot].sql = xstrdup(sql);
	db->cache[slot].stmt = stmt;
	*out = stmt;
	return DB_OK;
}

static void
db_bind_params(MYSQL_BIND *binds, const struct db_param *params, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		MYSQL_BIND *b = &binds[i];
		const struct db_param *p = &params[i];

		memset(b, 0, sizeof(*b));
		switch (p->type) {
		case DB_TYPE_NULL:
			b->buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_TYPE_INT:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = (void *)&p->i;
			break;
		case DB_TYPE_DOUBLE:
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = (void *)&p->d;
			break;
		case DB_TYPE_TEXT:
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = (void *)(p->s != NULL ? p->s : "");
			b->buffer_length = (unsigned long)p->len;
			break;
		}
	}
}

/* Prepare (cached), bind and execute once; no retry here. */
static int
db_execute_once(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, MYSQL_STMT **out)
{
	MYSQL_BIND stack_binds[32], *binds = stack_binds;
	MYSQL_STMT *stmt = NULL;
	int rc;

	if (db->conn == NULL && (rc = db_connect(db)) != DB_OK)
		return rc;
	if (db->tx_only && !db->in_transaction) {
		/* It would open a transaction that nobody commits. */
		snprintf(db->error, sizeof(db->error), "statement outside a transaction");
		log_error("db: %s on a transactions-only connection: %s", db->error, sql);
		return DB_ERROR;
	}
	if ((rc = db_prepare(db, sql, &stmt)) != DB_OK)
		return rc;
	if (mysql_stmt_param_count(stmt) != nparams) {
		snprintf(db->error, sizeof(db->error), "statement wants %lu parameters, got %zu",
		    mysql_stmt_param_count(stmt), nparams);
		log_error("db: %s: %s", db->error, sql);
		return DB_ERROR;
	}
	if (nparams > ARRAY_SIZE(stack_binds))
		binds = xcalloc(nparams, sizeof(*binds));
	db_bind_params(binds, params, nparams);
	if (nparams > 0 && mysql_stmt_bind_param(stmt, binds) != 0) {
		rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
		goto out;
	}
	/*
	 * mysql_stmt_bind_param() copies the array into the statement (and
	 * points a bind without a length at its own copy's buffer_length), so
	 * ours can go before the execute: for a 256-row outcome batch it is
	 * 2,049 x 112 bytes that otherwise live on through the round trip,
	 * at the moment the most sends are in flight.
	 */
	if (binds != stack_binds) {
		free(binds);
		binds = stack_binds;
	}
	if (mysql_stmt_execute(stmt) != 0) {
		rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
		goto out;
	}
	*out = stmt;
	rc = DB_OK;
out:
	if (binds != stack_binds)
		free(binds);
	return rc;
}

/*
 * Execute with one transparent reconnect when no transaction is open, or
 * (db_open_tx) when the transaction has sent nothing yet: a server that
 * lost the connection rolled back whatever it had of it, which is
 * nothing, so the statement opens the transaction afresh on the new
 * connection.  (db_begin on a db_open handle checks the connection with
 * its SET autocommit instead.)
 */
static int
db_execute(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, MYSQL_STMT **out)
{
	bool was_in_transaction = db->in_transaction;
	bool fresh = db->in_transaction && db->tx_fresh;
	int rc;

	db->tx_fresh = false;
	rc = db_execute_once(db, sql, params, nparams, out);
	if (rc == DB_DOWN && !was_in_transaction)
		rc = db_execute_once(db, sql, params, nparams, out);
	else if (rc == DB_DOWN && fresh) {
		if ((rc = db_connect(db)) != DB_OK)
			return rc;
		db->in_transaction = true;
		rc = db_execute_once(db, sql, params, nparams, out);
	}
	return rc;
}

int
db_exec(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, unsigned long long *affected, unsigned long long *insert_id)
{
	MYSQL_STMT *stmt = NULL;
	int rc;

	if ((rc = db_execute(db, sql, params, nparams, &stmt)) != DB_OK)
		return rc;
	if (affected != NULL)
		*affected = (unsigned long long)mysql_stmt_affected_rows(stmt);
	if (insert_id != NULL)
		*insert_id = (unsigned long long)mysql_stmt_insert_id(stmt);
	/* Statements that return rows through db_exec: drain them. */
	if (mysql_stmt_field_count(stmt) > 0)
		mysql_stmt_free_result(stmt);
	return DB_OK;
}

int
db_query(struct db *db, const char *sql, const struct db_param *params,
    size_t nparams, struct db_result *out)
{
	MYSQL_STMT *stmt = NULL;
	MYSQL_RES *meta = NULL;
	MYSQL_BIND *binds = NULL;
	unsigned long *lengths = NULL;
	my_bool *nulls = NULL;
	char **buffers = NULL;
	size_t ncols = 0, row = 0, col, cap = 0;
	my_bool update_max = 1;
	int rc, fetch;

	memset(out, 0, sizeof(*out));
	if ((rc = db_execute(db, sql, params, nparams, &stmt)) != DB_OK)
		return rc;
	/* Ask for max_length so each column buffer is sized exactly once. */
	mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	if (mysql_stmt_store_result(stmt) != 0) {
		rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
		db_drop_after_stream_error(db);
		goto out;
	}
	if ((meta = mysql_stmt_result_metadata(stmt)) == NULL) {
		rc = DB_OK;	/* not a SELECT */
		goto out;
	}
	ncols = mysql_num_fields(meta);
	binds = xcalloc(ncols, sizeof(*binds));
	lengths = xcalloc(ncols, sizeof(*lengths));
	nulls = xcalloc(ncols, sizeof(*nulls));
	buffers = xcalloc(ncols, sizeof(*buffers));
	for (col = 0; col < ncols; col++) {
		MYSQL_FIELD *f = mysql_fetch_field_direct(meta, (unsigned int)col);
		/* Numbers and dates are converted to text by the server; leave room. */
		size_t size = f->max_length + 64;

		buffers[col] = xmalloc(size);
		binds[col].buffer_type = MYSQL_TYPE_STRING;
		binds[col].buffer = buffers[col];
		binds[col].buffer_length = (unsigned long)size;
		binds[col].length = &lengths[col];
		binds[col].is_null = &nulls[col];
	}
	if (mysql_stmt_bind_result(stmt, binds) != 0) {
		rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
		goto out;
	}
	out->ncols = ncols;
	while ((fetch = mysql_stmt_fetch(stmt)) == 0 || fetch == MYSQL_DATA_TRUNCATED) {
		if (row == cap) {
			cap = cap ? cap * 2 : 16;
			out->values = xrealloc(out->values, cap * ncols * sizeof(char *));
			out->lengths = xrealloc(out->lengths, cap * ncols * sizeof(size_t));
		}
		for (col = 0; col < ncols; col++) {
			size_t at = row * ncols + col;

			if (nulls[col]) {
				out->values[at] = NULL;
				out->lengths[at] = 0;
			} else {
				size_t len = lengths[col] < binds[col].buffer_length ?
				    lengths[col] : binds[col].buffer_length;

				out->values[at] = xstrndup(buffers[col], len);
				out->lengths[at] = len;
			}
		}
		row++;
	}
	out->nrows = row;
	if (fetch == 1) {
		rc = db_fail(db, mysql_stmt_errno(stmt), mysql_stmt_error(stmt));
		db_result_free(out);
		db_drop_after_stream_error(db);
		goto out;
	}
	rc = DB_OK;
out:
	if (stmt != NULL && db->conn != NULL)
		mysql_stmt_free_result(stmt);
	if (meta != NULL)
		mysql_free_result(meta);
	for (col = 0; buffers != NULL && col < ncols; col++)
		free(buffers[col]);
	free(buffers);
	free(binds);
	free(lengths);
	free(nulls);
	return rc;
}

void
db_result_free(struct db_result *r)
{
	size_t i;

	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->values[i]);
	free(r->values);
	free(r->lengths);
	memset(r, 0, sizeof(*r));
}

const char *
db_value(const struct db_result *r, size_t row, size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->values[row * r->ncols + col];
}

long long
db_int(const struct db_result *r, size_t row, size_t col, long long fallback)
{
	const char *v = db_value(r, row, col);
	long long n;

	return v != NULL && safe_strtoll(v, &n) ? n : fallback;
}

/*
 * Transaction control goes through the client API (mysql_autocommit,
 * mysql_commit) rather than SQL text, so no statement is ever spliced.
 */
int
db_begin(struct db *db)
{
	int rc;

	if (db->conn == NULL && (rc = db_connect(db)) != DB_OK)
		return rc;
	if (db->tx_only) {
		/* autocommit is off: the first statement opens the transaction. */
		db->in_transaction = true;
		db->tx_fresh = true;
		return DB_OK;
	}
	if (mysql_autocommit(db->conn, 0) != 0) {
		rc = db_fail(db, mysql_errno(db->conn), mysql_error(db->conn));
		/* A connection that died while idle: one fresh try. */
		if (rc == DB_DOWN && (rc = db_connect(db)) == DB_OK &&
		    mysql_autocommit(db->conn, 0) != 0)
			rc = db_fail(db, mysql_errno(db->conn), mysql_error(db->conn));
		if (rc != DB_OK)
			return rc;
	}
	db->in_transaction = true;
	return DB_OK;
}

int
db_commit(struct db *db)
{
	int rc = DB_OK;

	if (db->conn == NULL)
		return DB_DOWN;
	if (mysql_commit(db->conn) != 0)
		rc = db_fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	if (db->conn != NULL && !db->tx_only && mysql_autocommit(db->conn, 1) != 0 &&
	    rc == DB_OK)
		rc = db_fail(db, mysql_errno(db->conn), mysql_error(db->conn));
	db->in_transaction = false;
	db->tx_fresh = false;
	return rc;
}

void
db_rollback(struct db *db)
{
	if (db->conn != NULL) {
		if (mysql_rollback(db->conn) != 0 ||
		    (!db->tx_only && mysql_autocommit(db->conn, 1) != 0))
			db_disconnect(db);
	}
	db->in_transaction = false;
	db->tx_fresh = false;
}

/*
 * innodb_autoinc_lock_mode 0 ("traditional") and 1 ("consecutive", the
 * default) hand one multi-row INSERT ... VALUES a single run of
 * consecutive values, reserved before its first row is written, so no
 * concurrent INSERT can take ids inside that run; mode 2 ("interleaved")
 * makes no such promise.  With auto_increment_increment 1 the run is
 * LAST_INSERT_ID(), +1, +2, ... in the order of the VALUES rows.  The lock
 * mode is read-only while the server runs, so the answer holds for the
 * connection; db_connect forgets it, since a reconnect may reach a server
 * restarted with another setting.
 */
static const char sql_autoinc_mode[] =
    "SELECT @@GLOBAL.innodb_autoinc_lock_mode, @@SESSION.auto_increment_increment";

int
db_autoinc_consecutive(struct db *db, bool *out)
{
	struct db_result r;
	int rc;

	if (db->conn != NULL && db->autoinc_consecutive >= 0) {
		*out = db->autoinc_consecutive == 1;
		return DB_OK;
	}
	if ((rc = db_query(db, sql_autoinc_mode, NULL, 0, &r)) != DB_OK)
		return rc;
	*out = r.nrows == 1 && db_int(&r, 0, 0, 2) <= 1 && db_int(&r, 0, 1, 0) == 1;
	db_result_free(&r);
	/* Only if the connection that answered is still the current one. */
	if (db->conn != NULL)
		db->autoinc_consecutive = *out ? 1 : 0;
	return DB_OK;
}
