/*
 * bench_w3: workload W3 of BENCH.md, many agents.
 *
 * `agents` agents (default 100,000) of an in-memory runtime, each created
 * by its first event, get `per` events each (default 10), sent
 * round-robin from the main thread (ship-000000, ship-000001, ..., then
 * again). The agent is the ship of bench_util.h. Twice, each on a fresh
 * runtime in a process of its own: through refs (hs_agent_ref at an
 * agent's first event, which creates it, then hs_send_ref; held to the
 * end, as a sender keeping its agents' handles would, like the Erlang
 * peer's list of pids), then with hs_send by name. Each timed from the
 * first send until hs_await returns.
 *
 * Bytes per idle agent = (RSS after all exist and are idle - RSS before
 * the first send) / agents, RSS from /proc/self/statm, of the hs_send
 * run (no refs held). The "after" reading is taken after hs_await, so it
 * also holds whatever the allocator keeps of the freed messages; a
 * context line gives the reading after malloc_trim too.
 *
 * usage: bench_w3 [agents [per [workers]]]  (defaults 100000 10 0=cores)
 * result lines: RESULT W3 events_per_s (refs), by_name_events_per_s
 * (hs_send), bytes_per_idle_agent, peak_rss
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] = "usage: bench_w3 [agents [per [workers]]]\n";

typedef struct w3_run {
	double events_per_s;
	size_t rss0, rss1, rss2; /* before, after, after malloc_trim */
	double dt;
} w3_run;

/* One run of W3 on a fresh runtime: by name with hs_send, or through
 * refs, each taken (creating its agent) at the agent's first event and
 * held to the end, as a sender that keeps its agents' handles would. */
static w3_run run(char (*ids)[16], unsigned long agents, unsigned long per,
		  unsigned long workers, bool by_name)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = (unsigned)workers;
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	hs_type t = ship_type(0);
	BENCH_CHECK(hs_register(rt, &t));
	uint8_t body[40];
	size_t len = bench_ship_body(body, "Malmo", 42);
	hs_ref **refs = by_name ? NULL : calloc(agents, sizeof(*refs));
	if (!by_name && refs == NULL)
		exit(1);

	w3_run r;
	r.rss0 = bench_rss_now();
	double t0 = bench_now();
	for (unsigned long k = 0; k < per; k++) {
		const char *ev = (k & 1) ? "arrive" : "depart";
		for (unsigned long a = 0; a < agents; a++) {
			if (by_name) {
				BENCH_CHECK(hs_send(rt, "ship", ids[a], ev,
						    body, len));
				continue;
			}
			if (k == 0)
				BENCH_CHECK(hs_agent_ref(rt, "ship", ids[a],
							 &refs[a]));
			BENCH_CHECK(hs_send_ref(refs[a], ev, body, len));
		}
	}
	BENCH_CHECK(hs_await(rt, -1));
	r.dt = bench_now() - t0;
	r.rss1 = bench_rss_now();
	malloc_trim(0);
	r.rss2 = bench_rss_now();
	r.events_per_s = (double)(agents * per) / r.dt;

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
			exit(1);
		}
	}
	size_t resident = hs_resident(rt);
	if (!by_name)
		for (unsigned long a = 0; a < agents; a++)
			hs_ref_release(refs[a]);
	free(refs);
	BENCH_CHECK(hs_close(rt));
	if (resident != agents) {
		fprintf(stderr, "W3: %zu agents resident, %lu sent to\n",
			resident, agents);
		exit(1);
	}
	printf("# W3 %s: %lu agents x %lu events round-robin from main, "
	       "in-memory, workers %lu (0 = cores), %.3f s; RSS before %.1f "
	       "MB, after %.1f MB, after malloc_trim %.1f MB (%.0f B/agent%s)\n",
	       by_name ? "hs_send" : "hs_send_ref", agents, per, workers,
	       r.dt, r.rss0 / 1e6, r.rss1 / 1e6, r.rss2 / 1e6,
	       ((double)r.rss2 - (double)r.rss0) / (double)agents,
	       by_name ? "" : ", refs held");
	return r;
}

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

	/* Ids made beforehand: the loops time the runtime only. */
	char(*ids)[16] = malloc(agents * sizeof(*ids));
	if (ids == NULL)
		return 1;
	for (unsigned long a = 0; a < agents; a++)
		snprintf(ids[a], sizeof(ids[a]), "ship-%06lu", a);

	/* Each run in a process of its own, so that neither finds the
	 * other's freed memory: the refs run in a child, then by name here
	 * (its RSS delta is the figure for bytes per idle agent: no refs
	 * held). */
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		w3_run by_ref = run(ids, agents, per, workers, false);
		bench_result("W3", "events_per_s", by_ref.events_per_s,
			     "events/s");
		fflush(stdout);
		_exit(0);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 1;
	w3_run by_name = run(ids, agents, per, workers, true);
	free(ids);
	bench_print_load("at end");
	bench_result("W3", "by_name_events_per_s", by_name.events_per_s,
		     "events/s");
	bench_result("W3", "bytes_per_idle_agent",
		     ((double)by_name.rss1 - (double)by_name.rss0) /
			     (double)agents,
		     "B");
	bench_result("W3", "peak_rss", (double)bench_rss_peak(), "bytes");
	return 0;
}
