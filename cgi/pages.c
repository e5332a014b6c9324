/* pages.c: helpers shared by the admin page files. */
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "pages.h"
#include "util.h"

long long
page_path_id(const struct req *r)
{
	long long id;

	return r->nparams > 0 && safe_strtoll(r->params[0], &id) && id > 0 ? id : 0;
}

void
page_gateway_server(const struct req *r, const struct fleet_gateway *g, struct gwa_server *s)
{
	long long total = r->app->config.send_timeout_ms;

	s->kind = g->kind;
	s->base_url = g->base_url;
	s->api_key = g->api_key;
	s->connect_timeout_ms = (long)r->app->config.connect_timeout_ms;
	s->timeout_ms = (long)(total < 15000 ? total : 15000);
}

char *
page_callback_url(const struct req *r)
{
	const char *base = r->app->config.public_url, *token = r->app->config.gateway_callback_token;
	size_t len;

	if (token == NULL || token[0] == '\0' || base == NULL || base[0] == '\0')
		return NULL;
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	return xasprintf("%.*s/webhook/gateway/evolution/%s", (int)len, base, token);
}

void
page_done_notice(struct req *r, const char *const *table)
{
	char *done = req_query_arg(r, "done");
	size_t i;

	for (i = 0; done != NULL && table[i] != NULL && table[i + 1] != NULL; i += 2)
		if (strcmp(done, table[i]) == 0)
			html_notice(r, "ok", table[i + 1]);
	free(done);
}
