/*
 * Watchers: the before-durable ones of hs_watch and the durable ones of
 * hs_watch_durable, checked against the log on disk: every written
 * transition exactly once, in gseq order, with its cause, also across
 * passivation, hs_restart, a reopened runtime, a watcher registered while
 * transitions flow, and a write that fails.
 */
#include "util.h"

#include "persist_util.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* A collector of transitions                                           */
/* ------------------------------------------------------------------ */

typedef struct seen {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
	uint64_t seq, gseq, cause_seq, cause_gseq;
	uint64_t new_hash;
	int64_t time_ns;
} seen;

typedef struct collector {
	pthread_mutex_t mu;
	seen *v;
	size_t n, cap;
	atomic_uint_fast64_t max_gseq;
} collector;

static void collector_init(collector *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
}

static void collector_free(collector *c)
{
	free(c->v);
	pthread_mutex_destroy(&c->mu);
}

static size_t collector_count(collector *c)
{
	pthread_mutex_lock(&c->mu);
	size_t n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static void collect(void *udata, const hs_transition *t)
{
	collector *c = udata;
	pthread_mutex_lock(&c->mu);
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->v = realloc(c->v, c->cap * sizeof(*c->v));
		CB_CHECK(c->v != NULL);
	}
	seen *s = &c->v[c->n++];
	hsu_copy(s->type, sizeof s->type, t->agent.type);
	hsu_copy(s->id, sizeof s->id, t->agent.id);
	hsu_copy(s->event, sizeof s->event, t->event_type);
	hsu_copy(s->cause_type, sizeof s->cause_type, t->cause.type);
	hsu_copy(s->cause_id, sizeof s->cause_id, t->cause.id);
	s->seq = t->seq;
	s->gseq = t->gseq;
	s->cause_seq = t->cause_seq;
	s->cause_gseq = t->cause_gseq;
	s->new_hash = hsi_state_hash(t->new_state, t->new_len);
	s->time_ns = t->time_ns;
	pthread_mutex_unlock(&c->mu);
	if (t->gseq > atomic_load(&c->max_gseq))
		atomic_store(&c->max_gseq, t->gseq);
}

/* Asserts that c saw exactly the records of `recs` from gseq `from` on,
 * in gseq order, each with the record's agent, seq, event, cause, time
 * and state. */
static void assert_saw_log_from(collector *c, const pu_recs *recs,
				uint64_t from)
{
	assert_true(from >= 1);
	assert_int_equal(c->n, recs->n - (from - 1));
	for (size_t i = 0; i < c->n; i++) {
		const seen *s = &c->v[i];
		const pu_rec *r = &recs->v[from - 1 + i];
		assert_int_equal(s->gseq, r->gseq);
		assert_string_equal(s->type, r->type);
		assert_string_equal(s->id, r->id);
		assert_int_equal(s->seq, r->seq);
		assert_string_equal(s->event, r->event_type);
		assert_int_equal(s->time_ns, r->time_ns);
		assert_int_equal(s->new_hash, r->state_hash);
		assert_int_equal(s->cause_seq, r->has_cause ? r->cause_seq : 0);
		if (r->has_cause) {
			assert_string_equal(s->cause_type, r->cause_type);
			assert_string_equal(s->cause_id, r->cause_id);
			assert_int_equal(s->cause_gseq, r->cause_gseq);
		} else {
			assert_string_equal(s->cause_type, "");
			assert_string_equal(s->cause_id, "");
		}
	}
}

/* ------------------------------------------------------------------ */
/* Types: the counter of util.h, and a relay that sends to counters     */
/* ------------------------------------------------------------------ */

