/*
 * api-instance.c: GET /api/instances/{id}[?qr=1]: one instance's state,
 * asked live of its Evolution server (and recorded), for the connect
 * page's polling; with qr=1 and not yet connected, a fresh QR code too.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gateway-admin.h"
#include "handlers.h"
#include "pages.h"
#include "util.h"

/* Raises 401 (router), 404, 503; a gateway failure is reported in "gateway_error" (200). */
void
api_instance_state(struct req *r)
{
	struct fleet_instance v;
	struct fleet_gateway g;
	struct gwa_server s;
	struct gwa_qr qr;
	struct buf why = BUF_INIT;
	struct json_object *o = NULL;
	char *remote = NULL, *want_qr = req_query_arg(r, "qr");
	const char *state;
	long long id = page_path_id(r);
	int rc;

	memset(&v, 0, sizeof(v));
	memset(&g, 0, sizeof(g));
	memset(&qr, 0, sizeof(qr));
	if (id == 0 || (rc = fleet_instance_get(r->db, id, &v)) == DB_NOT_FOUND) {
		json_error(r, 404, "not_found", "no such instance");
		goto out;
	}
	if (rc != DB_OK || fleet_gateway_get(r->db, v.gateway_id, &g) != DB_OK) {
		json_unavailable(r);
		goto out;
	}
	state = v.state;
	o = json_object_new_object();
	if (strcmp(g.kind, "evolution") == 0) {
		page_gateway_server(r, &g, &s);
		if (gwa_state(&s, v.name, &remote, &why) == GWA_OK) {
			state = gwa_state_to_instance(remote);
			if (strcmp(state, v.state) != 0)
				(void)fleet_instance_set_state(r->db, v.id, state);
		} else
			json_object_object_add(o, "gateway_error",
			    json_object_new_string(buf_cstr(&why)));
		if (want_qr != NULL && strcmp(want_qr, "1") == 0 && strcmp(state, "connected") != 0) {
			buf_reset(&why);
			if (gwa_connect(&s, v.name, v.phone != NULL && v.phone[0] == '+' ? v.phone + 1 :
			    v.phone, &qr, &why) == GWA_OK && qr.base64 != NULL) {
				struct json_object *q = json_object_new_object();

				json_object_object_add(q, "base64", json_object_new_string(qr.base64));
				json_object_object_add(q, "pairing_code", qr.pairing_code != NULL ?
				    json_object_new_string(qr.pairing_code) : NULL);
				json_object_object_add(q, "count", json_object_new_int(qr.count));
				json_object_object_add(o, "qr", q);
			}
		}
	}
	json_object_object_add(o, "id", json_object_new_int64(v.id));
	json_object_object_add(o, "name", json_object_new_string(v.name));
	json_object_object_add(o, "gateway", json_object_new_string(g.name));
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "admin_state", json_object_new_string(v.admin_state));
	json_object_object_add(o, "health", json_object_new_string(v.health));
	req_header(r, "Cache-Control: no-store");
	json_reply(r, 200, o);
out:
	fleet_instance_free(&v);
	fleet_gateway_free(&g);
	gwa_qr_free(&qr);
	buf_free(&why);
	free(remote);
	free(want_qr);
}
