/* test-jsonpath.c: unit tests for jsonpath_get(), jsonpath_get_text() and jsonpath_valid(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonpath.h"
#include "util.h"
#include "tap.h"

/* A trimmed-down order_paid webhook, as a shop platform sends it. */
static const char order_json[] =
	"{"
	"  \"event\": \"order_paid\","
	"  \"order\": {"
	"    \"id\": 10452,"
	"    \"total\": 19.90,"
	"    \"paid\": true,"
	"    \"refunded\": false,"
	"    \"coupon\": null,"
	"    \"big\": 9007199254740993,"
	"    \"delta\": -3,"
	"    \"customer\": { \"first_name\": \"João\", \"phone\": \"(11) 98765-4321\" },"
	"    \"line_items\": ["
	"      { \"name\": \"Camiseta\", \"quantity\": 2 },"
	"      { \"name\": \"Caneca\", \"quantity\": 1 }"
	"    ],"
	"    \"matrix\": [[1, 2], [3, 4]],"
	"    \"tags\": [\"vip\", null],"
	"    \"by_slot\": { \"0\": \"zero\", \"1\": \"one\" },"
	"    \"weird key\": \"spaces ok\""
	"  }"
	"}";

static struct json_object *
load(void)
{
	struct json_object *root = json_tokener_parse(order_json);

	if (root == NULL) {
		printf("Bail out! test payload does not parse\n");
		exit(1);
	}
	return root;
}

/* The text at path, or "(missing)" when jsonpath_get_text() fails. */
static const char *
text(struct json_object *root, const char *path, struct buf *b)
{
	buf_reset(b);
	if (jsonpath_get_text(root, path, b) != 0)
		return "(missing)";
	return buf_cstr(b);
}

static void
test_keys_and_nesting(void)
{
	struct json_object *root = load();
	struct buf b = BUF_INIT;

	CHECK_STR(text(root, "event", &b), "order_paid");
	CHECK_STR(text(root, "order.customer.first_name", &b), "João");
	CHECK_STR(text(root, "order.customer.phone", &b), "(11) 98765-4321");
	CHECK_STR(text(root, "order.weird key", &b), "spaces ok");
	CHECK(jsonpath_get(root, "order") != NULL);
	CHECK(json_object_is_type(jsonpath_get(root, "order.customer"), json_type_object));
	buf_free(&b);
	json_object_put(root);
}

static void
test_array_indexes(void)
{
	struct json_object *root = load();
	struct buf b = BUF_INIT;

	CHECK_STR(text(root, "order.line_items.0.name", &b), "Camiseta");
	CHECK_STR(text(root, "order.line_items[0].name", &b), "Camiseta");
	CHECK_STR(text(root, "order.line_items[1].name", &b), "Caneca");
	CHECK_STR(text(root, "order.line_items.1.quantity", &b), "1");
	CHECK_STR(text(root, "order.matrix[1][0]", &b), "3");
	CHECK_STR(text(root, "order.matrix.0.1", &b), "2");
	CHECK_STR(text(root, "order.matrix[0].1", &b), "2");
	CHECK_STR(text(root, "order.tags[0]", &b), "vip");
	/* Digits on an object are keys. */
	CHECK_STR(text(root, "order.by_slot.1", &b), "one");
	CHECK_STR(text(root, "order.by_slot[0]", &b), "zero");
	buf_free(&b);
	json_object_put(root);
}

static void
test_root_array(void)
{
	struct json_object *root = json_tokener_parse("[{\"a\": \"x\"}, [\"y\"]]");
	struct buf b = BUF_INIT;

	CHECK_STR(text(root, "[0].a", &b), "x");
	CHECK_STR(text(root, "0.a", &b), "x");
	CHECK_STR(text(root, "[1][0]", &b), "y");
	CHECK_STR(text(root, "[2]", &b), "(missing)");
	buf_free(&b);
	json_object_put(root);
}

static void
test_missing_steps(void)
{
	struct json_object *root = load();

	CHECK(jsonpath_get(root, "nope") == NULL);
	CHECK(jsonpath_get(root, "order.customer.last_name") == NULL);
	CHECK(jsonpath_get(root, "order.line_items[2].name") == NULL);
	CHECK(jsonpath_get(root, "order.line_items.2") == NULL);
	CHECK(jsonpath_get(root, "order.line_items[999999999]") == NULL);
	CHECK(jsonpath_get(root, "order.line_items.first") == NULL);
	CHECK(jsonpath_get(root, "order.line_items.-1") == NULL);
	CHECK(jsonpath_get(root, "order.line_items.01x") == NULL);
	/* Stepping into a scalar. */
	CHECK(jsonpath_get(root, "event.length") == NULL);
	CHECK(jsonpath_get(root, "order.id[0]") == NULL);
	/* JSON null counts as missing, and so does anything below it. */
	CHECK(jsonpath_get(root, "order.coupon") == NULL);
	CHECK(jsonpath_get(root, "order.coupon.code") == NULL);
	CHECK(jsonpath_get(root, "order.tags[1]") == NULL);
	CHECK(jsonpath_get(NULL, "order") == NULL);
	CHECK(jsonpath_get(root, NULL) == NULL);
	json_object_put(root);
}