/* "fwd" {to: ID} adds one to its own count and sends "inc" to ctr/ID. */
static int relay_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	char to[HS_ID_MAX + 1];
	if (!hs_event_is(ev, "fwd") ||
	    hs_event_strcpy(ev, "to", to, sizeof to) != 0)
		return HS_EINVAL;
	int rc = hs_ctx_send(ctx, "ctr", to, "inc", NULL, 0);
	if (rc != 0)
		return rc;
	*(int64_t *)state += 1;
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt)
{
	hs_type ctr = hsu_counter_type("ctr", HS_ON_ERROR_FAIL);
	ctr.snapshot_every = 4;
	assert_hs(0, hs_register(rt, &ctr));
	hs_type relay = hsu_counter_type("relay", HS_ON_ERROR_FAIL);
	relay.apply = relay_apply;
	assert_hs(0, hs_register(rt, &relay));
}

static hs_runtime *open_log(const char *path, unsigned workers,
			    size_t resident_limit)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = workers;
	o.path = path;
	o.resident_limit = resident_limit;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("hs_open_err(%s): %s\n", path, err);
	assert_hs(0, rc);
	register_types(rt);
	return rt;
}

static void send_fwd(hs_runtime *rt, const char *relay, const char *to)
{
	assert_hs(0, hs_sendf(rt, "relay", relay, "fwd", "to:s", to));
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	return 0;
}

