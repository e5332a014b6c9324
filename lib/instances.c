/* instances.c: SQL behind the daemon's instance and pool model, health and breakers. */
#include <stdlib.h>
#include <string.h>

#include "instances.h"
#include "util.h"

static const char sql_instances[] =
    "SELECT i.id, i.gateway_id, COALESCE(i.tenant_id, 0), i.name, i.token, i.external_id,"
    " i.state, i.admin_state, i.health, i.breaker_state,"
    " IF(i.breaker_until IS NULL, -1,"
    "   GREATEST(0, TIMESTAMPDIFF(MICROSECOND, NOW(6), i.breaker_until) DIV 1000)),"
    " i.breaker_trips, i.tier_daily_limit, i.rate_mps, i.rate_burst, i.pair_per_minute,"
    " i.spacing_min_seconds, i.spacing_max_seconds, i.typing, i.warmup_started_on,"
    " g.kind, g.base_url, g.api_key, g.active, g.priority, t.timezone,"
    " TIME_TO_SEC(t.quiet_start) DIV 60, TIME_TO_SEC(t.quiet_end) DIV 60"
    " FROM instances i JOIN gateways g ON g.id = i.gateway_id"
    " LEFT JOIN tenants t ON t.id = i.tenant_id"
    " WHERE i.deleted_at IS NULL ORDER BY i.id";
static const char sql_pools[] =
    "SELECT p.id, p.tenant_id, p.name, p.strategy, p.enabled, p.admin_state,"
    " p.spacing_min_seconds, p.spacing_max_seconds, p.rate_mps, p.pair_per_minute, p.typing,"
    " p.rate_burst, p.tier_daily_limit, pm.instance_id"
    " FROM pools p LEFT JOIN pool_members pm ON pm.pool_id = p.id AND pm.enabled = 1"
    " ORDER BY p.id, pm.position, pm.instance_id";
static const char sql_health_changed[] =
    "UPDATE instances SET state = ?, last_health_at = NOW(6), last_state_change_at = NOW(6),"
    " connected_since = IF(? = 'connected', NOW(6), connected_since),"
    " disconnected_since = IF(? = 'connected', NULL, COALESCE(disconnected_since, NOW(6))),"
    " health = IF(? = 'connected', 'ok', health)"
    " WHERE id = ?";
static const char sql_health_same[] =
    "UPDATE instances SET last_health_at = NOW(6) WHERE id = ?";
static const char sql_breaker[] =
    "UPDATE instances SET breaker_state = ?, breaker_trips = ?,"
    " breaker_until = IF(? = 'closed', NULL, NOW(6) + INTERVAL ? * 1000 MICROSECOND)"
    " WHERE id = ?";
static const char sql_suspend[] =
    "UPDATE instances SET admin_state = 'suspended' WHERE id = ? AND admin_state = 'active'";
/*
 * A send counts as unacknowledged when no ack at all came after it.  The
 * callback stamps last_ack_at at most once a second, and sent_at is written
 * after the gateway answered (the ack may beat it): an ack up to 2 s before
 * sent_at may be this send's own, so only older ones leave it unanswered.
 */
static const char sql_unacknowledged[] =
    "SELECT i.id, i.name FROM instances i"
    " WHERE i.health = 'ok' AND i.state = 'connected' AND i.deleted_at IS NULL AND EXISTS ("
    "  SELECT 1 FROM messages m WHERE m.sent_instance_id = i.id AND m.state = 'sent'"
    "  AND m.sent_at < NOW(6) - INTERVAL ? SECOND AND m.sent_at > NOW(6) - INTERVAL 1 DAY"
    "  AND (i.last_ack_at IS NULL OR i.last_ack_at < m.sent_at - INTERVAL 2 SECOND)"
    /* A send of an earlier session says nothing about this one (a reconnect is a fresh start). */
    "  AND (i.connected_since IS NULL OR m.sent_at > i.connected_since))";
static const char sql_mark_degraded[] =
    "UPDATE instances SET health = 'degraded' WHERE id = ? AND health = 'ok'";
static const char sql_alert[] =
    "INSERT INTO alerts (kind, gateway_id, instance_id, message) VALUES (?, ?, ?, ?)";
static const char sql_sent_today[] =
    "SELECT sent_instance_id, COUNT(*) FROM messages WHERE sent_at >= UTC_DATE()"
    " AND sent_instance_id IS NOT NULL GROUP BY sent_instance_id";
static const char sql_heartbeat[] =
    "INSERT INTO daemons (owner_id, host, pid, started_at, heartbeat_at, in_flight, sent_total,"
    " rss_kb, rate_gates) VALUES (?, ?, ?, NOW(6), NOW(6), ?, ?, ?, ?)"
    " ON DUPLICATE KEY UPDATE heartbeat_at = NOW(6), in_flight = VALUES(in_flight),"
    " sent_total = VALUES(sent_total), rss_kb = VALUES(rss_kb), rate_gates = VALUES(rate_gates)";
