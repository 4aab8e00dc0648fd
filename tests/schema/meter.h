/*
 * The "meter" agent type at three versions of its code, for the schema
 * evolution tests (test_schema.c), the fixture tests/fixtures/meter-v1v2
 * (written by make_meter_log.c: v1, then v2) and the CLI's types plugin
 * plugin_meter.so (v3).
 *
 *   v1  state {total}        add {n}, reset
 *   v2  state {sum, adds}    add {amount}, reset
 *       event upcasters 1->2: add {n} -> {amount: n}; reset unchanged.
 *       State upcaster 1->2: {total} -> {sum: total, adds: 0}
 *       (used only with METER_UPCAST_SNAPSHOTS: adds is lost).
 *   v3  state as v2          add {amount, unit} (unit "Wh" or "kWh")
 *       event upcasters 2->3: add {amount} -> {amount, unit: "Wh"};
 *       every other event unchanged (a catch-all).
 *
 * Snapshot every 3 transitions. A header of static functions, so that
 * each program that includes it has its own copy.
 */
#ifndef HS_TESTS_SCHEMA_METER_H
#define HS_TESTS_SCHEMA_METER_H

#include <hindsight.h>

#include <string.h>

#define METER_UPCAST_SNAPSHOTS 1u /* old_snapshots = HS_OLD_SNAPSHOTS_UPCAST */
#define METER_NO_ADD_UPCASTER 2u  /* leave out add 1->2 */

typedef struct meter {
	int64_t sum;
	int64_t adds;
} meter;

static const int meter_versions[4] = {0, 1, 2, 3};

static int meter_version(void *udata)
{
	return *(const int *)udata;
}

static int meter_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	meter *m = state;
	int v = meter_version(hs_ctx_udata(ctx));
	if (hs_event_is(ev, "reset")) {
		m->sum = 0;
		return HS_CHANGED;
	}
	if (!hs_event_is(ev, "add"))
		return HS_UNCHANGED;
	int64_t x;
	if (hs_event_i64(ev, v == 1 ? "n" : "amount", &x) != 0)
		return HS_EBADMSG;
	if (v >= 3) {
		char unit[8];
		if (hs_event_strcpy(ev, "unit", unit, sizeof(unit)) != 0)
			return HS_EBADMSG;
		if (strcmp(unit, "kWh") == 0)
			x *= 1000;
		else if (strcmp(unit, "Wh") != 0)
			return HS_EBADMSG;
	}
	m->sum += x;
	m->adds++;
	return HS_CHANGED;
}

static int meter_encode(const void *state, hs_buf *out, void *udata)
{
	const meter *m = state;
	if (meter_version(udata) == 1)
		return hs_packf(out, "total:I", m->sum);
	return hs_packf(out, "sum:I adds:I", m->sum, m->adds);
}

static int meter_decode(void *state, const void *mp, size_t len, void *udata)
{
	meter *m = state;
	if (meter_version(udata) == 1)
		return hs_get_i64(mp, len, "total", &m->sum) != 0 ? HS_EBADMSG
								  : 0;
	if (hs_get_i64(mp, len, "sum", &m->sum) != 0 ||
	    hs_get_i64(mp, len, "adds", &m->adds) != 0)
		return HS_EBADMSG;
	return 0;
}

/* add {n} -> {amount: n} */
static int meter_add_1to2(const char *event, const void *data, size_t len,
			  hs_buf *out, void *udata)
{
	int64_t n;
	(void)event;
	(void)udata;
	if (hs_get_i64(data, len, "n", &n) != 0)
		return HS_EBADMSG;
	return hs_packf(out, "amount:I", n);
}

/* add {amount} -> {amount, unit: "Wh"} */
static int meter_add_2to3(const char *event, const void *data, size_t len,
			  hs_buf *out, void *udata)
{
	int64_t a;
	(void)event;
	(void)udata;
	if (hs_get_i64(data, len, "amount", &a) != 0)
		return HS_EBADMSG;
	return hs_packf(out, "amount:I unit:s", a, "Wh");
}

/* {total} -> {sum: total, adds: 0} */
static int meter_state_1to2(const char *event, const void *data, size_t len,
			    hs_buf *out, void *udata)
{
	int64_t total;
	(void)event;
	(void)udata;
	if (hs_get_i64(data, len, "total", &total) != 0)
		return HS_EBADMSG;
	return hs_packf(out, "sum:I adds:I", total, (int64_t)0);
}

/* Registers "meter" at code version 1, 2 or 3 with METER_* flags. */
static int meter_register(hs_runtime *rt, int version, unsigned flags)
{
	hs_upcaster ev[4];
	size_t n = 0;
	static const hs_upcaster state_up[] = {{NULL, 1, meter_state_1to2}};
	if (version >= 2) {
		if (!(flags & METER_NO_ADD_UPCASTER))
			ev[n++] = (hs_upcaster){"add", 1, meter_add_1to2};
		/* Named: a catch-all here would also pass an "add" whose
		 * upcaster is missing through unchanged. */
		ev[n++] = (hs_upcaster){"reset", 1, NULL};
	}
	if (version >= 3) {
		ev[n++] = (hs_upcaster){"add", 2, meter_add_2to3};
		ev[n++] = (hs_upcaster){NULL, 2, NULL}; /* the rest */
	}
	hs_type t = {
		.name = "meter",
		.state_size = sizeof(meter),
		.apply = meter_apply,
		.encode = meter_encode,
		.decode = meter_decode,
		.snapshot_every = 3,
		.udata = (void *)&meter_versions[version],
		.event_version = (unsigned)(version >= 3 ? 3 : version),
		.event_upcasters = ev,
		.event_upcasters_len = n,
		.state_version = version >= 2 ? 2 : 1,
		.old_snapshots = (flags & METER_UPCAST_SNAPSHOTS)
					 ? HS_OLD_SNAPSHOTS_UPCAST
					 : HS_OLD_SNAPSHOTS_REBUILD,
		.state_upcasters = version >= 2 ? state_up : NULL,
		.state_upcasters_len = version >= 2 ? 1 : 0,
	};
	return hs_register(rt, &t);
}

#endif
