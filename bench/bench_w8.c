/*
 * bench_w8: workload W8 of BENCH.md, agent scale.
 *
 * `agents` ship agents (default 1,000,000) get one event each, sent from
 * the main thread (ids made beforehand), then hs_await. Mode:
 *   mem    in-memory runtime
 *   disk   persisted (durability NONE, no snapshots), no resident limit
 *   limit  persisted with resident_limit `limit` (default 100,000)
 * Bytes per resident agent = (RSS after hs_await - RSS before the first
 * send) / hs_resident(); RSS from /proc/self/statm, peak RSS from VmHWM.
 * In the persisted modes the RSS also holds RocksDB's memtables and block
 * cache, which do not grow with the number of agents. Ten agents' states
 * are read back and checked (in `limit` most of them come from the log).
 * Run one mode per process, so that peak RSS is the mode's own.
 *
 * usage: bench_w8 [mode [agents [limit]]]
 * result lines: RESULT W8 <mode>_bytes_per_resident_agent,
 *               RESULT W8 <mode>_peak_rss, RESULT W8 <mode>_resident
 */
#define _GNU_SOURCE
#include "bench_util.h"

static const char usage[] = "usage: bench_w8 [mem|disk|limit [agents "
			    "[limit]]]\n";

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "mem";
	unsigned long agents = argc > 2 ? bench_arg(argv[2], usage) : 1000000;
	unsigned long limit = argc > 3 ? bench_arg(argv[3], usage) : 100000;
	bool mem = strcmp(mode, "mem") == 0;
	bool lim = strcmp(mode, "limit") == 0;
	if (argc > 4 || agents > 9999999 ||
	    (!mem && !lim && strcmp(mode, "disk") != 0)) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	bench_print_load("at start");

	char(*ids)[16] = malloc(agents * sizeof(*ids));
	if (ids == NULL)
		return 1;
	for (unsigned long a = 0; a < agents; a++)
		snprintf(ids[a], sizeof(ids[a]), "ship-%07lu", a);
	uint8_t body[40];
	size_t len = bench_ship_body(body, "Malmo", 42);

	char dir[4096] = "";
	hs_options o;
	hs_options_init(&o);
	if (!mem) {
		bench_mkdtemp(dir, sizeof(dir), "w8");
		o.path = dir;
		o.durability = HS_DURABILITY_NONE;
		o.resident_limit = lim ? limit : 0;
	}
	hs_runtime *rt;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hs_open: %s\n", err);
		return 1;
	}
	hs_type t = ship_type(0);
	BENCH_CHECK(hs_register(rt, &t));

	size_t rss0 = bench_rss_now();
	double t0 = bench_now();
	for (unsigned long a = 0; a < agents; a++)
		BENCH_CHECK(hs_send(rt, "ship", ids[a], "depart", body, len));
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;
	size_t rss1 = bench_rss_now();
	size_t resident = hs_resident(rt);

	for (unsigned long a = 0; a < agents; a += agents / 10 + 1) {
		hs_buf out = HS_BUF_INIT;
		int64_t cargo = -1;
		BENCH_CHECK(hs_deref(rt, "ship", ids[a], &out));
		BENCH_CHECK(hs_get_i64(out.data, out.len, "cargo", &cargo));
		hs_buf_free(&out);
		if (cargo != 42) {
			fprintf(stderr, "W8: %s has cargo %" PRId64 "\n",
				ids[a], cargo);
			return 1;
		}
	}
	BENCH_CHECK(hs_close(rt));
	size_t peak = bench_rss_peak();
	printf("# W8 %s: %lu agents x 1 event in %.2f s (%.0f/s); %zu "
	       "resident after hs_await%s; RSS before %.1f MB, after %.1f "
	       "MB, peak %.1f MB\n",
	       mode, agents, dt, (double)agents / dt, resident,
	       lim ? " (with the limit)" : "", rss0 / 1e6, rss1 / 1e6,
	       peak / 1e6);
	if (!mem && resident == 0) {
		fprintf(stderr, "W8: no agent resident\n");
		return 1;
	}
	if (mem && resident != agents) {
		fprintf(stderr, "W8: %zu resident of %lu\n", resident, agents);
		return 1;
	}
	char fig[64];
	snprintf(fig, sizeof(fig), "%s_bytes_per_resident_agent", mode);
	bench_result("W8", fig,
		     ((double)rss1 - (double)rss0) / (double)resident, "B");
	snprintf(fig, sizeof(fig), "%s_peak_rss", mode);
	bench_result("W8", fig, (double)peak, "bytes");
	snprintf(fig, sizeof(fig), "%s_resident", mode);
	bench_result("W8", fig, (double)resident, "agents");
	bench_print_load("at end");
	free(ids);
	if (dir[0] != '\0')
		bench_rmtree(dir);
	return 0;
}