static const char sql_forget[] = "DELETE FROM daemons WHERE owner_id = ?";
static const char sql_daemons_live[] =
    "SELECT COUNT(*) FROM daemons WHERE heartbeat_at >= NOW(6) - INTERVAL ? SECOND";
static const char sql_counts[] =
    "SELECT SUM(state = 'pending'), SUM(state = 'sending'), SUM(state = 'dead')"
    " FROM messages WHERE state IN ('pending', 'sending', 'dead')";

static char *
copy(const struct db_result *r, size_t row, size_t col)
{
	const char *v = db_value(r, row, col);

	return v != NULL ? xstrdup(v) : NULL;
}

int
instances_load(struct db *db, struct instance_row **out, size_t *count)
{
	struct db_result r;
	struct instance_row *rows;
	size_t i;
	int rc;

	if ((rc = db_query(db, sql_instances, NULL, 0, &r)) != DB_OK)
		return rc;
	rows = xcalloc(r.nrows, sizeof(*rows));
	for (i = 0; i < r.nrows; i++) {
		struct instance_row *x = &rows[i];

		x->id = db_int(&r, i, 0, 0);
		x->gateway_id = db_int(&r, i, 1, 0);
		x->tenant_id = db_int(&r, i, 2, 0);
		x->name = copy(&r, i, 3);
		x->token = copy(&r, i, 4);
		x->external_id = copy(&r, i, 5);
		x->state = copy(&r, i, 6);
		x->admin_state = copy(&r, i, 7);
		x->health = copy(&r, i, 8);
		x->breaker_state = copy(&r, i, 9);
		x->breaker_remaining_ms = db_int(&r, i, 10, -1);
		x->breaker_trips = db_int(&r, i, 11, 0);
		x->daily_limit = db_int(&r, i, 12, -1);
		x->mps = db_int(&r, i, 13, -1);
		x->burst = db_int(&r, i, 14, -1);
		x->pair_per_minute = db_int(&r, i, 15, -1);
		x->spacing_min_seconds = db_int(&r, i, 16, -1);
		x->spacing_max_seconds = db_int(&r, i, 17, -1);
		x->typing = (int)db_int(&r, i, 18, -1);
		x->warmup_started_on = copy(&r, i, 19);
		x->kind = copy(&r, i, 20);
		x->base_url = copy(&r, i, 21);
		x->api_key = copy(&r, i, 22);
		x->gateway_active = db_int(&r, i, 23, 0) == 1;
		x->gateway_priority = db_int(&r, i, 24, 0);
		x->timezone = copy(&r, i, 25);
		x->quiet_start_minute = (int)db_int(&r, i, 26, -1);
		x->quiet_end_minute = (int)db_int(&r, i, 27, -1);
	}
	*out = rows;
	*count = r.nrows;
	db_result_free(&r);
	return DB_OK;
}

void
instance_rows_free(struct instance_row *rows, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct instance_row *x = &rows[i];

		free(x->name);
		free(x->token);
		free(x->external_id);
		free(x->state);
		free(x->admin_state);
		free(x->health);
		free(x->breaker_state);
		free(x->warmup_started_on);
		free(x->kind);
		free(x->base_url);
		free(x->api_key);
		free(x->timezone);
	}
	free(rows);
}

int
pools_load(struct db *db, struct pool_row **out, size_t *count)
{
	struct db_result r;
	struct pool_row *rows = NULL;
	size_t i, n = 0;
	int rc;

	if ((rc = db_query(db, sql_pools, NULL, 0, &r)) != DB_OK)
		return rc;
	rows = xcalloc(r.nrows, sizeof(*rows));
	for (i = 0; i < r.nrows; i++) {
		long long id = db_int(&r, i, 0, 0);
		struct pool_row *p;

		if (n == 0 || rows[n - 1].id != id) {
			p = &rows[n++];
			p->id = id;
			p->tenant_id = db_int(&r, i, 1, 0);
			p->name = copy(&r, i, 2);
			p->round_robin = db_value(&r, i, 3) == NULL ||
			    strcmp(db_value(&r, i, 3), "priority") != 0;
			p->enabled = db_int(&r, i, 4, 0) == 1;
			p->admin_state = copy(&r, i, 5);
			p->spacing_min_seconds = db_int(&r, i, 6, -1);
			p->spacing_max_seconds = db_int(&r, i, 7, -1);
			p->mps = db_int(&r, i, 8, -1);
			p->pair_per_minute = db_int(&r, i, 9, -1);
			p->typing = (int)db_int(&r, i, 10, -1);
			p->burst = db_int(&r, i, 11, -1);
			p->daily_limit = db_int(&r, i, 12, -1);
			p->members = xcalloc(r.nrows, sizeof(*p->members));
		} else
			p = &rows[n - 1];
		if (db_value(&r, i, 13) != NULL)
			p->members[p->nmembers++] = db_int(&r, i, 13, 0);
	}
	*out = rows;
	*count = n;
	db_result_free(&r);
	return DB_OK;
}

