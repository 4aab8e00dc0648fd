/*
 * Declarative state machines (runtime/machine): definitions rejected at
 * load with the state and field named; every kind of step (action,
 * always with guards, wait-for, invoke with success and error, end with
 * a return value); actions a state does not take, answered and recorded
 * as nothing; versions (an execution keeps the one it started with);
 * a wait-for across a SIGKILL; replay and hs_verify of a workflow log.
 */
#include "util.h"

#include "persist_util.h"

#include <signal.h>
#include <sys/wait.h>

static _Atomic int64_t sim_now;

static int64_t sim_clock(void *udata)
{
	(void)udata;
	return atomic_load(&sim_now);
}

#define T0 INT64_C(1767225600000000000) /* 2026-01-01T00:00Z */
#define SEC INT64_C(1000000000)

/* ------------------------------------------------------------------ */
/* Definitions and their callbacks                                      */
/* ------------------------------------------------------------------ */

static const char *SHIPMENT_JSON =
	"{\"id\": \"shipment\", \"version\": 1, \"start-at\": \"created\","
	" \"context\": {\"attempts\": 0, \"fail\": 0},"
	" \"states\": {"
	"  \"created\": {\"always\": [{\"name\": \"fulfilled\","
	"                             \"state\": \"outstanding\"}]},"
	"  \"outstanding\": {"
	"    \"always\": [{\"name\": \"fetched\", \"when\": \"fetch_ok\","
	"                  \"state\": \"delivered\"},"
	"                 {\"name\": \"fetch-failed\", \"state\": \"failed\","
	"                  \"context\": \"attempt\"}],"
	"    \"actions\": {\"cancel\": {\"state\": \"canceled\"}}},"
	"  \"failed\": {\"always\": ["
	"    {\"name\": \"retry\", \"when\": \"attempts_left\","
	"     \"state\": \"outstanding\", \"wait-for\": {\"seconds\": 5}},"
	"    {\"name\": \"give-up\", \"state\": \"gave-up\"}]},"
	"  \"delivered\": {\"end\": true, \"return\": {\"delivered\": true}},"
	"  \"canceled\": {\"end\": true, \"return\": {\"delivered\": false}},"
	"  \"gave-up\": {\"end\": \"error\"}}}";

static const char *ORDER_JSON =
	"{\"id\": \"order\", \"version\": 1, \"start-at\": \"create\","
	" \"context\": {\"items\": 0, \"fail_ship\": 0, \"delivered\": false},"
	" \"states\": {"
	"  \"create\": {\"always\": [{\"name\": \"created\","
	"                            \"state\": \"cart\"}]},"
	"  \"cart\": {\"actions\": {"
	"    \"add\": {\"name\": \"added\", \"state\": \"cart\","
	"              \"context\": \"add\"},"
	"    \"remove\": {\"name\": \"removed\", \"state\": \"cart\","
	"                 \"context\": \"remove\"},"
	"    \"place\": {\"state\": \"submitted\", \"when\": \"nonempty\"}}},"
	"  \"submitted\": {\"actions\": {"
	"    \"fraud-approve\": {\"state\": \"fraud-approved\"},"
	"    \"fraud-reject\": {\"state\": \"fraud-rejected\"}}},"
	"  \"fraud-approved\": {\"always\": [{\"state\": \"released\"}]},"
	"  \"fraud-rejected\": {\"actions\": {"
	"    \"cancel\": {\"state\": \"canceled\"}}},"
	"  \"released\": {\"always\": [{\"name\": \"ship\", \"invoke\": {"
	"    \"machine\": \"shipment\", \"version\": 1,"
	"    \"input\": \"ship_input\","
	"    \"success\": {\"state\": \"ship-finished\", \"context\": \"took\"},"
	"    \"error\": {\"state\": \"canceled\"}}}]},"
	"  \"ship-finished\": {\"always\": ["
	"    {\"name\": \"fulfilled\", \"when\": \"delivered\","
	"     \"state\": \"shipped\"},"
	"    {\"name\": \"canceled\", \"state\": \"canceled\"}]},"
	"  \"shipped\": {\"end\": true},"
	"  \"canceled\": {\"end\": true}}}";