static void
test_invalid_paths_find_nothing(void)
{
	struct json_object *root = load();

	CHECK(jsonpath_get(root, "") == NULL);
	CHECK(jsonpath_get(root, ".order") == NULL);
	CHECK(jsonpath_get(root, "order.") == NULL);
	CHECK(jsonpath_get(root, "order..id") == NULL);
	CHECK(jsonpath_get(root, "order.line_items[0") == NULL);
	CHECK(jsonpath_get(root, "order.line_items[a].name") == NULL);
	CHECK(jsonpath_get(root, "order.line_items[0]name") == NULL);
	CHECK(jsonpath_get(root, "order.line_items]0") == NULL);
	json_object_put(root);
}

static void
test_text_of_scalars(void)
{
	struct json_object *root = load();
	struct buf b = BUF_INIT;

	CHECK_STR(text(root, "order.id", &b), "10452");
	CHECK_STR(text(root, "order.total", &b), "19.90");
	CHECK_STR(text(root, "order.paid", &b), "true");
	CHECK_STR(text(root, "order.refunded", &b), "false");
	CHECK_STR(text(root, "order.delta", &b), "-3");
	CHECK_STR(text(root, "order.big", &b), "9007199254740993");
	buf_free(&b);
	json_object_put(root);
}

static void
test_text_refuses_containers_and_null(void)
{
	struct json_object *root = load();
	struct buf b = BUF_INIT;

	buf_puts(&b, "kept");
	CHECK_INT(jsonpath_get_text(root, "order", &b), -1);
	CHECK_INT(jsonpath_get_text(root, "order.line_items", &b), -1);
	CHECK_INT(jsonpath_get_text(root, "order.coupon", &b), -1);
	CHECK_INT(jsonpath_get_text(root, "order.nope", &b), -1);
	CHECK_INT(jsonpath_get_text(root, "order..id", &b), -1);
	CHECK_STR(buf_cstr(&b), "kept");
	CHECK_INT(b.len, 4);
	buf_free(&b);
	json_object_put(root);
}

static void
test_text_appends(void)
{
	struct json_object *root = json_tokener_parse(
	    "{\"s\": \"a\\u0000b\", \"e\": \"\", \"n\": 7}");
	struct buf b = BUF_INIT;

	buf_puts(&b, "#");
	CHECK_INT(jsonpath_get_text(root, "n", &b), 0);
	CHECK_INT(jsonpath_get_text(root, "e", &b), 0);
	CHECK_STR(buf_cstr(&b), "#7");
	/* An embedded NUL is kept: the length comes from json-c, not strlen. */
	CHECK_INT(jsonpath_get_text(root, "s", &b), 0);
	CHECK_INT(b.len, 5);
	CHECK(memcmp(b.ptr, "#7a\0b", 5) == 0);
	buf_free(&b);
	json_object_put(root);
}

static void
test_valid(void)
{
	static const char *const good[] = {
		"a", "billing.phone", "line_items.0.name", "line_items[0].name",
		"matrix[1][2]", "[0]", "[0].a", "a.b.c.d.e", "weird key",
		"order.line_items[12].sku", "0",
	};
	static const char *const bad[] = {
		"", ".", ".a", "a.", "a..b", "a[", "a[]", "a[x]", "a[-1]",
		"a[0", "a]", "a[0]b", "a.[0]", "[0]]", "a[0].", "a[1 ]",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good); i++)
		if (!jsonpath_valid(good[i])) {
			tap_fail(__FILE__, __LINE__, good[i]);
			printf("# expected valid got invalid\n");
		}
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (jsonpath_valid(bad[i])) {
			tap_fail(__FILE__, __LINE__, bad[i]);
			printf("# expected invalid got valid\n");
		}
	CHECK(!jsonpath_valid(NULL));
}

static const struct tap_test tests[] = {
	{ "keys and nested objects", test_keys_and_nesting },
	{ "array indexes, dotted and bracketed", test_array_indexes },
	{ "a document that is an array", test_root_array },
	{ "missing steps, scalars and null", test_missing_steps },
	{ "invalid paths find nothing", test_invalid_paths_find_nothing },
	{ "numbers and booleans as JSON text", test_text_of_scalars },
	{ "objects, arrays, null and missing give -1", test_text_refuses_containers_and_null },
	{ "text is appended with its exact length", test_text_appends },
	{ "jsonpath_valid", test_valid },
};

int
main(void)
{
	return tap_run(tests, ARRAY_SIZE(tests));
}
