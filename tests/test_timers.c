/*
 * Durable timers: set, replaced and cancelled from handlers, fired by a
 * simulated clock in due order with the setting transition as cause,
 * forgotten with an unchanged outcome, fired in memory and by the real
 * clock's thread, exact under hs_verify, and after a SIGKILL: a reopened
 * runtime fires what fell due while it was down, once, and keeps the rest.
 */
#include "util.h"

#include "persist_util.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/wait.h>

/* ------------------------------------------------------------------ */
/* A simulated clock                                                    */
/* ------------------------------------------------------------------ */

static _Atomic int64_t sim_now;

/* Set while "block" handlers must wait (test_rearmed_firing_is_stale). */
static atomic_bool blocked;

static int64_t sim_clock(void *udata)
{
	(void)udata;
	return atomic_load(&sim_now);
}

#define T0 INT64_C(1767225600000000000) /* 2026-01-01T00:00Z */
#define SEC INT64_C(1000000000)

/* ------------------------------------------------------------------ */
/* The "alarm" type                                                     */
/* ------------------------------------------------------------------ */

/* count: rings handled; code: their n in order, as decimal digit groups
 * (code * 1000 + n), so that the order can be checked from the state. */
typedef struct alarm_st {
	int64_t count, code;
} alarm_st;

static int alarm_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const alarm_st *a = state;
	return hs_packf(out, "count:I code:I", a->count, a->code);
}

static int alarm_decode(void *state, const void *data, size_t len,
			void *udata)
{
	(void)udata;
	alarm_st *a = state;
	int rc = hs_get_i64(data, len, "count", &a->count);
	return rc != 0 ? rc : hs_get_i64(data, len, "code", &a->code);
}

/*
 * arm {name, at, n[, to]}       timer `name` at `at` sends ring {n} to
 *                               alarm/to (default: itself)
 * arm_after {name, delay, n}    the same, `delay` after now
 * arm_quiet {name, at, n}       sets it, then returns HS_UNCHANGED
 * disarm {name}                 cancels it
 * arm_disarm {name, at, n}      sets it and cancels it in one transition
 * ring {n}                      count it
 */
static int alarm_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	alarm_st *a = state;
	char name[HS_NAME_MAX + 1] = "", to[HS_ID_MAX + 1] = "";
	int64_t at = 0, n = 0, delay = 0;
	hs_event_strcpy(ev, "name", name, sizeof name);
	hs_event_strcpy(ev, "to", to, sizeof to);
	hs_event_i64(ev, "at", &at);
	hs_event_i64(ev, "n", &n);
	hs_event_i64(ev, "delay", &delay);
	hs_buf body = HS_BUF_INIT;
	CB_CHECK_EQ(hs_packf(&body, "n:I", n), 0);
	const char *type = to[0] ? "alarm" : NULL;
	const char *id = to[0] ? to : NULL;
	int rc = HS_CHANGED;
	if (hs_event_is(ev, "arm") || hs_event_is(ev, "arm_quiet") ||
	    hs_event_is(ev, "arm_disarm")) {
		CB_CHECK_EQ(hs_ctx_timer_at(ctx, name, at, type, id, "ring",
					    body.data, body.len),
			    0);
		if (hs_event_is(ev, "arm_quiet"))
			rc = HS_UNCHANGED;
		if (hs_event_is(ev, "arm_disarm"))
			CB_CHECK_EQ(hs_ctx_timer_cancel(ctx, name), 0);
	} else if (hs_event_is(ev, "arm_after")) {
		CB_CHECK_EQ(hs_ctx_timer_after(ctx, name, delay, NULL, NULL,
					       "ring", body.data, body.len),
			    0);
	} else if (hs_event_is(ev, "disarm")) {
		CB_CHECK_EQ(hs_ctx_timer_cancel(ctx, name), 0);
	} else if (hs_event_is(ev, "block")) {
		while (atomic_load(&blocked))
			hsu_sleep_ms(1);
	} else if (hs_event_is(ev, "ring")) {
		a->count++;
		a->code = a->code * 1000 + n;
	} else {
		rc = HS_EINVAL;
	}
	hs_buf_free(&body);
	return rc;
}

