/*
 * bench_w9: overload and back-pressure (not in BENCH.md's W1-W8; the
 * workload is defined here and in bench/README.md).
 *
 * `producers` threads (default 4) send `messages` ship events in all
 * (default 1,000,000) round-robin to `agents` agents (default 8) whose
 * apply does `work` rounds of busy work (default 6000, some µs) before
 * adding the body's cargo, so that the producers are far faster than the
 * handlers. Each producer counts the sends that were acknowledged (returned
 * 0) and their cargo per agent; after hs_await every agent's state must hold
 * exactly those counts and cargo: nothing acknowledged is lost, nothing is
 * handled twice. In the persisted modes the log is then reopened and the
 * states rebuilt from it are checked the same way.
 *
 * Modes (one per process, so that peak RSS is the mode's own):
 *   mem            in memory, no mailbox limit: hs_send
 *   mem_limit      in memory, mailbox_limit `limit` (default 1000):
 *                  hs_send_timeout(-1), producers wait for room
 *   mem_failfast   in memory, mailbox_limit: hs_send, retried after
 *                  sched_yield() on HS_EAGAIN
 *   disk, disk_limit, disk_failfast   the same, persisted (durability
 *                  NONE, a snapshot every 10,000 transitions)
 *
 * Timed from the first send until hs_await returns. Figures:
 *   <mode>_msgs_per_s   messages handled per second
 *   <mode>_overload     time to handle / time to send: how much faster the
 *                       producers offered than the agents handled (about
 *                       1 when a limit holds the producers back)
 *   <mode>_peak_rss     VmHWM of the process
 *   <mode>_rss_growth   VmHWM - RSS before the first send: what the
 *                       queued messages (and the log's memtables) took
 *   <mode>_refused      HS_EAGAIN results retried (failfast modes)
 *
 * usage: bench_w9 [mode [messages [producers [agents [work [limit]]]]]]
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <sched.h>
#include <stdatomic.h>

static const char usage[] =
	"usage: bench_w9 [mode [messages [producers [agents [work "
	"[limit]]]]]]\n"
	"  mode: mem, mem_limit, mem_failfast, disk, disk_limit, "
	"disk_failfast\n";

#define MAX_AGENTS 4096
#define MAX_PRODUCERS 256

/* A ship that also counts its events. */
typedef struct slow {
	ship s;
	int64_t count;
} slow;

static unsigned long busy_rounds;

static int slow_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	slow *st = state;
	size_t len;
	const void *body = hs_event_body(ev, &len);
	(void)ctx;
	/* Busy work whose result the compiler cannot drop: xorshift never
	 * reaches 0 from a non-zero seed, but it cannot know that. */
	uint64_t x = (uint64_t)st->count + 1;
	for (unsigned long i = 0; i < busy_rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	if (x == 0)
		return HS_ERANGE;
	int rc = ship_step(&st->s, body, len);
	if (rc == HS_CHANGED)
		st->count++;
	return rc;
}

static int slow_encode(const void *state, hs_buf *out, void *udata)
{
	const slow *st = state;
	(void)udata;
	return hs_packf(out, "port:s cargo:I count:I", st->s.port,
			st->s.cargo, st->count);
}

static int slow_decode(void *state, const void *data, size_t len,
		       void *udata)
{
	slow *st = state;
	int rc = ship_decode(&st->s, data, len, udata);
	if (rc == 0)
		rc = hs_get_i64(data, len, "count", &st->count);
	return rc == 0 ? 0 : HS_EBADMSG;
}

static void register_slow(hs_runtime *rt, unsigned limit)
{
	hs_type t = {
		.name = "slow",
		.state_size = sizeof(slow),
		.apply = slow_apply,
		.encode = slow_encode,
		.decode = slow_decode,
		.snapshot_every = 10000,
		.mailbox_limit = limit,
	};
	BENCH_CHECK(hs_register(rt, &t));
}

typedef enum send_kind { PLAIN, WAIT, FAILFAST } send_kind;

typedef struct producer {
	pthread_t th;
	hs_runtime *rt;
	send_kind kind;
	unsigned long t, messages, agents;
	int64_t *count; /* per agent: acknowledged sends */
	int64_t *cargo; /* per agent: their cargo */
	unsigned long refused;
	int rc;
} producer;

static void *producer_main(void *arg)
{
	producer *p = arg;
	uint64_t rng = 0x5eed + p->t;
	uint8_t body[40];
	char id[32];
	for (unsigned long k = 0; k < p->messages; k++) {
		unsigned long a = (k + p->t) % p->agents;
		snprintf(id, sizeof(id), "ship-%06lu", a);
		const char *port = bench_ports[bench_rand(&rng) % BENCH_NPORTS];
		int64_t c = (int64_t)bench_uniform(&rng, 1, 100);
		size_t len = bench_ship_body(body, port, c);
		const char *ev = (k & 1) ? "arrive" : "depart";
		int rc;
		switch (p->kind) {
		case WAIT:
			rc = hs_send_timeout(p->rt, "slow", id, ev, body, len,
					     -1);
			break;
		case FAILFAST:
			while ((rc = hs_send(p->rt, "slow", id, ev, body,
					     len)) == HS_EAGAIN) {
				p->refused++;
				sched_yield();
			}
			break;
		default:
			rc = hs_send(p->rt, "slow", id, ev, body, len);
			break;
		}
		if (rc != 0) {
			p->rc = rc;
			return NULL;
		}
		p->count[a]++;
		p->cargo[a] += c;
	}
	return NULL;
}