static int teardown(void **state)
{
	pu_cleanup_dirs(state);
	hsu_assert_no_cb_failures();
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_durable_needs_a_writable_log(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	collector c;
	collector_init(&c);
	assert_hs(HS_ENOTSUP, hs_watch_durable(rt, collect, &c, NULL));
	assert_hs(HS_EINVAL, hs_watch_durable(rt, NULL, &c, NULL));
	assert_hs(0, hs_close(rt));

	char *dir = pu_mkdtemp("watch-ro");
	rt = open_log(dir, 1, 0);
	assert_hs(0, hs_send_wait(rt, "ctr", "a", "inc", NULL, 0, NULL));
	assert_hs(0, hs_close(rt));
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.read_only = true;
	assert_hs(0, hs_open(&rt, &o));
	assert_hs(HS_ENOTSUP, hs_watch_durable(rt, collect, &c, NULL));
	assert_hs(0, hs_close(rt));
	collector_free(&c);
	free(dir);
}

/* Both kinds see every transition of relays and the counters they feed,
 * the durable ones in gseq order with the log's gseq and causes. */
static void test_durable_sees_the_log(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("watch-log");
	hs_runtime *rt = open_log(dir, 2, 0);
	collector before, durable;
	collector_init(&before);
	collector_init(&durable);
	int bid, did;
	assert_hs(0, hs_watch(rt, collect, &before, &bid));
	assert_hs(0, hs_watch_durable(rt, collect, &durable, &did));
	assert_true(bid != did);

	char relay[16], to[16];
	for (int i = 0; i < 600; i++) {
		snprintf(relay, sizeof relay, "r%d", i % 7);
		snprintf(to, sizeof to, "c%d", i % 11);
		send_fwd(rt, relay, to);
		if (i % 5 == 0)
			assert_hs(0, hs_send(rt, "ctr", to, "noop", NULL, 0));
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* hs_await returned: the durable watcher saw everything. */
	assert_int_equal(collector_count(&durable), 1200);
	assert_hs(0, hs_unwatch(rt, did));
	assert_hs(HS_ENOTFOUND, hs_unwatch(rt, did));
	send_fwd(rt, "r0", "c0");
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(collector_count(&durable), 1200);
	assert_int_equal(collector_count(&before), 1202);
	assert_hs(0, hs_close(rt));

	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, 1202);
	recs.n = 1200; /* the two after hs_unwatch */
	assert_saw_log_from(&durable, &recs, 1);
	recs.n = 1202;
	/* Before-durable watchers: every transition once, gseq 0, in seq
	 * order per agent. */
	for (size_t i = 0; i < before.n; i++) {
		const seen *s = &before.v[i];
		assert_int_equal(s->gseq, 0);
		const pu_rec *r = pu_find(&recs, s->type, s->id, s->seq);
		assert_non_null(r);
		assert_int_equal(s->new_hash, r->state_hash);
		assert_int_equal(s->cause_seq, r->has_cause ? r->cause_seq : 0);
		for (size_t j = 0; j < i; j++)
			if (strcmp(before.v[j].type, s->type) == 0 &&
			    strcmp(before.v[j].id, s->id) == 0)
				assert_true(before.v[j].seq < s->seq);
	}
	pu_recs_free(&recs);
	collector_free(&before);
	collector_free(&durable);
	free(dir);
}

/* hs_send_wait returns after the durable watchers saw its transition. */
static void test_send_wait_after_durable_watchers(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("watch-wait");
	hs_runtime *rt = open_log(dir, 2, 0);
	collector durable;
	collector_init(&durable);
	assert_hs(0, hs_watch_durable(rt, collect, &durable, NULL));
	for (int i = 0; i < 200; i++) {
		hs_receipt r;
		assert_hs(0, hs_send_wait(rt, "ctr", i % 2 ? "x" : "y", "inc",
					  NULL, 0, &r));
		assert_int_equal(r.gseq, i + 1);
		assert_true(atomic_load(&durable.max_gseq) >= r.gseq);
	}
	assert_hs(0, hs_close(rt));
	collector_free(&durable);
	free(dir);
}

/* Agents leave memory and come back, one fails and is restarted, the
 * runtime is closed and reopened: the durable watchers of both runs
 * together see the whole log, each from where its run began. */
static void test_durable_across_passivation_restart_reopen(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("watch-passivate");
	hs_runtime *rt = open_log(dir, 2, 8);
	collector run1, run2;
	collector_init(&run1);
	collector_init(&run2);
	assert_hs(0, hs_watch_durable(rt, collect, &run1, NULL));
	char id[16];
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 60; i++) {
			snprintf(id, sizeof id, "p%d", i);
			assert_hs(0, hs_send(rt, "ctr", id, "inc", NULL, 0));
		}
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	}
	/* With every agent idle and written, the next send's sweep brings
	 * the resident count down to the limit. */
	assert_hs(0, hs_send(rt, "ctr", "p0", "inc", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_true(hs_resident(rt) <= 8);

	assert_hs(0, hs_send(rt, "ctr", "p3", "fail", NULL, 0));
	assert_hs(0, hs_send(rt, "ctr", "p3", "inc", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_restart(rt, "ctr", "p3", HS_RESTART_DROP_PENDING));
	assert_hs(0, hs_send(rt, "ctr", "p3", "inc", NULL, 0));
	send_fwd(rt, "r", "p3");
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hsu_counter_value(rt, "ctr", "p3"), 7);
	assert_hs(0, hs_close(rt));
	assert_int_equal(run1.n, 5 * 60 + 4);

	rt = open_log(dir, 2, 8);
	assert_hs(0, hs_watch_durable(rt, collect, &run2, NULL));
	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof id, "p%d", i);
		send_fwd(rt, "r", id);
	}
	/* hs_close would drop what the relays send while it closes. */
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_close(rt));

	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, run1.n + 40);
	assert_saw_log_from(&run2, &recs, run1.n + 1);
	recs.n = run1.n;
	assert_saw_log_from(&run1, &recs, 1);
	recs.n = run1.n + 40;
	pu_recs_free(&recs);
	collector_free(&run1);
	collector_free(&run2);
	free(dir);
}

typedef struct sender_arg {
	hs_runtime *rt;
	int which;
	atomic_bool *stop;
	long sent;
} sender_arg;

/* Sends until told to stop, waiting for every 64th send to be written so
 * that the stream goes on at the writer's pace for as long as it runs. */
static void *sender(void *p)
{
	sender_arg *a = p;
	char relay[16], to[16];
	for (long i = 0; !atomic_load(a->stop); i++) {
		snprintf(relay, sizeof relay, "s%d-%ld", a->which, i % 13);
		snprintf(to, sizeof to, "c%ld", i % 17);
		hs_buf b = HS_BUF_INIT;
		CB_CHECK_EQ(hs_packf(&b, "to:s", to), 0);
		int rc = i % 64 == 63 ? hs_send_wait(a->rt, "relay", relay,
						     "fwd", b.data, b.len, NULL)
				      : hs_send(a->rt, "relay", relay, "fwd",
						b.data, b.len);
		hs_buf_free(&b);
		CB_CHECK_EQ(rc, 0);
		a->sent++;
	}
	return NULL;
}

