/* The agent types of the CLI tests (types.h). Public API only. */
#include "types.h"

#include <string.h>

/* ------------------------------------------------------------------ */
/* counter                                                              */
/* ------------------------------------------------------------------ */

typedef struct counter {
	int64_t n;
	int64_t adds;
	char label[32];
} counter;

static int counter_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	counter *c = state;

	if (hs_event_is(ev, "add")) {
		int64_t by;
		char notify[64];
		int rc = hs_event_i64(ev, "by", &by);

		if (rc != 0) {
			hs_ctx_set_error(ctx, "add without an integer 'by'");
			return rc;
		}
#ifdef COUNTER_CHANGED
		if (by >= 5)
			by++;
#endif
		if (hs_event_strcpy(ev, "notify", notify, sizeof(notify)) ==
		    0) {
			hs_addr self = hs_ctx_self(ctx);

			rc = hs_ctx_sendf(ctx, "audit", notify, "saw",
					  "from:s n:I", self.id, c->n + by);
			if (rc != 0)
				return rc;
		}
		c->n += by;
		c->adds++;
		return HS_CHANGED;
	}
	if (hs_event_is(ev, "label")) {
		char label[sizeof(c->label)];
		int rc = hs_event_strcpy(ev, "label", label, sizeof(label));

		if (rc != 0)
			return rc;
		memcpy(c->label, label, sizeof(label));
		return HS_CHANGED;
	}
	if (hs_event_is(ev, "reset")) {
		if (c->n == 0)
			return HS_UNCHANGED;
		c->n = 0;
		return HS_CHANGED;
	}
	return HS_UNCHANGED; /* noop and anything unknown */
}

static int counter_encode(const void *state, hs_buf *out, void *udata)
{
	const counter *c = state;

	(void)udata;
	return hs_packf(out, "n:I adds:I label:s", c->n, c->adds, c->label);
}

static int counter_decode(void *state, const void *data, size_t len,
			  void *udata)
{
	counter *c = state;
	int rc;

	(void)udata;
	if ((rc = hs_get_i64(data, len, "n", &c->n)) != 0 ||
	    (rc = hs_get_i64(data, len, "adds", &c->adds)) != 0 ||
	    (rc = hs_get_strcpy(data, len, "label", c->label,
				sizeof(c->label))) != 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* audit                                                                */
/* ------------------------------------------------------------------ */

typedef struct audit {
	int64_t count;
	int64_t total;
	char last[64];
} audit;

static int audit_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	audit *a = state;
	int64_t n;
	char from[64];
	int rc;

	(void)ctx;
	if (!hs_event_is(ev, "saw"))
		return HS_UNCHANGED;
	if ((rc = hs_event_i64(ev, "n", &n)) != 0 ||
	    (rc = hs_event_strcpy(ev, "from", from, sizeof(from))) != 0)
		return rc;
	a->count++;
	a->total += n;
	memcpy(a->last, from, sizeof(from));
	return HS_CHANGED;
}

static int audit_encode(const void *state, hs_buf *out, void *udata)
{
	const audit *a = state;

	(void)udata;
	return hs_packf(out, "count:I total:I last:s", a->count, a->total,
			a->last);
}

static int audit_decode(void *state, const void *data, size_t len, void *udata)
{
	audit *a = state;
	int rc;

	(void)udata;
	if ((rc = hs_get_i64(data, len, "count", &a->count)) != 0 ||
	    (rc = hs_get_i64(data, len, "total", &a->total)) != 0 ||
	    (rc = hs_get_strcpy(data, len, "last", a->last,
				sizeof(a->last))) != 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* ship                                                                 */
/* ------------------------------------------------------------------ */

typedef struct ship {
	char port[32];
	double lat, lon;
	int64_t moves;
} ship;

static int ship_init(void *state, const hs_addr *self, void *udata)
{
	ship *s = state;

	(void)self;
	(void)udata;
	memcpy(s->port, "nowhere", 8);
	return 0;
}

static int ship_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	ship *s = state;
	int rc;

	(void)ctx;
	if (hs_event_is(ev, "depart")) {
		char port[sizeof(s->port)];

		if ((rc = hs_event_strcpy(ev, "port", port, sizeof(port))) != 0)
			return rc;
		memcpy(s->port, port, sizeof(port));
		return HS_CHANGED;
	}
	if (hs_event_is(ev, "move")) {
		double lat, lon;

		if ((rc = hs_event_f64(ev, "lat", &lat)) != 0 ||
		    (rc = hs_event_f64(ev, "lon", &lon)) != 0)
			return rc;
		s->lat = lat;
		s->lon = lon;
		s->moves++;
		return HS_CHANGED;
	}
	return HS_UNCHANGED;
}

static int ship_encode(const void *state, hs_buf *out, void *udata)
{
	const ship *s = state;

	(void)udata;
	return hs_packf(out, "port:s pos:{lat:d lon:d} moves:I", s->port,
			s->lat, s->lon, s->moves);
}

static int ship_decode(void *state, const void *data, size_t len, void *udata)
{
	ship *s = state;
	int rc;

	(void)udata;
	if ((rc = hs_get_strcpy(data, len, "port", s->port,
				sizeof(s->port))) != 0 ||
	    (rc = hs_get_f64(data, len, "pos.lat", &s->lat)) != 0 ||
	    (rc = hs_get_f64(data, len, "pos.lon", &s->lon)) != 0 ||
	    (rc = hs_get_i64(data, len, "moves", &s->moves)) != 0)
		return rc;
	return 0;
}

int cli_test_register(hs_runtime *rt)
{
	const hs_type types[] = {
		{
			.name = "counter",
			.state_size = sizeof(counter),
			.apply = counter_apply,
			.encode = counter_encode,
			.decode = counter_decode,
			.snapshot_every = 3,
		},
		{
			.name = "audit",
			.state_size = sizeof(audit),
			.apply = audit_apply,
			.encode = audit_encode,
			.decode = audit_decode,
		},
		{
			.name = "ship",
			.state_size = sizeof(ship),
			.init = ship_init,
			.apply = ship_apply,
			.encode = ship_encode,
			.decode = ship_decode,
			.snapshot_every = 2,
		},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int rc = hs_register(rt, &types[i]);

		if (rc != 0)
			return rc;
	}
	return 0;
}
