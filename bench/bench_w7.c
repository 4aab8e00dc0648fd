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
	if (expect == NULL)
		return 1;
	double t0 = bench_now();
	bench_send_fleet(rt, agents, per, threads, 20, expect);
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
	bench_rmtree(dir);
	return 0;
}
