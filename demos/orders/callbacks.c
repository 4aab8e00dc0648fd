/*
 * The small C callbacks that order.json and shipment.json name: guards
 * ("when") and context updates ("context", "invoke.input"). Each is a
 * function of its call only (context, input, the step's random number),
 * so that a replay makes the same decisions.
 */
#include "orders.h"

static int64_t ctx_i64(const hs_machine_call *c, const char *k)
{
	int64_t v = 0;
	hs_get_i64(c->context, c->context_len, k, &v);
	return v;
}

static bool ctx_bool(const hs_machine_call *c, const char *k)
{
	bool v = false;
	hs_get_bool(c->context, c->context_len, k, &v);
	return v;
}

static int order_ctx(hs_buf *out, int64_t items, bool delivered,
		     int64_t attempts)
{
	return hs_packf(out, "items:I delivered:b ship_attempts:I", items,
			delivered, attempts);
}

static int64_t qty(const hs_machine_call *c)
{
	int64_t q = 1;
	if (c->input != NULL)
		hs_get_i64(c->input, c->input_len, "qty", &q);
	return q;
}

static int add_items(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return order_ctx(out, ctx_i64(c, "items") + qty(c), false, 0);
}

static int remove_items(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	int64_t n = ctx_i64(c, "items") - qty(c);
	return order_ctx(out, n < 0 ? 0 : n, false, 0);
}

static int cart_not_empty(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_i64(c, "items") > 0;
}

/* The child's input: which order it ships. */
static int shipment_input(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return hs_packf(out, "order:s", c->id);
}

/* The shipment's return value is its context: delivered, attempts. */
static int take_delivery(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	bool d = false;
	int64_t n = 0;
	hs_get_bool(c->input, c->input_len, "delivered", &d);
	hs_get_i64(c->input, c->input_len, "attempts", &n);
	return order_ctx(out, ctx_i64(c, "items"), d, n);
}

static int delivered(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_bool(c, "delivered");
}

/* The flaky carrier: accepts 55% of the requests. */
static int carrier_accepts(void *u, const hs_machine_call *c)
{
	(void)u;
	return c->random % 100 < 55;
}

static int shipment_ctx(hs_buf *out, const hs_machine_call *c, bool d)
{
	const char *order = "";
	size_t len = 0;
	hs_get_str(c->context, c->context_len, "order", &order, &len);
	return hs_packf(out, "order:S attempts:I delivered:b", order, len,
			ctx_i64(c, "attempts") + 1, d);
}

static int mark_delivered(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return shipment_ctx(out, c, true);
}

static int count_attempt(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return shipment_ctx(out, c, false);
}

static int attempts_left(void *u, const hs_machine_call *c)
{
	(void)u;
	return ctx_i64(c, "attempts") < 4;
}

int orders_callbacks(hs_machines *m)
{
	int rc = 0;
	rc = rc ? rc : hs_machines_update(m, "add_items", add_items, NULL);
	rc = rc ? rc : hs_machines_update(m, "remove_items", remove_items, NULL);
	rc = rc ? rc : hs_machines_guard(m, "cart_not_empty", cart_not_empty,
					 NULL);
	rc = rc ? rc : hs_machines_update(m, "shipment_input", shipment_input,
					  NULL);
	rc = rc ? rc : hs_machines_update(m, "take_delivery", take_delivery,
					  NULL);
	rc = rc ? rc : hs_machines_guard(m, "delivered", delivered, NULL);
	rc = rc ? rc : hs_machines_guard(m, "carrier_accepts",
					 carrier_accepts, NULL);
	rc = rc ? rc : hs_machines_update(m, "mark_delivered", mark_delivered,
					  NULL);
	rc = rc ? rc : hs_machines_update(m, "count_attempt", count_attempt,
					  NULL);
	rc = rc ? rc : hs_machines_guard(m, "attempts_left", attempts_left,
					 NULL);
	return rc;
}
