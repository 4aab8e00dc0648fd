/*
 * bench_w3: workload W3 of BENCH.md, many agents.
 *
 * `agents` agents (default 100,000) of an in-memory runtime, each created
 * by its first event, get `per` events each (default 10), sent
 * round-robin from the main thread (ship-000000, ship-000001, ..., then
 * again). The agent is the ship of bench_util.h. Timed from the first send
 * until hs_await returns.
 *
 * Bytes per idle agent = (RSS after all exist and are idle - RSS before
 * the first send) / agents, RSS from /proc/self/statm. The "after" reading
 * is taken after hs_await, so it also holds whatever the allocator keeps
 * of the freed messages; a context line gives the reading after
 * malloc_trim too.
 *
 * usage: bench_w3 [agents [per [workers]]]  (defaults 100000 10 0=cores)
 * result lines: RESULT W3 events_per_s, RESULT W3 bytes_per_idle_agent
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <malloc.h>

static const char usage[] = "usage: bench_w3 [agents [per [workers]]]\n";

int main(int argc, char **argv)
{
	unsigned long agents = argc > 1 ? bench_arg(argv[1], usage) : 100000;
	unsigned long per = argc > 2 ? bench_arg(argv[2], usage) : 10;
	unsigned long workers = argc > 3 ? strtoul(argv[3], NULL, 10) : 0;
	if (agents > 999999) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	bench_print_load("at start");

	hs_options o;
	hs_options_init(&o);
	o.workers = (unsigned)workers;
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	hs_type t = ship_type(0);
	BENCH_CHECK(hs_register(rt, &t));

	/* Ids and bodies made beforehand: the loop times the runtime only. */
	char(*ids)[16] = malloc(agents * sizeof(*ids));
	uint8_t body[40];
	size_t len = bench_ship_body(body, "Malmo", 42);
	if (ids == NULL)
		return 1;
	for (unsigned long a = 0; a < agents; a++)
		snprintf(ids[a], sizeof(ids[a]), "ship-%06lu", a);

	size_t rss0 = bench_rss_now();
	double t0 = bench_now();
	for (unsigned long r = 0; r < per; r++)
		for (unsigned long a = 0; a < agents; a++)
			BENCH_CHECK(hs_send(rt, "ship", ids[a],
					    (r & 1) ? "arrive" : "depart", body,
					    len));
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;
	size_t rss1 = bench_rss_now();
	malloc_trim(0);
	size_t rss2 = bench_rss_now();

	/* Check a few agents' states (all would take longer than the run). */
	for (unsigned long a = 0; a < agents; a += agents / 10 + 1) {
		hs_buf out = HS_BUF_INIT;
		int64_t cargo = -1;
		BENCH_CHECK(hs_deref(rt, "ship", ids[a], &out));
		BENCH_CHECK(hs_get_i64(out.data, out.len, "cargo", &cargo));
		hs_buf_free(&out);
		if (cargo != 42 * (int64_t)per) {
			fprintf(stderr, "W3: %s has cargo %" PRId64 "\n",
				ids[a], cargo);
			return 1;
		}
	}
	size_t resident = hs_resident(rt);
	BENCH_CHECK(hs_close(rt));
	free(ids);
	if (resident != agents) {
		fprintf(stderr, "W3: %zu agents resident, %lu sent to\n",
			resident, agents);
		return 1;
	}
	printf("# W3: %lu agents x %lu events round-robin from main, "
	       "in-memory, workers %lu (0 = cores), %.3f s; RSS before %.1f "
	       "MB, after %.1f MB, after malloc_trim %.1f MB (%.0f B/agent)\n",
	       agents, per, workers, dt, rss0 / 1e6, rss1 / 1e6, rss2 / 1e6,
	       ((double)rss2 - (double)rss0) / (double)agents);
	bench_print_load("at end");
	bench_result("W3", "events_per_s", (double)(agents * per) / dt,
		     "events/s");
	bench_result("W3", "bytes_per_idle_agent",
		     ((double)rss1 - (double)rss0) / (double)agents, "B");
	bench_result("W3", "peak_rss", (double)bench_rss_peak(), "bytes");
	return 0;
}
