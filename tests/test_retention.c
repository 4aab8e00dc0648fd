/*
 * Retention: a cut drops the events before a gseq and keeps each agent's
 * state there as its base (runtime/retain/cut.h). Every query after the
 * cut answers exactly as before it; queries before it fail with
 * HS_EARCHIVED; gseqs go on from the log's end; space is given back.
 *
 * The log: counters c/a (often), c/b (only before the cut) and c/c (born
 * after it), with a clock that moves 1000 ns per transition.
 */
#include "util.h"

#include "persist_util.h"

#include <dirent.h>
#include <sys/stat.h>

#include "log/log.h"
#include "retain/cut.h"

static int64_t tick(void *udata)
{
	return (*(int64_t *)udata += 1000);
}

static void send_add(hs_runtime *rt, const char *id, int64_t n,
		     size_t pad, hs_receipt *out)
{
	hs_buf b = HS_BUF_INIT;
	char *junk = calloc(1, pad + 1);
	assert_non_null(junk);
	/* Letters that do not compress much. */
	uint64_t x = (uint64_t)n * 0x9e3779b97f4a7c15ull + 1;
	for (size_t i = 0; i < pad; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		junk[i] = (char)('a' + (x >> 59));
	}
	assert_hs(0, hs_packf(&b, "n:I pad:s", n, junk));
	assert_hs(0, hs_send_wait(rt, "c", id, "add", b.data, b.len, out));
	free(junk);
	hs_buf_free(&b);
}

/* 40 transitions of c/a (add 1..40), 5 of c/b early on: gseq 1..45.
 * c/b's are gseq 2, 4, 6, 8, 10. */
static char *make_log(int64_t *clock, size_t pad)
{
	char *dir = pu_mkdtemp("retention");
	char *path = pu_join(dir, "log");
	free(dir);
	hs_runtime *rt = pu_open_rt(path, HS_DURABILITY_SYNC, 2, tick, clock);
	hsu_register_counter(rt, "c", HS_ON_ERROR_SKIP);
	for (int i = 1; i <= 40; i++) {
		send_add(rt, "a", i, pad, NULL);
		if (i <= 5)
			send_add(rt, "b", 10 * i, pad, NULL);
	}
	assert_hs(0, hs_close(rt));
	return path;
}

static hs_runtime *open_ro(const char *path)
{
	hs_options o;
	hs_runtime *rt;
	char err[512] = "";
	hs_options_init(&o);
	o.path = path;
	o.read_only = true;
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0)
		print_error("open %s: %s\n", path, err);
	assert_hs(0, rc);
	hsu_register_counter(rt, "c", HS_ON_ERROR_SKIP);
	return rt;
}

/* Cuts the log at path before `before` with a read-only runtime and a
 * writable handle, as `hindsight archive` does; returns hsi_cut's code. */
static int cut(const char *path, uint64_t before, hsi_cut_report *rep,
	       void (*reg)(hs_runtime *))
{
	hsi_log *wlog;
	char err[512];
	assert_hs(0, hsi_log_open(path, 0, &wlog, err, sizeof(err)));
	hs_options o;
	hs_runtime *rt;
	hs_options_init(&o);
	o.path = path;
	o.read_only = true;
	assert_hs(0, hs_open_err(&rt, &o, err, sizeof(err)));
	if (reg != NULL)
		reg(rt);
	int rc = hsi_cut(rt, wlog, before, rep);
	if (rc != 0) {
		hs_last_error(rt, err, sizeof(err));
		print_message("cut: %s\n", err);
	}
	assert_hs(0, hs_close(rt));
	hsi_log_close(wlog);
	return rc;
}

static void reg_counter(hs_runtime *rt)
{
	hsu_register_counter(rt, "c", HS_ON_ERROR_SKIP);
}

static int64_t n_of(const hs_buf *b)
{
	int64_t v = -1;
	assert_hs(0, hs_get_i64(b->data, b->len, "n", &v));
	return v;
}

