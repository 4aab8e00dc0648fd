/*
 * Makes the logs the CLI tests run `hindsight` against.
 *
 *   make_log create DB            the standard log (below)
 *   make_log append DB N MS       opens DB for writing, prints "ready",
 *                                 then adds N transitions of counter/tail,
 *                                 one every MS ms, printing "done" at the
 *                                 end (for tail -f and reading a log that
 *                                 a program holds)
 *   make_log many DB N            N transitions over 50 counters
 *   make_log future DB            the standard log, then meta format
 *                                 HSI_LOG_FORMAT_CUT + 1
 *   make_log corrupt DB WHAT      breaks a standard log: WHAT is record,
 *                                 gap, index, cause, snapshot, seq,
 *                                 times (bad time samples),
 *                                 timers (one good pending timer, one
 *                                 that does not decode, one whose setter
 *                                 is not at its gseq), timer (only
 *                                 the good one: no corruption), or base
 *                                 (counter/a's base snapshot, in a log
 *                                 cut before gseq 9)
 *   make_log matrix DB            the log of tests/cli/matrix.sh (there)
 *   make_log open DB ro|rw        hs_open of DB, read-only or writable,
 *                                 then hs_close: exit 0, or 2 with the
 *                                 error on stderr
 *   make_log kill DB N none|sync  writes N transitions of counter/k under
 *                                 that durability, each waited for,
 *                                 prints "written" and waits to be
 *                                 killed: the log's tail is then in the
 *                                 write-ahead log only
 *   make_log rocksdb DB           a plain RocksDB database of another
 *                                 program (column families default and
 *                                 "users", a few keys), closed
 *
 * The standard log is deterministic: one worker, every send waited for,
 * and a clock that starts at 2026-11-22T10:00:00Z and advances one second
 * per handled message. Its records (gseq: agent #seq event):
 *
 *    1 counter/a #1 add {by:1}             10 ship/Gloria #3 depart Oslo
 *    2 counter/a #2 add {by:2,notify:log}  11 counter/b #2 reset
 *    3 audit/log #1 saw (caused by 2)      12 counter/a #5 add {by:3}
 *    4 counter/b #1 add {by:5}             13 counter/a #6 add {by:10}
 *    5 ship/Gloria #1 depart Malmo         14 ship/Gloria #4 move
 *    6 ship/Gloria #2 move                 15 counter/c #1 add {by:1}
 *    7 counter/a #3 label {label:first}
 *    8 counter/a #4 add {by:7,notify:log}
 *    9 audit/log #2 saw (caused by 8)
 *
 * (counter/a noop after gseq 7 changes nothing; the clock is moved on by
 * one tick there all the same.)
 * Snapshots: counter/a at 3 and 6, ship/Gloria at 2 and 4.
 */
#include <hindsight.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "codec/record.h"
#include "log/log_int.h"
#include "types.h"

#define BASE_NS INT64_C(1795341600000000000) /* 2026-11-22T10:00:00Z */

static atomic_llong ticks;

static int64_t test_clock(void *udata)
{
	(void)udata;
	return BASE_NS + (int64_t)atomic_fetch_add(&ticks, 1) * 1000000000;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "make_log: %s: %s\n", what, hs_strerror(rc));
	exit(1);
}

static hs_runtime *open_rt(const char *path, bool fixed_clock)
{
	hs_options o;
	hs_runtime *rt;
	char err[512];
	int rc;

	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	if (fixed_clock)
		o.clock = test_clock;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "make_log: %s\n", err);
		exit(1);
	}
	if ((rc = cli_test_register(rt)) != 0)
		die("register", rc);
	return rt;
}

/* Sends one event built by hs_packf and waits until it and whatever it
 * caused are in the log. */
static void send(hs_runtime *rt, const char *type, const char *id,
		 const char *event, const char *fmt, ...)
{
	hs_buf body = HS_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hs_vpackf(&body, fmt, ap);
	va_end(ap);
	if (rc != 0)
		die("pack", rc);
	rc = hs_send_wait(rt, type, id, event, body.data, body.len, NULL);
	if (rc != 0)
		die(event, rc);
	if ((rc = hs_await(rt, 10000)) != 0)
		die("await", rc);
	hs_buf_free(&body);
}

