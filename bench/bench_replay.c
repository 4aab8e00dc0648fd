/*
 * bench_replay: workload W5 of BENCH.md, on a log of W4's shape.
 *
 * Writes `agents` ship agents x `per_agent` transitions each (default
 * 10,000 x 200 = 2,000,000 records), sent round-robin from the main
 * thread, durability NONE, no snapshots; closes the writer. Then, on that
 * log, in this order:
 *
 *  (b) raw: the peer. The log opened read-only with the RocksDB C API
 *      (column families default, events, agents, snapshots, meta), one
 *      forward iterator over "events", msgpack_unpack_next of every value.
 *  (a) hindsight: a read-only runtime; hs_history over the whole log with
 *      a callback that applies each event to its agent's state in a hash
 *      map held here (ship_step, the same code as the type's apply):
 *      every agent's state rebuilt through apply. Before it, on the same
 *      runtime, one hs_history pass whose callback only counts, to show
 *      what the scan costs without the apply (a comment line).
 *  (a') hs_verify over the whole log, when the library has it (weak
 *      reference): replays every record through the registered apply and
 *      checks each state hash.
 *
 * Rates are records/s over the scan alone (opening is timed apart). The
 * rebuilt states are checked against the cargo totals known from the
 * sends.
 *
 * usage: bench_replay [agents [per_agent [seed]]]   (defaults 10000 200 1)
 */
#define _GNU_SOURCE

#include "bench_util.h"

#include <msgpack.h>
#include <rocksdb/c.h>
#include <sys/stat.h>

/* hs_verify may be missing from the library this is linked with: a weak
 * reference is NULL then, and that part is reported as n/a. */
#pragma weak hs_verify

#define SEND_CHUNK 100000 /* sends between two hs_await calls */

static const char usage[] =
	"usage: bench_replay [agents [per_agent [seed]]]\n"
	"  defaults: 10000 agents x 200 transitions, seed 1\n";

/* ------------------------------------------------------------------ */
/* Agents' states, by id                                                */
/* ------------------------------------------------------------------ */

#define ID_CAP 16 /* "ship-%06u" for up to 10^9 agents fits */

typedef struct slot {
	char id[ID_CAP];
	size_t id_len; /* 0 = free */
	ship state;
} slot;