static int64_t state_n(hs_runtime *rt, const char *id, hs_point p, int want,
		       hs_receipt *at)
{
	hs_buf b = HS_BUF_INIT;
	int rc = hs_state_at(rt, "c", id, p, &b, at);
	if (rc != want) {
		char err[512];
		hs_last_error(rt, err, sizeof(err));
		print_error("state of c/%s: %d (%s), want %d\n", id, rc, err,
			    want);
	}
	assert_hs(want, rc);
	int64_t n = rc == 0 ? n_of(&b) : -1;
	hs_buf_free(&b);
	return n;
}

typedef struct seen {
	uint64_t gseqs[128];
	int64_t times[128];
	int64_t n[128];
	size_t count;
} seen;

static int on_record(void *udata, const hs_record *r)
{
	seen *s = udata;
	s->gseqs[s->count] = r->gseq;
	s->times[s->count] = r->time_ns;
	s->n[s->count++] = r->state != NULL ? n_of(&(hs_buf){
		.data = (void *)r->state, .len = r->state_len}) : 0;
	return 0;
}

/* Every query that reaches the cut or after it answers as before it. */
static void test_queries_after_cut_are_exact(void **state)
{
	(void)state;
	int64_t clock = 0;
	char *path = make_log(&clock, 0);

	/* Before: the answers at every seq of c/a from 25 on, by seq and
	 * gseq. */
	hs_runtime *rt = open_ro(path);
	int64_t by_seq[41], by_gseq[41];
	hs_receipt rc_at[41];
	for (uint64_t s = 25; s <= 40; s++) {
		by_seq[s] = state_n(rt, "a", hs_at_seq(s), 0, &rc_at[s]);
		by_gseq[s] = state_n(rt, "a", hs_at_gseq(rc_at[s].gseq), 0,
				     NULL);
	}
	hs_record_fn fn = on_record;
	hs_filter f = {.type = "c", .id = "a", .flags = HS_HISTORY_STATES};
	seen before = {0};
	assert_hs(0, hs_history(rt, &f, fn, &before));
	assert_int_equal(before.count, 40);
	int64_t b_final = state_n(rt, "b", hs_at_gseq(45), 0, NULL);
	assert_int_equal(b_final, 150);
	assert_hs(0, hs_close(rt));

	/* The cut: before gseq 30. gseqs 1..10 alternate a and b, then a
	 * alone: a's seq s > 5 is gseq s + 5, so a's base is seq 24. */
	hsi_cut_report rep;
	assert_hs(0, cut(path, 30, &rep, reg_counter));
	assert_int_equal(rep.from_gseq, 1);
	assert_int_equal(rep.events, 29);
	assert_int_equal(rep.bases, 2);

	rt = open_ro(path);
	for (uint64_t s = 24; s <= 40; s++) {
		int64_t want = (int64_t)(s * (s + 1) / 2);
		hs_receipt at;
		assert_int_equal(state_n(rt, "a", hs_at_seq(s), 0, &at), want);
		assert_int_equal(at.gseq, s + 5);
		if (s >= 25) {
			assert_int_equal(want, by_seq[s]);
			assert_int_equal(state_n(rt, "a", hs_at_gseq(s + 5), 0,
						 NULL),
					 by_gseq[s]);
		}
		assert_int_equal(state_n(rt, "a",
					 hs_at_time(before.times[s - 1]), 0,
					 NULL),
				 want);
	}
	/* c/b's base is its last transition, seq 5 at gseq 10. */
	hs_receipt at;
	assert_int_equal(state_n(rt, "b", hs_at_gseq(45), 0, &at), 150);
	assert_int_equal(at.seq, 5);
	assert_int_equal(at.gseq, 10);
	assert_int_equal(state_n(rt, "b", hs_at_seq(5), 0, NULL), 150);
	assert_int_equal(state_n(rt, "b", hs_at_gseq(29), 0, NULL), 150);

	/* Before the bases: archived, by seq, gseq and time. */
	state_n(rt, "a", hs_at_seq(23), HS_EARCHIVED, NULL);
	state_n(rt, "a", hs_at_seq(1), HS_EARCHIVED, NULL);
	state_n(rt, "a", hs_at_gseq(28), HS_EARCHIVED, NULL);
	state_n(rt, "a", hs_at_time(before.times[22]), HS_EARCHIVED, NULL);
	state_n(rt, "a", hs_at_time(before.times[23] - 1), HS_EARCHIVED,
		NULL);
	state_n(rt, "b", hs_at_seq(4), HS_EARCHIVED, NULL);
	state_n(rt, "b", hs_at_gseq(9), HS_EARCHIVED, NULL);
	char err[512];
	hs_last_error(rt, err, sizeof(err));
	assert_non_null(strstr(err, "archived"));

	/* History lists the records the log holds, with exact states. */
	seen after = {0};
	assert_hs(0, hs_history(rt, &f, fn, &after));
	assert_int_equal(after.count, 16);
	for (size_t i = 0; i < after.count; i++) {
		assert_int_equal(after.gseqs[i], before.gseqs[24 + i]);
		assert_int_equal(after.n[i], before.n[24 + i]);
	}
	seen all = {0};
	hs_filter every = {0};
	assert_hs(0, hs_history(rt, &every, fn, &all));
	assert_int_equal(all.count, 16);
	assert_int_equal(all.gseqs[0], 30);
	seen b_hist = {0};
	hs_filter fb = {.type = "c", .id = "b"};
	assert_hs(0, hs_history(rt, &fb, fn, &b_hist));
	assert_int_equal(b_hist.count, 0);

	/* Verify replays from the bases: no divergence. */
	hs_verify_report vr;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &vr));
	assert_int_equal(vr.divergences, 0);
	assert_int_equal(vr.records, 16);
	/* What-if replays from the start: it says why it cannot. */
	assert_hs(HS_EARCHIVED, hs_whatif(rt, NULL, 0, 0, NULL, NULL));
	assert_hs(0, hs_close(rt));

	/* The events before the cut are gone; reading one says archived. */
	hsi_log *log;
	assert_hs(0, hsi_log_open(path, HSI_LOG_READONLY, &log, err,
				  sizeof(err)));
	assert_int_equal(hsi_log_base_gseq(log), 29);
	assert_int_equal(hsi_log_last_gseq(log), 45);
	hs_buf rec = HS_BUF_INIT;
	assert_hs(HS_EARCHIVED, hsi_log_get_event(log, 29, &rec));
	assert_hs(HS_EARCHIVED, hsi_log_get_event(log, 1, &rec));
	assert_hs(0, hsi_log_get_event(log, 30, &rec));
	hs_buf_free(&rec);
	hsi_log_close(log);
	free(path);
}

