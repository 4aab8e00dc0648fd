/*
 * bench_layouts: what a log layout costs to write, measured with RocksDB
 * alone (no runtime), to choose the layout of the per-agent index (issue
 * "Hot paths", W4). Every mode writes W4's records (BENCH.md: `agents`
 * ship agents, round-robin, `per` transitions each, the record packed
 * with msgpack-c in hindsight's shape) keyed by gseq into an events
 * column family, batches of 1,024 records, WAL on, no sync, RocksDB's
 * default options, and differs only in how the per-agent index is kept:
 *
 *   events   no index: the bound (W4's raw peer, in column families)
 *   per_seq  one entry per transition, keyed type \0 id \0 seq: formats
 *            1-3 (a random-order insert into a large memtable each)
 *   per_seq_sorted  the same entries, put 65,536 at a time in key order
 *            (an index written behind the events in sorted runs)
 *   per_gseq one entry per transition keyed by gseq: what a second put
 *            costs when its keys arrive in order
 *   block    one entry per agent every 32 transitions (its 32 gseqs and
 *            times, 512 bytes), keyed type \0 id \0 seq: 1 + 1/32 puts
 *            per transition
 *
 * usage: bench_layouts [agents [per [modes]]]
 *        defaults:      10000   200  events,per_seq,per_seq_sorted,per_gseq,block
 * Output: RESULT LAYOUT <mode>_tps <records/s> records/s
 */
#define _GNU_SOURCE

#include "bench_util.h"

#include <rocksdb/c.h>

#include "bench_raw.h"

#define BATCH 1024
#define SORTED_RUN 65536
#define BLOCK_EVERY 32

static const char usage[] =
	"usage: bench_layouts [agents [per [modes]]]\n"
	"  modes: comma-separated of events,per_seq,per_seq_sorted,"
	"per_gseq,block\n";

enum mode { EVENTS, PER_SEQ, PER_SEQ_SORTED, PER_GSEQ, BLOCK };
static const char *const mode_names[] = {"events", "per_seq",
					 "per_seq_sorted", "per_gseq", "block"};
#define NMODES (sizeof(mode_names) / sizeof(mode_names[0]))

typedef struct entry {
	uint8_t key[32];
	size_t len;
	uint8_t val[16];
} entry;

typedef struct writer {
	rocksdb_t *db;
	rocksdb_column_family_handle_t *cf[3]; /* default, events, index */
	rocksdb_writeoptions_t *wo;
	rocksdb_writebatch_t *wb;
	entry *run; /* per_seq_sorted: entries not yet put */
	size_t nrun;
} writer;

