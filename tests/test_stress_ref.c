/* Agent references under concurrency: refs taken and released on many
 * threads while passivation sweeps free idle agents, and one ref shared
 * by several sending threads. TSan and ASan watch the pins. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util.h"
#include "persist_util.h"

#define THREADS 4
#define AGENTS 64

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define ROUNDS 300
#else
#define ROUNDS 5000
#endif

typedef struct churn {
	hs_runtime *rt;
	unsigned seed;
	atomic_long *sent; /* per agent */
	int failures;
} churn;

static unsigned next_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Takes a ref on a random agent, sends through it (and sometimes by
 * name), releases it; the sweeps triggered by other threads' sends run
 * meanwhile. */
static void *churn_main(void *p)
{
	churn *c = p;
	char id[32];
	for (int i = 0; i < ROUNDS; i++) {
		unsigned k = next_rand(&c->seed) % AGENTS;
		snprintf(id, sizeof id, "a-%03u", k);
		hs_ref *r;
		if (hs_agent_ref(c->rt, "c", id, &r) != 0) {
			c->failures++;
			continue;
		}
		unsigned n = 1 + next_rand(&c->seed) % 4;
		for (unsigned j = 0; j < n; j++) {
			int rc = (j & 1) ? hs_sendf(c->rt, "c", id, "inc", "")
					 : hs_send_ref(r, "inc", NULL, 0);
			if (rc == 0)
				atomic_fetch_add(&c->sent[k], 1);
			else
				c->failures++;
		}
		hs_ref_release(r);
	}
	return NULL;
}

static void test_refs_race_passivation(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("stress-ref");
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.resident_limit = 8;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);

	static atomic_long sent[AGENTS];
	for (int i = 0; i < AGENTS; i++)
		atomic_store(&sent[i], 0);
	pthread_t th[THREADS];
	churn cs[THREADS];
	for (int i = 0; i < THREADS; i++) {
		cs[i] = (churn){rt, 7u + 31u * (unsigned)i, sent, 0};
		assert_int_equal(pthread_create(&th[i], NULL, churn_main,
						&cs[i]),
				 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cs[i].failures, 0);
	}
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	char id[32];
	for (int k = 0; k < AGENTS; k++) {
		snprintf(id, sizeof id, "a-%03d", k);
		long want = atomic_load(&sent[k]);
		if (want == 0)
			continue;
		assert_int_equal(hsu_counter_value(rt, "c", id), want);
	}
	assert_true(hs_resident(rt) <= 8 + THREADS + 1);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
	pu_rmtree(dir);
	free(dir);
}

typedef struct sharer {
	hs_ref *ref;
	int base;
	int failures;
} sharer;

/* Each thread sends its own increasing sequence through the shared ref;
 * the agent checks that each sender's sequence arrives in order. */
static void *share_main(void *p)
{
	sharer *s = p;
	for (int n = 1; n <= 5 * ROUNDS; n++) {
		hs_buf b = HS_BUF_INIT;
		if (hs_packf(&b, "t:i n:i", s->base, n) != 0 ||
		    hs_send_ref(s->ref, "seq", b.data, b.len) != 0)
			s->failures++;
		hs_buf_free(&b);
	}
	return NULL;
}

static int seq_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)ctx;
	int64_t *last = state, t, n;
	CB_CHECK_EQ(hs_event_i64(ev, "t", &t), 0);
	CB_CHECK_EQ(hs_event_i64(ev, "n", &n), 0);
	if (t < 0 || t >= THREADS)
		return HS_ERANGE;
	CB_CHECK_EQ(n, last[t] + 1);
	last[t] = n;
	return HS_CHANGED;
}

static int seq_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const int64_t *last = state;
	return hs_packf(out, "[I I I I]", last[0], last[1], last[2], last[3]);
}

static int seq_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)state;
	(void)data;
	(void)len;
	(void)udata;
	return HS_ENOTSUP;
}

static void test_shared_ref_keeps_each_senders_order(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 7);
	hs_type t = {
		.name = "seq",
		.state_size = THREADS * sizeof(int64_t),
		.apply = seq_apply,
		.encode = seq_encode,
		.decode = seq_decode,
	};
	assert_hs(0, hs_register(rt, &t));
	hs_ref *r;
	assert_hs(0, hs_agent_ref(rt, "seq", "one", &r));
	pthread_t th[THREADS];
	sharer ss[THREADS];
	for (int i = 0; i < THREADS; i++) {
		ss[i] = (sharer){r, i, 0};
		assert_int_equal(pthread_create(&th[i], NULL, share_main,
						&ss[i]),
				 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ss[i].failures, 0);
	}
	hs_ref_release(r);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(rt, "seq", "one", &st));
	assert_int_equal(st.seq, THREADS * 5 * ROUNDS);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refs_race_passivation),
		cmocka_unit_test(test_shared_ref_keeps_each_senders_order),
	};
	return cmocka_run_group_tests(tests, NULL, pu_cleanup_dirs);
}