typedef struct ship_map {
	slot *slots;
	size_t mask;
	size_t count;
} ship_map;

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void map_init(ship_map *m, size_t agents)
{
	size_t cap = 16;
	while (cap < 2 * agents)
		cap *= 2;
	m->slots = calloc(cap, sizeof(slot));
	if (m->slots == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	m->mask = cap - 1;
	m->count = 0;
}

/* The state of agent `id`, created zeroed on first sight; NULL when the
 * id does not fit or the map is full (neither happens with ship ids). */
static ship *map_get(ship_map *m, const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n >= ID_CAP)
		return NULL;
	for (size_t i = fnv1a(id, n) & m->mask, k = 0; k <= m->mask;
	     i = (i + 1) & m->mask, k++) {
		slot *s = &m->slots[i];
		if (s->id_len == n && memcmp(s->id, id, n) == 0)
			return &s->state;
		if (s->id_len == 0) {
			if (2 * (m->count + 1) > m->mask + 1)
				return NULL;
			memcpy(s->id, id, n);
			s->id_len = n;
			m->count++;
			return &s->state;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Writing the log                                                      */
/* ------------------------------------------------------------------ */

static void ship_id(char *out, size_t cap, unsigned long a)
{
	snprintf(out, cap, "ship-%06lu", a);
}

static double write_log(const char *dir, unsigned long agents,
			unsigned long per, int64_t *expect, uint64_t *rng)
{
	hs_runtime *rt = bench_open(dir, false, 0);
	char id[ID_CAP];
	uint64_t sent = 0;
	double t0 = bench_now();
	for (unsigned long r = 0; r < per; r++) {
		for (unsigned long a = 0; a < agents; a++) {
			const char *port =
				bench_ports[bench_rand(rng) % BENCH_NPORTS];
			int64_t c = (int64_t)bench_uniform(rng, 1, 100);
			ship_id(id, sizeof(id), a);
			BENCH_CHECK(hs_sendf(rt, "ship", id,
					     (r & 1) ? "arrive" : "depart",
					     "port:s cargo:I", port, c));
			expect[a] += c;
			if (++sent % SEND_CHUNK == 0)
				BENCH_CHECK(hs_await(rt, -1));
		}
	}
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;
	BENCH_CHECK(hs_close(rt));
	return dt;
}

static off_t du_total;

static int du_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F)
		du_total += sb->st_size;
	return 0;
}

/* ------------------------------------------------------------------ */
/* (b) The peer: RocksDB forward scan + msgpack_unpack_next             */
/* ------------------------------------------------------------------ */

static void rocks_check(char **err, const char *what)
{
	if (*err != NULL) {
		fprintf(stderr, "%s: %s\n", what, *err);
		exit(1);
	}
}

static double raw_scan(const char *dir, uint64_t *records, double *open_s)
{
	static const char *const cf_names[] = {
		"default", "events", "agents", "snapshots", "meta",
	};
	enum {
		NCF = sizeof(cf_names) / sizeof(cf_names[0])
	};
	rocksdb_options_t *cf_opts[NCF];
	rocksdb_column_family_handle_t *cf[NCF];
	char *err = NULL;

	double t0 = bench_now();
	rocksdb_options_t *opts = rocksdb_options_create();
	for (int i = 0; i < NCF; i++)
		cf_opts[i] = rocksdb_options_create();
	rocksdb_t *db = rocksdb_open_for_read_only_column_families(
		opts, dir, NCF, cf_names,
		(const rocksdb_options_t *const *)cf_opts, cf, 0, &err);
	rocks_check(&err, "rocksdb_open_for_read_only_column_families");
	*open_s = bench_now() - t0;

	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	msgpack_unpacked mp;
	msgpack_unpacked_init(&mp);
	uint64_t n = 0, check = 0;

	t0 = bench_now();
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(db, ro, cf[1]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t len, off = 0;
		const char *v = rocksdb_iter_value(it, &len);
		if (msgpack_unpack_next(&mp, v, len, &off) !=
			    MSGPACK_UNPACK_SUCCESS ||
		    mp.data.type != MSGPACK_OBJECT_ARRAY) {
			fprintf(stderr,
				"raw scan: record %" PRIu64
				" does not decode\n",
				n + 1);
			exit(1);
		}
		check += mp.data.via.array.size;
		n++;
	}
	rocksdb_iter_get_error(it, &err);
	rocks_check(&err, "events scan");
	rocksdb_iter_destroy(it);
	double dt = bench_now() - t0;

	if (check != 10 * n) {
		fprintf(stderr, "raw scan: records are not arrays of 10\n");
		exit(1);
	}
	msgpack_unpacked_destroy(&mp);
	rocksdb_readoptions_destroy(ro);
	for (int i = 0; i < NCF; i++) {
		rocksdb_column_family_handle_destroy(cf[i]);
		rocksdb_options_destroy(cf_opts[i]);
	}
	rocksdb_close(db);
	rocksdb_options_destroy(opts);
	*records = n;
	return dt;
}

/* ------------------------------------------------------------------ */
/* (a) hindsight: hs_history + apply into the map                       */
/* ------------------------------------------------------------------ */

typedef struct fold {
	ship_map map;
	uint64_t records;
} fold;

static int on_record(void *udata, const hs_record *rec)
{
	fold *f = udata;
	ship *s = map_get(&f->map, rec->agent.id);
	if (s == NULL)
		return HS_ENOMEM;
	int rc = ship_step(s, rec->body, rec->body_len);
	f->records++;
	return rc == HS_CHANGED ? 0 : (rc < 0 ? rc : HS_EHANDLER);
}

static int count_record(void *udata, const hs_record *rec)
{
	(void)rec;
	++*(uint64_t *)udata;
	return 0;
}

static double hindsight_history(const char *dir, unsigned long agents,
				const int64_t *expect, uint64_t *records,
				double *open_s, double *scan_s,
				uint64_t *scanned)
{
	double t0 = bench_now();
	hs_runtime *rt = bench_open(dir, true, 0);
	*open_s = bench_now() - t0;

	/* The scan alone: the callback only counts. */
	hs_filter all = {0};
	*scanned = 0;
	t0 = bench_now();
	BENCH_CHECK(hs_history(rt, &all, count_record, scanned));
	*scan_s = bench_now() - t0;

	fold f = {.records = 0};
	map_init(&f.map, agents);
	t0 = bench_now();
	BENCH_CHECK(hs_history(rt, &all, on_record, &f));
	double dt = bench_now() - t0;
	BENCH_CHECK(hs_close(rt));

	char id[ID_CAP];
	for (unsigned long a = 0; a < agents; a++) {
		ship_id(id, sizeof(id), a);
		ship *s = map_get(&f.map, id);
		if (s == NULL || s->cargo != expect[a]) {
			fprintf(stderr,
				"replay: %s rebuilt with cargo %" PRId64
				", sent %" PRId64 "\n",
				id, s ? s->cargo : -1, expect[a]);
			exit(1);
		}
	}
	if (f.map.count != agents) {
		fprintf(stderr, "replay: %zu agents rebuilt, %lu written\n",
			f.map.count, agents);
		exit(1);
	}
	free(f.map.slots);
	*records = f.records;
	return dt;
}

/* (a') hs_verify over the whole log; < 0 when the library lacks it. */
static double hindsight_verify(const char *dir, uint64_t *records)
{
	if (hs_verify == NULL)
		return -1;
	hs_runtime *rt = bench_open(dir, true, 0);
	hs_verify_report rep = {0};
	double t0 = bench_now();
	BENCH_CHECK(hs_verify(rt, NULL, NULL, NULL, &rep));
	double dt = bench_now() - t0;
	BENCH_CHECK(hs_close(rt));
	if (rep.divergences != 0) {
		fprintf(stderr, "hs_verify: %" PRIu64 " agents diverge\n",
			rep.divergences);
		exit(1);
	}
	*records = rep.records;
	return dt;
}

int main(int argc, char **argv)
{
	unsigned long agents = argc > 1 ? bench_arg(argv[1], usage) : 10000;
	unsigned long per = argc > 2 ? bench_arg(argv[2], usage) : 200;
	uint64_t seed = argc > 3 ? bench_arg(argv[3], usage) : 1;
	if (argc > 4 || agents > 999999) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	uint64_t total = (uint64_t)agents * per;
	bench_print_load("at start");

	char dir[4096];
	bench_mkdtemp(dir, sizeof(dir), "replay");
	int64_t *expect = calloc(agents, sizeof(int64_t));
	if (expect == NULL) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	uint64_t rng = seed;
	double wt = write_log(dir, agents, per, expect, &rng);
	du_total = 0;
	nftw(dir, du_one, 16, FTW_PHYS);
	printf("# bench_replay (W5): %lu agents x %lu transitions = %" PRIu64
	       " records, durability NONE, no snapshots; written in %.2f s "
	       "(%.0f/s, one sender thread, round-robin), %.1f MB on disk "
	       "(%.0f B/record)\n",
	       agents, per, total, wt, (double)total / wt,
	       (double)du_total / 1e6, (double)du_total / (double)total);
	fflush(stdout);

	uint64_t n_raw, n_hist, n_scan, n_ver = 0;
	double open_raw, open_hs, t_scan;
	double t_raw = raw_scan(dir, &n_raw, &open_raw);
	double t_hist = hindsight_history(dir, agents, expect, &n_hist,
					  &open_hs, &t_scan, &n_scan);
	double t_ver = hindsight_verify(dir, &n_ver);
	if (n_raw != total || n_hist != total || n_scan != total ||
	    (t_ver >= 0 && n_ver != total)) {
		fprintf(stderr,
			"records: raw %" PRIu64 ", history %" PRIu64
			"/%" PRIu64 ", verify %" PRIu64 ", written %" PRIu64
			"\n",
			n_raw, n_scan, n_hist, n_ver, total);
		return 1;
	}
	double r_raw = (double)n_raw / t_raw;
	double r_hist = (double)n_hist / t_hist;
	printf("# raw: open %.1f ms, scan %.2f s; hindsight: open %.1f ms, "
	       "hs_history alone %.2f s (%.0f records/s), hs_history+apply "
	       "%.2f s",
	       open_raw * 1e3, t_raw, open_hs * 1e3, t_scan,
	       (double)total / t_scan, t_hist);
	if (t_ver >= 0)
		printf(", hs_verify %.2f s", t_ver);
	printf("\n");

	bench_print_load("at end");
	printf("bench_replay records=%" PRIu64 " agents=%lu "
	       "hindsight_history_rps=%.0f raw_scan_rps=%.0f ratio=%.2f",
	       total, agents, r_hist, r_raw, r_hist / r_raw);
	if (t_ver >= 0) {
		double r_ver = (double)n_ver / t_ver;
		printf(" hs_verify_rps=%.0f verify_ratio=%.2f", r_ver,
		       r_ver / r_raw);
	} else {
		printf(" hs_verify_rps=n/a");
	}
	printf("\n");

	free(expect);
	bench_rmtree(dir);
	return 0;
}