void
pool_rows_free(struct pool_row *rows, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(rows[i].name);
		free(rows[i].admin_state);
		free(rows[i].members);
	}
	free(rows);
}

int
instance_record_health(struct db *db, long long id, const char *new_state)
{
	if (new_state == NULL)
		return db_exec(db, sql_health_same, (struct db_param[]){ DB_INT(id) }, 1, NULL, NULL);
	return db_exec(db, sql_health_changed, (struct db_param[]){ DB_TEXT(new_state),
	    DB_TEXT(new_state), DB_TEXT(new_state), DB_TEXT(new_state), DB_INT(id) }, 5, NULL, NULL);
}

int
instance_set_breaker(struct db *db, long long id, const char *state, long long open_ms,
    long long trips)
{
	return db_exec(db, sql_breaker, (struct db_param[]){ DB_TEXT(state), DB_INT(trips),
	    DB_TEXT(state), DB_INT(open_ms), DB_INT(id) }, 5, NULL, NULL);
}

int
instance_suspend(struct db *db, long long id, const char *why)
{
	int rc = db_exec(db, sql_suspend, (struct db_param[]){ DB_INT(id) }, 1, NULL, NULL);

	if (rc == DB_OK)
		rc = alert_add(db, "instance_suspended", 0, id, why);
	return rc;
}

int
instances_mark_unacknowledged(struct db *db, long long ack_timeout, struct buf *names,
    long long **ids, long long *count)
{
	struct db_result r;
	size_t i;
	int rc;

	*count = 0;
	*ids = NULL;
	if ((rc = db_query(db, sql_unacknowledged, (struct db_param[]){ DB_INT(ack_timeout) }, 1,
	    &r)) != DB_OK)
		return rc;
	if (r.nrows > 0)
		*ids = xcalloc(r.nrows, sizeof(**ids));
	for (i = 0; i < r.nrows; i++) {
		long long id = db_int(&r, i, 0, 0);
		const char *name = db_value(&r, i, 1);
		char *message;

		if ((rc = db_exec(db, sql_mark_degraded, (struct db_param[]){ DB_INT(id) }, 1,
		    NULL, NULL)) != DB_OK)
			break;
		message = xasprintf("instance %s says it is connected but its sends are not "
		    "acknowledged after %lld s: taken out of rotation", name ? name : "?", ack_timeout);
		(void)alert_add(db, "instance_degraded", 0, id, message);
		free(message);
		buf_printf(names, "%s%s", names->len ? ", " : "", name ? name : "?");
		(*ids)[(*count)++] = id;
	}
	db_result_free(&r);
	return rc;
}

int
alert_add(struct db *db, const char *kind, long long gateway_id, long long instance_id,
    const char *message)
{
	return db_exec(db, sql_alert, (struct db_param[]){ DB_TEXT(kind), DB_ID_OR_NULL(gateway_id),
	    DB_ID_OR_NULL(instance_id), DB_TEXT(message) }, 4, NULL, NULL);
}

int
instances_sent_today(struct db *db, struct db_result *out)
{
	return db_query(db, sql_sent_today, NULL, 0, out);
}

int
daemon_heartbeat(struct db *db, const struct daemon_status *s)
{
	return db_exec(db, sql_heartbeat, (struct db_param[]){ DB_TEXT(s->owner), DB_TEXT(s->host),
	    DB_INT(s->pid), DB_INT(s->in_flight), DB_INT(s->sent_total), DB_INT(s->rss_kb),
	    DB_TEXT(s->rate_degraded ? "degraded" : "shared") }, 7, NULL, NULL);
}

int
daemon_forget(struct db *db, const char *owner)
{
	return db_exec(db, sql_forget, (struct db_param[]){ DB_TEXT(owner) }, 1, NULL, NULL);
}

int
daemons_live(struct db *db, long long seconds, long long *count)
{
	struct db_result r;
	int rc;

	if ((rc = db_query(db, sql_daemons_live, (struct db_param[]){ DB_INT(seconds) }, 1,
	    &r)) != DB_OK)
		return rc;
	*count = db_int(&r, 0, 0, 0);
	db_result_free(&r);
	return DB_OK;
}

int
queue_counts(struct db *db, long long *pending, long long *sending, long long *dead)
{
	struct db_result r;
	int rc;

	if ((rc = db_query(db, sql_counts, NULL, 0, &r)) != DB_OK)
		return rc;
	*pending = db_int(&r, 0, 0, 0);
	*sending = db_int(&r, 0, 1, 0);
	*dead = db_int(&r, 0, 2, 0);
	db_result_free(&r);
	return DB_OK;
}

struct instance_row *
instance_rows_find(struct instance_row *rows, size_t count, long long id)
{
	size_t lo = 0, hi = count;

	/* instances_load() orders by id: binary search. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rows[mid].id == id)
			return &rows[mid];
		if (rows[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
