/* api-usage.c: GET /api/evolution/usage (server capacity) and GET /api/instances/connected. */
#include <string.h>

#include "fleet.h"
#include "handlers.h"

static struct json_object *
server_json(const struct fleet_gateway *g)
{
	struct json_object *o = json_object_new_object();
	long long available = g->capacity > g->assigned ? g->capacity - g->assigned : 0;
	double percent = fleet_usage_percent(g);

	json_object_object_add(o, "id", json_object_new_int64(g->id));
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "kind", json_object_new_string(g->kind));
	json_object_object_add(o, "active", json_object_new_boolean(g->active));
	json_object_object_add(o, "priority", json_object_new_int64(g->priority));
	json_object_object_add(o, "connected", json_object_new_int64(g->connected));
	json_object_object_add(o, "assigned", json_object_new_int64(g->assigned));
	json_object_object_add(o, "capacity", json_object_new_int64(g->capacity));
	json_object_object_add(o, "available", json_object_new_int64(available));
	json_object_object_add(o, "usage_percentage",
	    json_object_new_double((double)(long long)(percent * 10.0 + 0.5) / 10.0));
	json_object_object_add(o, "status", json_object_new_string(fleet_gateway_status(g)));
	return o;
}

/*
 * The seed's usage shape: totals, then per server name, connected,
 * capacity, available, usage_percentage, status (ok | warning | full |
 * inactive); plus instances_by_state and the 90 % warnings.  A server's
 * room counts every instance assigned to it, connected or not.  Raises 401
 * (router) and 503.
 */
void
api_evolution_usage(struct req *r)
{
	struct fleet_gateway *g = NULL;
	struct db_result states = { 0 };
	struct json_object *o, *servers, *by_state, *warnings;
	long long instances = 0, capacity = 0, connected = 0;
	size_t n = 0, i;

	if (fleet_capacity_alerts(r->db, NULL) != DB_OK || fleet_gateways(r->db, &g, &n) != DB_OK ||
	    fleet_instance_states(r->db, &states) != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	o = json_object_new_object();
	servers = json_object_new_array();
	warnings = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object_array_add(servers, server_json(&g[i]));
		instances += g[i].assigned;
		connected += g[i].connected;
		if (g[i].active)
			capacity += g[i].capacity;
		if (g[i].active && g[i].capacity > 0 &&
		    g[i].assigned * 100 >= g[i].capacity * FLEET_WARN_PERCENT) {
			struct buf w = BUF_INIT;

			buf_printf(&w, "gateway server \"%s\" is at %.0f%% of its capacity (%lld of %lld)",
			    g[i].name, fleet_usage_percent(&g[i]), g[i].assigned, g[i].capacity);
			json_object_array_add(warnings, json_object_new_string(buf_cstr(&w)));
			buf_free(&w);
		}
	}
	by_state = json_object_new_object();
	for (i = 0; i < states.nrows; i++)
		if (db_value(&states, i, 0) != NULL)
			json_object_object_add(by_state, db_value(&states, i, 0),
			    json_object_new_int64(db_int(&states, i, 1, 0)));
	json_object_object_add(o, "total_instances", json_object_new_int64(instances));
	json_object_object_add(o, "total_capacity", json_object_new_int64(capacity));
	json_object_object_add(o, "total_connected", json_object_new_int64(connected));
	json_object_object_add(o, "total_available",
	    json_object_new_int64(capacity > instances ? capacity - instances : 0));
	json_object_object_add(o, "servers", servers);
	json_object_object_add(o, "instances_by_state", by_state);
	json_object_object_add(o, "warnings", warnings);
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
out:
	fleet_gateways_free(g, n);
	db_result_free(&states);
}

/* Every connected number: {count, instances:[{id, name, phone, gateway, tenant, client_ref}]}. */
void
api_instances_connected(struct req *r)
{
	struct fleet_filter filter = { 0, 0, "connected" };
	struct fleet_instance *v = NULL;
	struct json_object *o, *list;
	size_t n = 0, i;

	if (fleet_instances(r->db, &filter, &v, &n) != DB_OK) {
		json_unavailable(r);
		return;
	}
	o = json_object_new_object();
	list = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *item = json_object_new_object();

		json_object_object_add(item, "id", json_object_new_int64(v[i].id));
		json_object_object_add(item, "name", json_object_new_string(v[i].name));
		json_object_object_add(item, "phone",
		    v[i].phone != NULL ? json_object_new_string(v[i].phone) : NULL);
		json_object_object_add(item, "gateway", json_object_new_string(v[i].gateway_name));
		json_object_object_add(item, "tenant",
		    v[i].tenant_slug != NULL ? json_object_new_string(v[i].tenant_slug) : NULL);
		json_object_object_add(item, "client_ref",
		    v[i].client_ref != NULL ? json_object_new_string(v[i].client_ref) : NULL);
		json_object_object_add(item, "admin_state", json_object_new_string(v[i].admin_state));
		json_object_object_add(item, "health", json_object_new_string(v[i].health));
		json_object_array_add(list, item);
	}
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "instances", list);
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
	fleet_instances_free(v, n);
}