static void standard(const char *path)
{
	hs_runtime *rt = open_rt(path, true);

	send(rt, "counter", "a", "add", "by:i", 1);
	send(rt, "counter", "a", "add", "by:i notify:s", 2, "log");
	send(rt, "counter", "b", "add", "by:i", 5);
	send(rt, "ship", "Gloria", "depart", "port:s", "Malmo");
	send(rt, "ship", "Gloria", "move", "lat:d lon:d", 55.6, 13.0);
	send(rt, "counter", "a", "label", "label:s", "first");
	send(rt, "counter", "a", "noop", "");
	/* A transition that changes nothing reads no time; keep the
	 * second-long gap the expected times were written with. */
	atomic_fetch_add(&ticks, 1);
	send(rt, "counter", "a", "add", "by:i notify:s", 7, "log");
	send(rt, "ship", "Gloria", "depart", "port:s", "Oslo");
	send(rt, "counter", "b", "reset", "");
	send(rt, "counter", "a", "add", "by:i", 3);
	send(rt, "counter", "a", "add", "by:i", 10);
	send(rt, "ship", "Gloria", "move", "lat:d lon:d", 59.9, 10.75);
	send(rt, "counter", "c", "add", "by:i", 1);
	int rc = hs_close(rt);
	if (rc != 0)
		die("close", rc);
}

static void append(const char *path, long n, long ms)
{
	hs_runtime *rt = open_rt(path, false);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	printf("ready\n");
	fflush(stdout);
	for (long i = 0; i < n; i++) {
		send(rt, "counter", "tail", "add", "by:i", 1);
		nanosleep(&ts, NULL);
	}
	int rc = hs_close(rt);
	if (rc != 0)
		die("close", rc);
	printf("done\n");
	fflush(stdout);
}

static void many(const char *path, long n)
{
	hs_runtime *rt = open_rt(path, true);
	char id[16];
	int rc;

	for (long i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "m%ld", i % 50);
		if ((rc = hs_sendf(rt, "counter", id, "add", "by:i", 1)) != 0)
			die("send", rc);
	}
	if ((rc = hs_await(rt, 600000)) != 0)
		die("await", rc);
	if ((rc = hs_close(rt)) != 0)
		die("close", rc);
}

/* ------------------------------------------------------------------ */
/* Raw changes through the log's internals                              */
/* ------------------------------------------------------------------ */

static hsi_log *open_raw(const char *path)
{
	hsi_log *log;
	char err[512];
	int rc = hsi_log_open(path, 0, &log, err, sizeof(err));

	if (rc != 0) {
		fprintf(stderr, "make_log: %s\n", err);
		exit(1);
	}
	return log;
}

static void write_batch(hsi_log *log, hsi_log_batch *b)
{
	int rc = hsi_log_write(log, b, true);

	if (rc != 0)
		die("write", rc);
}

/* Record gseq, decoded into *r (pointing into buf). */
static void get_record(hsi_log *log, uint64_t gseq, hs_buf *buf,
		       hsi_record *r)
{
	int rc;

	hs_buf_reset(buf);
	rc = hsi_log_get_event(log, gseq, buf);

	if (rc == 0)
		rc = hsi_record_decode(buf->data, buf->len, r);
	if (rc != 0)
		die("get record", rc);
}

static void put_record(hsi_log *log, hsi_log_batch *b, const hsi_record *r)
{
	hs_buf out = HS_BUF_INIT;
	int rc = hsi_record_encode(r, &out, NULL);

	if (rc != 0)
		die("encode", rc);
	hsi_log_batch_put_event(log, b, r->gseq, out.data, out.len);
	hs_buf_free(&out);
}

static void future(const char *path)
{
	standard(path);
	hsi_log *log = open_raw(path);
	hsi_log_batch *b = hsi_log_batch_new();

	char next[16];
	snprintf(next, sizeof next, "%d", HSI_LOG_FORMAT_CUT + 1);
	hsi_log_batch_put_meta(log, b, "format", next, strlen(next));
	write_batch(log, b);
	hsi_log_batch_free(b);
	hsi_log_close(log);
}

/* One good pending timer (counter/a #4 set it to fire at counter/b);
 * with bad, also one whose setter is not at its gseq and one that does
 * not decode. */
static void put_timers(hsi_log *log, hsi_log_batch *b, bool bad)
{
	hsi_timer_value v = {
		.due_ns = BASE_NS + INT64_C(60000000000),
		.type = "counter", .type_len = 7,
		.id = "b", .id_len = 1,
		.event = "add", .event_len = 3,
		.set_seq = 2, .set_gseq = 8, /* counter/a #4 */
	};
	hs_buf val = HS_BUF_INIT;
	hsi_timer_value_encode(&v, &val);
	if (bad)
		hsi_log_batch_put_timer(log, b, "counter\0a\0late", 14,
					val.data, val.len);
	v.set_seq = 4;
	hs_buf_reset(&val);
	hsi_timer_value_encode(&v, &val);
	hsi_log_batch_put_timer(log, b, "counter\0a\0ok", 12, val.data,
				val.len);
	if (bad)
		hsi_log_batch_put_timer(log, b, "counter\0b\0junk", 14,
					"\x93", 1);
	hs_buf_free(&val);
}

