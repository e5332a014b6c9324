/*
 * health.c: per-instance health checks every health_interval seconds
 * (connectionState through the driver, on the same multi handle as the
 * sends), and the acknowledgement check that takes "connected but silently
 * not sending" instances out of rotation.
 */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "log.h"
#include "util.h"

static const char *const state_names[] = {
	"connected",		/* GATEWAY_STATE_CONNECTED */
	"connecting",		/* GATEWAY_STATE_CONNECTING */
	"disconnected",		/* GATEWAY_STATE_DISCONNECTED */
	"refused",		/* GATEWAY_STATE_REFUSED */
	"disconnected",		/* GATEWAY_STATE_UNREACHABLE: cannot send either */
};

/*
 * Only one daemon checks an instance per interval: the memcached add that
 * succeeds owns the check.  Without memcached every daemon checks.
 */
static bool
health_claim(struct dispatcher *d, long long id)
{
	memcached_return_t rc;
	char key[64];

	if (d->mc == NULL)
		return true;
	snprintf(key, sizeof(key), "wapool:health:%lld", id);
	rc = memcached_add(mc_handle(d->mc), key, strlen(key), "1", 1,
	    (time_t)(d->config->health_interval > 1 ? d->config->health_interval - 1 : 1), 0);
	if (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)
		return false;
	return true;
}

void
health_schedule(struct dispatcher *d, int64_t now)
{
	size_t i;

	for (i = 0; i < d->ninstances; i++) {
		struct instance_row *row = &d->instances[i];
		struct instance_runtime *rt = dispatch_runtime(d, row->id);
		const struct gateway_driver *driver;
		struct gateway_endpoint e;
		struct transfer *t;

		if (rt->health_in_flight || now < rt->next_health_ms)
			continue;
		rt->next_health_ms = now + d->config->health_interval * 1000;
		if (!row->gateway_active || (driver = gateway_driver_find(row->kind)) == NULL ||
		    driver->build_state == NULL || !health_claim(d, row->id))
			continue;
		t = transfer_new(d, TRANSFER_HEALTH);
		t->driver = driver;
		transfer_set_endpoint(t, row, &e);
		if (driver->build_state(&e, &t->request) != 0) {
			transfer_release(d, t);
			continue;
		}
		rt->health_in_flight = true;
		d->health_in_flight++;
		transfer_start(d, t);
	}
}

void
health_done(struct dispatcher *d, struct transfer *t, CURLcode code, long status)
{
	struct instance_runtime *rt = dispatch_runtime(d, t->instance_id);
	struct instance_row *row = dispatch_instance(d, t->instance_id);
	enum gateway_state state;
	const char *new_state;
	char detail[200];

	rt->health_in_flight = false;
	state = t->driver->parse_state(code, status, t->response.ptr, t->response.len, detail,
	    sizeof(detail));
	new_state = state_names[state];
	if (row == NULL)
		return;
	/* "banned" is set from connection.update reasons; a check does not undo it. */
	if (strcmp(row->state, new_state) == 0 ||
	    (strcmp(row->state, "banned") == 0 && state != GATEWAY_STATE_CONNECTED)) {
		if (instance_record_health(d->db, row->id, NULL) != DB_OK)
			log_warnx("health: cannot record the check of %s: %s", row->name, db_error(d->db));
		return;
	}
	log_info("instance %s: %s -> %s (%s)", row->name, row->state, new_state, detail);
	if (instance_record_health(d->db, row->id, new_state) != DB_OK) {
		log_warnx("health: cannot record the state of %s: %s", row->name, db_error(d->db));
		return;
	}
	/* Act on it now rather than at the next reload. */
	free(row->state);
	row->state = xstrdup(new_state);
	if (state == GATEWAY_STATE_CONNECTED) {
		free(row->health);
		row->health = xstrdup("ok");
	}
}

void
health_check_acks(struct dispatcher *d)
{
	struct buf names = BUF_INIT;
	long long count = 0, *ids = NULL, k;

	if (instances_mark_unacknowledged(d->db, d->config->ack_timeout_seconds, &names, &ids,
	    &count) == DB_OK && count > 0)
		log_error("instance(s) %s claim to be connected but their sends are not acknowledged "
		    "after %lld s: marked degraded and taken out of rotation", names.ptr,
		    d->config->ack_timeout_seconds);
	/* Out of rotation now, not at the next reload: a claim may be a millisecond away. */
	for (k = 0; k < count; k++) {
		struct instance_row *row = dispatch_instance(d, ids[k]);

		if (row != NULL) {
			free(row->health);
			row->health = xstrdup("degraded");
		}
	}
	free(ids);
	buf_free(&names);
}