/* Version 2 of the order: placing ends it at once in "placed". */
static const char *ORDER_V2_JSON =
	"{\"id\": \"order\", \"version\": 2, \"start-at\": \"cart\","
	" \"context\": {\"items\": 0, \"v2\": true},"
	" \"states\": {"
	"  \"cart\": {\"actions\": {"
	"    \"add\": {\"name\": \"added\", \"state\": \"cart\","
	"              \"context\": \"add\"},"
	"    \"place\": {\"state\": \"placed\"}}},"
	"  \"placed\": {\"end\": true, \"return\": \"v2\"}}}";

static int64_t ctx_i64(const hs_machine_call *c, const char *k)
{
	int64_t v = 0;
	hs_get_i64(c->context, c->context_len, k, &v);
	return v;
}

static int64_t in_i64(const hs_machine_call *c, const char *k, int64_t d)
{
	int64_t v = d;
	if (c->input != NULL)
		hs_get_i64(c->input, c->input_len, k, &v);
	return v;
}

static int order_ctx(hs_buf *out, int64_t items, int64_t fail,
		     bool delivered)
{
	return hs_packf(out, "items:I fail_ship:I delivered:b", items, fail,
			delivered);
}

static int u_add(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	bool d = false;
	hs_get_bool(c->context, c->context_len, "delivered", &d);
	return order_ctx(out, ctx_i64(c, "items") + in_i64(c, "qty", 1),
			 ctx_i64(c, "fail_ship"), d);
}

static int u_remove(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	int64_t n = ctx_i64(c, "items") - in_i64(c, "qty", 1);
	return order_ctx(out, n < 0 ? 0 : n, ctx_i64(c, "fail_ship"), false);
}

static int u_ship_input(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return hs_packf(out, "fail:I order:s", ctx_i64(c, "fail_ship"),
			c->id);
}

static int u_took(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	bool d = false;
	hs_get_bool(c->input, c->input_len, "delivered", &d);
	return order_ctx(out, ctx_i64(c, "items"), ctx_i64(c, "fail_ship"),
			 d);
}

static int u_attempt(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return hs_packf(out, "attempts:I fail:I", ctx_i64(c, "attempts") + 1,
			ctx_i64(c, "fail"));
}

static int g_nonempty(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_i64(c, "items") > 0;
}

static int g_delivered(void *u, const hs_machine_call *c)
{
	(void)u;
	bool d = false;
	hs_get_bool(c->context, c->context_len, "delivered", &d);
	return d;
}

static int g_fetch_ok(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_i64(c, "attempts") >= ctx_i64(c, "fail");
}

static int g_attempts_left(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_i64(c, "attempts") < 3;
}

static hs_machines *make_set(void)
{
	hs_machines *m = NULL;
	assert_hs(0, hs_machines_create(&m));
	assert_hs(0, hs_machines_update(m, "add", u_add, NULL));
	assert_hs(0, hs_machines_update(m, "remove", u_remove, NULL));
	assert_hs(0, hs_machines_update(m, "ship_input", u_ship_input, NULL));
	assert_hs(0, hs_machines_update(m, "took", u_took, NULL));
	assert_hs(0, hs_machines_update(m, "attempt", u_attempt, NULL));
	assert_hs(0, hs_machines_guard(m, "nonempty", g_nonempty, NULL));
	assert_hs(0, hs_machines_guard(m, "delivered", g_delivered, NULL));
	assert_hs(0, hs_machines_guard(m, "fetch_ok", g_fetch_ok, NULL));
	assert_hs(0, hs_machines_guard(m, "attempts_left", g_attempts_left,
				       NULL));
	return m;
}

static void add_json(hs_machines *m, const char *json)
{
	hs_machine_def *d = NULL;
	char err[256] = "";
	int rc = hs_machine_load_json(m, json, strlen(json), &d, err,
				      sizeof err);
	if (rc != 0)
		print_error("load: %s\n", err);
	assert_hs(0, rc);
	assert_hs(0, hs_machine_add(m, d));
}

/* A set with order v1 and shipment v1. */
static hs_machines *order_set(void)
{
	hs_machines *m = make_set();
	add_json(m, SHIPMENT_JSON);
	add_json(m, ORDER_JSON);
	return m;
}

static hs_runtime *open_rt(const char *path, hs_machines *m)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = path;
	o.clock = sim_clock;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("hs_open_err: %s\n", err);
	assert_hs(0, rc);
	assert_hs(0, hs_machines_register(m, rt));
	return rt;
}