static void corrupt(const char *path, const char *what)
{
	standard(path);
	hsi_log *log = open_raw(path);
	hsi_log_batch *b = hsi_log_batch_new();
	hs_buf buf = HS_BUF_INIT;
	hsi_record r;

	if (strcmp(what, "record") == 0) {
		/* gseq 5 holds bytes that are no record */
		hsi_log_batch_put_event(log, b, 5, "\x93\x01\x02\x03", 4);
	} else if (strcmp(what, "gap") == 0) {
		/* a record at 17: gseq 16 is missing */
		get_record(log, 15, &buf, &r);
		r.gseq = 17;
		r.seq = 2;
		r.time_ns += 2000000000;
		put_record(log, b, &r);
		hsi_log_batch_put_index(log, b, r.type, r.type_len, r.id,
					r.id_len, r.seq, r.gseq, r.time_ns);
	} else if (strcmp(what, "index") == 0) {
		/* counter/c seq 2 points to a record that does not exist,
		 * and the index of ship/Gloria #2 has the wrong gseq */
		hsi_log_batch_put_index(log, b, "counter", 7, "c", 1, 2, 99,
					BASE_NS);
		hsi_log_batch_put_index(log, b, "ship", 4, "Gloria", 6, 2, 7,
					BASE_NS + INT64_C(5000000000));
	} else if (strcmp(what, "cause") == 0) {
		/* record 9 (audit/log #2) names a cause that is not what is
		 * at its gseq, record 3 a cause after itself */
		get_record(log, 9, &buf, &r);
		r.cause.seq = 3; /* counter/a #3 is at gseq 7, not 8 */
		put_record(log, b, &r);
		get_record(log, 3, &buf, &r);
		r.cause.gseq = 4;
		put_record(log, b, &r);
	} else if (strcmp(what, "snapshot") == 0) {
		/* counter/a's snapshot at seq 3 is not the state after #3 */
		hs_buf st = HS_BUF_INIT;

		hs_packf(&st, "n:I adds:I label:s", (int64_t)99, (int64_t)2,
			 "first");
		hsi_log_batch_put_snapshot(log, b, "counter", 7, "a", 1, 3,
					   st.data, st.len);
		hs_buf_free(&st);
	} else if (strcmp(what, "base") == 0) {
		/* a log cut before gseq 9: counter/a's base (seq 4) snapshot
		 * is not the state its base entry hashes */
		hs_buf st = HS_BUF_INIT;

		hs_packf(&st, "n:I adds:I label:s", (int64_t)99, (int64_t)3,
			 "first");
		hsi_log_batch_put_snapshot(log, b, "counter", 7, "a", 1, 4,
					   st.data, st.len);
		hs_buf_free(&st);
	} else if (strcmp(what, "timers") == 0 || strcmp(what, "timer") == 0) {
		put_timers(log, b, strcmp(what, "timers") == 0);
	} else if (strcmp(what, "times") == 0) {
		/* time samples: counter/a #3 at a time that is not its
		 * record's, counter/a #40 that does not exist, and a key that
		 * is not type/id/time/seq */
		uint8_t k[64];
		char *err = NULL;
		rocksdb_column_family_handle_t *cf = log->cf[HSI_CF_TIMES];
		memcpy(k, "counter\0a\0", 10);
		hsi_key_time_seq(k + 10, BASE_NS + 99, 3);
		rocksdb_put_cf(log->db, log->wo_sync, cf, (const char *)k, 26,
			       "", 0, &err);
		hsi_key_time_seq(k + 10, BASE_NS, 40);
		if (err == NULL)
			rocksdb_put_cf(log->db, log->wo_sync, cf,
				       (const char *)k, 26, "", 0, &err);
		if (err == NULL)
			rocksdb_put_cf(log->db, log->wo_sync, cf, "junk", 4,
				       "", 0, &err);
		if (err != NULL) {
			fprintf(stderr, "make_log: %s\n", err);
			exit(1);
		}
	} else if (strcmp(what, "seq") == 0) {
		/* counter/b's second record says seq 3 (its index says 2) */
		get_record(log, 11, &buf, &r);
		r.seq = 3;
		put_record(log, b, &r);
	} else {
		fprintf(stderr, "make_log: corrupt what? (%s)\n", what);
		exit(2);
	}
	write_batch(log, b);
	hs_buf_free(&buf);
	hsi_log_batch_free(b);
	hsi_log_close(log);
}

