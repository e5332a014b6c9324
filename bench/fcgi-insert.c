/*
 * fcgi-insert.c: baseline (b) of bench/intake.sh: the null responder plus
 * one prepared, durable INSERT per request.
 *
 * Single-threaded FCGX_Accept_r loop like fcgi-null.c.  For each request
 * it reads the body and inserts (Idempotency-Key, body) into the scratch
 * table bench_insert with one prepared statement in autocommit mode, so
 * each request is one commit (durable with innodb_flush_log_at_trx_commit
 * = 1), then answers 202 with the row id.  This is "one INSERT per
 * request", the floor wapool's group commit has to beat.
 *
 * The database settings (db_host, db_port, db_socket, db_user,
 * db_password, db_name) come from wapool.conf ($WAPOOL_CONF, as lighttpd's
 * bin-environment hands it to wapool.fcgi) and WAPOOL_DB_* variables; the
 * reader here is deliberately tiny and independent of lib/, and the SQL is
 * plain mariadb-connector-c.  No
 * auto-reconnect (stack.md pitfall 12): on a lost connection or an unknown
 * statement handle it reconnects, prepares again and retries once; if
 * that fails too the request gets a 503.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errmsg.h>
#include <fcgiapp.h>
#include <mysql.h>
#include <mysqld_error.h>


#define BODY_KEEP	65536		/* like wapool: the first 64 KiB are stored */
#define KEY_MAX		200

static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS bench_insert ("
    " id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,"
    " idem_key VARCHAR(200) NOT NULL,"
    " body MEDIUMBLOB,"
    " created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),"
    " UNIQUE KEY idem_key (idem_key)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";
static const char insert_sql[] = "INSERT INTO bench_insert (idem_key, body) VALUES (?, ?)";

struct dbconf {
	char	host[256], socket[256], user[128], password[256], name[128];
	unsigned int port;
};

struct body {
	char	*ptr;
	size_t	 len, cap;
};

static struct dbconf config = { "127.0.0.1", "", "wapool", "", "wapool", 3306 };
static MYSQL *mysql;
static MYSQL_STMT *stmt;

static void
db_disconnect(void)
{
	if (stmt != NULL)
		mysql_stmt_close(stmt);
	if (mysql != NULL)
		mysql_close(mysql);
	stmt = NULL;
	mysql = NULL;
}

static bool
db_connect(void)
{
	unsigned int timeout = 3;
	const char *socket = config.socket[0] != '\0' ? config.socket : NULL;

	db_disconnect();
	if ((mysql = mysql_init(NULL)) == NULL)
		return false;
	mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (mysql_real_connect(mysql, socket != NULL ? NULL : config.host, config.user,
	    config.password, config.name, config.port, socket, 0) == NULL) {
		fprintf(stderr, "fcgi-insert: connect: %s\n", mysql_error(mysql));
		db_disconnect();
		return false;
	}
	if (mysql_query(mysql, create_sql) != 0) {
		fprintf(stderr, "fcgi-insert: create table: %s\n", mysql_error(mysql));
		db_disconnect();
		return false;
	}
	if ((stmt = mysql_stmt_init(mysql)) == NULL ||
	    mysql_stmt_prepare(stmt, insert_sql, (unsigned long)strlen(insert_sql)) != 0) {
		fprintf(stderr, "fcgi-insert: prepare: %s\n", mysql_error(mysql));
		db_disconnect();
		return false;
	}
	return true;
}

/* Errors after which a new connection (and statement) may succeed. */
static bool
reconnectable(unsigned int err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST ||
	    err == ER_UNKNOWN_STMT_HANDLER || err == CR_CONN_HOST_ERROR ||
	    err == CR_CONNECTION_ERROR;
}

/* One INSERT in autocommit; the new id, or 0 on failure. */
static unsigned long long
db_insert(const char *key, size_t key_len, const char *body, size_t body_len)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		MYSQL_BIND bind[2];
		unsigned long lengths[2] = { (unsigned long)key_len, (unsigned long)body_len };
		unsigned int err;

		if (stmt == NULL && !db_connect())
			return 0;
		memset(bind, 0, sizeof(bind));
		bind[0].buffer_type = MYSQL_TYPE_STRING;
		bind[0].buffer = (void *)key;
		bind[0].length = &lengths[0];
		bind[1].buffer_type = MYSQL_TYPE_BLOB;
		bind[1].buffer = (void *)body;
		bind[1].length = &lengths[1];
		if (mysql_stmt_bind_param(stmt, bind) == 0 && mysql_stmt_execute(stmt) == 0)
			return (unsigned long long)mysql_stmt_insert_id(stmt);
		err = mysql_stmt_errno(stmt);
		fprintf(stderr, "fcgi-insert: insert: %u %s\n", err, mysql_stmt_error(stmt));
		if (!reconnectable(err))
			return 0;
		db_disconnect();
	}
	return 0;
}