/* Every agent's state against what the producers had acknowledged. */
static void check(hs_runtime *rt, const char *mode, const char *when,
		  unsigned long agents, const int64_t *count,
		  const int64_t *cargo)
{
	char id[32];
	for (unsigned long a = 0; a < agents; a++) {
		snprintf(id, sizeof(id), "ship-%06lu", a);
		hs_buf out = HS_BUF_INIT;
		slow st;
		memset(&st, 0, sizeof(st));
		BENCH_CHECK(hs_deref(rt, "slow", id, &out));
		BENCH_CHECK(slow_decode(&st, out.data, out.len, NULL));
		hs_buf_free(&out);
		if (st.count != count[a] || st.s.cargo != cargo[a]) {
			fprintf(stderr,
				"W9 %s (%s): %s handled %" PRId64
				" events, cargo %" PRId64 "; acknowledged %" PRId64
				", cargo %" PRId64 "\n",
				mode, when, id, st.count, st.s.cargo, count[a],
				cargo[a]);
			exit(1);
		}
	}
}

static hs_runtime *open_rt(const char *dir, unsigned limit)
{
	hs_options o;
	hs_options_init(&o);
	o.path = dir[0] != '\0' ? dir : NULL;
	o.durability = HS_DURABILITY_NONE;
	hs_runtime *rt;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hs_open: %s: %s\n", hs_strerror(rc), err);
		exit(1);
	}
	register_slow(rt, limit);
	return rt;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "mem";
	unsigned long messages = argc > 2 ? bench_arg(argv[2], usage) : 1000000;
	unsigned long producers = argc > 3 ? bench_arg(argv[3], usage) : 4;
	unsigned long agents = argc > 4 ? bench_arg(argv[4], usage) : 8;
	busy_rounds = argc > 5 ? bench_arg(argv[5], usage) : 6000;
	unsigned long limit = argc > 6 ? bench_arg(argv[6], usage) : 1000;
	bool disk = strncmp(mode, "disk", 4) == 0;
	const char *kind_name = mode + (disk ? 4 : 3);
	send_kind kind = PLAIN;
	if (strcmp(kind_name, "_limit") == 0)
		kind = WAIT;
	else if (strcmp(kind_name, "_failfast") == 0)
		kind = FAILFAST;
	else if (kind_name[0] != '\0')
		kind = (send_kind)-1;
	if (argc > 7 || (!disk && strncmp(mode, "mem", 3) != 0) ||
	    (int)kind < 0 || agents > MAX_AGENTS ||
	    producers > MAX_PRODUCERS || limit > UINT32_MAX) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	unsigned lim = kind == PLAIN ? 0 : (unsigned)limit;
	bench_print_load("at start");

	char dir[4096] = "";
	if (disk)
		bench_mkdtemp(dir, sizeof(dir), "w9");
	hs_runtime *rt = open_rt(dir, lim);

	producer *p = calloc(producers, sizeof(*p));
	int64_t *counts = calloc(2 * producers * agents, sizeof(int64_t));
	int64_t *count = calloc(agents, sizeof(int64_t));
	int64_t *cargo = calloc(agents, sizeof(int64_t));
	if (p == NULL || counts == NULL || count == NULL || cargo == NULL)
		return 1;
	size_t rss_before = bench_rss_now();

	double t0 = bench_now();
	for (unsigned long t = 0; t < producers; t++) {
		p[t] = (producer){
			.rt = rt,
			.kind = kind,
			.t = t,
			.messages = messages / producers +
				    (t < messages % producers),
			.agents = agents,
			.count = counts + 2 * t * agents,
			.cargo = counts + (2 * t + 1) * agents,
		};
		if (pthread_create(&p[t].th, NULL, producer_main, &p[t]) != 0)
			return 1;
	}
	unsigned long refused = 0;
	for (unsigned long t = 0; t < producers; t++) {
		pthread_join(p[t].th, NULL);
		BENCH_CHECK(p[t].rc);
		refused += p[t].refused;
		for (unsigned long a = 0; a < agents; a++) {
			count[a] += p[t].count[a];
			cargo[a] += p[t].cargo[a];
		}
	}
	double t_sent = bench_now() - t0;
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;
	size_t peak = bench_rss_peak();

	check(rt, mode, "live", agents, count, cargo);
	BENCH_CHECK(hs_close(rt));
	if (disk) {
		rt = open_rt(dir, lim);
		check(rt, mode, "rebuilt from the log", agents, count, cargo);
		BENCH_CHECK(hs_close(rt));
		bench_rmtree(dir);
	}
	printf("# W9 %s: %lu messages, %lu producers, %lu agents, work %lu, "
	       "limit %u: sent in %.3f s, handled after %.3f s; every "
	       "acknowledged send handled once\n",
	       mode, messages, producers, agents, busy_rounds, lim, t_sent,
	       dt);
	bench_print_load("at end");
	char fig[64];
	snprintf(fig, sizeof(fig), "%s_msgs_per_s", mode);
	bench_result("W9", fig, (double)messages / dt, "msgs/s");
	snprintf(fig, sizeof(fig), "%s_overload", mode);
	bench_result("W9", fig, dt / t_sent, "x");
	snprintf(fig, sizeof(fig), "%s_peak_rss", mode);
	bench_result("W9", fig, (double)peak, "bytes");
	snprintf(fig, sizeof(fig), "%s_rss_growth", mode);
	bench_result("W9", fig,
		     peak > rss_before ? (double)(peak - rss_before) : 0.0,
		     "bytes");
	if (kind == FAILFAST) {
		snprintf(fig, sizeof(fig), "%s_refused", mode);
		bench_result("W9", fig, (double)refused, "sends");
	}
	free(p);
	free(counts);
	free(count);
	free(cargo);
	return 0;
}