static void register_alarm(hs_runtime *rt)
{
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = "alarm";
	t.state_size = sizeof(alarm_st);
	t.apply = alarm_apply;
	t.encode = alarm_encode;
	t.decode = alarm_decode;
	assert_hs(0, hs_register(rt, &t));
}

static hs_runtime *open_rt(const char *path, hs_clock_fn clock)
{
	hs_runtime *rt = pu_open_rt(path, HS_DURABILITY_NONE, 2, clock, NULL);
	register_alarm(rt);
	return rt;
}

static void arm(hs_runtime *rt, const char *id, const char *name, int64_t at,
		int64_t n)
{
	assert_hs(0, hs_sendf(rt, "alarm", id, "arm", "name:s at:I n:I", name,
			      at, n));
}

static alarm_st alarm_state(hs_runtime *rt, const char *id)
{
	hs_buf b = HS_BUF_INIT;
	alarm_st a = {0, 0};
	assert_hs(0, hs_deref(rt, "alarm", id, &b));
	assert_hs(0, alarm_decode(&a, b.data, b.len, NULL));
	hs_buf_free(&b);
	return a;
}

/* Moves the simulated clock to t, fires what is due and waits for it to
 * be handled; returns how many fired (by this call or by the runtime's
 * thread, which may look at the clock first). */
static size_t advance(hs_runtime *rt, int64_t t)
{
	size_t before = hs_timers_pending(rt);
	atomic_store(&sim_now, t);
	assert_hs(0, hs_timers_fire_due(rt, NULL));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	return before - hs_timers_pending(rt);
}

