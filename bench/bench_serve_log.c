/*
 * bench_serve_log: writes the log that bench/serve.sh serves (SERVE in
 * bench/README.md, not in BENCH.md): `agents` ship agents
 * (`ship-000000` ...) with `per` transitions each, plus two long agents,
 * `ship-long-a` with `long_a` transitions and `ship-long-b` with `long_b`,
 * through the runtime (hs_send, durability NONE, the type's default
 * snapshot interval), then closes it. Defaults: 10,000 x 890 + 100,000 +
 * 1,000,000 = 10^7 records.
 *
 * `threads` sender threads (default 2) each own a slice of the ordinary
 * agents and send them round by round (every owned agent one depart or
 * arrive per round); thread 0 also sends the long agents their share of
 * each round, so that their transitions are spread over the whole log as
 * a busy agent's would be. Bodies are BENCH.md's ship body
 * {"port": ..., "cargo": 1..100}.
 *
 * The log stays in DIR (it must not exist, or be empty): bench/serve.sh
 * serves it with the types plugin bench_serve_types.so (the same ship type)
 * and removes it. After the close the log is opened again read-only and
 * every long agent's and a few ordinary agents' cargo checked against what
 * was sent.
 *
 * usage: bench_serve_log DIR [agents [per [long_a [long_b [threads]]]]]
 * result lines: RESULT SERVE gen_records_per_s, gen_s (send to close),
 *               records
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <pthread.h>
#include <sys/stat.h>

static const char usage[] =
	"usage: bench_serve_log DIR [agents [per [long_a [long_b "
	"[threads]]]]]\n";

typedef struct sender {
	pthread_t th;
	hs_runtime *rt;
	unsigned long t, threads, agents, per, long_n[2];
	int64_t *expect;     /* per ordinary agent; each thread its own */
	int64_t long_sum[2]; /* thread 0 only */
	int rc;
} sender;

static int send_one(sender *s, const char *id, uint64_t k, uint64_t *rng,
		    int64_t *sum)
{
	uint8_t body[40];
	const char *port = bench_ports[bench_rand(rng) % BENCH_NPORTS];
	int64_t c = (int64_t)bench_uniform(rng, 1, 100);
	size_t len = bench_ship_body(body, port, c);
	int rc = hs_send(s->rt, "ship", id, (k & 1) ? "arrive" : "depart",
			 body, len);
	if (rc == 0)
		*sum += c;
	return rc;
}

static void *send_main(void *arg)
{
	sender *s = arg;
	static const char *const long_id[2] = {"ship-long-a", "ship-long-b"};
	uint64_t rng = 0x5eed + s->t;
	uint64_t long_k[2] = {0, 0};
	char id[32];
	for (unsigned long r = 0; r < s->per; r++) {
		for (unsigned long a = s->t; a < s->agents; a += s->threads) {
			snprintf(id, sizeof(id), "ship-%06lu", a);
			if ((s->rc = send_one(s, id, r, &rng,
					      &s->expect[a])) != 0)
				return NULL;
		}
		if (s->t == 0) {
			/* round r's share: transitions [r*n/per, (r+1)*n/per) */
			for (int l = 0; l < 2; l++) {
				uint64_t end = (uint64_t)(r + 1) * s->long_n[l] /
					       s->per;
				for (; long_k[l] < end; long_k[l]++)
					if ((s->rc = send_one(
						     s, long_id[l], long_k[l],
						     &rng, &s->long_sum[l])) != 0)
						return NULL;
			}
		}
		/* keep the queues short: each thread drains every 10 rounds */
		if (r % 10 == 9)
			hs_await(s->rt, -1);
	}
	return NULL;
}

static void check_cargo(hs_runtime *rt, const char *id, int64_t want)
{
	hs_buf out = HS_BUF_INIT;
	int64_t cargo = -1;
	BENCH_CHECK(hs_deref(rt, "ship", id, &out));
	BENCH_CHECK(hs_get_i64(out.data, out.len, "cargo", &cargo));
	hs_buf_free(&out);
	if (cargo != want) {
		fprintf(stderr, "bench_serve_log: %s has cargo %" PRId64
			", sent %" PRId64 "\n", id, cargo, want);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 7) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	const char *dir = argv[1];
	unsigned long agents = argc > 2 ? bench_arg(argv[2], usage) : 10000;
	unsigned long per = argc > 3 ? bench_arg(argv[3], usage) : 890;
	unsigned long long_a = argc > 4 ? bench_arg(argv[4], usage) : 100000;
	unsigned long long_b = argc > 5 ? bench_arg(argv[5], usage) : 1000000;
	unsigned long threads = argc > 6 ? bench_arg(argv[6], usage) : 2;
	if (agents > 999999) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (threads > agents)
		threads = agents;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
		return 1;
	}
	unsigned long records = agents * per + long_a + long_b;
	bench_print_load("at start");

	hs_runtime *rt = bench_open(dir, false, 0);
	int64_t *expect = calloc(agents, sizeof(int64_t));
	sender *s = calloc(threads, sizeof(*s));
	if (expect == NULL || s == NULL)
		return 1;
	double t0 = bench_now();
	for (unsigned long i = 0; i < threads; i++) {
		s[i] = (sender){.rt = rt, .t = i, .threads = threads,
				.agents = agents, .per = per,
				.long_n = {long_a, long_b}, .expect = expect};
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
	double total = bench_now() - t0;
	printf("# SERVE log %s: %lu records (%lu agents x %lu, ship-long-a "
	       "%lu, ship-long-b %lu), sent and committed in %.1f s, closed "
	       "in %.1f s, %lu threads\n",
	       dir, records, agents, per, long_a, long_b, wt, total - wt,
	       threads);
	fflush(stdout);

	rt = bench_open(dir, true, 0);
	check_cargo(rt, "ship-long-a", s[0].long_sum[0]);
	check_cargo(rt, "ship-long-b", s[0].long_sum[1]);
	uint64_t rng = 7;
	for (int i = 0; i < 5; i++) {
		unsigned long a =
			(unsigned long)bench_uniform(&rng, 0, agents - 1);
		char id[32];
		snprintf(id, sizeof(id), "ship-%06lu", a);
		check_cargo(rt, id, expect[a]);
	}
	BENCH_CHECK(hs_close(rt));
	bench_print_load("at end");
	bench_result("SERVE", "records", (double)records, "records");
	bench_result("SERVE", "gen_s", total, "s");
	bench_result("SERVE", "gen_records_per_s", (double)records / total,
		     "records/s");
	free(s);
	free(expect);
	return 0;
}
