/*
 * bench_timers: many pending timers in one runtime.
 *
 * `agents` agents (default 1,000) each handle one "arm" event whose
 * handler sets `per` timers (default 1,000: 10^6 in all) on itself, named
 * t0, t1, ..., due at pseudo-random times spread over one simulated hour.
 * Timed from the first send until hs_await returns (the timers are then
 * written, with a log). Then the simulated clock jumps past the hour and
 * hs_timers_fire_due fires them all; timed until hs_await returns (each
 * firing handled, and with a log recorded as a transition that deletes
 * its timer). Each agent checks that its firings arrive in due order.
 *
 * Bytes per pending timer = (RSS with all pending - RSS before the first
 * send) / timers, RSS from /proc/self/statm.
 *
 * usage: bench_timers [log|mem [agents [per]]]  (defaults log 1000 1000)
 * result lines: RESULT TIMERS <mode>_schedule_per_s, <mode>_fire_per_s,
 * <mode>_bytes_per_pending_timer, <mode>_peak_rss
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <stdatomic.h>

static const char usage[] = "usage: bench_timers [log|mem [agents [per]]]\n";

#define T0 INT64_C(1767225600000000000)
#define HOUR_NS (INT64_C(3600) * 1000000000)

static _Atomic int64_t sim_now = T0;

static int64_t sim_clock(void *udata)
{
	(void)udata;
	return atomic_load(&sim_now);
}

typedef struct alarms {
	int64_t fired;
	int64_t last_due;
	int64_t out_of_order;
} alarms;

static int64_t due_of(uint64_t k, uint64_t i)
{
	uint64_t s = k * 1000003 + i;
	return T0 + 1 + (int64_t)(bench_rand(&s) % (uint64_t)HOUR_NS);
}

static int alarms_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	alarms *a = state;
	if (hs_event_is(ev, "arm")) {
		int64_t k, per;
		if (hs_event_i64(ev, "k", &k) != 0 ||
		    hs_event_i64(ev, "per", &per) != 0)
			return HS_EINVAL;
		for (int64_t i = 0; i < per; i++) {
			char name[24];
			uint8_t body[16];
			int64_t due = due_of((uint64_t)k, (uint64_t)i);
			snprintf(name, sizeof(name), "t%" PRId64, i);
			/* {"due": int64} */
			body[0] = 0x81;
			body[1] = 0xa3;
			memcpy(body + 2, "due", 3);
			body[5] = 0xd3;
			for (int b = 0; b < 8; b++)
				body[6 + b] = (uint8_t)((uint64_t)due >>
							(56 - 8 * b));
			int rc = hs_ctx_timer_at(ctx, name, due, NULL, NULL,
						 "ring", body, 14);
			if (rc != 0)
				return rc;
		}
		return HS_CHANGED;
	}
	int64_t due;
	if (!hs_event_is(ev, "ring") || hs_event_i64(ev, "due", &due) != 0)
		return HS_EINVAL;
	if (due < a->last_due)
		a->out_of_order++;
	a->last_due = due;
	a->fired++;
	return HS_CHANGED;
}

static int alarms_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const alarms *a = state;
	return hs_packf(out, "fired:I late:I", a->fired, a->out_of_order);
}

static int alarms_decode(void *state, const void *data, size_t len,
			 void *udata)
{
	(void)udata;
	alarms *a = state;
	int rc = hs_get_i64(data, len, "fired", &a->fired);
	return rc != 0 ? rc : hs_get_i64(data, len, "late", &a->out_of_order);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "log";
	unsigned long agents = argc > 2 ? bench_arg(argv[2], usage) : 1000;
	unsigned long per = argc > 3 ? bench_arg(argv[3], usage) : 1000;
	bool logged = strcmp(mode, "log") == 0;
	if ((!logged && strcmp(mode, "mem") != 0) || agents > 999999) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	bench_print_load("at start");
	char dir[4096] = "";
	hs_options o;
	hs_options_init(&o);
	o.clock = sim_clock;
	if (logged) {
		bench_mkdtemp(dir, sizeof(dir), "timers");
		o.path = dir;
	}
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	hs_type t = {.name = "alarms",
		     .state_size = sizeof(alarms),
		     .apply = alarms_apply,
		     .encode = alarms_encode,
		     .decode = alarms_decode};
	BENCH_CHECK(hs_register(rt, &t));
	char(*ids)[16] = malloc(agents * sizeof(*ids));
	if (ids == NULL)
		return 1;
	for (unsigned long a = 0; a < agents; a++)
		snprintf(ids[a], sizeof(ids[a]), "alarm-%06lu", a);

	unsigned long n = agents * per;
	size_t rss0 = bench_rss_now();
	double t0 = bench_now();
	for (unsigned long a = 0; a < agents; a++)
		BENCH_CHECK(hs_sendf(rt, "alarms", ids[a], "arm", "k:U per:U",
				     (uint64_t)a, (uint64_t)per));
	BENCH_CHECK(hs_await(rt, -1));
	double t_set = bench_now() - t0;
	size_t rss1 = bench_rss_now();
	if (hs_timers_pending(rt) != n) {
		fprintf(stderr, "timers: %zu pending, %lu set\n",
			hs_timers_pending(rt), n);
		return 1;
	}

	atomic_store(&sim_now, T0 + 2 * HOUR_NS);
	t0 = bench_now();
	BENCH_CHECK(hs_timers_fire_due(rt, NULL));
	BENCH_CHECK(hs_await(rt, -1));
	double t_fire = bench_now() - t0;
	if (hs_timers_pending(rt) != 0) {
		fprintf(stderr, "timers: %zu still pending after firing\n",
			hs_timers_pending(rt));
		return 1;
	}
	for (unsigned long a = 0; a < agents; a++) {
		hs_buf out = HS_BUF_INIT;
		int64_t fired = -1, late = -1;
		BENCH_CHECK(hs_deref(rt, "alarms", ids[a], &out));
		BENCH_CHECK(hs_get_i64(out.data, out.len, "fired", &fired));
		BENCH_CHECK(hs_get_i64(out.data, out.len, "late", &late));
		hs_buf_free(&out);
		if (fired != (int64_t)per || late != 0) {
			fprintf(stderr,
				"timers: %s fired %" PRId64 " of %lu, %" PRId64
				" out of order\n",
				ids[a], fired, per, late);
			return 1;
		}
	}
	BENCH_CHECK(hs_close(rt));
	free(ids);
	if (logged)
		bench_rmtree(dir);

	printf("# TIMERS %s: %lu agents x %lu timers; set and written in "
	       "%.3f s, fired and handled in %.3f s; RSS before %.1f MB, "
	       "with all pending %.1f MB\n",
	       mode, agents, per, t_set, t_fire, rss0 / 1e6, rss1 / 1e6);
	bench_print_load("at end");
	char fig[64];
	snprintf(fig, sizeof(fig), "%s_schedule_per_s", mode);
	bench_result("TIMERS", fig, (double)n / t_set, "timers/s");
	snprintf(fig, sizeof(fig), "%s_fire_per_s", mode);
	bench_result("TIMERS", fig, (double)n / t_fire, "timers/s");
	snprintf(fig, sizeof(fig), "%s_bytes_per_pending_timer", mode);
	bench_result("TIMERS", fig, ((double)rss1 - (double)rss0) / (double)n,
		     "B");
	snprintf(fig, sizeof(fig), "%s_peak_rss", mode);
	bench_result("TIMERS", fig, (double)bench_rss_peak(), "bytes");
	return 0;
}