static int setup(void **state)
{
	(void)state;
	hsu_reset();
	atomic_store(&sim_now, T0);
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

/* Timers fire in due order (ties in the order they were set), each as a
 * record caused by the transition that set it, at its due time. */
static void test_order_and_causes(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-order");
	hs_runtime *rt = open_rt(dir, sim_clock);
	arm(rt, "a", "t3", T0 + 30 * SEC, 3);
	arm(rt, "a", "t1", T0 + 10 * SEC, 1);
	arm(rt, "a", "t2", T0 + 20 * SEC, 2);
	arm(rt, "a", "t2b", T0 + 20 * SEC, 4);
	assert_hs(0, hs_sendf(rt, "alarm", "a", "arm", "name:s at:I n:I to:s",
			      "far", T0 + 15 * SEC, 9, "b"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 5);

	assert_int_equal(advance(rt, T0 + 5 * SEC), 0);
	assert_int_equal(advance(rt, T0 + 20 * SEC), 4);
	alarm_st a = alarm_state(rt, "a");
	assert_int_equal(a.count, 3);
	assert_int_equal(a.code, 1002004);
	assert_int_equal(alarm_state(rt, "b").code, 9);
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_int_equal(advance(rt, T0 + 60 * SEC), 1);
	assert_int_equal(alarm_state(rt, "a").code, 1002004003);
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_int_equal(advance(rt, T0 + 90 * SEC), 0);
	assert_hs(0, hs_close(rt));

	pu_recs recs;
	pu_read_log(dir, &recs);
	assert_int_equal(recs.n, 10);
	size_t rings = 0;
	for (size_t i = 0; i < recs.n; i++) {
		const pu_rec *r = &recs.v[i];
		if (strcmp(r->event_type, "ring") != 0)
			continue;
		rings++;
		assert_true(r->has_cause);
		assert_string_equal(r->cause_type, "alarm");
		assert_string_equal(r->cause_id, "a");
		const pu_rec *setter = &recs.v[r->cause_gseq - 1];
		assert_string_equal(setter->event_type, "arm");
		assert_int_equal(setter->seq, r->cause_seq);
		assert_true(r->cause_gseq < r->gseq);
		int64_t at = 0;
		assert_hs(0, hs_get_i64(setter->body, setter->body_len, "at",
					&at));
		assert_int_equal(r->time_ns, at);
	}
	assert_int_equal(rings, 5);
	pu_recs_free(&recs);

	/* Nothing is left to fire after a reopen, and replay is exact. */
	rt = open_rt(dir, sim_clock);
	assert_int_equal(hs_timers_pending(rt), 0);
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.records, 10);
	assert_int_equal(rep.divergences, 0);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* Re-arming a name replaces its timer; cancelling removes it; an event
 * that changes nothing forgets the timers it set. */
static void test_replace_cancel_unchanged(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-replace");
	hs_runtime *rt = open_rt(dir, sim_clock);
	arm(rt, "a", "t", T0 + 10 * SEC, 1);
	arm(rt, "a", "t", T0 + 20 * SEC, 2);
	arm(rt, "a", "u", T0 + 5 * SEC, 3);
	assert_hs(0, hs_sendf(rt, "alarm", "a", "disarm", "name:s", "u"));
	assert_hs(0, hs_sendf(rt, "alarm", "a", "arm_disarm",
			      "name:s at:I n:I", "v", T0 + 5 * SEC, 4));
	assert_hs(0, hs_sendf(rt, "alarm", "a", "arm_quiet", "name:s at:I n:I",
			      "w", T0 + 5 * SEC, 5));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_int_equal(advance(rt, T0 + 15 * SEC), 0);
	assert_int_equal(advance(rt, T0 + 25 * SEC), 1);
	alarm_st a = alarm_state(rt, "a");
	assert_int_equal(a.count, 1);
	assert_int_equal(a.code, 2);
	/* Cancelling a name with no timer is no error. */
	assert_hs(0, hs_sendf(rt, "alarm", "a", "disarm", "name:s", "none"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_close(rt));
	rt = open_rt(dir, sim_clock);
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_int_equal(advance(rt, T0 + 90 * SEC), 0);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* A name re-armed after its timer fired but before the firing was
 * handled keeps the new timer. */
static void test_rearm_while_firing(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-rearm");
	hs_runtime *rt = open_rt(dir, sim_clock);
	/* The owner re-arms its name while the firing travels to another
	 * agent. */
	assert_hs(0, hs_sendf(rt, "alarm", "owner", "arm",
			      "name:s at:I n:I to:s", "t", T0 + SEC, 1, "far"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	atomic_store(&sim_now, T0 + 2 * SEC);
	/* The firing and the re-arm race to the writer: either order must
	 * leave exactly the new timer pending. */
	size_t fired = 0;
	assert_hs(0, hs_timers_fire_due(rt, &fired));
	/* The firing thread may have seen the clock move first: the timer
	 * fired once, by it or by this call. */
	assert_true(fired <= 1);
	assert_hs(0, hs_sendf(rt, "alarm", "owner", "arm",
			      "name:s at:I n:I to:s", "t", T0 + 10 * SEC, 2,
			      "far"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* The old firing was handled (1) or, when the re-arm was written
	 * before far handled it, found stale (0); never twice. */
	int64_t first = alarm_state(rt, "far").code;
	assert_true(first == 0 || first == 1);
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_hs(0, hs_close(rt));
	rt = open_rt(dir, sim_clock);
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_int_equal(advance(rt, T0 + 20 * SEC), 1);
	assert_int_equal(alarm_state(rt, "far").code, first * 1000 + 2);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* A firing that waits in the mailbox behind a re-arm (or a cancel) of
 * its timer is stale and not handled: the re-armed timer fires once, at
 * its new time. */
static void rearmed_firing_is_stale(const char *dir)
{
	atomic_store(&sim_now, T0);
	hs_runtime *rt;
	if (dir != NULL) {
		rt = open_rt(dir, sim_clock);
	} else {
		hs_options o;
		hs_options_init(&o);
		o.workers = 2;
		o.clock = sim_clock;
		assert_hs(0, hs_open(&rt, &o));
		register_alarm(rt);
	}
	arm(rt, "d", "idle", T0 + SEC, 1);
	arm(rt, "d", "gone", T0 + SEC, 2);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	atomic_store(&blocked, true);
	assert_hs(0, hs_send(rt, "alarm", "d", "block", NULL, 0));
	arm(rt, "d", "idle", T0 + 10 * SEC, 3);
	assert_hs(0, hs_sendf(rt, "alarm", "d", "disarm", "name:s", "gone"));
	atomic_store(&sim_now, T0 + 2 * SEC);
	/* Both fire now (here or on the runtime's thread), queued behind
	 * the block, the re-arm and the cancel. */
	assert_hs(0, hs_timers_fire_due(rt, NULL));
	atomic_store(&blocked, false);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(alarm_state(rt, "d").count, 0);
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_int_equal(advance(rt, T0 + 20 * SEC), 1);
	alarm_st a = alarm_state(rt, "d");
	assert_int_equal(a.count, 1);
	assert_int_equal(a.code, 3);
	assert_hs(0, hs_close(rt));
}

static void test_rearmed_firing_is_stale(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-stale");
	rearmed_firing_is_stale(dir);
	rearmed_firing_is_stale(NULL);
	free(dir);
}

/* A firing dropped by hs_restart (HS_RESTART_DROP_PENDING) ends its
 * timer, as a handler that ignored it would: it does not fire again,
 * also not after a reopen. */
static void test_dropped_firing_ends(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-dropped");
	hs_runtime *rt = open_rt(dir, sim_clock);
	arm(rt, "f", "t", T0 + SEC, 1);
	assert_hs(0, hs_send(rt, "alarm", "f", "bogus", NULL, 0));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	atomic_store(&sim_now, T0 + 2 * SEC);
	assert_hs(0, hs_timers_fire_due(rt, NULL));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 1);
	assert_hs(0, hs_restart(rt, "alarm", "f", HS_RESTART_DROP_PENDING));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_int_equal(alarm_state(rt, "f").count, 0);
	assert_hs(0, hs_close(rt));
	rt = open_rt(dir, sim_clock);
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* In memory, timers work the same, without a log. */
static void test_in_memory(void **state)
{
	(void)state;
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.clock = sim_clock;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	register_alarm(rt);
	arm(rt, "m", "x", T0 + 2 * SEC, 2);
	arm(rt, "m", "y", T0 + SEC, 1);
	assert_hs(0, hs_sendf(rt, "alarm", "m", "arm_after",
			      "name:s delay:I n:I", "z", 3 * SEC, 3));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 3);
	assert_int_equal(advance(rt, T0 + 10 * SEC), 3);
	assert_int_equal(alarm_state(rt, "m").code, 1002003);
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_hs(0, hs_close(rt));
}

/* With the real clock, the runtime's thread fires on its own. */
static void test_real_clock(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-real");
	hs_runtime *rt = open_rt(dir, NULL);
	assert_hs(0, hs_sendf(rt, "alarm", "r", "arm_after",
			      "name:s delay:I n:I", "soon", 30 * INT64_C(1000000),
			      7));
	int64_t give_up = hsu_monotonic_ns() + 30 * SEC;
	while (alarm_state(rt, "r").count == 0 &&
	       hsu_monotonic_ns() < give_up)
		hsu_sleep_ms(5);
	assert_int_equal(alarm_state(rt, "r").code, 7);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Across a SIGKILL                                                     */
/* ------------------------------------------------------------------ */

/* The child: three alarms arm timers at 10, 20, ..., 60 s after T0
 * (n = 1..6) that ring at alarm "sink", waits until they are written,
 * says so, and waits to be killed. */
static int kill_child(const char *dir, int fd)
{
	atomic_store(&sim_now, T0);
	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.clock = sim_clock;
	hs_runtime *rt = NULL;
	if (hs_open(&rt, &o) != 0)
		return 10;
	hs_type t = {.name = "alarm",
		     .state_size = sizeof(alarm_st),
		     .apply = alarm_apply,
		     .encode = alarm_encode,
		     .decode = alarm_decode};
	if (hs_register(rt, &t) != 0)
		return 11;
	static const char *ids[] = {"k0", "k1", "k2"};
	for (int n = 1; n <= 6; n++) {
		hs_buf b = HS_BUF_INIT;
		char name[8];
		snprintf(name, sizeof name, "t%d", n);
		hs_packf(&b, "name:s at:I n:I to:s", name, T0 + n * 10 * SEC,
			 (int64_t)n, "sink");
		if (hs_send_wait(rt, "alarm", ids[n % 3], "arm", b.data, b.len,
				 NULL) != 0)
			return 12;
		hs_buf_free(&b);
	}
	if (write(fd, "armed\n", 6) != 6)
		return 13;
	for (;;)
		pause();
}

static void test_restart_after_sigkill(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-kill");
	int rfd;
	pid_t pid = pu_spawn_self("test_timers", "--kill-child", dir, &rfd);
	char line[16] = "";
	assert_true(read(rfd, line, sizeof line - 1) > 0);
	close(rfd);
	assert_string_equal(line, "armed\n");
	kill(pid, SIGKILL);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	/* Down until 35 s: t1, t2, t3 fell due meanwhile. They fire at open
	 * (once the type is registered), in due order; t4..t6 wait. */
	atomic_store(&sim_now, T0 + 35 * SEC);
	hs_runtime *rt = open_rt(dir, sim_clock);
	assert_int_equal(advance(rt, T0 + 35 * SEC), 3);
	assert_int_equal(alarm_state(rt, "sink").code, 1002003);
	assert_int_equal(hs_timers_pending(rt), 3);
	assert_hs(0, hs_close(rt));

	/* Once: a second reopen fires nothing more until the clock moves. */
	rt = open_rt(dir, sim_clock);
	assert_int_equal(hs_timers_pending(rt), 3);
	assert_int_equal(advance(rt, T0 + 35 * SEC), 0);
	assert_int_equal(advance(rt, T0 + 100 * SEC), 3);
	assert_int_equal(alarm_state(rt, "sink").code, 1002003004005006);
	assert_int_equal(hs_timers_pending(rt), 0);
	hs_verify_report rep;
	assert_hs(0, hs_verify(rt, NULL, NULL, NULL, &rep));
	assert_int_equal(rep.divergences, 0);
	assert_int_equal(rep.records, 12);
	assert_hs(0, hs_close(rt));

	free(dir);
}

typedef struct effects_seen {
	int n;
	char timer[HS_NAME_MAX + 1];
	char to[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	int64_t due, body_n;
} effects_seen;

static int on_effect(void *udata, const hs_effect_info *e)
{
	effects_seen *s = udata;
	s->n++;
	hsu_copy(s->timer, sizeof s->timer, e->timer);
	hsu_copy(s->to, sizeof s->to, e->to.id);
	hsu_copy(s->event, sizeof s->event, e->event_type);
	s->due = e->due_ns;
	s->body_n = -1;
	if (e->body != NULL)
		CB_CHECK_EQ(hs_get_i64(e->body, e->body_len, "n", &s->body_n),
			    0);
	return 0;
}

static int count_change(void *udata, const hs_whatif_change *c)
{
	(void)c;
	++*(int *)udata;
	return 0;
}

/* A what-if without edits over a log with timers (fired, replaced,
 * cancelled, still pending) is history itself: each firing is paired with
 * the timer its cause sets again in the replay. Dropping the transition
 * that set a timer drops its firing. */
static void test_whatif(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("timers-whatif");
	hs_runtime *rt = open_rt(dir, sim_clock);
	arm(rt, "w", "a", T0 + 10 * SEC, 1);
	arm(rt, "w", "b", T0 + 20 * SEC, 2);
	arm(rt, "w", "b", T0 + 30 * SEC, 3); /* replaces b */
	arm(rt, "w", "c", T0 + 15 * SEC, 4);
	assert_hs(0, hs_sendf(rt, "alarm", "w", "disarm", "name:s", "c"));
	arm(rt, "w", "d", T0 + 90 * SEC, 5); /* still pending */
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(advance(rt, T0 + 40 * SEC), 2);
	assert_int_equal(alarm_state(rt, "w").code, 1003);

	int changes = 0;
	assert_hs(0, hs_whatif(rt, NULL, 0, 0, count_change, &changes));
	assert_int_equal(changes, 0);

	/* What the handlers set, run again. */
	effects_seen seen = {0};
	assert_hs(0, hs_replay_effects(rt, "alarm", "w", 1, on_effect, &seen));
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.timer, "a");
	assert_string_equal(seen.to, "w");
	assert_string_equal(seen.event, "ring");
	assert_int_equal(seen.due, T0 + 10 * SEC);
	assert_int_equal(seen.body_n, 1);
	memset(&seen, 0, sizeof seen);
	assert_hs(0, hs_replay_effects(rt, "alarm", "w", 5, on_effect, &seen));
	assert_int_equal(seen.n, 0); /* the disarm */
	assert_hs(HS_ENOAGENT,
		  hs_replay_effects(rt, "alarm", "w", 99, on_effect, &seen));
	assert_hs(HS_EINVAL,
		  hs_replay_effects(rt, "alarm", "w", 0, on_effect, &seen));

	/* Without the first arm, its ring never happens. */
	hs_edit drop = {.kind = HS_EDIT_DROP, .gseq = 1};
	changes = 0;
	assert_hs(0, hs_whatif(rt, &drop, 1, 0, count_change, &changes));
	assert_true(changes > 0);
	assert_hs(0, hs_close(rt));
	free(dir);
}

/* Bad arguments are refused at the call, naming nothing stored. */
static int bad_args_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)state;
	(void)ev;
	char long_name[HS_NAME_MAX + 2];
	memset(long_name, 'n', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	CB_CHECK_EQ(hs_ctx_timer_at(ctx, "", T0, NULL, NULL, "e", NULL, 0),
		    HS_EINVAL);
	CB_CHECK_EQ(hs_ctx_timer_at(ctx, NULL, T0, NULL, NULL, "e", NULL, 0),
		    HS_EINVAL);
	CB_CHECK_EQ(hs_ctx_timer_at(ctx, long_name, T0, NULL, NULL, "e", NULL,
				    0),
		    HS_ETOOLONG);
	CB_CHECK_EQ(hs_ctx_timer_at(ctx, "n", T0, "nosuch", "x", "e", NULL, 0),
		    HS_ENOTYPE);
	CB_CHECK_EQ(hs_ctx_timer_at(ctx, "n", T0, NULL, NULL, "e", "\xc1", 1),
		    HS_EBADMSG);
	CB_CHECK_EQ(hs_ctx_timer_cancel(ctx, ""), HS_EINVAL);
	return HS_UNCHANGED;
}

static void test_bad_arguments(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("bad", HS_ON_ERROR_FAIL);
	t.apply = bad_args_apply;
	assert_hs(0, hs_register(rt, &t));
	assert_hs(0, hs_send(rt, "bad", "x", "go", NULL, 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(hs_timers_pending(rt), 0);
	assert_hs(HS_EINVAL, hs_timers_fire_due(NULL, NULL));
	assert_hs(0, hs_close(rt));
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--kill-child") == 0)
		return kill_child(argv[2], atoi(argv[3]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_causes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replace_cancel_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_while_firing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rearmed_firing_is_stale,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dropped_firing_ends, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_real_clock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restart_after_sigkill,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_whatif, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
