/*
 * bench_w2: workload W2 of BENCH.md, ping-pong.
 *
 * Two agents of an in-memory runtime, "ping/a" and "ping/b", pass a ball
 * {"n": k}: each apply counts the hit and, while k > 0, sends {"n": k-1}
 * to the other with hs_ctx_send. The main thread serves the first ball
 * with k = 2 * rounds - 1, so that `rounds` round trips (a to b and back)
 * happen in all (default 1,000,000). Timed from the serve until hs_await
 * returns; each agent's hit count is checked.
 *
 * usage: bench_w2 [rounds [workers]]     (defaults 1000000, 0 = cores)
 * result line: RESULT W2 round_trips_per_s
 */
#define _GNU_SOURCE
#include "bench_util.h"

static const char usage[] = "usage: bench_w2 [rounds [workers]]\n";

/* {"n": k} as fixmap, fixstr, uint64. */
static size_t ball(uint8_t *out, uint64_t k)
{
	out[0] = 0x81;
	out[1] = 0xa1;
	out[2] = 'n';
	out[3] = 0xcf;
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(k >> (56 - 8 * i));
	return 12;
}

static int ping_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t k;
	int rc = hs_event_i64(ev, "n", &k);
	if (rc != 0)
		return rc;
	if (k > 0) {
		uint8_t b[12];
		hs_addr self = hs_ctx_self(ctx);
		rc = hs_ctx_send(ctx, "ping", self.id[0] == 'a' ? "b" : "a",
				 "ball", b, ball(b, (uint64_t)k - 1));
		if (rc != 0)
			return rc;
	}
	++*(int64_t *)state;
	return HS_CHANGED;
}

static int ping_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	return hs_packf(out, "hits:I", *(const int64_t *)state);
}

static int ping_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)udata;
	return hs_get_i64(data, len, "hits", state) == 0 ? 0 : HS_EBADMSG;
}

static int64_t hits(hs_runtime *rt, const char *id)
{
	hs_buf out = HS_BUF_INIT;
	int64_t n = -1;
	BENCH_CHECK(hs_deref(rt, "ping", id, &out));
	BENCH_CHECK(hs_get_i64(out.data, out.len, "hits", &n));
	hs_buf_free(&out);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? bench_arg(argv[1], usage) : 1000000;
	unsigned long workers = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	bench_print_load("at start");

	hs_options o;
	hs_options_init(&o);
	o.workers = (unsigned)workers;
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	hs_type t = {
		.name = "ping",
		.state_size = sizeof(int64_t),
		.apply = ping_apply,
		.encode = ping_encode,
		.decode = ping_decode,
	};
	BENCH_CHECK(hs_register(rt, &t));

	uint8_t b[12];
	double t0 = bench_now();
	BENCH_CHECK(hs_send(rt, "ping", "a", "ball", b,
			    ball(b, 2 * (uint64_t)rounds - 1)));
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;

	int64_t ha = hits(rt, "a"), hb = hits(rt, "b");
	if (ha != (int64_t)rounds || hb != (int64_t)rounds) {
		fprintf(stderr, "W2: hits a %" PRId64 " b %" PRId64
			", expected %lu each\n", ha, hb, rounds);
		return 1;
	}
	BENCH_CHECK(hs_close(rt));
	printf("# W2: %lu round trips between two agents, in-memory, "
	       "workers %lu (0 = cores), %.3f s\n", rounds, workers, dt);
	bench_print_load("at end");
	bench_result("W2", "round_trips_per_s", (double)rounds / dt,
		     "round trips/s");
	return 0;
}