static void wait_count(collector *c, size_t n)
{
	while (collector_count(c) < n)
		hsu_sleep_ms(1);
}

/* A watcher that comes while transitions flow starts at one gseq and
 * from there misses none; one that goes stops. */
static void test_durable_registered_while_writing(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("watch-midstream");
	hs_runtime *rt = open_log(dir, 2, 0);
	enum { SENDERS = 2 };
	atomic_bool stop = false;
	pthread_t th[SENDERS];
	sender_arg args[SENDERS];
	collector late, gone;
	collector_init(&late);
	collector_init(&gone);
	int gone_id;
	for (int i = 0; i < SENDERS; i++) {
		args[i] = (sender_arg){rt, i, &stop, 0};
		assert_int_equal(pthread_create(&th[i], NULL, sender, &args[i]),
				 0);
	}
	hsu_sleep_ms(2);
	assert_hs(0, hs_watch_durable(rt, collect, &gone, &gone_id));
	wait_count(&gone, 500);
	assert_hs(0, hs_watch_durable(rt, collect, &late, NULL));
	wait_count(&late, 500);
	assert_hs(0, hs_unwatch(rt, gone_id));
	size_t gone_n = collector_count(&gone);
	wait_count(&late, 2000);
	atomic_store(&stop, true);
	long sent = 0;
	for (int i = 0; i < SENDERS; i++) {
		pthread_join(th[i], NULL);
		sent += args[i].sent;
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(collector_count(&gone), gone_n);
	assert_hs(0, hs_close(rt));

	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, 2 * sent);
	assert_true(late.v[0].gseq > gone.v[0].gseq);
	assert_saw_log_from(&late, &recs, late.v[0].gseq);
	/* The one that went saw a gap-free run from its start. */
	for (size_t i = 1; i < gone.n; i++)
		assert_int_equal(gone.v[i].gseq, gone.v[i - 1].gseq + 1);
	assert_true(gone.v[gone.n - 1].gseq < recs.n);
	pu_recs_free(&recs);
	collector_free(&late);
	collector_free(&gone);
	free(dir);
}

/*
 * A write that fails: in a child process the file size limit
 * (RLIMIT_FSIZE) makes RocksDB's log write fail with EFBIG part way. The
 * child (this program re-executed, so that it starts without the parent's
 * RocksDB threads) reports through a pipe what each kind of watcher saw
 * and how many sends were acknowledged: the durable watcher must have
 * seen exactly the acknowledged ones, the before-durable one also the
 * transition that never reached the log.
 */
typedef struct child_counts {
	uint64_t durable_n, durable_last, durable_gaps, before_n, acked;
	int failed_rc;
	uint64_t sub_n; /* records a subscription delivered */
	int sub_rc;     /* what it returned once caught up */
} child_counts;

static int count_record(void *udata, const hs_record *r)
{
	(void)r;
	++*(uint64_t *)udata;
	return 0;
}

static void count_durable(void *udata, const hs_transition *t)
{
	child_counts *c = udata; /* the writer thread only */
	if (t->gseq != c->durable_last + 1)
		c->durable_gaps++;
	c->durable_last = t->gseq;
	c->durable_n++;
}

static void count_before(void *udata, const hs_transition *t)
{
	(void)t;
	((child_counts *)udata)->before_n++; /* one worker */
}