static void advance(hs_runtime *rt, int64_t t)
{
	atomic_store(&sim_now, t);
	assert_hs(0, hs_timers_fire_due(rt, NULL));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
}

/* A string field of an execution's current state. */
static void field(hs_runtime *rt, const char *type, const char *id,
		  const char *path, char *dst, size_t cap)
{
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_deref(rt, type, id, &b));
	dst[0] = '\0';
	hs_value v;
	if (hs_get(b.data, b.len, path, &v) == 0 && v.kind != HS_NIL)
		assert_hs(0, hs_get_strcpy(b.data, b.len, path, dst, cap));
	hs_buf_free(&b);
}

static void assert_state(hs_runtime *rt, const char *type, const char *id,
			 const char *want)
{
	char s[HS_NAME_MAX + 1];
	field(rt, type, id, "state", s, sizeof s);
	if (strcmp(s, want) != 0)
		print_error("%s '%s' is in state '%s', expected '%s'\n", type,
			    id, s, want);
	assert_string_equal(s, want);
}

static int64_t state_i64(hs_runtime *rt, const char *type, const char *id,
			 const char *path)
{
	hs_buf b = HS_BUF_INIT;
	int64_t v = -1;
	assert_hs(0, hs_deref(rt, type, id, &b));
	assert_hs(0, hs_get_i64(b.data, b.len, path, &v));
	hs_buf_free(&b);
	return v;
}

/* Sends an action as a question; returns the reply's "ok". */
static bool ask(hs_runtime *rt, const char *id, const char *action,
		const char *fmt, int64_t qty, char *text, size_t cap)
{
	hs_buf body = HS_BUF_INIT, reply = HS_BUF_INIT;
	if (fmt != NULL)
		assert_hs(0, hs_packf(&body, fmt, qty));
	assert_hs(0, hs_ask(rt, "order", id, action, body.data, body.len,
			    HSU_AWAIT_MS, &reply));
	bool ok = false;
	assert_hs(0, hs_get_bool(reply.data, reply.len, "ok", &ok));
	if (!ok) {
		hs_buf j = HS_BUF_INIT;
		hs_json(&j, reply.data, reply.len, 0);
		print_message("  %s: %.*s\n", action, (int)j.len,
			      (char *)j.data);
		hs_buf_free(&j);
	}
	if (text != NULL)
		assert_hs(0, hs_get_strcpy(reply.data, reply.len,
					   ok ? "state" : "error", text, cap));
	hs_buf_free(&body);
	hs_buf_free(&reply);
	return ok;
}

/* Drives order `id` (started with fail_ship) to "released". */
static void start_and_release(hs_runtime *rt, hs_machines *m, const char *id,
			      int64_t fail_ship)
{
	hs_buf in = HS_BUF_INIT;
	assert_hs(0, hs_packf(&in, "fail_ship:I", fail_ship));
	assert_hs(0, hs_machine_start(rt, m, "order", id, 0, in.data, in.len));
	hs_buf_free(&in);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	char st[64];
	assert_true(ask(rt, id, "add", "qty:I", 2, st, sizeof st));
	assert_string_equal(st, "cart");
	assert_true(ask(rt, id, "place", NULL, 0, st, sizeof st));
	assert_string_equal(st, "submitted");
	assert_true(ask(rt, id, "fraud-approve", NULL, 0, st, sizeof st));
	assert_string_equal(st, "fraud-approved");
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&sim_now, T0);
	return 0;
}

