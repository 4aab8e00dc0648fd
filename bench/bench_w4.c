/*
 * bench_w4: workload W4 of BENCH.md, persisted transitions, and its peer.
 *
 * hindsight: `agents` ship agents (default 10,000) x `per` transitions
 * each (default 200: 2,000,000 transitions), sent with hs_send by
 * `threads` sender threads (default 4); thread t owns the agents
 * a = t, t + threads, ... and sends them round-robin, `per` rounds. Bodies
 * are the ship body {"port": ..., "cargo": 1..100}. Timed from the first
 * send until hs_await returns, which is when every transition is written
 * (and fsynced under SYNC). Three runs, each in a fresh log:
 *   none   durability NONE, no snapshots
 *   sync   durability SYNC, no snapshots
 *   snap   durability NONE, a snapshot every 100 transitions
 * Every agent's state is then checked against the cargo it was sent.
 *
 * raw (the peer): the same number of records, each the msgpack array that
 * hindsight stores for a transition ([version, type, id, seq, gseq, time,
 * event type, body, cause, state hash], packed with msgpack-c), keyed by
 * the 8-byte big-endian sequence number, put in a rocksdb_writebatch_t of
 * 1024 records written to the default column family with the WAL on,
 * sync off (raw_none) or on (raw_sync). One writer thread, which also
 * makes the records (the ids, seqs and bodies round-robin as above). The
 * DB has RocksDB's default options besides create_if_missing.
 *
 * usage: bench_w4 [agents [per [threads [modes]]]]
 *   defaults 10000 200 4 raw_none,none,raw_sync,sync,snap
 * result lines: RESULT W4 <mode>_tps
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <pthread.h>
#include <rocksdb/c.h>

#include "bench_raw.h"

static const char usage[] =
	"usage: bench_w4 [agents [per [threads [modes]]]]\n"
	"  modes: comma-separated of raw_none,none,raw_sync,sync,snap\n";

/* ------------------------------------------------------------------ */
/* hindsight                                                            */
/* ------------------------------------------------------------------ */

static double run_hindsight(const char *mode, unsigned long agents,
			    unsigned long per, unsigned long threads)
{
	char dir[4096];
	bench_mkdtemp(dir, sizeof(dir), "w4");
	bool sync = strcmp(mode, "sync") == 0;
	unsigned snap = strcmp(mode, "snap") == 0 ? 100 : 0;

	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.durability = sync ? HS_DURABILITY_SYNC : HS_DURABILITY_NONE;
	hs_runtime *rt;
	char err[512];
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "hs_open %s: %s\n", dir, err);
		exit(1);
	}
	hs_type t = ship_type(snap);
	BENCH_CHECK(hs_register(rt, &t));

	int64_t *expect = calloc(agents, sizeof(int64_t));
	if (expect == NULL)
		exit(1);
	double t0 = bench_now();
	bench_send_fleet(rt, agents, per, threads, 0, expect);
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;

	char id[32];
	for (unsigned long a = 0; a < agents; a++) {
		hs_buf out = HS_BUF_INIT;
		int64_t cargo = -1;
		snprintf(id, sizeof(id), "ship-%06lu", a);
		BENCH_CHECK(hs_deref(rt, "ship", id, &out));
		BENCH_CHECK(hs_get_i64(out.data, out.len, "cargo", &cargo));
		hs_buf_free(&out);
		if (cargo != expect[a]) {
			fprintf(stderr, "W4 %s: %s has cargo %" PRId64
				", sent %" PRId64 "\n", mode, id, cargo,
				expect[a]);
			exit(1);
		}
	}
	double tc = bench_now();
	BENCH_CHECK(hs_close(rt));
	printf("# W4 %s: %lu transitions in %.3f s (%lu sender threads); "
	       "hs_close (memtable flush) %.2f s\n", mode, agents * per, dt,
	       threads, bench_now() - tc);
	free(expect);
	bench_rmtree(dir);
	return dt;
}

