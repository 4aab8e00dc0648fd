/*
 * bench_state_at: workload W6 of BENCH.md.
 *
 * One ship agent with N transitions, N = 10^2, 10^3, ... 10^max_exp, each
 * length in its own log (durability NONE, a snapshot every `snapshot_every`
 * transitions). The writer is closed, the log is opened read-only and
 * `queries` random hs_state_at calls are timed one by one: half at a seq
 * uniform in [1, N], half at the time of a transition drawn uniformly from
 * [1, N] (times read beforehand with hs_history). A time uniform over the
 * wall-clock span would mostly land in the pauses of the writer (the
 * hs_await between chunks, all at snapshot seqs) and so measure mostly
 * snapshot reads. Every answer is checked against the cargo total known
 * from the sends (outside the timed region). Besides the wall-clock time
 * (the figure), the thread's CPU time per query is reported: on a shared
 * machine the difference is time spent preempted.
 *
 * usage: bench_state_at [max_exp [snapshot_every [queries [seed]]]]
 *        defaults:        6        0                2000      1
 * (snapshot_every 0 is hs_type's default interval.)
 *
 * Output: a comment line per length with the time to write it, a result
 * line per length (p50 and p99 in µs), then one summary line with the
 * flatness: p50 at the largest N / p50 at N = 100. The load average is
 * printed at the start and the end: figures taken under load are not
 * comparable.
 */
#define _GNU_SOURCE

#include "bench_util.h"

#include <math.h>

#define AGENT "ship-000001"
#define CHUNK 10000 /* sends between two hs_await calls */

static const char usage[] =
	"usage: bench_state_at [max_exp [snapshot_every [queries [seed]]]]\n"
	"  max_exp 2..7 (default 6: lengths 10^2 .. 10^6), snapshot_every\n"
	"  (default 0: hs_type's default), queries per length (default 2000),\n"
	"  seed (1)\n";

typedef struct length_result {
	uint64_t n;
	double p50, p99, seq_p50, time_p50, max, cpu_p50, cpu_p99;
} length_result;

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);
	return v[k ? k - 1 : 0];
}

typedef struct times {
	int64_t *t; /* t[seq], seq in [1, n] */
	uint64_t n;
} times;

static int record_time(void *udata, const hs_record *rec)
{
	times *tm = udata;
	if (rec->seq < 1 || rec->seq > tm->n)
		return HS_ECORRUPT;
	tm->t[rec->seq] = rec->time_ns;
	return 0;
}

/* Writes n transitions of AGENT into dir; cargo[k] = cargo after seq k. */
static double write_log(const char *dir, uint64_t n, unsigned snap,
			int64_t *cargo, uint64_t *rng)
{
	hs_runtime *rt = bench_open(dir, false, snap);
	double t0 = bench_now();
	for (uint64_t k = 1; k <= n; k++) {
		/* the draws of ship_send, with the cargo kept to check answers */
		const char *port = bench_ports[bench_rand(rng) % BENCH_NPORTS];
		int64_t c = (int64_t)bench_uniform(rng, 1, 100);
		BENCH_CHECK(hs_sendf(rt, "ship", AGENT,
				     (k & 1) ? "arrive" : "depart",
				     "port:s cargo:I", port, c));
		cargo[k] = cargo[k - 1] + c;
		if (k % CHUNK == 0)
			BENCH_CHECK(hs_await(rt, -1));
	}
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;
	BENCH_CHECK(hs_close(rt));
	return dt;
}