/* The log of the corrupt-log matrix: the standard log, 40 more
 * transitions of counter/tail (a times sample at seq 32) and the good
 * pending timer, each writer closed: every column family but default is
 * in .sst files. */
static void matrix(const char *path)
{
	standard(path);
	hs_runtime *rt = open_rt(path, true);
	for (int i = 0; i < 40; i++)
		send(rt, "counter", "tail", "add", "by:i", 1);
	int rc = hs_close(rt);
	if (rc != 0)
		die("close", rc);
	hsi_log *log = open_raw(path);
	hsi_log_batch *b = hsi_log_batch_new();
	put_timers(log, b, false);
	write_batch(log, b);
	hsi_log_batch_free(b);
	hsi_log_close(log);
}

/* ------------------------------------------------------------------ */
/* Opens, crashes and other programs' databases                        */
/* ------------------------------------------------------------------ */

static int open_close(const char *path, const char *how)
{
	hs_options o;
	hs_runtime *rt;
	char err[1024];
	int rc;

	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	o.read_only = strcmp(how, "ro") == 0;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "make_log: %s (%s)\n",
			err[0] ? err : "no error text", hs_strerror(rc));
		return 2;
	}
	if ((rc = hs_close(rt)) != 0) {
		fprintf(stderr, "make_log: close: %s\n", hs_strerror(rc));
		return 2;
	}
	return 0;
}

static void written_then_wait(const char *path, long n, const char *mode)
{
	hs_options o;
	hs_runtime *rt;
	char err[512];
	int rc;

	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	o.durability = strcmp(mode, "sync") == 0 ? HS_DURABILITY_SYNC
						  : HS_DURABILITY_NONE;
	if ((rc = hs_open_err(&rt, &o, err, sizeof(err))) != 0) {
		fprintf(stderr, "make_log: %s\n", err);
		exit(1);
	}
	if ((rc = cli_test_register(rt)) != 0)
		die("register", rc);
	for (long i = 0; i < n; i++)
		send(rt, "counter", "k", "add", "by:i", 1);
	printf("written\n");
	fflush(stdout);
	for (;;)
		pause();
}

static void foreign(const char *path)
{
	const char *names[] = {"default", "users"};
	rocksdb_options_t *o = rocksdb_options_create();
	const rocksdb_options_t *co[] = {o, o};
	rocksdb_column_family_handle_t *cf[2];
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;

	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	rocksdb_t *db = rocksdb_open_column_families(o, path, 2, names, co,
						     cf, &err);
	for (int i = 0; i < 20 && err == NULL; i++) {
		char k[16], v[32];
		snprintf(k, sizeof(k), "user%02d", i);
		snprintf(v, sizeof(v), "{\"name\":\"u%d\"}", i);
		rocksdb_put_cf(db, wo, cf[i % 2], k, strlen(k), v, strlen(v),
			       &err);
	}
	if (err != NULL) {
		fprintf(stderr, "make_log: rocksdb: %s\n", err);
		exit(1);
	}
	rocksdb_column_family_handle_destroy(cf[0]);
	rocksdb_column_family_handle_destroy(cf[1]);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "create") == 0)
		standard(argv[2]);
	else if (argc >= 5 && strcmp(argv[1], "append") == 0)
		append(argv[2], atol(argv[3]), atol(argv[4]));
	else if (argc >= 4 && strcmp(argv[1], "many") == 0)
		many(argv[2], atol(argv[3]));
	else if (argc >= 3 && strcmp(argv[1], "future") == 0)
		future(argv[2]);
	else if (argc >= 4 && strcmp(argv[1], "corrupt") == 0)
		corrupt(argv[2], argv[3]);
	else if (argc >= 3 && strcmp(argv[1], "matrix") == 0)
		matrix(argv[2]);
	else if (argc >= 4 && strcmp(argv[1], "open") == 0)
		return open_close(argv[2], argv[3]);
	else if (argc >= 5 && strcmp(argv[1], "kill") == 0)
		written_then_wait(argv[2], atol(argv[3]), argv[4]);
	else if (argc >= 3 && strcmp(argv[1], "rocksdb") == 0)
		foreign(argv[2]);
	else {
		fprintf(stderr, "usage: make_log create|append|many|future|"
				"corrupt|matrix|open|kill|rocksdb DB [ARGS]\n");
		return 2;
	}
	return 0;
}
