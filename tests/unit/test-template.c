/* test-template.c: unit tests for template_render() and template_check(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "template.h"
#include "util.h"
#include "tap.h"

static const char payload_json[] =
	"{"
	"  \"customer\": { \"first_name\": \"João\", \"nickname\": \"{{order.id}}\" },"
	"  \"order\": {"
	"    \"id\": 10452,"
	"    \"total\": 19.90,"
	"    \"paid\": true,"
	"    \"coupon\": null,"
	"    \"shipping\": { \"address\": { \"city\": \"São Paulo\" } },"
	"    \"line_items\": [ { \"name\": \"Camiseta\" }, { \"name\": \"Caneca ☕\" } ]"
	"  }"
	"}";

/* What the missing-variable callback saw. */
struct missing_log {
	int		calls;
	struct buf	names;	/* "name;" per call */
};

static void
record_missing(const char *name, void *arg)
{
	struct missing_log *log = arg;

	log->calls++;
	buf_puts(&log->names, name);
	buf_putc(&log->names, ';');
}

static struct json_object *
load(void)
{
	struct json_object *root = json_tokener_parse(payload_json);

	if (root == NULL) {
		printf("Bail out! test payload does not parse\n");
		exit(1);
	}
	return root;
}

/* Renders tmpl against the test payload; the result is in out. */
static void
render(const char *tmpl, struct buf *out, struct missing_log *log)
{
	struct json_object *root = load();

	buf_reset(out);
	template_render(tmpl, root, out, log != NULL ? record_missing : NULL, log);
	json_object_put(root);
}

