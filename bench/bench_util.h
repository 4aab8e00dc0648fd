/*
 * Helpers shared by the bench_*.c programs: the "ship" agent type of the
 * workloads in BENCH.md, a monotonic clock, a seeded generator and
 * temporary log directories. Header-only so that every benchmark stays one
 * standalone program built from one .c file; uses only include/hindsight.h.
 */
#ifndef HS_BENCH_BENCH_UTIL_H
#define HS_BENCH_BENCH_UTIL_H

#include <hindsight.h>

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Clock, generator, exits                                              */
/* ------------------------------------------------------------------ */

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: seeded, so that a run's queries can be repeated. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static inline uint64_t bench_uniform(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + bench_rand(s) % (hi - lo + 1);
}

/* A comment line with the load average: figures taken while other
 * programs compete for the cores are not comparable. */
static inline void bench_print_load(const char *when)
{
	double la[3];
	if (getloadavg(la, 3) == 3)
		printf("# load average %s: %.2f %.2f %.2f (%ld cores online)\n",
		       when, la[0], la[1], la[2],
		       sysconf(_SC_NPROCESSORS_ONLN));
}

#define BENCH_CHECK(call)                                                     \
	do {                                                                  \
		int bench_rc_ = (call);                                       \
		if (bench_rc_ != 0) {                                         \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__,          \
				__LINE__, #call, hs_strerror(bench_rc_));     \
			exit(1);                                              \
		}                                                             \
	} while (0)

/* Parses a positive integer argument or exits with the usage. */
static inline unsigned long bench_arg(const char *s, const char *usage)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0) {
		fprintf(stderr, "%s", usage);
		exit(2);
	}
	return v;
}

/* ------------------------------------------------------------------ */
/* Temporary log directories                                            */
/* ------------------------------------------------------------------ */

/* A fresh directory under $TMPDIR (or /tmp); exits on failure. */
static inline void bench_mkdtemp(char *out, size_t cap, const char *what)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	snprintf(out, cap, "%s/hs-%s-XXXXXX", tmp, what);
	if (mkdtemp(out) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", out, strerror(errno));
		exit(1);
	}
}

static inline int bench_rm_one(const char *path, const struct stat *sb,
			       int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void bench_rmtree(const char *dir)
{
	nftw(dir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------------ */
/* The "ship" agent type                                                */
/* ------------------------------------------------------------------ */

/* State of a ship: where it is and the cargo it has carried. */
typedef struct ship {
	char port[24];
	int64_t cargo;
} ship;

static const char *const bench_ports[] = {
	"Malmo",    "Gdansk", "Riga",   "Tallinn",
	"Helsinki", "Kiel",   "Aarhus", "Visby",
};
#define BENCH_NPORTS (sizeof(bench_ports) / sizeof(bench_ports[0]))

/* The transition of a ship on a depart/arrive event with body
 * {"port": ..., "cargo": ...}: adds the cargo, sets the port. Shared by
 * apply() and by the replay benchmark's own fold over hs_history, so that
 * both do the same work per event. */
static inline int ship_step(ship *s, const void *body, size_t len)
{
	int64_t cargo;
	char port[sizeof(s->port)];
	int rc = hs_get_i64(body, len, "cargo", &cargo);
	if (rc == 0)
		rc = hs_get_strcpy(body, len, "port", port, sizeof(port));
	if (rc != 0)
		return rc;
	s->cargo += cargo;
	memcpy(s->port, port, sizeof(port));
	return HS_CHANGED;
}

static inline int ship_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	size_t len;
	const void *body = hs_event_body(ev, &len);
	(void)ctx;
	if (body == NULL)
		return HS_UNCHANGED;
	return ship_step(state, body, len);
}

static inline int ship_encode(const void *state, hs_buf *out, void *udata)
{
	const ship *s = state;
	(void)udata;
	return hs_packf(out, "port:s cargo:I", s->port, s->cargo);
}

static inline int ship_decode(void *state, const void *data, size_t len,
			      void *udata)
{
	ship *s = state;
	(void)udata;
	int rc = hs_get_i64(data, len, "cargo", &s->cargo);
	if (rc == 0)
		rc = hs_get_strcpy(data, len, "port", s->port,
				   sizeof(s->port));
	return rc == 0 ? 0 : HS_EBADMSG;
}

static inline hs_type ship_type(unsigned snapshot_every)
{
	hs_type t = {
		.name = "ship",
		.state_size = sizeof(ship),
		.apply = ship_apply,
		.encode = ship_encode,
		.decode = ship_decode,
		.snapshot_every = snapshot_every,
	};
	return t;
}

/* Sends ship `id` its k-th event: depart and arrive by turns, a port from
 * the list and a cargo of 1..100, as in the ships demo. */
static inline int ship_send(hs_runtime *rt, const char *id, uint64_t k,
			    uint64_t *rng)
{
	return hs_sendf(rt, "ship", id, (k & 1) ? "arrive" : "depart",
			"port:s cargo:I",
			bench_ports[bench_rand(rng) % BENCH_NPORTS],
			(int64_t)bench_uniform(rng, 1, 100));
}

/* Opens a persisted runtime on dir with the ship type registered. */
static inline hs_runtime *bench_open(const char *dir, bool read_only,
				     unsigned snapshot_every)
{
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.durability = HS_DURABILITY_NONE;
	o.read_only = read_only;
	hs_runtime *rt;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hs_open %s: %s: %s\n", dir, hs_strerror(rc),
			err);
		exit(1);
	}
	hs_type t = ship_type(snapshot_every);
	BENCH_CHECK(hs_register(rt, &t));
	return rt;
}

