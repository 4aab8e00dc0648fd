/*
 * Bounded mailboxes under load: many producers against a few agents with
 * a small limit, sending fail-fast (retrying on HS_EAGAIN), waiting
 * without limit, and waiting with short timeouts (retrying on
 * HS_ETIMEDOUT); some through relay agents whose handlers forward with
 * hs_ctx_send. Every accepted message must be handled exactly once and
 * in order per producer: each carries its producer and a number that
 * counts that producer's accepted messages to that agent, and apply
 * checks it follows the last one. A sampler checks meanwhile that the
 * count of waiting messages never exceeds the limit when only outside
 * senders feed the agents.
 */
#include "util.h"
#include "util_fs.h"

#include <limits.h>
#include <sched.h>

#include "core/runtime.h"
#include "core/types.h"

#define PRODUCERS 8
#define AGENTS 4
#define LIMIT 4

/* State: the total and the last number seen from each producer. */
typedef struct seq_state {
	int64_t total;
	int64_t last[PRODUCERS];
} seq_state;

static int seq_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)ctx;
	seq_state *s = state;
	int64_t p, n;
	if (hs_event_i64(ev, "p", &p) != 0 || hs_event_i64(ev, "n", &n) != 0 ||
	    p < 0 || p >= PRODUCERS) {
		CB_CHECK(!"bad body");
		return HS_EINVAL;
	}
	CB_CHECK_EQ(n, s->last[p] + 1);
	/* Slower than the producers, so that mailboxes fill. */
	for (volatile int spin = 0; spin < 2000; spin++)
		;
	s->last[p] = n;
	s->total++;
	return HS_CHANGED;
}

static int seq_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const seq_state *s = state;
	const int64_t *l = s->last;
	return hs_packf(out, "total:I p0:I p1:I p2:I p3:I p4:I p5:I p6:I p7:I",
			s->total, l[0], l[1], l[2], l[3], l[4], l[5], l[6],
			l[7]);
}

static int seq_decode(void *state, const void *data, size_t len,
		      void *udata)
{
	(void)udata;
	seq_state *s = state;
	int rc = hs_get_i64(data, len, "total", &s->total);
	for (int p = 0; rc == 0 && p < PRODUCERS; p++) {
		char key[8];
		snprintf(key, sizeof key, "p%d", p);
		rc = hs_get_i64(data, len, key, &s->last[p]);
	}
	return rc;
}

/* Relay: forwards each event's body to agent "to" of type "seq". */
static int relay_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	char to[16];
	size_t len;
	const void *body = hs_event_body(ev, &len);
	CB_CHECK_EQ(hs_event_strcpy(ev, "to", to, sizeof to), 0);
	CB_CHECK_EQ(hs_ctx_send(ctx, "seq", to, "x", body, len), 0);
	*(int64_t *)state += 1;
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt)
{
	hs_type t = {
		.name = "seq",
		.state_size = sizeof(seq_state),
		.apply = seq_apply,
		.encode = seq_encode,
		.decode = seq_decode,
		.mailbox_limit = LIMIT,
		.snapshot_every = 50,
	};
	assert_hs(0, hs_register(rt, &t));
	hs_type r = hsu_counter_type("relay", HS_ON_ERROR_FAIL);
	r.apply = relay_apply;
	assert_hs(0, hs_register(rt, &r));
}

typedef enum mode { FAIL_FAST, WAIT, WAIT_SHORT, RELAY } mode;

typedef struct producer {
	pthread_t th;
	hs_runtime *rt;
	int p;
	mode mode;
	int per_agent;
	int64_t accepted[AGENTS];
	long refused; /* HS_EAGAIN or HS_ETIMEDOUT, then retried */
	int rc;       /* first unexpected result */
} producer;

static void *producer_main(void *arg)
{
	producer *pr = arg;
	char id[16], relay[16];
	snprintf(relay, sizeof relay, "r%d", pr->p);
	for (int i = 0; i < pr->per_agent * AGENTS; i++) {
		int a = (i + pr->p) % AGENTS;
		snprintf(id, sizeof id, "s%d", a);
		hs_buf body = HS_BUF_INIT;
		if (hs_packf(&body, "p:i n:I to:s", pr->p,
			     pr->accepted[a] + 1, id) != 0) {
			pr->rc = HS_ENOMEM;
			return NULL;
		}
		int rc;
		for (;;) {
			switch (pr->mode) {
			case FAIL_FAST:
				rc = hs_send(pr->rt, "seq", id, "x", body.data,
					     body.len);
				break;
			case WAIT:
				rc = hs_send_timeout(pr->rt, "seq", id, "x",
						     body.data, body.len, -1);
				break;
			case WAIT_SHORT:
				rc = hs_send_timeout(pr->rt, "seq", id, "x",
						     body.data, body.len, 1);
				break;
			default:
				rc = hs_send(pr->rt, "relay", relay, "x",
					     body.data, body.len);
				break;
			}
			if (rc != HS_EAGAIN && rc != HS_ETIMEDOUT)
				break;
			pr->refused++;
			sched_yield();
		}
		hs_buf_free(&body);
		if (rc != 0) {
			pr->rc = rc;
			return NULL;
		}
		pr->accepted[a]++;
	}
	return NULL;
}