/* Read the body (to EOF) into b, keeping the first BODY_KEEP bytes. */
static void
read_body(FCGX_Request *r, struct body *b)
{
	char chunk[16384];
	int n;

	if (b->ptr == NULL && (b->ptr = malloc(b->cap = BODY_KEEP)) == NULL)
		abort();
	b->len = 0;
	while ((n = FCGX_GetStr(chunk, sizeof(chunk), r->in)) > 0) {
		size_t take = (size_t)n > BODY_KEEP - b->len ? BODY_KEEP - b->len : (size_t)n;

		memcpy(b->ptr + b->len, chunk, take);
		b->len += take;
	}
}

static void
set_key(const char *key, const char *value)
{
	char *dst = NULL;
	size_t size = 0;

	if (strcmp(key, "db_port") == 0) {
		config.port = (unsigned int)atoi(value);
		return;
	}
#define KEY(k, f) else if (strcmp(key, k) == 0) dst = config.f, size = sizeof(config.f)
	if (0) {}
	KEY("db_host", host); KEY("db_socket", socket); KEY("db_user", user);
	KEY("db_password", password); KEY("db_name", name);
#undef KEY
	if (dst != NULL)
		snprintf(dst, size, "%s", value);
}

/* key = value lines of wapool.conf, then WAPOOL_DB_* from the environment. */
static int
load_config(const char *path)
{
	static const char *const keys[] = { "db_host", "db_port", "db_socket", "db_user",
	    "db_password", "db_name" };
	char line[1024], env[64];
	FILE *f;
	size_t i;

	if (path != NULL && (f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (path != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *k = line, *eq = strchr(line, '='), *v, *end;

		if (eq == NULL || line[0] == '#')
			continue;
		*eq = '\0';
		v = eq + 1;
		while (*k == ' ' || *k == '\t')
			k++;
		for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
			end[-1] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		for (end = v + strlen(v); end > v && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\t'); end--)
			end[-1] = '\0';
		set_key(k, v);
	}
	if (path != NULL)
		fclose(f);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v;
		size_t j;

		snprintf(env, sizeof(env), "WAPOOL_%s", keys[i]);
		for (j = 0; env[j] != '\0'; j++)
			if (env[j] >= 'a' && env[j] <= 'z')
				env[j] = (char)(env[j] - 'a' + 'A');
		if ((v = getenv(env)) != NULL)
			set_key(keys[i], v);
	}
	return 0;
}

static void
answer(FCGX_Request *r, int status, const char *reason, const char *json)
{
	char head[160];
	int n;

	/* libfcgi's own FCGX_FPrintF knows no %zu: format here. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", status, reason, strlen(json));
	FCGX_PutStr(head, n, r->out);
	FCGX_PutS(json, r->out);
}

int
main(void)
{
	struct body body = { 0 };
	FCGX_Request req;
	unsigned long long seq = 0;

	signal(SIGPIPE, SIG_IGN);
	if (load_config(getenv("WAPOOL_CONF")) != 0)
		return 1;
	if (mysql_library_init(0, NULL, NULL) != 0 || FCGX_Init() != 0) {
		fputs("fcgi-insert: library initialisation failed\n", stderr);
		return 1;
	}
	if (FCGX_IsCGI()) {
		fputs("fcgi-insert: run me under a FastCGI web server\n", stderr);
		return 2;
	}
	(void)db_connect();	/* a database that is down now is retried per request */
	FCGX_InitRequest(&req, 0, 0);
	while (FCGX_Accept_r(&req) >= 0) {
		const char *key = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", req.envp);
		char fallback[64], json[128];
		unsigned long long id;

		read_body(&req, &body);
		if (key == NULL || *key == '\0' || strlen(key) > KEY_MAX) {
			/* Without a usable key: a unique one of this process. */
			snprintf(fallback, sizeof(fallback), "nokey-%d-%llu", (int)getpid(), ++seq);
			key = fallback;
		}
		id = db_insert(key, strlen(key), body.ptr != NULL ? body.ptr : "", body.len);
		if (id == 0) {
			answer(&req, 503, "Service Unavailable",
			    "{\"error\":\"database_unavailable\"}\n");
		} else {
			snprintf(json, sizeof(json),
			    "{\"event_id\":%llu,\"message_id\":%llu,\"status\":\"pending\"}\n", id, id);
			answer(&req, 202, "Accepted", json);
		}
		FCGX_Finish_r(&req);
	}
	db_disconnect();
	free(body.ptr);
	mysql_library_end();
	return 0;
}
