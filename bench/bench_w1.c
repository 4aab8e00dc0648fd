/*
 * bench_w1: workload W1 of BENCH.md, fan-in.
 *
 * One sender thread (main) sends `events` events (default 10,000,000) to
 * one agent of an in-memory runtime; the agent's apply adds the body's
 * integer ("cargo") to its state. The body is the ship body of BENCH.md,
 * {"port": "Malmo", "cargo": 42}, encoded once and sent with
 * hs_send_ref through a ref the sender resolved once (hs_agent_ref), as a
 * sender of many events to one agent would; then again on a fresh
 * runtime with hs_send by name. Each timed from the first send until
 * hs_await returns (every event applied); the final state is checked
 * against the sum sent.
 *
 * usage: bench_w1 [events [workers]]      (defaults 10000000, 0 = cores)
 * result lines: RESULT W1 events_per_s (ref), by_name_events_per_s
 * (hs_send), peak_rss (of both runs)
 */
#define _GNU_SOURCE
#include "bench_util.h"

static const char usage[] = "usage: bench_w1 [events [workers]]\n";

static int acc_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t v;
	(void)ctx;
	int rc = hs_event_i64(ev, "cargo", &v);
	if (rc != 0)
		return rc;
	*(int64_t *)state += v;
	return HS_CHANGED;
}

static int acc_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	return hs_packf(out, "total:I", *(const int64_t *)state);
}

static int acc_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)udata;
	return hs_get_i64(data, len, "total", state) == 0 ? 0 : HS_EBADMSG;
}

/* One run of W1 on a fresh runtime: through a ref resolved once (what a
 * sender of many events to one agent uses) or with hs_send by name.
 * Returns events/s. */
static double run(unsigned long events, unsigned long workers, bool by_name)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = (unsigned)workers;
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	hs_type t = {
		.name = "acc",
		.state_size = sizeof(int64_t),
		.apply = acc_apply,
		.encode = acc_encode,
		.decode = acc_decode,
	};
	BENCH_CHECK(hs_register(rt, &t));

	uint8_t body[40];
	size_t len = bench_ship_body(body, "Malmo", 42);

	double t0 = bench_now();
	if (by_name) {
		for (unsigned long i = 0; i < events; i++)
			BENCH_CHECK(hs_send(rt, "acc", "ship-000001",
					    (i & 1) ? "arrive" : "depart",
					    body, len));
	} else {
		hs_ref *ref;
		BENCH_CHECK(hs_agent_ref(rt, "acc", "ship-000001", &ref));
		for (unsigned long i = 0; i < events; i++)
			BENCH_CHECK(hs_send_ref(ref,
						(i & 1) ? "arrive" : "depart",
						body, len));
		hs_ref_release(ref);
	}
	double t_sent = bench_now() - t0;
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;

	hs_buf out = HS_BUF_INIT;
	int64_t total = -1;
	BENCH_CHECK(hs_deref(rt, "acc", "ship-000001", &out));
	BENCH_CHECK(hs_get_i64(out.data, out.len, "total", &total));
	hs_buf_free(&out);
	if (total != 42 * (int64_t)events) {
		fprintf(stderr, "W1: state %" PRId64 ", expected %" PRId64 "\n",
			total, 42 * (int64_t)events);
		exit(1);
	}
	BENCH_CHECK(hs_close(rt));
	printf("# W1 %s: %lu events to one agent, 1 sender, in-memory, "
	       "workers %lu (0 = cores); sends took %.3f s, all applied "
	       "after %.3f s\n",
	       by_name ? "hs_send" : "hs_send_ref", events, workers, t_sent,
	       dt);
	return (double)events / dt;
}

int main(int argc, char **argv)
{
	unsigned long events = argc > 1 ? bench_arg(argv[1], usage) : 10000000;
	unsigned long workers = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	bench_print_load("at start");
	double by_ref = run(events, workers, false);
	double by_name = run(events, workers, true);
	bench_print_load("at end");
	bench_result("W1", "events_per_s", by_ref, "events/s");
	bench_result("W1", "by_name_events_per_s", by_name, "events/s");
	bench_result("W1", "peak_rss", (double)bench_rss_peak(), "bytes");
	return 0;
}