/* A writer goes on after the cut: gseqs continue, agents activate from
 * their bases, and new agents are born. */
static void test_writer_goes_on(void **state)
{
	(void)state;
	int64_t clock = 0;
	char *path = make_log(&clock, 0);
	assert_hs(0, cut(path, 30, NULL, reg_counter));

	hs_runtime *rt = pu_open_rt(path, HS_DURABILITY_SYNC, 2, tick, &clock);
	hsu_register_counter(rt, "c", HS_ON_ERROR_SKIP);
	assert_int_equal(hsu_counter_value(rt, "c", "b"), 150);
	hs_receipt r;
	send_add(rt, "b", 1, 0, &r);
	assert_int_equal(r.gseq, 46);
	assert_int_equal(r.seq, 6);
	send_add(rt, "c", 7, 0, &r);
	assert_int_equal(r.gseq, 47);
	assert_int_equal(r.seq, 1);
	assert_int_equal(hsu_counter_value(rt, "c", "b"), 151);
	assert_int_equal(hsu_counter_value(rt, "c", "a"), 820);
	assert_hs(0, hs_close(rt));

	/* A second cut moves the base on; c/b keeps the first one's base
	 * up to its new transition. Then everything goes. */
	hsi_cut_report rep;
	assert_hs(0, cut(path, 46, &rep, reg_counter));
	assert_int_equal(rep.from_gseq, 30);
	assert_int_equal(rep.events, 16);
	assert_int_equal(rep.bases, 1); /* c/a; c/b is at its base */
	assert_hs(0, cut(path, 48, &rep, reg_counter));
	assert_int_equal(rep.bases, 2); /* c/b, c/c */

	rt = open_ro(path);
	hs_receipt at;
	assert_int_equal(state_n(rt, "a", hs_at_gseq(47), 0, &at), 820);
	assert_int_equal(at.seq, 40);
	assert_int_equal(state_n(rt, "b", hs_at_gseq(47), 0, NULL), 151);
	assert_int_equal(state_n(rt, "c", hs_at_gseq(47), 0, NULL), 7);
	/* c/c was born at gseq 47; c/b's state at 45 went with the cut. */
	state_n(rt, "c", hs_at_gseq(46), HS_ENOAGENT, NULL);
	state_n(rt, "b", hs_at_gseq(45), HS_EARCHIVED, NULL);
	assert_hs(0, hs_close(rt));

	/* A log with no event left still knows where gseqs go on. */
	rt = pu_open_rt(path, HS_DURABILITY_SYNC, 2, tick, &clock);
	hsu_register_counter(rt, "c", HS_ON_ERROR_SKIP);
	send_add(rt, "a", 1, 0, &r);
	assert_int_equal(r.gseq, 48);
	assert_int_equal(r.seq, 41);
	assert_int_equal(hsu_counter_value(rt, "c", "a"), 821);
	assert_hs(0, hs_close(rt));
	free(path);
}