/* ------------------------------------------------------------------ */
/* The peer: raw RocksDB, WriteBatch of 1024                            */
/* ------------------------------------------------------------------ */

static void rocks_check(char **err, const char *what)
{
	if (*err != NULL) {
		fprintf(stderr, "%s: %s\n", what, *err);
		exit(1);
	}
}

static double run_raw(bool sync, unsigned long agents, unsigned long per)
{
	char dir[4096];
	bench_mkdtemp(dir, sizeof(dir), "w4raw");
	char *err = NULL;
	rocksdb_options_t *opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(opts, 1);
	rocksdb_t *db = rocksdb_open(opts, dir, &err);
	rocks_check(&err, "rocksdb_open");
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(wo, sync);
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	uint64_t *seq = calloc(agents, sizeof(uint64_t));
	if (seq == NULL)
		exit(1);

	uint64_t rng = 0x5eed, gseq = 0;
	char id[32];
	double t0 = bench_now();
	for (unsigned long r = 0; r < per; r++) {
		for (unsigned long a = 0; a < agents; a++) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			gseq++;
			bench_raw_record(&sb, &pk, &rng, a, r, ++seq[a], gseq,
					 (int64_t)ts.tv_sec * 1000000000 +
						 ts.tv_nsec,
					 id);
			char key[8];
			for (int i = 0; i < 8; i++)
				key[i] = (char)(gseq >> (56 - 8 * i));
			rocksdb_writebatch_put(wb, key, 8, sb.data, sb.size);
			if (rocksdb_writebatch_count(wb) == 1024) {
				rocksdb_write(db, wo, wb, &err);
				rocks_check(&err, "rocksdb_write");
				rocksdb_writebatch_clear(wb);
			}
		}
	}
	if (rocksdb_writebatch_count(wb) > 0) {
		rocksdb_write(db, wo, wb, &err);
		rocks_check(&err, "rocksdb_write");
	}
	double dt = bench_now() - t0;
	printf("# W4 raw_%s: %" PRIu64 " records of %zu B (the last), "
	       "batches of 1024, %.3f s\n", sync ? "sync" : "none", gseq,
	       sb.size, dt);
	msgpack_sbuffer_destroy(&sb);
	free(seq);
	rocksdb_writebatch_destroy(wb);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_close(db);
	rocksdb_options_destroy(opts);
	bench_rmtree(dir);
	return dt;
}

int main(int argc, char **argv)
{
	unsigned long agents = argc > 1 ? bench_arg(argv[1], usage) : 10000;
	unsigned long per = argc > 2 ? bench_arg(argv[2], usage) : 200;
	unsigned long threads = argc > 3 ? bench_arg(argv[3], usage) : 4;
	const char *modes = argc > 4 ? argv[4]
				     : "raw_none,none,raw_sync,sync,snap";
	if (argc > 5 || agents > 999999) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	if (threads > agents)
		threads = agents;
	bench_print_load("at start");
	double n = (double)agents * (double)per;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", modes);
	for (char *save, *m = strtok_r(buf, ",", &save); m != NULL;
	     m = strtok_r(NULL, ",", &save)) {
		double dt;
		if (strcmp(m, "raw_none") == 0)
			dt = run_raw(false, agents, per);
		else if (strcmp(m, "raw_sync") == 0)
			dt = run_raw(true, agents, per);
		else if (strcmp(m, "none") == 0 || strcmp(m, "sync") == 0 ||
			 strcmp(m, "snap") == 0)
			dt = run_hindsight(m, agents, per, threads);
		else {
			fprintf(stderr, "%s", usage);
			return 2;
		}
		char fig[64];
		snprintf(fig, sizeof(fig), "%s_tps", m);
		bench_result("W4", fig, n / dt, "transitions/s");
	}
	bench_print_load("at end");
	return 0;
}