/* Samples the waiting count of every "seq" agent until told to stop. */
typedef struct sampler {
	pthread_t th;
	hs_runtime *rt;
	atomic_bool stop;
	unsigned max;
} sampler;

static void *sampler_main(void *arg)
{
	sampler *sm = arg;
	const hsi_type *t = hsi_type_find(sm->rt, "seq");
	char id[16];
	while (!atomic_load(&sm->stop)) {
		for (int a = 0; a < AGENTS; a++) {
			int n = snprintf(id, sizeof id, "s%d", a);
			uint32_t h = hsi_registry_hash(t, id, (size_t)n);
			hsi_shard *s = hsi_registry_shard(&sm->rt->registry, h);
			pthread_mutex_lock(&s->mu);
			hsi_agent *ag = hsi_registry_find(s, t, id, (size_t)n, h);
			if (ag != NULL) {
				unsigned q = atomic_load(&ag->queued);
				if (q > sm->max)
					sm->max = q;
			}
			pthread_mutex_unlock(&s->mu);
		}
		sched_yield();
	}
	return NULL;
}

static unsigned waiting_total(hs_runtime *rt)
{
	unsigned n = 0;
	for (size_t i = 0; i < HSI_REGISTRY_SHARDS; i++)
		n += atomic_load(&rt->registry.shards[i].waiting);
	return n;
}

static void check_states(hs_runtime *rt, producer *pr)
{
	char id[16];
	for (int a = 0; a < AGENTS; a++) {
		snprintf(id, sizeof id, "s%d", a);
		hs_buf b = HS_BUF_INIT;
		assert_hs(0, hs_deref(rt, "seq", id, &b));
		seq_state st;
		memset(&st, 0, sizeof st);
		assert_hs(0, seq_decode(&st, b.data, b.len, NULL));
		hs_buf_free(&b);
		int64_t total = 0;
		for (int p = 0; p < PRODUCERS; p++) {
			assert_int_equal(st.last[p], pr[p].accepted[a]);
			total += pr[p].accepted[a];
		}
		assert_int_equal(st.total, total);
	}
}

static void run(const char *path, bool relays, int per_agent)
{
	hsu_reset();
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.batch = 3; /* turns end often: agents go idle and come back */
	o.path = path;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt;
	assert_hs(0, hs_open(&rt, &o));
	register_types(rt);

	sampler sm = {.rt = rt};
	atomic_init(&sm.stop, false);
	assert_int_equal(pthread_create(&sm.th, NULL, sampler_main, &sm), 0);
	producer pr[PRODUCERS];
	memset(pr, 0, sizeof pr);
	for (int p = 0; p < PRODUCERS; p++) {
		pr[p].rt = rt;
		pr[p].p = p;
		pr[p].mode = (mode)(p % (relays ? 4 : 3));
		pr[p].per_agent = per_agent;
		assert_int_equal(
			pthread_create(&pr[p].th, NULL, producer_main, &pr[p]),
			0);
	}
	long refused = 0;
	for (int p = 0; p < PRODUCERS; p++) {
		assert_int_equal(pthread_join(pr[p].th, NULL), 0);
		assert_hs(0, pr[p].rc);
		for (int a = 0; a < AGENTS; a++)
			assert_int_equal(pr[p].accepted[a], per_agent);
		refused += pr[p].refused;
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	atomic_store(&sm.stop, true);
	assert_int_equal(pthread_join(sm.th, NULL), 0);
	check_states(rt, pr);
	assert_int_equal(waiting_total(rt), 0);
	print_message("%s%s: %d messages, %ld refusals retried, most waiting "
		      "at once %u (limit %d)\n",
		      path ? "persisted" : "in memory",
		      relays ? ", with relays" : "",
		      PRODUCERS * AGENTS * per_agent, refused, sm.max, LIMIT);
	/* Only outside senders: never over the limit. Relays' messages may
	 * take it over, by at most what is in flight from them. */
	if (!relays)
		assert_true(sm.max <= LIMIT);
	assert_hs(0, hs_close(rt));
	assert_int_equal(hsu_drop_count(), 0);
	hsu_assert_no_cb_failures();

	if (path != NULL) {
		/* The log holds exactly the accepted messages. */
		assert_hs(0, hs_open(&rt, &o));
		register_types(rt);
		check_states(rt, pr);
		assert_hs(0, hs_close(rt));
	}
}

static int per_agent(void)
{
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	return 1000;
#else
	return 10000;
#endif
}

static void test_stress_in_memory(void **state)
{
	(void)state;
	run(NULL, false, per_agent());
}

static void test_stress_in_memory_relays(void **state)
{
	(void)state;
	run(NULL, true, per_agent());
}

static void test_stress_persisted_relays(void **state)
{
	(void)state;
	char dir[PATH_MAX];
	assert_int_equal(hsu_mkdtemp(dir, sizeof dir, "stress-bp"), 0);
	run(dir, true, per_agent() / 3);
	assert_int_equal(hsu_rm_rf(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_in_memory),
		cmocka_unit_test(test_stress_in_memory_relays),
		cmocka_unit_test(test_stress_persisted_relays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