static void check(char *err, const char *what)
{
	if (err != NULL) {
		fprintf(stderr, "bench_layouts: %s: %s\n", what, err);
		exit(1);
	}
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put(writer *w, int cf, const void *k, size_t kn, const void *v,
		size_t vn)
{
	char *err = NULL;
	rocksdb_writebatch_put_cf(w->wb, w->cf[cf], k, kn, v, vn);
	if (rocksdb_writebatch_count(w->wb) >= BATCH) {
		rocksdb_write(w->db, w->wo, w->wb, &err);
		check(err, "rocksdb_write");
		rocksdb_writebatch_clear(w->wb);
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void flush_run(writer *w)
{
	qsort(w->run, w->nrun, sizeof(entry), entry_cmp);
	for (size_t i = 0; i < w->nrun; i++)
		put(w, 2, w->run[i].key, w->run[i].len, w->run[i].val, 16);
	w->nrun = 0;
}

/* type \0 id \0 seq */
static size_t agent_key(uint8_t *k, const char *id, size_t idl, uint64_t seq)
{
	memcpy(k, "ship", 5);
	memcpy(k + 5, id, idl + 1);
	be64(k + 6 + idl, seq);
	return 14 + idl;
}

static double run_mode(enum mode m, unsigned long agents, unsigned long per)
{
	char dir[4096], *err = NULL;
	bench_mkdtemp(dir, sizeof(dir), "layouts");
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	const char *names[3] = {"default", "events", "index"};
	const rocksdb_options_t *co[3] = {o, o, o};
	writer w = {0};
	w.db = rocksdb_open_column_families(o, dir, 3, names, co, w.cf, &err);
	check(err, "rocksdb_open");
	w.wo = rocksdb_writeoptions_create();
	w.wb = rocksdb_writebatch_create();
	if (m == PER_SEQ_SORTED &&
	    (w.run = malloc(SORTED_RUN * sizeof(entry))) == NULL)
		exit(1);
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	uint64_t *seq = calloc(agents, sizeof(uint64_t));
	if (seq == NULL)
		exit(1);
	uint8_t block[BLOCK_EVERY * 16];
	memset(block, 0x5a, sizeof(block));

	uint64_t rng = 0x5eed, gseq = 0;
	char id[32];
	uint8_t k[64], v[16];
	double t0 = bench_now();
	for (unsigned long r = 0; r < per; r++) {
		for (unsigned long a = 0; a < agents; a++) {
			int64_t t = (int64_t)gseq * 1000;
			uint64_t s = ++seq[a];
			gseq++;
			size_t idl = bench_raw_record(&sb, &pk, &rng, a, r, s,
						      gseq, t, id);
			be64(k, gseq);
			put(&w, 1, k, 8, sb.data, sb.size);
			be64(v, gseq);
			be64(v + 8, (uint64_t)t);
			switch (m) {
			case EVENTS:
				break;
			case PER_SEQ:
				put(&w, 2, k, agent_key(k, id, idl, s),
				    v, 16);
				break;
			case PER_SEQ_SORTED: {
				entry *e = &w.run[w.nrun++];
				e->len = agent_key(e->key, id, idl, s);
				memcpy(e->val, v, 16);
				if (w.nrun == SORTED_RUN)
					flush_run(&w);
				break;
			}
			case PER_GSEQ:
				put(&w, 2, k, 8, v, 16);
				break;
			case BLOCK:
				if (s % BLOCK_EVERY == 0)
					put(&w, 2, k,
					    agent_key(k, id, idl, s),
					    block, sizeof(block));
				break;
			}
		}
	}
	if (w.nrun != 0)
		flush_run(&w);
	if (rocksdb_writebatch_count(w.wb) > 0) {
		rocksdb_write(w.db, w.wo, w.wb, &err);
		check(err, "rocksdb_write");
	}
	double dt = bench_now() - t0;
	msgpack_sbuffer_destroy(&sb);
	free(seq);
	free(w.run);
	rocksdb_writebatch_destroy(w.wb);
	rocksdb_writeoptions_destroy(w.wo);
	for (int i = 0; i < 3; i++)
		rocksdb_column_family_handle_destroy(w.cf[i]);
	rocksdb_close(w.db);
	rocksdb_options_destroy(o);
	bench_rmtree(dir);
	return dt;
}

int main(int argc, char **argv)
{
	unsigned long agents = argc > 1 ? bench_arg(argv[1], usage) : 10000;
	unsigned long per = argc > 2 ? bench_arg(argv[2], usage) : 200;
	char modes[256];
	snprintf(modes, sizeof(modes), "%s",
		 argc > 3 ? argv[3]
			  : "events,per_seq,per_seq_sorted,per_gseq,block");
	printf("# bench_layouts: %lu agents x %lu transitions, RocksDB "
	       "alone, batches of %d records\n",
	       agents, per, BATCH);
	bench_print_load("at start");
	for (char *save, *m = strtok_r(modes, ",", &save); m != NULL;
	     m = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < NMODES && strcmp(m, mode_names[i]) != 0)
			i++;
		if (i == NMODES) {
			fprintf(stderr, "%s", usage);
			return 2;
		}
		double dt = run_mode((enum mode)i, agents, per);
		printf("RESULT LAYOUT %s_tps %.0f records/s\n", m,
		       (double)(agents * per) / dt);
		fflush(stdout);
	}
	bench_print_load("at end");
	return 0;
}