static int teardown(void **state)
{
	pu_cleanup_dirs(state);
	hsu_assert_no_cb_failures();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */
/* ------------------------------------------------------------------ */

static void expect_reject(hs_machines *m, const char *json, int code,
			  const char *want)
{
	hs_machine_def *d = NULL;
	char err[256] = "";
	int rc = hs_machine_load_json(m, json, strlen(json), &d, err,
				      sizeof err);
	if (rc != code || strstr(err, want) == NULL)
		print_error("for %s\n got %d '%s', expected %d '%s'\n", json,
			    rc, err, code, want);
	assert_int_equal(rc, code);
	assert_null(d);
	assert_non_null(strstr(err, want));
}

#define HEAD "{\"id\":\"m\",\"version\":1,\"start-at\":\"a\",\"states\":{"

static void test_load_errors(void **state)
{
	(void)state;
	hs_machines *m = make_set();
	expect_reject(m, "{\"id\":", HS_EBADMSG, "JSON line 1");
	expect_reject(m, "{\"id\":\"m\",\"version\":1,\"start-at\":\"x\","
			 "\"states\":{\"a\":{\"end\":true}}}",
		      HS_EINVAL, "machine 'm': start-at: unknown state 'x'");
	/* transition to an unknown state */
	expect_reject(m, HEAD "\"a\":{\"actions\":{\"go\":{\"state\":\"bb\"}}},"
			      "\"b\":{\"end\":true}}}",
		      HS_EINVAL,
		      "state 'a': actions.go.state: unknown state 'bb'");
	/* a transition to nowhere at all */
	expect_reject(m, HEAD "\"a\":{\"always\":[{\"name\":\"x\"}]}}}",
		      HS_EINVAL,
		      "state 'a': always[0].state: missing (a transition to "
		      "nowhere)");
	expect_reject(m, HEAD "\"a\":{\"actions\":{\"go\":{\"state\":\"b\"}}},"
			      "\"b\":{\"end\":true},\"c\":{\"end\":true}}}",
		      HS_EINVAL, "state 'c': unreachable from start-at 'a'");
	expect_reject(m, HEAD "\"a\":{\"always\":[{\"state\":\"b\"}]},"
			      "\"b\":{\"always\":[{\"state\":\"c\"}]},"
			      "\"c\":{\"always\":[{\"when\":\"nonempty\","
			      "\"state\":\"a\"},{\"state\":\"d\"}]},"
			      "\"d\":{\"end\":true}}}",
		      HS_EINVAL,
		      "state 'c': always[0]: cycle of always transitions "
		      "with no wait-for: a -> b -> c -> a");
	/* the same cycle with a wait is fine */
	hs_machine_def *d = NULL;
	const char *ok = HEAD "\"a\":{\"always\":[{\"state\":\"b\"}]},"
			      "\"b\":{\"always\":[{\"state\":\"a\","
			      "\"wait-for\":{\"ms\":10},\"when\":\"nonempty\"},"
			      "{\"state\":\"d\"}]},\"d\":{\"end\":true}}}";
	assert_hs(0, hs_machine_load_json(m, ok, strlen(ok), &d, NULL, 0));
	assert_string_equal(hs_machine_def_id(d), "m");
	assert_int_equal(hs_machine_def_version(d), 1);
	hs_machine_def_free(d);
	expect_reject(m, HEAD "\"a\":{\"always\":[{\"when\":\"nosuch\","
			      "\"state\":\"b\"},{\"state\":\"b\"}]},"
			      "\"b\":{\"end\":true}}}",
		      HS_EINVAL,
		      "state 'a': always[0].when: no guard callback named "
		      "'nosuch'");
	expect_reject(m, HEAD "\"a\":{\"actions\":{\"x\":{\"state\":\"b\","
			      "\"context\":\"nosuch\"}}},\"b\":{\"end\":true}}}",
		      HS_EINVAL,
		      "state 'a': actions.x.context: no update callback named "
		      "'nosuch'");
	expect_reject(m, HEAD "\"a\":{\"end\":true,\"always\":"
			      "[{\"state\":\"a\"}]}}}",
		      HS_EINVAL, "state 'a': end: an end state has no "
				 "transitions");
	expect_reject(m, HEAD "\"a\":{\"actions\":{\"go\":{\"state\":\"b\"}}},"
			      "\"b\":{}}}",
		      HS_EINVAL, "state 'b': neither an end");
	expect_reject(m, HEAD "\"a\":{\"end\":true,\"colour\":1}}}", HS_EINVAL,
		      "state 'a': colour: unknown field");
	expect_reject(m, HEAD "\"a\":{\"actions\":{\"go\":{\"state\":\"a\","
			      "\"wait-for\":{\"seconds\":1}}}}}}",
		      HS_EINVAL,
		      "state 'a': actions.go.wait-for: only in always");
	expect_reject(m, HEAD "\"a\":{\"always\":[{\"state\":\"b\","
			      "\"wait-for\":{\"hours\":1}}]},"
			      "\"b\":{\"end\":true}}}",
		      HS_EINVAL, "state 'a': always[0].wait-for.hours: "
				 "unknown field");
	expect_reject(m, HEAD "\"a\":{\"always\":[{\"invoke\":{\"machine\":"
			      "\"x\",\"success\":{\"state\":\"b\"}}}]},"
			      "\"b\":{\"end\":true}}}",
		      HS_EINVAL, "state 'a': always[0].invoke.error: missing");
	/* a map with an integer key */
	static const uint8_t intkey[] = {0x81, 0x01, 0x02};
	assert_hs(HS_EINVAL, hs_machine_load_msgpack(m, intkey, sizeof intkey,
						     &d, NULL, 0));
	char kerr[128];
	assert_hs(HS_EINVAL, hs_machine_load_msgpack(m, intkey, sizeof intkey,
						     &d, kerr, sizeof kerr));
	assert_string_equal(kerr, "machine: every key must be a string");
	expect_reject(m, "{\"version\":1,\"start-at\":\"a\",\"states\":{}}",
		      HS_EINVAL, "machine: id: missing");

	/* The same definition as msgpack built in C. */
	hs_buf mp = HS_BUF_INIT;
	assert_hs(0, hs_packf(&mp,
			      "id:s version:i start-at:s states:{a:{actions:{"
			      "go:{state:s}}} b:{end:b}}",
			      "c", 3, "a", "b", 1));
	assert_hs(0, hs_machine_load_msgpack(m, mp.data, mp.len, &d, NULL, 0));
	assert_int_equal(hs_machine_def_version(d), 3);
	assert_hs(0, hs_machine_add(m, d));
	hs_buf_reset(&mp);
	assert_hs(0, hs_packf(&mp,
			      "id:s version:i start-at:s states:{a:{end:b}}",
			      "c", 3, "a", 1));
	assert_hs(0, hs_machine_load_msgpack(m, mp.data, mp.len, &d, NULL, 0));
	assert_hs(HS_EEXIST, hs_machine_add(m, d));
	hs_machine_def_free(d);
	hs_buf_free(&mp);
	hs_machines_destroy(m);
}

/* ------------------------------------------------------------------ */
/* Running                                                              */
/* ------------------------------------------------------------------ */

/* The whole path of an order: actions (asked, answered with the new
 * state), always transitions with guards, invoke of a shipment that
 * succeeds, end states with their return values. */
static void test_order_ships(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-ship");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	start_and_release(rt, m, "o1", 0);
	assert_state(rt, "order", "o1", "shipped");
	assert_state(rt, "shipment", "o1/ship-1", "delivered");
	char s[64];
	field(rt, "order", "o1", "end", s, sizeof s);
	assert_string_equal(s, "success");
	field(rt, "order", "o1", "via", s, sizeof s);
	assert_string_equal(s, "fulfilled");
	field(rt, "shipment", "o1/ship-1", "parent.id", s, sizeof s);
	assert_string_equal(s, "o1");
	field(rt, "shipment", "o1/ship-1", "context.order", s, sizeof s);
	assert_string_equal(s, "o1");
	assert_int_equal(state_i64(rt, "order", "o1", "context.items"), 2);
	hs_buf b = HS_BUF_INIT;
	bool delivered = false;
	assert_hs(0, hs_deref(rt, "shipment", "o1/ship-1", &b));
	assert_hs(0, hs_get_bool(b.data, b.len, "result.delivered",
				 &delivered));
	assert_true(delivered);
	hs_buf_reset(&b);
	/* The order's result is its context (no "return"). */
	assert_hs(0, hs_deref(rt, "order", "o1", &b));
	assert_hs(0, hs_get_bool(b.data, b.len, "result.delivered",
				 &delivered));
	assert_true(delivered);
	hs_buf_free(&b);

	char t[256];
	/* Guards on actions and on always: an empty cart cannot be placed;
	 * a rejected order waits for cancel. */
	assert_hs(0, hs_machine_start(rt, m, "order", "o2", 0, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_false(ask(rt, "o2", "place", NULL, 0, t, sizeof t));
	assert_non_null(strstr(t, "refused by guard 'nonempty'"));
	assert_true(ask(rt, "o2", "add", "qty:I", 1, s, sizeof s));
	assert_true(ask(rt, "o2", "remove", "qty:I", 1, s, sizeof s));
	assert_int_equal(state_i64(rt, "order", "o2", "context.items"), 0);
	assert_true(ask(rt, "o2", "add", "qty:I", 3, s, sizeof s));
	assert_true(ask(rt, "o2", "place", NULL, 0, s, sizeof s));
	assert_true(ask(rt, "o2", "fraud-reject", NULL, 0, s, sizeof s));
	assert_string_equal(s, "fraud-rejected");
	assert_true(ask(rt, "o2", "cancel", NULL, 0, s, sizeof s));
	assert_string_equal(s, "canceled");
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* Without a log: the same steps, the wait-for on the in-memory timers. */
static void test_in_memory(void **state)
{
	(void)state;
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(NULL, m);
	start_and_release(rt, m, "mem", 1);
	assert_state(rt, "shipment", "mem/ship-1", "failed");
	advance(rt, T0 + 5 * SEC);
	assert_state(rt, "order", "mem", "shipped");
	assert_int_equal(state_i64(rt, "order", "mem", "entered"), 8);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
}

/* Actions sent right after $start, before its automatic step: the step
 * is taken first, in the action's transition, and its own $always then
 * changes nothing. A refused action leaves no child and no timer behind
 * (its steps' effects are made only with its transition). */
static void test_action_before_always(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-early");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	assert_hs(0, hs_machine_start(rt, m, "order", "e", 0, NULL, 0));
	char s[256];
	assert_true(ask(rt, "e", "add", "qty:I", 1, s, sizeof s));
	assert_string_equal(s, "cart");
	assert_hs(0, hs_send(rt, "order", "e", "place", NULL, 0));
	assert_hs(0, hs_send(rt, "order", "e", "fraud-approve", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_state(rt, "order", "e", "shipped");

	/* fraud-approved -> released -> invoke: an action no state on the
	 * way takes is refused, and the catch-up started no child. */
	assert_hs(0, hs_machine_start(rt, m, "order", "f", 0, NULL, 0));
	assert_true(ask(rt, "f", "add", "qty:I", 1, s, sizeof s));
	assert_true(ask(rt, "f", "place", NULL, 0, s, sizeof s));
	assert_hs(0, hs_send(rt, "order", "f", "fraud-approve", NULL, 0));
	assert_false(ask(rt, "f", "cancel", NULL, 0, s, sizeof s));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_state(rt, "order", "f", "shipped");
	assert_state(rt, "shipment", "f/ship-1", "delivered");
	/* (a second $start would have been skipped as "started already") */
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "shipment", "f/ship-1", &st));
	assert_int_equal(st.skipped, 0);
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* An action the state does not take: asked, a clear answer; sent, the
 * agent's error. Neither is recorded. */
static void test_rejected_action(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-reject");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	assert_hs(0, hs_machine_start(rt, m, "order", "o", 0, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "order", "o", &st));
	uint64_t seq = st.seq;
	assert_int_equal(seq, 2); /* $start, $always -> cart */
	char text[256];
	assert_false(ask(rt, "o", "fraud-approve", NULL, 0, text, sizeof text));
	assert_string_equal(text, "order 'o': state 'cart' does not accept "
				  "action 'fraud-approve'");
	assert_hs(0, hs_send(rt, "order", "o", "ship", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_agent_status_get(rt, "order", "o", &st));
	assert_int_equal(st.seq, seq);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.error, HS_EINVAL);
	assert_string_equal(st.error_msg, "order 'o': state 'cart' does not "
					  "accept action 'ship'");
	/* Not started; started twice. */
	assert_hs(0, hs_send(rt, "order", "never", "add", NULL, 0));
	assert_hs(0, hs_machine_start(rt, m, "order", "o", 0, NULL, 0));
	assert_hs(HS_ENOTFOUND,
		  hs_machine_start(rt, m, "order", "o", 7, NULL, 0));
	assert_hs(HS_ENOTFOUND,
		  hs_machine_start(rt, m, "nosuch", "o", 0, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_agent_status_get(rt, "order", "never", &st));
	assert_int_equal(st.seq, 0);
	assert_non_null(strstr(st.error_msg, "not started"));
	assert_hs(0, hs_agent_status_get(rt, "order", "o", &st));
	assert_int_equal(st.seq, seq);
	assert_non_null(strstr(st.error_msg, "started already"));
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* A flaky shipment: two failed fetches, each followed by a wait-for of
 * 5 s on the durable timer, then delivery; and one that gives up, which
 * ends in error and takes the order's error transition. */
static void test_wait_and_child_error(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-wait");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	start_and_release(rt, m, "slow", 2);
	start_and_release(rt, m, "lost", 9);
	assert_state(rt, "shipment", "slow/ship-1", "failed");
	assert_int_equal(state_i64(rt, "shipment", "slow/ship-1",
				   "wait_edge"),
			 0);
	assert_int_equal(hs_timers_pending(rt), 2);
	advance(rt, T0 + 4 * SEC);
	assert_state(rt, "shipment", "slow/ship-1", "failed");
	advance(rt, T0 + 5 * SEC);
	assert_state(rt, "shipment", "slow/ship-1", "failed");
	assert_int_equal(state_i64(rt, "shipment", "slow/ship-1",
				   "context.attempts"),
			 2);
	advance(rt, T0 + 10 * SEC);
	assert_state(rt, "shipment", "slow/ship-1", "delivered");
	assert_state(rt, "order", "slow", "shipped");
	/* "lost" failed 3 times by now: given up, an error end. */
	assert_state(rt, "shipment", "lost/ship-1", "gave-up");
	char s[32];
	field(rt, "shipment", "lost/ship-1", "end", s, sizeof s);
	assert_string_equal(s, "error");
	assert_state(rt, "order", "lost", "canceled");
	field(rt, "order", "lost", "via", s, sizeof s);
	assert_string_equal(s, "canceled");
	assert_int_equal(hs_timers_pending(rt), 0);

	/* Leaving a state during its wait cancels the timer. */
	hs_buf in = HS_BUF_INIT;
	assert_hs(0, hs_packf(&in, "fail:I", 1));
	assert_hs(0, hs_machine_start(rt, m, "shipment", "s9", 0, in.data,
				      in.len));
	hs_buf_free(&in);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_state(rt, "shipment", "s9", "failed");
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* An execution keeps its version after a newer one is added; new ones
 * take the newest; the log rebuilds each on its own version. */
static void test_versions(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-versions");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	assert_hs(0, hs_machine_start(rt, m, "order", "old", 0, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	add_json(m, ORDER_V2_JSON);
	assert_hs(0, hs_machine_start(rt, m, "order", "new", 0, NULL, 0));
	assert_hs(0, hs_machine_start(rt, m, "order", "pinned", 1, NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	char s[64];
	assert_true(ask(rt, "old", "add", "qty:I", 1, s, sizeof s));
	assert_true(ask(rt, "old", "place", NULL, 0, s, sizeof s));
	assert_string_equal(s, "submitted"); /* v1 */
	assert_true(ask(rt, "new", "add", "qty:I", 1, s, sizeof s));
	assert_true(ask(rt, "new", "place", NULL, 0, s, sizeof s));
	assert_string_equal(s, "placed"); /* v2 */
	assert_true(ask(rt, "pinned", "add", "qty:I", 1, s, sizeof s));
	assert_true(ask(rt, "pinned", "place", NULL, 0, s, sizeof s));
	assert_string_equal(s, "submitted");
	assert_int_equal(state_i64(rt, "order", "old", "version"), 1);
	assert_int_equal(state_i64(rt, "order", "new", "version"), 2);
	assert_hs(0, hs_close(rt));

	/* Reopened: each rebuilt from the log on its recorded version. */
	rt = open_rt(dir, m);
	assert_state(rt, "order", "old", "submitted");
	assert_state(rt, "order", "new", "placed");
	assert_true(ask(rt, "old", "fraud-reject", NULL, 0, s, sizeof s));
	assert_string_equal(s, "fraud-rejected");
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);

	/* Without version 2 in the set, its execution cannot be rebuilt. */
	m = order_set();
	rt = open_rt(dir, m);
	assert_state(rt, "order", "old", "fraud-rejected");
	hs_buf b = HS_BUF_INIT;
	assert_true(hs_deref(rt, "order", "new", &b) < 0);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Across a SIGKILL                                                     */
/* ------------------------------------------------------------------ */

/* The child: an order whose shipment fails once, so that it waits 5 s;
 * says so once that is written, and waits to be killed. */
static int kill_child(const char *dir, int fd)
{
	atomic_store(&sim_now, T0);
	hs_machines *m = order_set();
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.clock = sim_clock;
	hs_runtime *rt = NULL;
	if (hs_open(&rt, &o) != 0 || hs_machines_register(m, rt) != 0)
		return 10;
	start_and_release(rt, m, "k", 1);
	if (hs_timers_pending(rt) != 1)
		return 11;
	if (write(fd, "waiting\n", 8) != 8)
		return 13;
	for (;;)
		pause();
}

static void test_wait_across_sigkill(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-kill");
	int rfd;
	pid_t pid = pu_spawn_self("test_machine", "--kill-child", dir, &rfd);
	char line[16] = "";
	assert_true(read(rfd, line, sizeof line - 1) > 0);
	close(rfd);
	assert_string_equal(line, "waiting\n");
	kill(pid, SIGKILL);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	/* Reopened before the wait is over: still waiting. */
	hs_machines *m = order_set();
	atomic_store(&sim_now, T0 + 2 * SEC);
	hs_runtime *rt = open_rt(dir, m);
	assert_int_equal(hs_timers_pending(rt), 1);
	advance(rt, T0 + 2 * SEC);
	assert_state(rt, "shipment", "k/ship-1", "failed");
	/* At 5 s the retry fires, the fetch succeeds, the order ships. */
	advance(rt, T0 + 5 * SEC);
	assert_state(rt, "shipment", "k/ship-1", "delivered");
	assert_state(rt, "order", "k", "shipped");
	assert_int_equal(hs_timers_pending(rt), 0);
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	assert_int_equal(rep.agents, 2);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Replay                                                               */
/* ------------------------------------------------------------------ */

typedef struct path {
	char line[32][200];
	int n;
	bool causes_ok;
} path;

static int path_step(void *udata, const hs_record *rec)
{
	path *p = udata;
	char st[HS_NAME_MAX + 1] = "", via[HS_NAME_MAX + 1] = "";
	hs_get_strcpy(rec->state, rec->state_len, "state", st, sizeof st);
	hs_get_strcpy(rec->state, rec->state_len, "via", via, sizeof via);
	/* Automatic steps are caused by the execution's previous one. */
	if (rec->event_type[0] == '$' && strcmp(rec->event_type, "$start") &&
	    strcmp(rec->event_type, "$child") &&
	    !(strcmp(rec->cause.type, "order") == 0 &&
	      rec->cause_seq == rec->seq - 1))
		p->causes_ok = false;
	if (p->n < 32)
		snprintf(p->line[p->n++], sizeof p->line[0], "%s %s %s", rec->event_type, via,
			 st);
	return 0;
}

static void test_replay_path(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("machine-replay");
	hs_machines *m = order_set();
	hs_runtime *rt = open_rt(dir, m);
	start_and_release(rt, m, "r", 1);
	int64_t released_at = T0;
	advance(rt, T0 + 5 * SEC);
	assert_state(rt, "order", "r", "shipped");

	path p = {.causes_ok = true};
	hs_filter f = {.type = "order", .id = "r",
		       .flags = HS_HISTORY_STATES};
	assert_hs(0, hs_history(rt, &f, path_step, &p));
	static const char *want[] = {
		"$start $start create",
		"$always created cart",
		"add added cart",
		"place place submitted",
		"fraud-approve fraud-approve fraud-approved",
		"$always released released",
		"$always ship released",
		"$child ship-finished ship-finished",
		"$always fulfilled shipped",
	};
	for (int i = 0; i < p.n; i++)
		print_message("  %s\n", p.line[i]);
	assert_int_equal(p.n, 9);
	for (int i = 0; i < 9; i++)
		assert_string_equal(p.line[i], want[i]);
	assert_true(p.causes_ok);

	/* In force at a past time: released, waiting for its shipment. */
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_state_at(rt, "order", "r", hs_at_time(released_at),
				 &b, NULL));
	char s[64];
	assert_hs(0, hs_get_strcpy(b.data, b.len, "state", s, sizeof s));
	assert_string_equal(s, "released");
	assert_hs(0, hs_get_strcpy(b.data, b.len, "child", s, sizeof s));
	assert_string_equal(s, "r/ship-1");
	hs_buf_free(&b);

	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	assert_int_equal(rep.agents, 2);
	assert_true(rep.records >= 9 + 6);
	assert_hs(0, hs_close(rt));
	hs_machines_destroy(m);
	free(dir);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--kill-child") == 0)
		return kill_child(argv[2], atoi(argv[3]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_order_ships, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_action_before_always,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rejected_action, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_and_child_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wait_across_sigkill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_path, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
