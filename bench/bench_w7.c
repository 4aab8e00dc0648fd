/*
 * bench_w7: workload W7 of BENCH.md, open.
 *
 * Writes a log of `records` transitions (default 10,000,000) over
 * `agents` ship agents (default 10,000; round-robin, `threads` sender
 * threads, default 2, thread t owning agents t, t + threads, ...),
 * durability NONE, a snapshot every 100 transitions, then closes it. Then
 * `reps` times (default 3): hs_open on the log (writable, as a service
 * that restarts), hs_register, hs_deref of one random agent: the time
 * from the start of hs_open until the state is in hand is the figure.
 * Each rep picks another agent and checks its cargo against what was
 * sent; each closes the runtime before the next. The log's files are in
 * the page cache (they were just written): this is a warm open.
 *
 * usage: bench_w7 [records [agents [threads [reps [seed]]]]]
 * result lines: RESULT W7 open_to_state_ms (one per rep)
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <pthread.h>

static const char usage[] =
	"usage: bench_w7 [records [agents [threads [reps [seed]]]]]\n";

typedef struct sender {
	pthread_t th;
	hs_runtime *rt;
	unsigned long t, threads, agents, per;
	int64_t *expect;
	int rc;
} sender;

static void *send_main(void *arg)
{
	sender *s = arg;
	uint64_t rng = 0x5eed + s->t;
	char id[32];
	uint8_t body[40];
	for (unsigned long r = 0; r < s->per; r++) {
		for (unsigned long a = s->t; a < s->agents; a += s->threads) {
			const char *port =
				bench_ports[bench_rand(&rng) % BENCH_NPORTS];
			int64_t c = (int64_t)bench_uniform(&rng, 1, 100);
			size_t len = bench_ship_body(body, port, c);
			snprintf(id, sizeof(id), "ship-%06lu", a);
			int rc = hs_send(s->rt, "ship", id,
					 (r & 1) ? "arrive" : "depart", body,
					 len);
			if (rc != 0) {
				s->rc = rc;
				return NULL;
			}
			s->expect[a] += c;
		}
		/* Keep the queues short: the log is the point, not memory. */
		if (s->t == 0 && r % 20 == 19)
			hs_await(s->rt, -1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long records =
		argc > 1 ? bench_arg(argv[1], usage) : 10000000;
	unsigned long agents = argc > 2 ? bench_arg(argv[2], usage) : 10000;
	unsigned long threads = argc > 3 ? bench_arg(argv[3], usage) : 2;
	unsigned long reps = argc > 4 ? bench_arg(argv[4], usage) : 3;
	uint64_t rng = argc > 5 ? bench_arg(argv[5], usage) : 1;
	if (argc > 6 || agents > 999999 || records < agents) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (threads > agents)
		threads = agents;
	unsigned long per = records / agents;
	bench_print_load("at start");

	char dir[4096];
	bench_mkdtemp(dir, sizeof(dir), "w7");
	hs_runtime *rt = bench_open(dir, false, 100);
	int64_t *expect = calloc(agents, sizeof(int64_t));
	sender *s = calloc(threads, sizeof(sender));
	if (expect == NULL || s == NULL)
		return 1;
	double t0 = bench_now();
	for (unsigned long i = 0; i < threads; i++) {
		s[i] = (sender){.rt = rt, .t = i, .threads = threads,
				.agents = agents, .per = per, .expect = expect};
		if (pthread_create(&s[i].th, NULL, send_main, &s[i]) != 0)
			return 1;
	}
	for (unsigned long i = 0; i < threads; i++) {
		pthread_join(s[i].th, NULL);
		BENCH_CHECK(s[i].rc);
	}
	BENCH_CHECK(hs_await(rt, -1));
	double wt = bench_now() - t0;
	BENCH_CHECK(hs_close(rt));
	double ct = bench_now() - t0 - wt;
	printf("# W7: log of %lu records (%lu agents x %lu), snapshot every "
	       "100, written in %.1f s (%.0f/s, %lu threads), closed in "
	       "%.1f s\n",
	       agents * per, agents, per, wt, (double)(agents * per) / wt,
	       threads, ct);
	fflush(stdout);

	for (unsigned long r = 0; r < reps; r++) {
		unsigned long a = (unsigned long)bench_uniform(&rng, 0,
							      agents - 1);
		char id[32];
		snprintf(id, sizeof(id), "ship-%06lu", a);
		hs_buf out = HS_BUF_INIT;
		double t1 = bench_now();
		rt = bench_open(dir, false, 100);
		double t_open = bench_now() - t1;
		BENCH_CHECK(hs_deref(rt, "ship", id, &out));
		double dt = bench_now() - t1;
		int64_t cargo = -1;
		BENCH_CHECK(hs_get_i64(out.data, out.len, "cargo", &cargo));
		hs_buf_free(&out);
		if (cargo != expect[a]) {
			fprintf(stderr, "W7: %s has cargo %" PRId64
				", sent %" PRId64 "\n", id, cargo, expect[a]);
			return 1;
		}
		BENCH_CHECK(hs_close(rt));
		printf("# W7 rep %lu: %s, hs_open+register %.1f ms, then "
		       "hs_deref %.1f ms\n", r + 1, id, t_open * 1e3,
		       (dt - t_open) * 1e3);
		bench_result("W7", "open_to_state_ms", dt * 1e3, "ms");
	}
	bench_print_load("at end");
	free(expect);
	free(s);
	bench_rmtree(dir);
	return 0;
}