static void
test_portuguese_message(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	render("Olá {{customer.first_name}}, seu pedido #{{order.id}} foi pago!",
	    &out, &log);
	CHECK_STR(buf_cstr(&out), "Olá João, seu pedido #10452 foi pago!");
	CHECK_INT(log.calls, 0);
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_spaces_inside_braces(void)
{
	struct buf out = BUF_INIT;

	render("{{order.id}}|{{ order.id }}|{{  order.id\t}}|{{\torder.id}}", &out, NULL);
	CHECK_STR(buf_cstr(&out), "10452|10452|10452|10452");
	buf_free(&out);
}

static void
test_missing_variables(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	render("Oi {{ customer.last_name }}! Cupom: {{order.coupon}}. "
	    "{{order.shipping}}{{order.line_items}}{{customer.last_name}}.",
	    &out, &log);
	CHECK_STR(buf_cstr(&out), "Oi ! Cupom: . .");
	CHECK_INT(log.calls, 5);
	CHECK_STR(buf_cstr(&log.names), "customer.last_name;order.coupon;"
	    "order.shipping;order.line_items;customer.last_name;");

	/* Without a callback a missing variable still renders as nothing. */
	render("[{{nope}}]", &out, NULL);
	CHECK_STR(buf_cstr(&out), "[]");
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_invalid_paths_are_missing(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	render("a{{}}b{{ }}c{{order..id}}d{{order.line_items[x]}}e", &out, &log);
	CHECK_STR(buf_cstr(&out), "abcde");
	CHECK_INT(log.calls, 4);
	CHECK_STR(buf_cstr(&log.names), ";;order..id;order.line_items[x];");
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_no_payload(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	template_render("Olá {{customer.first_name}}!", NULL, &out, record_missing, &log);
	CHECK_STR(buf_cstr(&out), "Olá !");
	CHECK_INT(log.calls, 1);
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_unclosed_braces(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	render("Olá {{customer.first_name", &out, &log);
	CHECK_STR(buf_cstr(&out), "Olá {{customer.first_name");
	render("Olá {{nome, pedido {{order.id}} {{", &out, &log);
	CHECK_STR(buf_cstr(&out), "Olá {{nome, pedido 10452 {{");
	render("{{", &out, &log);
	CHECK_STR(buf_cstr(&out), "{{");
	render("a }} b { c } {d}", &out, &log);
	CHECK_STR(buf_cstr(&out), "a }} b { c } {d}");
	render("{order.id}", &out, &log);
	CHECK_STR(buf_cstr(&out), "{order.id}");
	CHECK_INT(log.calls, 0);
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_utf8_passes_through(void)
{
	struct buf out = BUF_INIT;
	const char *tmpl = "Olá, ação concluída ✅ — pedido nº {{order.id}} 🎉 (açúcar, ñ, 日本)";

	render(tmpl, &out, NULL);
	CHECK_STR(buf_cstr(&out),
	    "Olá, ação concluída ✅ — pedido nº 10452 🎉 (açúcar, ñ, 日本)");
	render("{{order.shipping.address.city}} / {{order.line_items[1].name}}", &out, NULL);
	CHECK_STR(buf_cstr(&out), "São Paulo / Caneca ☕");
	buf_free(&out);
}

static void
test_numbers_and_booleans(void)
{
	struct buf out = BUF_INIT;

	render("R$ {{order.total}} pago={{order.paid}} #{{order.id}}", &out, NULL);
	CHECK_STR(buf_cstr(&out), "R$ 19.90 pago=true #10452");
	buf_free(&out);
}

static void
test_nested_and_arrays(void)
{
	struct buf out = BUF_INIT;
	struct missing_log log = { 0, BUF_INIT };

	render("Entrega em {{order.shipping.address.city}}: {{order.line_items[0].name}}, "
	    "{{ order.line_items.1.name }}, {{order.line_items[2].name}}.", &out, &log);
	CHECK_STR(buf_cstr(&out), "Entrega em São Paulo: Camiseta, Caneca ☕, .");
	CHECK_INT(log.calls, 1);
	CHECK_STR(buf_cstr(&log.names), "order.line_items[2].name;");
	buf_free(&out);
	buf_free(&log.names);
}

static void
test_edges(void)
{
	struct buf out = BUF_INIT;

	render("", &out, NULL);
	CHECK_STR(buf_cstr(&out), "");
	CHECK_INT(out.len, 0);
	render("sem variáveis", &out, NULL);
	CHECK_STR(buf_cstr(&out), "sem variáveis");
	render("{{order.id}}{{order.id}}", &out, NULL);
	CHECK_STR(buf_cstr(&out), "1045210452");
	/* Values are not templates: no second expansion. */
	render("{{customer.nickname}}", &out, NULL);
	CHECK_STR(buf_cstr(&out), "{{order.id}}");
	/* Output is appended, never reset. */
	buf_reset(&out);
	buf_puts(&out, ">");
	template_render("{{order.id}}", NULL, &out, NULL, NULL);
	template_render(NULL, NULL, &out, NULL, NULL);
	CHECK_STR(buf_cstr(&out), ">");
	buf_free(&out);
}

static void
test_check(void)
{
	CHECK_INT(template_check("Olá {{customer.first_name}}, pedido #{{ order.id }}"), 0);
	CHECK_INT(template_check("sem variáveis"), 0);
	CHECK_INT(template_check(""), 0);
	CHECK_INT(template_check("{{line_items[0].name}} {{a.0.b}}"), 0);
	CHECK_INT(template_check("a }} b { c }"), 0);
	CHECK_INT(template_check("{{}}"), -1);
	CHECK_INT(template_check("{{ }}"), -1);
	CHECK_INT(template_check("{{order..id}}"), -1);
	CHECK_INT(template_check("{{items[x]}}"), -1);
	CHECK_INT(template_check("ok {{a}} then {{b"), -1);
	CHECK_INT(template_check("{{nome, pedido {{order.id}}"), -1);
	CHECK_INT(template_check(NULL), -1);
}

static const struct tap_test tests[] = {
	{ "a Portuguese order message", test_portuguese_message },
	{ "blanks inside the braces are optional", test_spaces_inside_braces },
	{ "missing variables render empty and call back", test_missing_variables },
	{ "invalid paths count as missing", test_invalid_paths_are_missing },
	{ "no payload at all", test_no_payload },
	{ "unclosed and single braces are literal", test_unclosed_braces },
	{ "UTF-8 text passes through untouched", test_utf8_passes_through },
	{ "numbers and booleans", test_numbers_and_booleans },
	{ "nested objects and arrays", test_nested_and_arrays },
	{ "empty, repeated, appended", test_edges },
	{ "template_check", test_check },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