/* ------------------------------------------------------------------ */
/* Memory and result lines                                              */
/* ------------------------------------------------------------------ */

/* Resident set size now, in bytes (from /proc/self/statm); 0 if unknown. */
static inline size_t bench_rss_now(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* Peak resident set size of the process so far, in bytes (VmHWM). */
static inline size_t bench_rss_peak(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;
	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return (size_t)kb * 1024;
}

/* One result line: `RESULT <workload> <figure> <value> <unit>`. bench/run
 * reads these lines and nothing else. */
static inline void bench_result(const char *workload, const char *figure,
				double value, const char *unit)
{
	printf("RESULT %s %s %.6g %s\n", workload, figure, value, unit);
	fflush(stdout);
}

/* The ship body of BENCH.md, {"port": "Malmo", "cargo": <cargo>}, encoded
 * by hand (fixmap, fixstr, int64): 26 bytes in out, returns the length. */
static inline size_t bench_ship_body(uint8_t *out, const char *port,
				     int64_t cargo)
{
	size_t n = 0, pl = strlen(port);
	out[n++] = 0x82;
	out[n++] = 0xa4;
	memcpy(out + n, "port", 4);
	n += 4;
	out[n++] = (uint8_t)(0xa0 | pl);
	memcpy(out + n, port, pl);
	n += pl;
	out[n++] = 0xa5;
	memcpy(out + n, "cargo", 5);
	n += 5;
	out[n++] = 0xd3;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)((uint64_t)cargo >> (8 * i));
	return n;
}

/* W4's and W7's senders: `threads` threads, thread t owning ships t,
 * t + threads, ...; `per` rounds, each sending every owned ship one
 * depart or arrive with a random port and cargo 1..100, added to
 * expect[ship]. With await_every > 0, thread 0 waits for the runtime to
 * drain every that many rounds (keeps queues short). */
typedef struct bench_sender {
	pthread_t th;
	hs_runtime *rt;
	unsigned long t, threads, agents, per, await_every;
	int64_t *expect; /* shared, but each thread writes only its ships */
	int rc;
} bench_sender;

static void *bench_send_main(void *arg)
{
	bench_sender *s = arg;
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
		if (s->await_every && s->t == 0 &&
		    r % s->await_every == s->await_every - 1)
			hs_await(s->rt, -1);
	}
	return NULL;
}

/* Runs the senders to the end; exits on any failure. */
static inline void bench_send_fleet(hs_runtime *rt, unsigned long agents,
				    unsigned long per, unsigned long threads,
				    unsigned long await_every, int64_t *expect)
{
	bench_sender *s = calloc(threads, sizeof(*s));
	if (s == NULL)
		exit(1);
	for (unsigned long i = 0; i < threads; i++) {
		s[i] = (bench_sender){.rt = rt, .t = i, .threads = threads,
				      .agents = agents, .per = per,
				      .await_every = await_every,
				      .expect = expect};
		if (pthread_create(&s[i].th, NULL, bench_send_main, &s[i]) != 0)
			exit(1);
	}
	for (unsigned long i = 0; i < threads; i++) {
		pthread_join(s[i].th, NULL);
		BENCH_CHECK(s[i].rc);
	}
	free(s);
}

#endif /* HS_BENCH_BENCH_UTIL_H */