static int efbig_child(const char *dir, int fd)
{
	static child_counts c, cb;
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = dir;
	hs_runtime *rt = NULL;
	if (hs_open(&rt, &o) != 0)
		return 10;
	hs_type ctr = hsu_counter_type("ctr", HS_ON_ERROR_FAIL);
	if (hs_register(rt, &ctr) != 0 ||
	    hs_watch(rt, count_before, &cb, NULL) != 0 ||
	    hs_watch_durable(rt, count_durable, &c, NULL) != 0)
		return 11;
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit lim = {1 << 20, 1 << 20};
	if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
		return 12;
	char pad[512];
	memset(pad, 'x', sizeof pad);
	for (int i = 0; i < 100000; i++) {
		hs_buf b = HS_BUF_INIT;
		hs_packf(&b, "n:i pad:S", 1, pad, sizeof pad);
		int rc = hs_send_wait(rt, "ctr", "a", "add", b.data, b.len,
				      NULL);
		hs_buf_free(&b);
		if (rc != 0) {
			c.failed_rc = rc;
			break;
		}
		c.acked++;
	}
	/* A subscription gets every written record, then the writer's
	 * error instead of a wait. */
	hs_sub_options so;
	hs_sub_options_init(&so);
	hs_sub *sub = NULL;
	c.sub_rc = hs_subscribe(rt, &so, &sub);
	while (c.sub_rc == 0) {
		int n = hs_sub_next(sub, count_record, &c.sub_n, 1000, 10000);
		c.sub_rc = n > 0 ? 0 : n;
	}
	hs_unsubscribe(sub);
	hs_close(rt);
	c.before_n = cb.before_n;
	char line[256];
	int n = snprintf(line, sizeof line,
			 "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			 " %" PRIu64 " %d %" PRIu64 " %d\n",
			 c.durable_n, c.durable_last, c.durable_gaps, c.before_n,
			 c.acked, c.failed_rc, c.sub_n, c.sub_rc);
	return write(fd, line, (size_t)n) == n ? 0 : 13;
}

static void test_durable_never_sees_a_failed_write(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("watch-efbig");
	int rfd;
	pid_t pid = pu_spawn_self("test_watch", "--efbig-child", dir, &rfd);
	char line[256] = "";
	size_t got = 0;
	ssize_t n;
	while ((n = read(rfd, line + got, sizeof line - 1 - got)) > 0)
		got += (size_t)n;
	close(rfd);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	child_counts c;
	assert_int_equal(sscanf(line,
				"%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
				" %" SCNu64 " %d %" SCNu64 " %d",
				&c.durable_n, &c.durable_last, &c.durable_gaps,
				&c.before_n, &c.acked, &c.failed_rc, &c.sub_n,
				&c.sub_rc),
			 8);

	assert_true(c.acked > 100);
	assert_hs(HS_EIO, c.failed_rc);
	assert_int_equal(c.durable_n, c.acked);
	assert_int_equal(c.durable_last, c.acked);
	assert_int_equal(c.durable_gaps, 0);
	/* The before-durable watcher also saw the one that failed. */
	assert_int_equal(c.before_n, c.acked + 1);
	assert_int_equal(c.sub_n, c.acked);
	assert_hs(HS_EIO, c.sub_rc);

	/* The log holds exactly the acknowledged transitions, and a durable
	 * watcher of the reopened runtime continues right after them. */
	collector next;
	collector_init(&next);
	hs_runtime *rt = open_log(dir, 1, 0);
	assert_hs(0, hs_watch_durable(rt, collect, &next, NULL));
	assert_hs(0, hs_send_wait(rt, "ctr", "a", "inc", NULL, 0, NULL));
	assert_hs(0, hs_close(rt));
	assert_int_equal(next.n, 1);
	assert_int_equal(next.v[0].gseq, c.acked + 1);
	assert_int_equal(next.v[0].seq, c.acked + 1);
	collector_free(&next);
	free(dir);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--efbig-child") == 0)
		return efbig_child(argv[2], atoi(argv[3]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_durable_needs_a_writable_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable_sees_the_log,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_send_wait_after_durable_watchers, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_durable_across_passivation_restart_reopen, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_durable_registered_while_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_durable_never_sees_a_failed_write, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