static void query_log(const char *dir, uint64_t n, unsigned snap,
		      unsigned queries, const int64_t *cargo, uint64_t *rng,
		      length_result *res)
{
	hs_runtime *rt = bench_open(dir, true, snap);

	/* The time of every transition, to draw time points from. */
	times tm = {calloc(n + 1, sizeof(int64_t)), n};
	if (tm.t == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	hs_filter f = {.type = "ship", .id = AGENT};
	BENCH_CHECK(hs_history(rt, &f, record_time, &tm));

	double *all = malloc(queries * sizeof(double));
	double *cpu = malloc(queries * sizeof(double));
	double *by_seq = malloc(queries * sizeof(double));
	double *by_time = malloc(queries * sizeof(double));
	if (all == NULL || cpu == NULL || by_seq == NULL || by_time == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	size_t ns = 0, nt = 0;
	hs_buf out = HS_BUF_INIT;
	for (unsigned i = 0; i < queries; i++) {
		bool seq_query = (i & 1) == 0;
		uint64_t drawn = bench_uniform(rng, 1, n);
		hs_point p =
			seq_query ? hs_at_seq(drawn) : hs_at_time(tm.t[drawn]);
		hs_receipt at;
		hs_buf_reset(&out);
		double c0 = cpu_now();
		double t0 = bench_now();
		int rc = hs_state_at(rt, "ship", AGENT, p, &out, &at);
		double us = (bench_now() - t0) * 1e6;
		cpu[i] = (cpu_now() - c0) * 1e6;
		if (rc != 0) {
			char err[512];
			hs_last_error(rt, err, sizeof(err));
			fprintf(stderr, "hs_state_at: %s: %s\n",
				hs_strerror(rc), err);
			exit(1);
		}
		int64_t got;
		if (hs_get_i64(out.data, out.len, "cargo", &got) != 0 ||
		    at.seq < 1 || at.seq > n || got != cargo[at.seq] ||
		    (seq_query && at.seq != drawn) ||
		    (!seq_query &&
		     (at.seq < drawn || tm.t[at.seq] != p.time_ns))) {
			fprintf(stderr,
				"hs_state_at: wrong state at seq %" PRIu64
				"\n",
				at.seq);
			exit(1);
		}
		all[i] = us;
		if (seq_query)
			by_seq[ns++] = us;
		else
			by_time[nt++] = us;
	}
	hs_buf_free(&out);
	BENCH_CHECK(hs_close(rt));

	free(tm.t);
	qsort(all, queries, sizeof(double), cmp_double);
	qsort(cpu, queries, sizeof(double), cmp_double);
	qsort(by_seq, ns, sizeof(double), cmp_double);
	qsort(by_time, nt, sizeof(double), cmp_double);
	res->n = n;
	res->p50 = pct(all, queries, 0.50);
	res->p99 = pct(all, queries, 0.99);
	res->max = all[queries - 1];
	res->cpu_p50 = pct(cpu, queries, 0.50);
	res->cpu_p99 = pct(cpu, queries, 0.99);
	res->seq_p50 = ns ? pct(by_seq, ns, 0.50) : 0;
	res->time_p50 = nt ? pct(by_time, nt, 0.50) : 0;
	free(all);
	free(cpu);
	free(by_seq);
	free(by_time);
}

int main(int argc, char **argv)
{
	unsigned max_exp = argc > 1 ? (unsigned)bench_arg(argv[1], usage) : 6;
	/* 0 is allowed here: the type's default. */
	unsigned snap = argc > 2 && strcmp(argv[2], "0") != 0
				? (unsigned)bench_arg(argv[2], usage)
				: 0;
	unsigned queries =
		argc > 3 ? (unsigned)bench_arg(argv[3], usage) : 2000;
	uint64_t seed = argc > 4 ? bench_arg(argv[4], usage) : 1;
	if (argc > 5 || max_exp < 2 || max_exp > 7) {
		fprintf(stderr, "%s", usage);
		return 2;
	}

	printf("# bench_state_at (W6): one agent, lengths 10^2..10^%u, "
	       "snapshot every %u transitions (%s), %u queries per length "
	       "(half by seq, half by the time of a random transition), "
	       "durability NONE, seed %" PRIu64 "\n",
	       max_exp, snap,
	       snap == 0 ? "0: hs_type's default, HS_SNAPSHOT_EVERY_DEFAULT"
			 : "set by argument",
	       queries, seed);
	bench_print_load("at start");
	fflush(stdout);

	length_result res[8];
	unsigned nres = 0;
	uint64_t rng = seed;
	uint64_t n = 100;
	for (unsigned e = 2; e <= max_exp; e++, n *= 10) {
		char dir[4096];
		bench_mkdtemp(dir, sizeof(dir), "state_at");
		int64_t *cargo = calloc(n + 1, sizeof(int64_t));
		if (cargo == NULL) {
			fprintf(stderr, "out of memory\n");
			return 1;
		}
		double wt = write_log(dir, n, snap, cargo, &rng);
		printf("# n=%" PRIu64
		       ": written in %.2f s (%.0f transitions/s, "
		       "one agent, sends from the main thread)\n",
		       n, wt, (double)n / wt);
		fflush(stdout);
		length_result *r = &res[nres++];
		query_log(dir, n, snap, queries, cargo, &rng, r);
		printf("state_at n=%" PRIu64 " p50_us=%.1f p99_us=%.1f "
		       "seq_p50_us=%.1f time_p50_us=%.1f max_us=%.1f "
		       "cpu_p50_us=%.1f cpu_p99_us=%.1f\n",
		       r->n, r->p50, r->p99, r->seq_p50, r->time_p50, r->max,
		       r->cpu_p50, r->cpu_p99);
		fflush(stdout);
		free(cargo);
		bench_rmtree(dir);
	}

	bench_print_load("at end");
	printf("bench_state_at snapshot_every=%u p50_us=", snap);
	for (unsigned i = 0; i < nres; i++)
		printf("%s%.1f", i ? "/" : "", res[i].p50);
	printf(" p99_us=");
	for (unsigned i = 0; i < nres; i++)
		printf("%s%.1f", i ? "/" : "", res[i].p99);
	printf(" flatness=%.2f (p50 at 10^%u / p50 at 10^2)\n",
	       res[nres - 1].p50 / res[0].p50, max_exp);
	return 0;
}