/* A counter whose add now counts double: its states are not history's. */
static int double_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int rc = hsu_counter_apply(ctx, state, ev);
	if (rc == HS_CHANGED && hs_event_is(ev, "add"))
		*(int64_t *)state *= 2;
	return rc;
}

static void reg_changed(hs_runtime *rt)
{
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_SKIP);
	t.apply = double_apply;
	assert_hs(0, hs_register(rt, &t));
}

/* A cut that cannot be made writes nothing. */
static void test_refused_cuts_change_nothing(void **state)
{
	(void)state;
	int64_t clock = 0;
	char *path = make_log(&clock, 0);
	hsi_log *log;
	char err[512];

	assert_hs(HS_EHANDLER, cut(path, 30, NULL, reg_changed));
	assert_hs(HS_ENOTYPE, cut(path, 30, NULL, NULL));
	assert_hs(HS_ERANGE, cut(path, 1, NULL, reg_counter));
	assert_hs(HS_ERANGE, cut(path, 47, NULL, reg_counter));

	hs_runtime *rt = open_ro(path);
	assert_int_equal(state_n(rt, "a", hs_at_seq(1), 0, NULL), 1);
	assert_hs(0, hs_close(rt));
	assert_hs(0, hsi_log_open(path, HSI_LOG_READONLY, &log, err,
				  sizeof(err)));
	assert_int_equal(hsi_log_base_gseq(log), 0);
	hsi_log_close(log);
	free(path);
}

static uint64_t sst_bytes(const char *dir)
{
	uint64_t total = 0;
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n < 4 || strcmp(e->d_name + n - 4, ".sst") != 0)
			continue;
		char *p = pu_join(dir, e->d_name);
		struct stat st;
		assert_int_equal(stat(p, &st), 0);
		total += (uint64_t)st.st_size;
		free(p);
	}
	closedir(d);
	return total;
}

/* The space of the dropped events is given back. */
static void test_space_is_reclaimed(void **state)
{
	(void)state;
	int64_t clock = 0;
	char *path = make_log(&clock, 4000);
	hsi_log *log;
	char err[512];
	/* Flush everything into tables first. */
	assert_hs(0, hsi_log_open(path, 0, &log, err, sizeof(err)));
	assert_hs(0, hsi_log_compact(log));
	hsi_log_close(log);
	uint64_t before = sst_bytes(path);
	assert_hs(0, cut(path, 42, NULL, reg_counter));
	uint64_t after = sst_bytes(path);
	print_message("sst bytes: %llu before the cut, %llu after\n",
		      (unsigned long long)before, (unsigned long long)after);
	/* 41 of 45 records of 4 kB (compressed or not) went. */
	assert_true(after * 4 < before);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queries_after_cut_are_exact),
		cmocka_unit_test(test_writer_goes_on),
		cmocka_unit_test(test_refused_cuts_change_nothing),
		cmocka_unit_test(test_space_is_reclaimed),
	};
	return cmocka_run_group_tests(tests, NULL, pu_cleanup_dirs);
}
