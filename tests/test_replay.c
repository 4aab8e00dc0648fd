/*
 * The replay queries (hs_state_at, hs_history, hs_system_at) checked
 * against ground truth: a watcher records every transition of a workload
 * (agent, seq, time, event, new state) while it runs, the log gives each
 * one its gseq, and then every query is compared with what the watcher
 * saw: at each record, between records, before the first and after the
 * last, by seq, by gseq and by time. The same checks run on the runtime
 * that wrote the log, on a read-only runtime opened beside it, and on a
 * read-only runtime opened after it closed.
 *
 * The workload: three agent types with snapshot_every never, 1 and 7 (so
 * rebuilds go through plain replay and through snapshots), two agents of
 * each, with ids chosen to trip prefix mistakes ("x", "xy", "x0", and "x"
 * in every type); three sender threads, one of them with hs_send_wait;
 * "relay" events whose handlers send on to other agents; "noop" events
 * that change nothing but still read the clock. The clock is a fake that
 * steps STEP_NS per call, so record times are distinct and every time
 * between two records is known. Each agent ends with 42 transitions; only
 * their interleaving (so the gseqs) varies from run to run, and every
 * expectation is computed from what the watcher and the log recorded.
 * While the workload runs, one more thread queries the writer at the
 * log's current end; its answers are checked afterwards.
 */
#include "util.h"
#include "persist_util.h"

/* ------------------------------------------------------------------ */
/* A deterministic clock                                                */
/* ------------------------------------------------------------------ */

#define BASE_NS 1700000000000000000LL
#define STEP_NS 1000

typedef struct fake_clock {
	pthread_mutex_t mu;
	int64_t next;
} fake_clock;

static fake_clock clk = {PTHREAD_MUTEX_INITIALIZER, BASE_NS};

static int64_t fake_now(void *udata)
{
	fake_clock *c = udata;
	pthread_mutex_lock(&c->mu);
	int64_t v = c->next;
	c->next += STEP_NS;
	pthread_mutex_unlock(&c->mu);
	return v;
}

/* The value the clock returned last (not advancing it). */
static int64_t clock_last(void)
{
	pthread_mutex_lock(&clk.mu);
	int64_t v = clk.next - STEP_NS;
	pthread_mutex_unlock(&clk.mu);
	return v;
}

/* ------------------------------------------------------------------ */
/* The agents                                                           */
/* ------------------------------------------------------------------ */

typedef struct agent_def {
	const char *type;
	const char *id;
} agent_def;

/* In (type, id) order, the order hs_system_at reports them in. */
static const agent_def AG[] = {
	{"snap0", "x"},  {"snap0", "xy"}, {"snap1", "x"},
	{"snap1", "x0"}, {"snap7", "x"},  {"snap7", "xy"},
};
#define NAG ((int)(sizeof AG / sizeof AG[0]))

static const struct {
	const char *name;
	unsigned every;
} TYPES[] = {{"snap0", HS_SNAPSHOT_NEVER}, {"snap1", 1}, {"snap7", 7}};
#define NTYPES ((int)(sizeof TYPES / sizeof TYPES[0]))

static int agent_index(const char *type, const char *id)
{
	for (int i = 0; i < NAG; i++)
		if (strcmp(AG[i].type, type) == 0 && strcmp(AG[i].id, id) == 0)
			return i;
	return -1;
}

/*
 * State: a count, a sum, an order-sensitive hash of the values added, the
 * time of the latest transition and a mix of hs_ctx_random(): replay
 * matches only if it feeds each event in order with the record's time.
 */
typedef struct acct_st {
	int64_t n;
	int64_t sum;
	uint64_t h;
	int64_t t;
	uint64_t r;
} acct_st;

static int acct_encode(const void *state, hs_buf *out, void *udata)
{
	const acct_st *a = state;
	(void)udata;
	return hs_packf(out, "n:I sum:I h:U t:I r:U", a->n, a->sum, a->h, a->t,
			a->r);
}

static int acct_decode(void *state, const void *data, size_t len, void *udata)
{
	acct_st *a = state;
	hs_value v;
	(void)udata;
	int rc = hs_get_i64(data, len, "n", &a->n);
	if (rc == 0)
		rc = hs_get_i64(data, len, "sum", &a->sum);
	if (rc == 0)
		rc = hs_get_i64(data, len, "t", &a->t);
	/* h and r may be above INT64_MAX. */
	if (rc == 0 && (rc = hs_get(data, len, "h", &v)) == 0)
		a->h = v.kind == HS_UINT ? v.as.u : (uint64_t)v.as.i;
	if (rc == 0 && (rc = hs_get(data, len, "r", &v)) == 0)
		a->r = v.kind == HS_UINT ? v.as.u : (uint64_t)v.as.i;
	return rc;
}

static void acct_step(hs_ctx *ctx, acct_st *a, int64_t k)
{
	a->n++;
	a->sum += k;
	a->h = (a->h ^ (uint64_t)k) * 1099511628211ULL + (uint64_t)a->n;
	a->t = hs_ctx_now(ctx);
	a->r ^= hs_ctx_random(ctx);
}

/*
 * Events:
 *   add   {k, src}      one step with k
 *   relay {k, hops, to} one step with k, then sends AG[to] a relay with
 *                       k+1, hops-1, to+1 (hops > 1) or an add of k+1
 *   noop                UNCHANGED
 */
static int acct_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	acct_st *a = state;
	int64_t k = 0, hops = 0, to = 0;
	if (hs_event_is(ev, "noop"))
		return HS_UNCHANGED;
	int rc = hs_event_i64(ev, "k", &k);
	CB_CHECK_EQ(rc, 0);
	if (rc != 0)
		return rc;
	if (hs_event_is(ev, "add")) {
		acct_step(ctx, a, k);
		return HS_CHANGED;
	}
	if (!hs_event_is(ev, "relay")) {
		hsu_cb_fail(__FILE__, __LINE__, "unknown event %s",
			    hs_event_type(ev));
		return HS_EINVAL;
	}
	rc = hs_event_i64(ev, "hops", &hops);
	if (rc == 0)
		rc = hs_event_i64(ev, "to", &to);
	CB_CHECK_EQ(rc, 0);
	CB_CHECK(to >= 0 && to < NAG);
	if (rc != 0 || to < 0 || to >= NAG)
		return HS_EINVAL;
	acct_step(ctx, a, k);
	if (hops > 1)
		rc = hs_ctx_sendf(ctx, AG[to].type, AG[to].id, "relay",
				  "k:I hops:I to:I", k + 1, hops - 1,
				  (int64_t)((to + 1) % NAG));
	else
		rc = hs_ctx_sendf(ctx, AG[to].type, AG[to].id, "add",
				  "k:I src:s", k + 1, "relay");
	CB_CHECK_EQ(rc, 0);
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt, int ntypes)
{
	for (int i = 0; i < ntypes; i++) {
		hs_type t;
		memset(&t, 0, sizeof t);
		t.name = TYPES[i].name;
		t.state_size = sizeof(acct_st);
		t.apply = acct_apply;
		t.encode = acct_encode;
		t.decode = acct_decode;
		t.snapshot_every = TYPES[i].every;
		assert_hs(0, hs_register(rt, &t));
	}
}

/* ------------------------------------------------------------------ */
/* Ground truth                                                         */
/* ------------------------------------------------------------------ */

typedef struct gt_rec {
	uint64_t seq;
	uint64_t gseq; /* from the log, after the run */
	int64_t time_ns;
	char event[16];
	uint8_t *body;
	size_t body_len;
	uint8_t *state; /* new state */
	size_t state_len;
} gt_rec;

typedef struct gt_agent {
	gt_rec *v;
	size_t n, cap;
	uint8_t *last_state; /* to check old_state; watcher thread only */
	size_t last_len;
} gt_agent;

static pthread_mutex_t gt_mu = PTHREAD_MUTEX_INITIALIZER;
static gt_agent gt[NAG];
static uint64_t gt_total; /* transitions, = the log's last gseq */

static uint8_t *dup_bytes(const void *p, size_t n)
{
	if (n == 0)
		return NULL;
	uint8_t *d = malloc(n);
	if (d != NULL)
		memcpy(d, p, n);
	return d;
}

static bool bytes_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static void watcher(void *udata, const hs_transition *t)
{
	(void)udata;
	int ai = agent_index(t->agent.type, t->agent.id);
	CB_CHECK(ai >= 0);
	if (ai < 0)
		return;
	pthread_mutex_lock(&gt_mu);
	gt_agent *g = &gt[ai];
	CB_CHECK_EQ(t->seq, g->n + 1);
	if (g->n > 0)
		CB_CHECK(bytes_eq(t->old_state, t->old_len, g->last_state,
				  g->last_len));
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 64;
		gt_rec *v = realloc(g->v, cap * sizeof *v);
		CB_CHECK(v != NULL);
		if (v == NULL) {
			pthread_mutex_unlock(&gt_mu);
			return;
		}
		g->v = v;
		g->cap = cap;
	}
	gt_rec *r = &g->v[g->n++];
	memset(r, 0, sizeof *r);
	r->seq = t->seq;
	r->time_ns = t->time_ns;
	hsu_copy(r->event, sizeof r->event, t->event_type);
	r->body = dup_bytes(t->event_body, t->event_len);
	r->body_len = t->event_len;
	r->state = dup_bytes(t->new_state, t->new_len);
	r->state_len = t->new_len;
	g->last_state = r->state;
	g->last_len = r->state_len;
	pthread_mutex_unlock(&gt_mu);
}

static void gt_free(void)
{
	for (int i = 0; i < NAG; i++) {
		for (size_t j = 0; j < gt[i].n; j++) {
			free(gt[i].v[j].body);
			free(gt[i].v[j].state);
		}
		free(gt[i].v);
	}
	memset(gt, 0, sizeof gt);
	gt_total = 0;
}

/* The ground-truth record of agent ai at seq (1-based). */
static const gt_rec *gt_at(int ai, uint64_t seq)
{
	assert_true(seq >= 1 && seq <= gt[ai].n);
	return &gt[ai].v[seq - 1];
}

/* The agent's last transition with gseq <= g (or time <= t), or NULL. */
static const gt_rec *gt_by_gseq(int ai, uint64_t g)
{
	const gt_rec *best = NULL;
	for (size_t j = 0; j < gt[ai].n; j++)
		if (gt[ai].v[j].gseq <= g)
			best = &gt[ai].v[j];
	return best;
}

static const gt_rec *gt_by_time(int ai, int64_t t)
{
	const gt_rec *best = NULL;
	for (size_t j = 0; j < gt[ai].n; j++)
		if (gt[ai].v[j].time_ns <= t)
			best = &gt[ai].v[j];
	return best;
}

/* ------------------------------------------------------------------ */
/* Records as hs_history passes them, copied                            */
/* ------------------------------------------------------------------ */

typedef struct hrec {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq, gseq;
	int64_t time_ns;
	char event[HS_NAME_MAX + 1];
	uint8_t *body;
	size_t body_len;
	bool body_null;
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
	uint64_t cause_seq, cause_gseq;
	uint64_t state_hash;
	uint8_t *state;
	size_t state_len;
	bool state_null;
} hrec;

typedef struct hlist {
	hrec *v;
	size_t n, cap;
	size_t stop_at; /* return stop_rc after this many records; 0 never */
	int stop_rc;
	bool oom;
} hlist;

static int collect_rec(void *udata, const hs_record *r)
{
	hlist *l = udata;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 128;
		hrec *v = realloc(l->v, cap * sizeof *v);
		if (v == NULL) {
			l->oom = true;
			return HS_ENOMEM;
		}
		l->v = v;
		l->cap = cap;
	}
	hrec *h = &l->v[l->n++];
	memset(h, 0, sizeof *h);
	hsu_copy(h->type, sizeof h->type, r->agent.type);
	hsu_copy(h->id, sizeof h->id, r->agent.id);
	h->seq = r->seq;
	h->gseq = r->gseq;
	h->time_ns = r->time_ns;
	hsu_copy(h->event, sizeof h->event, r->event_type);
	h->body_null = r->body == NULL;
	h->body = dup_bytes(r->body, r->body_len);
	h->body_len = r->body_len;
	hsu_copy(h->cause_type, sizeof h->cause_type, r->cause.type);
	hsu_copy(h->cause_id, sizeof h->cause_id, r->cause.id);
	h->cause_seq = r->cause_seq;
	h->cause_gseq = r->cause_gseq;
	h->state_hash = r->state_hash;
	h->state_null = r->state == NULL;
	h->state = dup_bytes(r->state, r->state_len);
	h->state_len = r->state_len;
	if (l->stop_at != 0 && l->n == l->stop_at)
		return l->stop_rc;
	return 0;
}

static void hlist_free(hlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].body);
		free(l->v[i].state);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static void print_last_error(hs_runtime *rt, const char *what, int rc)
{
	char err[512];
	hs_last_error(rt, err, sizeof err);
	print_error("%s: %d (%s): %s\n", what, rc, hs_strerror(rc), err);
}

/* Runs hs_history and asserts it returns `want`. */
static void history(hs_runtime *rt, const hs_filter *f, hlist *out, int want)
{
	int rc = hs_history(rt, f, collect_rec, out);
	if (rc != want)
		print_last_error(rt, "hs_history", rc);
	assert_false(out->oom);
	assert_hs(want, rc);
}

/* ------------------------------------------------------------------ */
/* The workload                                                         */
/* ------------------------------------------------------------------ */

#define NSENDERS 3
#define ROUNDS 8
#define RELAY_EVERY 4 /* rounds */
#define NOOP_EVERY 3  /* rounds */
#define WAITER 0      /* this sender uses hs_send_wait for its adds */

typedef struct receipt_rec {
	int ai;
	hs_receipt r;
} receipt_rec;

typedef struct sender {
	hs_runtime *rt;
	int no;
	int failures;
	int first_rc;
	receipt_rec receipts[ROUNDS * NAG];
	size_t nreceipts;
} sender;

static void sender_note(sender *s, int rc)
{
	if (rc != 0 && s->failures++ == 0)
		s->first_rc = rc;
}

/* An add by hs_send_wait, keeping the receipt. */
static void send_add_wait(sender *s, int ai, int64_t k)
{
	hs_buf b = HS_BUF_INIT;
	hs_receipt r = {0, 0};
	int rc = hs_packf(&b, "k:I src:s", k, "wait");
	if (rc == 0)
		rc = hs_send_wait(s->rt, AG[ai].type, AG[ai].id, "add", b.data,
				  b.len, &r);
	hs_buf_free(&b);
	sender_note(s, rc);
	if (rc == 0)
		s->receipts[s->nreceipts++] = (receipt_rec){ai, r};
}

/* A relay that hops twice: AG[ai], AG[ai + 1], then an add at
 * AG[ai + 2]. */
static void send_relay(sender *s, int ai, int64_t k)
{
	int64_t next = (ai + 1) % NAG;
	sender_note(s, hs_sendf(s->rt, AG[ai].type, AG[ai].id, "relay",
				"k:I hops:I to:I", k, (int64_t)2, next));
}

static void *sender_main(void *p)
{
	sender *s = p;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < NAG; i++) {
			const char *type = AG[i].type, *id = AG[i].id;
			int64_t k = s->no * 100000 + round * 100 + i;
			if (s->no == WAITER)
				send_add_wait(s, i, k);
			else
				sender_note(s, hs_sendf(s->rt, type, id, "add",
							"k:I src:s", k,
							"thread"));
			if (round % NOOP_EVERY == 1)
				sender_note(s, hs_sendf(s->rt, type, id,
							"noop", ""));
			if (round % RELAY_EVERY == 2)
				send_relay(s, i, -k);
		}
	}
	return NULL;
}

/* The number of relay records the workload makes: each sender injects
 * one hops-2 relay per agent every RELAY_EVERY rounds, which makes one
 * hops-1 relay. */
#define N_INJECT (NSENDERS * NAG * ((ROUNDS + RELAY_EVERY - 3) / RELAY_EVERY))
#define N_RELAY (2 * N_INJECT)
#define N_TRANSITIONS (NSENDERS * ROUNDS * NAG + 3 * N_INJECT)

/* ------------------------------------------------------------------ */
/* Shared fixture: one log, written once                                */
/* ------------------------------------------------------------------ */

static char *dir;
static hs_runtime *writer; /* NULL once closed */
static sender senders[NSENDERS];

static hs_runtime *open_ro(int ntypes)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = dir;
	o.read_only = true;
	o.clock = fake_now;
	o.clock_udata = &clk;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("read-only open of %s: %d (%s): %s\n", dir, rc,
			    hs_strerror(rc), err);
	assert_hs(0, rc);
	register_types(rt, ntypes);
	return rt;
}

/*
 * Gives every ground-truth record its gseq from the whole log (asserting
 * that the log holds exactly the watched transitions with the same times,
 * events and bodies) and checks the causes of handler-sent events.
 */
static void index_log(hs_runtime *rt)
{
	hlist all = {0};
	hs_filter f;
	memset(&f, 0, sizeof f);
	history(rt, &f, &all, 0);

	uint64_t total = 0;
	for (int i = 0; i < NAG; i++) {
		total += gt[i].n;
		for (size_t j = 0; j < gt[i].n; j++)
			gt[i].v[j].gseq = 0;
	}
	assert_int_equal(all.n, total);
	size_t caused = 0, relays = 0;
	for (size_t k = 0; k < all.n; k++) {
		const hrec *h = &all.v[k];
		assert_int_equal(h->gseq, k + 1);
		int ai = agent_index(h->type, h->id);
		if (ai < 0)
			print_error("log has agent %s/%s\n", h->type, h->id);
		assert_true(ai >= 0);
		assert_true(h->seq >= 1 && h->seq <= gt[ai].n);
		gt_rec *g = &gt[ai].v[h->seq - 1];
		assert_int_equal(g->gseq, 0); /* once */
		g->gseq = h->gseq;
		assert_int_equal(h->time_ns, g->time_ns);
		assert_string_equal(h->event, g->event);
		assert_true(
			bytes_eq(h->body, h->body_len, g->body, g->body_len));
		assert_true(h->state_null);
		if (strcmp(h->event, "relay") == 0)
			relays++;
		if (h->cause_seq == 0) {
			assert_int_equal(h->cause_gseq, 0);
			continue;
		}
		/* Caused: by the relay record of the agent before it. */
		caused++;
		assert_true(h->cause_gseq >= 1 && h->cause_gseq < h->gseq);
		const hrec *c = &all.v[h->cause_gseq - 1];
		assert_string_equal(h->cause_type, c->type);
		assert_string_equal(h->cause_id, c->id);
		assert_int_equal(h->cause_seq, c->seq);
		assert_string_equal(c->event, "relay");
		int ci = agent_index(c->type, c->id);
		assert_int_equal((ci + 1) % NAG, ai);
		int64_t ck = 0, k2 = 0;
		assert_hs(0, hs_get_i64(c->body, c->body_len, "k", &ck));
		assert_hs(0, hs_get_i64(h->body, h->body_len, "k", &k2));
		assert_int_equal(k2, ck + 1);
	}
	/* Every relay caused exactly one record; half the relays were
	 * themselves caused. */
	assert_int_equal(relays, N_RELAY);
	assert_int_equal(caused, N_RELAY);
	for (int i = 0; i < NAG; i++)
		for (size_t j = 0; j < gt[i].n; j++)
			assert_true(gt[i].v[j].gseq != 0);
	gt_total = total;
	hlist_free(&all);
}

/* ------------------------------------------------------------------ */
/* Queries while the workload runs                                      */
/* ------------------------------------------------------------------ */

/*
 * A thread that asks the writer about the past while the senders run: it
 * takes the log's end L from hs_history, then every agent's state at gseq
 * L and the system at gseq L. What it got is kept and compared with the
 * ground truth once the run is over: at a gseq that was written, the
 * answer may not depend on what is being written meanwhile.
 */
#define LIVE_ROUNDS_MAX 60

typedef struct live_answer {
	uint64_t at_gseq; /* the point asked */
	int call;         /* hs_system_at call number, -1 for hs_state_at */
	int ai;
	bool present; /* hs_state_at: 0; HS_ENOAGENT gives false */
	hs_receipt at;
	uint8_t *state;
	size_t len;
} live_answer;

typedef struct querier {
	hs_runtime *rt;
	atomic_bool stop;
	live_answer *v;
	size_t n, cap;
	int calls; /* hs_system_at calls made */
	int rounds;
	int failures; /* unexpected results */
	char first[512];
	uint64_t last_seen[LIVE_ROUNDS_MAX]; /* L of each round */
	int last_ai[LIVE_ROUNDS_MAX];
	uint64_t last_seq[LIVE_ROUNDS_MAX];
	int cur_call;
} querier;

static void querier_fail(querier *q, const char *what, int rc)
{
	if (q->failures++ == 0) {
		char err[256];
		hs_last_error(q->rt, err, sizeof err);
		snprintf(q->first, sizeof q->first, "%s: %d (%s): %s", what,
			 rc, hs_strerror(rc), err);
	}
}

static live_answer *querier_add(querier *q)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 256;
		live_answer *v = realloc(q->v, cap * sizeof *v);
		if (v == NULL)
			return NULL;
		q->v = v;
		q->cap = cap;
	}
	live_answer *a = &q->v[q->n++];
	memset(a, 0, sizeof *a);
	return a;
}

static int querier_sys(void *udata, hs_addr agent, const void *state,
		       size_t len, hs_receipt at)
{
	querier *q = udata;
	live_answer *a = querier_add(q);
	if (a == NULL)
		return HS_ENOMEM;
	a->at_gseq = q->last_seen[q->rounds];
	a->call = q->cur_call;
	a->ai = agent_index(agent.type, agent.id);
	a->present = true;
	a->at = at;
	a->state = dup_bytes(state, len);
	a->len = len;
	return 0;
}

static void *querier_main(void *p)
{
	querier *q = p;
	while (!atomic_load(&q->stop) && q->rounds < LIVE_ROUNDS_MAX) {
		hs_filter f;
		memset(&f, 0, sizeof f);
		f.reverse = true;
		f.limit = 1;
		hlist last = {0};
		int rc = hs_history(q->rt, &f, collect_rec, &last);
		if (rc != 0 || last.oom) {
			querier_fail(q, "hs_history(last)", rc);
			hlist_free(&last);
			break;
		}
		if (last.n == 0) {
			hlist_free(&last);
			hsu_sleep_ms(1);
			continue;
		}
		uint64_t L = last.v[0].gseq;
		int r = q->rounds;
		q->last_seen[r] = L;
		q->last_ai[r] = agent_index(last.v[0].type, last.v[0].id);
		q->last_seq[r] = last.v[0].seq;
		hlist_free(&last);
		for (int ai = 0; ai < NAG; ai++) {
			hs_buf b = HS_BUF_INIT;
			hs_receipt at = {0, 0};
			rc = hs_state_at(q->rt, AG[ai].type, AG[ai].id,
					 hs_at_gseq(L), &b, &at);
			live_answer *a = querier_add(q);
			if (a == NULL || (rc != 0 && rc != HS_ENOAGENT)) {
				querier_fail(q, "hs_state_at(live)", rc);
				hs_buf_free(&b);
				continue;
			}
			a->at_gseq = L;
			a->call = -1;
			a->ai = ai;
			a->present = rc == 0;
			a->at = at;
			a->state = dup_bytes(b.data, b.len);
			a->len = b.len;
			hs_buf_free(&b);
		}
		q->cur_call = q->calls++;
		rc = hs_system_at(q->rt, NULL, hs_at_gseq(L), querier_sys, q);
		if (rc != 0)
			querier_fail(q, "hs_system_at(live)", rc);
		q->rounds++;
	}
	return NULL;
}

/* Compares what the querier got with the ground truth. */
static void querier_check(querier *q)
{
	if (q->failures != 0)
		print_error("querier: %d failures; first: %s\n", q->failures,
			    q->first);
	assert_int_equal(q->failures, 0);
	for (int r = 0; r < q->rounds; r++) {
		assert_true(q->last_ai[r] >= 0);
		assert_int_equal(gt_at(q->last_ai[r], q->last_seq[r])->gseq,
				 q->last_seen[r]);
	}
	for (size_t k = 0; k < q->n; k++) {
		const live_answer *a = &q->v[k];
		assert_true(a->ai >= 0);
		const gt_rec *g = gt_by_gseq(a->ai, a->at_gseq);
		if (g == NULL) {
			if (a->present)
				print_error("live query at gseq %" PRIu64
					    ": %s/%s present before its first "
					    "record\n",
					    a->at_gseq, AG[a->ai].type,
					    AG[a->ai].id);
			assert_false(a->present);
			continue;
		}
		bool ok = a->present && a->at.seq == g->seq &&
			  a->at.gseq == g->gseq &&
			  bytes_eq(a->state, a->len, g->state, g->state_len);
		if (!ok)
			print_error("live %s at gseq %" PRIu64 ": %s/%s got "
				    "%s seq %" PRIu64 " gseq %" PRIu64
				    ", expected seq %" PRIu64 " gseq %" PRIu64
				    "\n",
				    a->call < 0 ? "hs_state_at"
						: "hs_system_at",
				    a->at_gseq, AG[a->ai].type, AG[a->ai].id,
				    a->present ? "state" : "nothing",
				    a->at.seq, a->at.gseq, g->seq, g->gseq);
		assert_true(ok);
	}
	/* Each hs_system_at call listed exactly the agents born by then,
	 * in order. */
	assert_int_equal(q->calls, q->rounds); /* one per round */
	for (int c = 0; c < q->calls; c++) {
		uint64_t L = q->last_seen[c];
		int prev = -1, count = 0;
		for (size_t k = 0; k < q->n; k++) {
			const live_answer *a = &q->v[k];
			if (a->call != c)
				continue;
			assert_int_equal(a->at_gseq, L);
			assert_true(a->ai > prev);
			prev = a->ai;
			count++;
		}
		int born = 0;
		for (int ai = 0; ai < NAG; ai++)
			born += gt_by_gseq(ai, L) != NULL;
		assert_int_equal(count, born);
	}
}

static void querier_free(querier *q)
{
	for (size_t k = 0; k < q->n; k++)
		free(q->v[k].state);
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}

static int group_setup(void **state)
{
	(void)state;
	hsu_reset();
	gt_free();
	dir = pu_mkdtemp("replay");
	writer = pu_open_rt(dir, HS_DURABILITY_NONE, 4, fake_now, &clk);
	register_types(writer, NTYPES);
	int wid;
	assert_hs(0, hs_watch(writer, watcher, NULL, &wid));

	static querier q;
	memset(&q, 0, sizeof q);
	q.rt = writer;
	pthread_t qth;
	assert_int_equal(pthread_create(&qth, NULL, querier_main, &q), 0);

	pthread_t th[NSENDERS];
	for (int s = 0; s < NSENDERS; s++) {
		memset(&senders[s], 0, sizeof senders[s]);
		senders[s].rt = writer;
		senders[s].no = s;
		assert_int_equal(
			pthread_create(&th[s], NULL, sender_main, &senders[s]),
			0);
	}
	for (int s = 0; s < NSENDERS; s++) {
		assert_int_equal(pthread_join(th[s], NULL), 0);
		if (senders[s].failures != 0)
			print_error("sender %d: %d failures, first %d (%s)\n",
				    s, senders[s].failures,
				    senders[s].first_rc,
				    hs_strerror(senders[s].first_rc));
		assert_int_equal(senders[s].failures, 0);
	}
	atomic_store(&q.stop, true);
	assert_int_equal(pthread_join(qth, NULL), 0);
	assert_hs(0, hs_await(writer, HSU_AWAIT_MS));
	hsu_assert_no_cb_failures();

	uint64_t total = 0;
	for (int i = 0; i < NAG; i++) {
		assert_true(gt[i].n >= 20);
		total += gt[i].n;
	}
	assert_int_equal(total, N_TRANSITIONS);
	index_log(writer);

	/* The receipts of hs_send_wait agree with the log. */
	const sender *w = &senders[WAITER];
	assert_int_equal(w->nreceipts, ROUNDS * NAG);
	for (size_t k = 0; k < w->nreceipts; k++) {
		const receipt_rec *rr = &w->receipts[k];
		const gt_rec *g = gt_at(rr->ai, rr->r.seq);
		assert_int_equal(rr->r.gseq, g->gseq);
		assert_string_equal(g->event, "add");
	}

	querier_check(&q);
	print_message("%d rounds of queries during the run\n", q.rounds);
	querier_free(&q);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (writer != NULL)
		hs_close(writer);
	writer = NULL;
	pu_rmtree(dir);
	free(dir);
	dir = NULL;
	gt_free();
	return 0;
}

/* ------------------------------------------------------------------ */
/* hs_state_at                                                          */
/* ------------------------------------------------------------------ */

static const char *point_text(hs_point p, char *buf, size_t cap)
{
	if (p.kind == HS_POINT_SEQ)
		snprintf(buf, cap, "seq %" PRIu64, p.seq);
	else if (p.kind == HS_POINT_GSEQ)
		snprintf(buf, cap, "gseq %" PRIu64, p.seq);
	else
		snprintf(buf, cap, "time %" PRId64 " (base + %" PRId64 ")",
			 p.time_ns, (int64_t)(p.time_ns - BASE_NS));
	return buf;
}

/* Asserts the state of AG[ai] at p is the new state of `want`, with its
 * receipt; want == NULL: HS_ENOAGENT (no transition yet). */
static void expect_state(hs_runtime *rt, int ai, hs_point p,
			 const gt_rec *want)
{
	hs_buf b = HS_BUF_INIT;
	hs_receipt at = {77, 77};
	int rc = hs_state_at(rt, AG[ai].type, AG[ai].id, p, &b, &at);
	int want_rc = want != NULL ? 0 : HS_ENOAGENT;
	bool ok = rc == want_rc;
	if (ok && want != NULL)
		ok = bytes_eq(b.data, b.len, want->state, want->state_len) &&
		     at.seq == want->seq && at.gseq == want->gseq;
	if (ok && want == NULL)
		ok = b.len == 0 && at.seq == 77 && at.gseq == 77;
	if (!ok) {
		char pt[96];
		char err[512];
		hs_last_error(rt, err, sizeof err);
		print_error("hs_state_at(%s/%s, %s): rc %d (%s), receipt "
			    "seq %" PRIu64 " gseq %" PRIu64 ", %zu bytes; "
			    "expected rc %d, seq %" PRIu64 " gseq %" PRIu64
			    "; last error: %s\n",
			    AG[ai].type, AG[ai].id,
			    point_text(p, pt, sizeof pt), rc, hs_strerror(rc),
			    at.seq, at.gseq, b.len, want_rc,
			    want ? want->seq : 0, want ? want->gseq : 0, err);
		if (rc == 0 && want != NULL) {
			hs_buf j1 = HS_BUF_INIT, j2 = HS_BUF_INIT;
			hs_json(&j1, b.data, b.len, 0);
			hs_json(&j2, want->state, want->state_len, 0);
			print_error("  got  %.*s\n  want %.*s\n", (int)j1.len,
				    (const char *)j1.data, (int)j2.len,
				    (const char *)j2.data);
			hs_buf_free(&j1);
			hs_buf_free(&j2);
		}
	}
	hs_buf_free(&b);
	assert_true(ok);
}

/* Every seq, gseq and time point of every agent, against ground truth. */
static void check_state_at(hs_runtime *rt)
{
	for (int ai = 0; ai < NAG; ai++) {
		const gt_agent *g = &gt[ai];
		const gt_rec *last = &g->v[g->n - 1];
		for (size_t j = 0; j < g->n; j++) {
			const gt_rec *r = &g->v[j];
			const gt_rec *prev = j > 0 ? &g->v[j - 1] : NULL;

			/* By seq. */
			expect_state(rt, ai, hs_at_seq(r->seq), r);

			/* By gseq: at the record, just before it, and
			 * halfway from the previous record. */
			expect_state(rt, ai, hs_at_gseq(r->gseq), r);
			if (r->gseq > 1)
				expect_state(rt, ai, hs_at_gseq(r->gseq - 1),
					     prev);
			if (prev != NULL && r->gseq - prev->gseq > 2)
				expect_state(
					rt, ai,
					hs_at_gseq((prev->gseq + r->gseq) / 2),
					prev);
			if (prev != NULL)
				expect_state(
					rt, ai, hs_at_gseq(prev->gseq + 1),
					r->gseq == prev->gseq + 1 ? r : prev);

			/* By time: at the record, 1 ns before, and
			 * halfway from the previous record. */
			expect_state(rt, ai, hs_at_time(r->time_ns), r);
			expect_state(rt, ai, hs_at_time(r->time_ns - 1), prev);
			int64_t mid = BASE_NS - 1; /* before everything */
			if (prev != NULL)
				mid = prev->time_ns +
				      (r->time_ns - prev->time_ns) / 2;
			expect_state(rt, ai, hs_at_time(mid), prev);
		}
		/* After the last: up to the end of the log, and up to now. */
		expect_state(rt, ai, hs_at_gseq(gt_total), last);
		if (last->gseq < gt_total)
			expect_state(rt, ai, hs_at_gseq(last->gseq + 1), last);
		expect_state(rt, ai, hs_at_time(last->time_ns + 1), last);
		expect_state(rt, ai, hs_at_time(last->time_ns + STEP_NS / 2),
			     last);
		expect_state(rt, ai, hs_at_time(clock_last()), last);
		/* Before the first: gseq 1 is someone's first record. */
		if (g->v[0].gseq > 1)
			expect_state(rt, ai, hs_at_gseq(1), NULL);
		expect_state(rt, ai, hs_at_time(INT64_MIN), NULL);
	}

	/* `out` is appended to. */
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "s", "keep"));
	size_t pre = b.len;
	assert_hs(0, hs_state_at(rt, AG[2].type, AG[2].id, hs_at_seq(3), &b,
				 NULL));
	const gt_rec *r = gt_at(2, 3);
	assert_int_equal(b.len, pre + r->state_len);
	assert_memory_equal(b.data + pre, r->state, r->state_len);
	hs_buf_free(&b);
}

/* Asserts hs_state_at fails with `want`, leaves `out` and the receipt
 * untouched, and leaves a last error that contains needle1 and needle2
 * (each may be NULL). */
static void expect_state_err(hs_runtime *rt, const char *type, const char *id,
			     hs_point p, int want, const char *needle1,
			     const char *needle2)
{
	hs_buf b = HS_BUF_INIT;
	hs_receipt at = {77, 77};
	int rc = hs_state_at(rt, type, id, p, &b, &at);
	char err[512];
	hs_last_error(rt, err, sizeof err);
	char pt[96];
	bool ok = rc == want && b.len == 0 && at.seq == 77 && at.gseq == 77 &&
		  err[0] != '\0' &&
		  (needle1 == NULL || strstr(err, needle1) != NULL) &&
		  (needle2 == NULL || strstr(err, needle2) != NULL);
	if (!ok)
		print_error("hs_state_at(%s/%s, %s): rc %d (%s), expected %d "
			    "(%s); out %zu bytes; receipt %" PRIu64 "/%" PRIu64
			    "; last error \"%s\" should name \"%s\" and "
			    "\"%s\"\n",
			    type ? type : "(null)", id ? id : "(null)",
			    point_text(p, pt, sizeof pt), rc, hs_strerror(rc),
			    want, hs_strerror(want), b.len, at.seq, at.gseq,
			    err, needle1 ? needle1 : "",
			    needle2 ? needle2 : "");
	hs_buf_free(&b);
	assert_true(ok);
}

static void check_state_at_errors(hs_runtime *rt)
{
	char num[64];
	const char *t = AG[1].type, *id = AG[1].id;

	expect_state_err(rt, t, id, hs_at_seq(0), HS_EINVAL, "seq 0", NULL);
	expect_state_err(rt, t, id, hs_at_gseq(0), HS_EINVAL, "gseq 0", NULL);

	snprintf(num, sizeof num, "%zu", gt[1].n + 1);
	expect_state_err(rt, t, id, hs_at_seq(gt[1].n + 1), HS_ERANGE, num,
			 id);
	expect_state_err(rt, t, id, hs_at_seq(UINT64_MAX), HS_ERANGE, id,
			 NULL);

	snprintf(num, sizeof num, "%" PRIu64, gt_total + 1);
	expect_state_err(rt, t, id, hs_at_gseq(gt_total + 1), HS_ERANGE, num,
			 NULL);
	expect_state_err(rt, t, id, hs_at_gseq(UINT64_MAX), HS_ERANGE, "gseq",
			 NULL);

	int64_t future = clock_last() + 1000000000000LL;
	snprintf(num, sizeof num, "%" PRId64, future);
	expect_state_err(rt, t, id, hs_at_time(future), HS_ERANGE, num,
			 "future");
	expect_state_err(rt, t, id, hs_at_time(INT64_MAX), HS_ERANGE, "future",
			 NULL);

	/* Unknown agents: an id of another type, a prefix and an
	 * extension of known ids. */
	expect_state_err(rt, "snap1", "xy", hs_at_seq(1), HS_ENOAGENT, "xy",
			 "snap1");
	expect_state_err(rt, "snap0", "nobody", hs_at_seq(1), HS_ENOAGENT,
			 "nobody", NULL);
	expect_state_err(rt, "snap0", "xyz", hs_at_gseq(1), HS_ENOAGENT, "xyz",
			 NULL);
	expect_state_err(rt, "snap7", "x0", hs_at_time(clock_last()),
			 HS_ENOAGENT, "x0", NULL);

	/* Before the agent's first transition (gseq 1 is some agent's
	 * first; find one whose first is later). */
	for (int ai = 0; ai < NAG; ai++) {
		if (gt[ai].v[0].gseq == 1)
			continue;
		expect_state_err(rt, AG[ai].type, AG[ai].id,
				 hs_at_gseq(gt[ai].v[0].gseq - 1), HS_ENOAGENT,
				 AG[ai].id, NULL);
		break;
	}
	expect_state_err(rt, t, id, hs_at_time(BASE_NS - 1), HS_ENOAGENT, id,
			 NULL);

	expect_state_err(rt, "ghost", "x", hs_at_seq(1), HS_ENOTYPE, "ghost",
			 NULL);
	expect_state_err(rt, "ghost", "x", hs_at_time(INT64_MAX), HS_ENOTYPE,
			 "ghost", NULL);

	/* Bad arguments. */
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_EINVAL, hs_state_at(rt, t, "", hs_at_seq(1), &b, NULL));
	assert_hs(HS_EINVAL,
		  hs_state_at(rt, NULL, id, hs_at_seq(1), &b, NULL));
	assert_hs(HS_EINVAL, hs_state_at(rt, t, NULL, hs_at_seq(1), &b, NULL));
	assert_hs(HS_EINVAL, hs_state_at(rt, t, id, hs_at_seq(1), NULL, NULL));
	assert_int_equal(b.len, 0);
}

/* ------------------------------------------------------------------ */
/* hs_history                                                           */
/* ------------------------------------------------------------------ */

/* Asserts that a collected record is ground-truth record g of AG[ai],
 * with its state when `states`. */
static void expect_rec(const hrec *h, int ai, const gt_rec *g, bool states)
{
	if (strcmp(h->type, AG[ai].type) != 0 ||
	    strcmp(h->id, AG[ai].id) != 0 || h->seq != g->seq ||
	    h->gseq != g->gseq)
		print_error("record %s/%s seq %" PRIu64 " gseq %" PRIu64
			    "; expected %s/%s seq %" PRIu64 " gseq %" PRIu64
			    "\n",
			    h->type, h->id, h->seq, h->gseq, AG[ai].type,
			    AG[ai].id, g->seq, g->gseq);
	assert_string_equal(h->type, AG[ai].type);
	assert_string_equal(h->id, AG[ai].id);
	assert_int_equal(h->seq, g->seq);
	assert_int_equal(h->gseq, g->gseq);
	assert_int_equal(h->time_ns, g->time_ns);
	assert_string_equal(h->event, g->event);
	assert_true(bytes_eq(h->body, h->body_len, g->body, g->body_len));
	assert_false(h->body_null);
	if (states) {
		assert_false(h->state_null);
		if (!bytes_eq(h->state, h->state_len, g->state, g->state_len))
			print_error("state of %s/%s seq %" PRIu64
				    " differs from the watcher's\n",
				    h->type, h->id, h->seq);
		assert_true(bytes_eq(h->state, h->state_len, g->state,
				     g->state_len));
	} else {
		assert_true(h->state_null);
		assert_int_equal(h->state_len, 0);
	}
}

/* The ground truth as one list in gseq order. */
typedef struct gref {
	int ai;
	const gt_rec *g;
} gref;

static gref *by_gseq(void)
{
	gref *v = calloc(gt_total, sizeof *v);
	assert_non_null(v);
	for (int ai = 0; ai < NAG; ai++)
		for (size_t j = 0; j < gt[ai].n; j++) {
			const gt_rec *g = &gt[ai].v[j];
			assert_true(g->gseq >= 1 && g->gseq <= gt_total);
			v[g->gseq - 1] = (gref){ai, g};
		}
	return v;
}

static bool match_filter(const hs_filter *f, int ai, const gt_rec *g)
{
	if (f->type != NULL && strcmp(f->type, AG[ai].type) != 0)
		return false;
	if (f->id != NULL && strcmp(f->id, AG[ai].id) != 0)
		return false;
	if (f->event_type != NULL && strcmp(f->event_type, g->event) != 0)
		return false;
	if (f->has_since && g->time_ns < f->since_ns)
		return false;
	if (f->has_until && g->time_ns > f->until_ns)
		return false;
	if (g->gseq < f->from_gseq)
		return false;
	if (f->to_gseq != 0 && g->gseq > f->to_gseq)
		return false;
	return true;
}

/*
 * Runs hs_history with filter f and compares with the ground truth
 * filtered the same way, in order (reversed, limited); returns the number
 * of records, which must be at least `min`.
 */
static size_t expect_history(hs_runtime *rt, const hs_filter *f, size_t min)
{
	gref *all = by_gseq();
	gref *want = calloc(gt_total, sizeof *want);
	assert_non_null(want);
	size_t n = 0;
	for (uint64_t k = 0; k < gt_total; k++) {
		const gref *r = &all[f->reverse ? gt_total - 1 - k : k];
		if (!match_filter(f, r->ai, r->g))
			continue;
		if (f->limit != 0 && n == f->limit)
			break;
		want[n++] = *r;
	}
	hlist got = {0};
	history(rt, f, &got, 0);
	if (got.n != n)
		print_error(
			"hs_history(type %s id %s event %s since %s%" PRId64
			" until %s%" PRId64 " gseq %" PRIu64 "..%" PRIu64
			" reverse %d limit %" PRIu64 " flags %u): %zu "
			"records, expected %zu\n",
			f->type ? f->type : "-", f->id ? f->id : "-",
			f->event_type ? f->event_type : "-",
			f->has_since ? "" : "(off)", f->since_ns,
			f->has_until ? "" : "(off)", f->until_ns, f->from_gseq,
			f->to_gseq, f->reverse, f->limit, f->flags, got.n, n);
	assert_int_equal(got.n, n);
	for (size_t k = 0; k < n; k++)
		expect_rec(&got.v[k], want[k].ai, want[k].g,
			   (f->flags & HS_HISTORY_STATES) != 0);
	assert_true(n >= min);
	hlist_free(&got);
	free(want);
	free(all);
	return n;
}

static hs_filter filter_none(void)
{
	hs_filter f;
	memset(&f, 0, sizeof f);
	return f;
}

static hs_filter filter_agent(int ai)
{
	hs_filter f = filter_none();
	f.type = AG[ai].type;
	f.id = AG[ai].id;
	return f;
}

/* The time of the record at gseq g. */
static int64_t time_of_gseq(uint64_t g)
{
	for (int ai = 0; ai < NAG; ai++)
		for (size_t j = 0; j < gt[ai].n; j++)
			if (gt[ai].v[j].gseq == g)
				return gt[ai].v[j].time_ns;
	fail();
	return 0;
}

static void check_history(hs_runtime *rt)
{
	hs_filter f;

	/* One agent, forwards and backwards, with and without states:
	 * exactly its seqs in order. */
	for (int ai = 0; ai < NAG; ai++) {
		for (int rev = 0; rev < 2; rev++) {
			for (int st = 0; st < 2; st++) {
				f = filter_agent(ai);
				f.reverse = rev;
				f.flags = st ? HS_HISTORY_STATES : 0;
				hlist got = {0};
				history(rt, &f, &got, 0);
				assert_int_equal(got.n, gt[ai].n);
				for (size_t k = 0; k < got.n; k++) {
					uint64_t seq =
						rev ? gt[ai].n - k : k + 1;
					expect_rec(&got.v[k], ai,
						   gt_at(ai, seq), st);
				}
				hlist_free(&got);
			}
		}
	}

	/* The whole log, both ways, and limited. */
	f = filter_none();
	assert_int_equal(expect_history(rt, &f, 0), gt_total);
	f.reverse = true;
	assert_int_equal(expect_history(rt, &f, 0), gt_total);
	f.limit = 10;
	assert_int_equal(expect_history(rt, &f, 0), 10);
	f.reverse = false;
	assert_int_equal(expect_history(rt, &f, 0), 10);
	f.limit = gt_total + 5;
	assert_int_equal(expect_history(rt, &f, 0), gt_total);

	/* One type; one type with states, both ways. */
	for (int ti = 0; ti < NTYPES; ti++) {
		f = filter_none();
		f.type = TYPES[ti].name;
		expect_history(rt, &f, 2 * 20);
		f.reverse = true;
		f.flags = HS_HISTORY_STATES;
		expect_history(rt, &f, 2 * 20);
	}
	f = filter_none();
	f.type = "snap1";
	f.flags = HS_HISTORY_STATES;
	expect_history(rt, &f, 2 * 20);

	/* One event type, alone and with an agent. */
	f = filter_none();
	f.event_type = "relay";
	assert_int_equal(expect_history(rt, &f, 0), N_RELAY);
	f.event_type = "add";
	assert_int_equal(expect_history(rt, &f, 0), gt_total - N_RELAY);
	f.event_type = "noop"; /* never recorded */
	assert_int_equal(expect_history(rt, &f, 0), 0);
	f = filter_agent(4);
	f.event_type = "relay";
	expect_history(rt, &f, 1);
	f.reverse = true;
	f.flags = HS_HISTORY_STATES;
	expect_history(rt, &f, 1);

	/* A time range, both ends inclusive: from the time of record
	 * total/4 to that of record 3*total/4. */
	int64_t since = time_of_gseq(gt_total / 4);
	int64_t until = time_of_gseq(3 * gt_total / 4);
	if (since > until) {
		int64_t x = since;
		since = until;
		until = x;
	}
	f = filter_none();
	f.has_since = f.has_until = true;
	f.since_ns = since;
	f.until_ns = until;
	size_t n_range = expect_history(rt, &f, 2);
	f.reverse = true;
	expect_history(rt, &f, 2);
	/* Exclusive bounds lose exactly the two end records. */
	f.since_ns = since + 1;
	f.until_ns = until - 1;
	assert_int_equal(expect_history(rt, &f, 0), n_range - 2);
	f.since_ns = since;
	f.until_ns = until;
	f.reverse = false;
	f.type = "snap7";
	expect_history(rt, &f, 1);
	f.has_since = false;
	expect_history(rt, &f, 1);
	f.has_since = true;
	f.has_until = false;
	expect_history(rt, &f, 1);
	for (int ai = 0; ai < NAG; ai++) {
		f = filter_agent(ai);
		f.has_since = f.has_until = true;
		f.since_ns = gt_at(ai, 5)->time_ns;
		f.until_ns = gt_at(ai, 12)->time_ns;
		assert_int_equal(expect_history(rt, &f, 0), 8);
		f.flags = HS_HISTORY_STATES;
		assert_int_equal(expect_history(rt, &f, 0), 8);
		f.reverse = true;
		assert_int_equal(expect_history(rt, &f, 0), 8);
		/* Between two records: nothing. */
		f.since_ns = gt_at(ai, 5)->time_ns + 1;
		f.until_ns = gt_at(ai, 6)->time_ns - 1;
		assert_int_equal(expect_history(rt, &f, 0), 0);
	}

	/* A gseq range, alone, with a type, with an agent. */
	f = filter_none();
	f.from_gseq = gt_total / 3;
	f.to_gseq = 2 * gt_total / 3;
	assert_int_equal(expect_history(rt, &f, 0),
			 f.to_gseq - f.from_gseq + 1);
	f.reverse = true;
	assert_int_equal(expect_history(rt, &f, 0),
			 f.to_gseq - f.from_gseq + 1);
	f.limit = 7;
	assert_int_equal(expect_history(rt, &f, 0), 7);
	f.limit = 0;
	f.reverse = false;
	f.to_gseq = 0; /* to the end */
	assert_int_equal(expect_history(rt, &f, 0),
			 gt_total - f.from_gseq + 1);
	f.from_gseq = 0;
	f.to_gseq = 5;
	assert_int_equal(expect_history(rt, &f, 0), 5);
	f.from_gseq = f.to_gseq = gt_total; /* just the last */
	assert_int_equal(expect_history(rt, &f, 0), 1);
	f.from_gseq = f.to_gseq = 0;
	f.from_gseq = gt_total + 1; /* past the end: nothing */
	assert_int_equal(expect_history(rt, &f, 0), 0);
	f = filter_none();
	f.type = "snap0";
	f.from_gseq = gt_total / 3;
	f.to_gseq = 2 * gt_total / 3;
	expect_history(rt, &f, 1);
	for (int ai = 0; ai < NAG; ai++) {
		f = filter_agent(ai);
		f.from_gseq = gt_at(ai, 10)->gseq;
		f.to_gseq = gt_at(ai, 20)->gseq;
		assert_int_equal(expect_history(rt, &f, 0), 11);
		f.flags = HS_HISTORY_STATES;
		assert_int_equal(expect_history(rt, &f, 0), 11);
		f.reverse = true;
		assert_int_equal(expect_history(rt, &f, 0), 11);
		f.limit = 3;
		assert_int_equal(expect_history(rt, &f, 0), 3);
		f.reverse = false;
		assert_int_equal(expect_history(rt, &f, 0), 3);
		f.flags = 0;
		f.from_gseq = gt_at(ai, 10)->gseq + 1; /* exclusive */
		f.to_gseq = gt_at(ai, 20)->gseq - 1;
		f.limit = 0;
		assert_int_equal(expect_history(rt, &f, 0), 9);
		/* States from the middle: rebuilt before seq 11. */
		f.flags = HS_HISTORY_STATES;
		assert_int_equal(expect_history(rt, &f, 0), 9);
		f.limit = 2;
		assert_int_equal(expect_history(rt, &f, 0), 2);
	}

	/* Limits on one agent. */
	f = filter_agent(3);
	f.limit = 4;
	assert_int_equal(expect_history(rt, &f, 0), 4);
	f.reverse = true;
	assert_int_equal(expect_history(rt, &f, 0), 4);
	f.flags = HS_HISTORY_STATES;
	assert_int_equal(expect_history(rt, &f, 0), 4);
	f.reverse = false;
	assert_int_equal(expect_history(rt, &f, 0), 4);

	/* Stopping early: fn's non-zero result comes back as is. */
	const hs_filter stops[] = {
		filter_none(),
		{.reverse = true},
		{.type = "snap1"},
		{.type = "snap7", .id = "xy"},
		{.type = "snap7", .id = "xy", .reverse = true},
		{.type = "snap0", .id = "x", .flags = HS_HISTORY_STATES},
		{.type = "snap0", .flags = HS_HISTORY_STATES},
		{.limit = 9}, /* stops before the limit */
	};
	for (size_t s = 0; s < sizeof stops / sizeof stops[0]; s++) {
		hlist got = {.stop_at = 5, .stop_rc = 42};
		history(rt, &stops[s], &got, 42);
		assert_int_equal(got.n, 5);
		hlist_free(&got);
		got = (hlist){.stop_at = 1, .stop_rc = -1000};
		history(rt, &stops[s], &got, -1000);
		assert_int_equal(got.n, 1);
		hlist_free(&got);
	}
	/* Stopping on the record the limit would stop at. */
	f = filter_none();
	f.limit = 5;
	hlist got = {.stop_at = 5, .stop_rc = 42};
	history(rt, &f, &got, 42);
	assert_int_equal(got.n, 5);
	hlist_free(&got);

	/* Causes on an agent's own history point to the causing record. */
	for (int ai = 0; ai < NAG; ai++) {
		f = filter_agent(ai);
		hlist own = {0};
		history(rt, &f, &own, 0);
		size_t caused = 0;
		for (size_t k = 0; k < own.n; k++) {
			const hrec *h = &own.v[k];
			if (h->cause_seq == 0) {
				assert_int_equal(h->cause_gseq, 0);
				continue;
			}
			caused++;
			int ci = agent_index(h->cause_type, h->cause_id);
			assert_int_equal((ci + 1) % NAG, ai);
			const gt_rec *c = gt_at(ci, h->cause_seq);
			assert_int_equal(c->gseq, h->cause_gseq);
			assert_true(c->gseq < h->gseq);
			assert_string_equal(c->event, "relay");
		}
		assert_true(caused >= 1);
		hlist_free(&own);
	}

	/* Errors. */
	f = filter_none();
	f.type = "snap1";
	f.id = "xy";
	hlist none = {0};
	history(rt, &f, &none, HS_ENOAGENT);
	assert_int_equal(none.n, 0);
	char err[512];
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "xy"));
	f.flags = HS_HISTORY_STATES;
	f.type = "ghost";
	history(rt, &f, &none, HS_ENOTYPE);
	f = filter_none();
	f.id = "x"; /* an id needs its type */
	history(rt, &f, &none, HS_EINVAL);
	f = filter_none();
	f.from_gseq = 10;
	f.to_gseq = 9;
	history(rt, &f, &none, HS_EINVAL);
	assert_int_equal(none.n, 0);
	assert_hs(HS_EINVAL, hs_history(rt, NULL, collect_rec, &none));
	f = filter_none();
	assert_hs(HS_EINVAL, hs_history(rt, &f, NULL, NULL));
}

/* ------------------------------------------------------------------ */
/* hs_system_at                                                         */
/* ------------------------------------------------------------------ */

typedef struct sys_entry {
	int ai;
	hs_receipt at;
	uint8_t *state;
	size_t len;
} sys_entry;

typedef struct sys_list {
	sys_entry v[NAG + 4];
	size_t n;
	bool unknown; /* an agent not in AG, or too many */
	size_t stop_at;
	int stop_rc;
} sys_list;

static int collect_sys(void *udata, hs_addr agent, const void *state,
		       size_t len, hs_receipt at)
{
	sys_list *l = udata;
	int ai = agent_index(agent.type, agent.id);
	if (ai < 0 || l->n == sizeof l->v / sizeof l->v[0]) {
		l->unknown = true;
		return 0;
	}
	sys_entry *e = &l->v[l->n++];
	e->ai = ai;
	e->at = at;
	e->state = dup_bytes(state, len);
	e->len = len;
	if (l->stop_at != 0 && l->n == l->stop_at)
		return l->stop_rc;
	return 0;
}

static void sys_free(sys_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].state);
	l->n = 0;
}

/* Runs hs_system_at and compares with the ground truth: each agent (of
 * `type`) at its last transition by the point, in (type, id) order. */
static size_t expect_system(hs_runtime *rt, const char *type, hs_point p)
{
	sys_list got;
	memset(&got, 0, sizeof got);
	int rc = hs_system_at(rt, type, p, collect_sys, &got);
	char pt[96];
	if (rc != 0)
		print_last_error(rt, "hs_system_at", rc);
	assert_hs(0, rc);
	assert_false(got.unknown);
	size_t k = 0;
	for (int ai = 0; ai < NAG; ai++) {
		if (type != NULL && strcmp(type, AG[ai].type) != 0)
			continue;
		const gt_rec *g = p.kind == HS_POINT_GSEQ
					  ? gt_by_gseq(ai, p.seq)
					  : gt_by_time(ai, p.time_ns);
		if (g == NULL)
			continue;
		bool ok = k < got.n && got.v[k].ai == ai &&
			  got.v[k].at.seq == g->seq &&
			  got.v[k].at.gseq == g->gseq &&
			  bytes_eq(got.v[k].state, got.v[k].len, g->state,
				   g->state_len);
		if (!ok)
			print_error("hs_system_at(%s, %s): entry %zu of %zu: "
				    "expected %s/%s seq %" PRIu64
				    " gseq %" PRIu64 ", got %s/%s seq %" PRIu64
				    " gseq %" PRIu64 "\n",
				    type ? type : "all",
				    point_text(p, pt, sizeof pt), k, got.n,
				    AG[ai].type, AG[ai].id, g->seq, g->gseq,
				    k < got.n ? AG[got.v[k].ai].type : "-",
				    k < got.n ? AG[got.v[k].ai].id : "-",
				    k < got.n ? got.v[k].at.seq : 0,
				    k < got.n ? got.v[k].at.gseq : 0);
		assert_true(ok);
		k++;
	}
	if (got.n != k)
		print_error("hs_system_at(%s, %s): %zu agents, expected %zu\n",
			    type ? type : "all", point_text(p, pt, sizeof pt),
			    got.n, k);
	assert_int_equal(got.n, k);
	sys_free(&got);
	return k;
}

static void check_system_at(hs_runtime *rt)
{
	/* At gseqs: 1 (one agent), every agent's first and last record,
	 * some in between, the end. */
	assert_int_equal(expect_system(rt, NULL, hs_at_gseq(1)), 1);
	assert_int_equal(expect_system(rt, NULL, hs_at_gseq(gt_total)), NAG);
	expect_system(rt, NULL, hs_at_gseq(2));
	expect_system(rt, NULL, hs_at_gseq(gt_total - 1));
	for (uint64_t g = 3; g < gt_total; g += 17)
		expect_system(rt, NULL, hs_at_gseq(g));
	for (int ai = 0; ai < NAG; ai++) {
		const gt_rec *first = gt_at(ai, 1);
		const gt_rec *last = gt_at(ai, gt[ai].n);
		expect_system(rt, NULL, hs_at_gseq(first->gseq));
		if (first->gseq > 1)
			expect_system(rt, NULL, hs_at_gseq(first->gseq - 1));
		expect_system(rt, NULL, hs_at_gseq(last->gseq));
		expect_system(rt, AG[ai].type, hs_at_gseq(last->gseq));
		expect_system(rt, AG[ai].type, hs_at_gseq(first->gseq));
	}
	for (int ti = 0; ti < NTYPES; ti++) {
		assert_int_equal(expect_system(rt, TYPES[ti].name,
					       hs_at_gseq(gt_total)),
				 2);
		expect_system(rt, TYPES[ti].name, hs_at_gseq(gt_total / 2));
	}
	assert_int_equal(expect_system(rt, "ghost", hs_at_gseq(gt_total)), 0);

	/* At times: before everything, at records, between, up to now. */
	assert_int_equal(expect_system(rt, NULL, hs_at_time(BASE_NS - 1)), 0);
	assert_int_equal(expect_system(rt, NULL, hs_at_time(INT64_MIN)), 0);
	assert_int_equal(expect_system(rt, NULL, hs_at_time(clock_last())),
			 NAG);
	for (uint64_t g = 1; g <= gt_total; g += 13) {
		int64_t t = time_of_gseq(g);
		expect_system(rt, NULL, hs_at_time(t));
		expect_system(rt, NULL, hs_at_time(t - 1));
		expect_system(rt, NULL, hs_at_time(t + STEP_NS / 2));
		expect_system(rt, "snap7", hs_at_time(t));
	}

	/* Stopping early. */
	sys_list got;
	memset(&got, 0, sizeof got);
	got.stop_at = 2;
	got.stop_rc = 42;
	assert_hs(42, hs_system_at(rt, NULL, hs_at_gseq(gt_total), collect_sys,
				   &got));
	assert_int_equal(got.n, 2);
	sys_free(&got);

	/* Errors. */
	memset(&got, 0, sizeof got);
	assert_hs(HS_EINVAL,
		  hs_system_at(rt, NULL, hs_at_seq(1), collect_sys, &got));
	assert_hs(HS_EINVAL,
		  hs_system_at(rt, NULL, hs_at_gseq(0), collect_sys, &got));
	assert_hs(HS_ERANGE, hs_system_at(rt, NULL, hs_at_gseq(gt_total + 1),
					  collect_sys, &got));
	char err[512], num[64];
	hs_last_error(rt, err, sizeof err);
	snprintf(num, sizeof num, "%" PRIu64, gt_total + 1);
	assert_non_null(strstr(err, num));
	assert_hs(HS_ERANGE,
		  hs_system_at(rt, NULL,
			       hs_at_time(clock_last() + 1000000000000LL),
			       collect_sys, &got));
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "future"));
	assert_hs(HS_EINVAL,
		  hs_system_at(rt, NULL, hs_at_gseq(1), NULL, NULL));
	assert_int_equal(got.n, 0);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

/* The log is complete and the queries wrote nothing to it: the end of
 * the log is where the workload left it. */
static void check_log_unchanged(hs_runtime *rt)
{
	hs_filter f = filter_none();
	f.reverse = true;
	f.limit = 1;
	hlist got = {0};
	history(rt, &f, &got, 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.v[0].gseq, gt_total);
	hlist_free(&got);
}

static void test_state_at_writer(void **state)
{
	(void)state;
	check_state_at(writer);
	check_state_at_errors(writer);
	assert_hs(0, hs_await(writer, HSU_AWAIT_MS));
	check_log_unchanged(writer);
	hsu_assert_no_cb_failures();
}

static void test_history_writer(void **state)
{
	(void)state;
	check_history(writer);
	check_log_unchanged(writer);
	hsu_assert_no_cb_failures();
}

static void test_system_at_writer(void **state)
{
	(void)state;
	check_system_at(writer);
	assert_hs(0, hs_await(writer, HSU_AWAIT_MS));
	check_log_unchanged(writer);
	hsu_assert_no_cb_failures();
}

/* A read-only runtime beside the open writer sees the log as it was when
 * opened, and answers every query the same way. */
static void test_read_only_beside_writer(void **state)
{
	(void)state;
	hs_runtime *ro = open_ro(NTYPES);
	check_state_at(ro);
	check_state_at_errors(ro);
	check_history(ro);
	check_system_at(ro);

	/* It sends nothing. */
	assert_hs(HS_ENOTSUP, hs_sendf(ro, "snap0", "x", "add", "k:I src:s",
				       (int64_t)1, "ro"));

	/* The writer goes on; the read-only runtime still sees the end
	 * the log had when it was opened. */
	hs_buf b = HS_BUF_INIT;
	hs_receipt r = {0, 0};
	assert_hs(0, hs_packf(&b, "k:I src:s", (int64_t)123456, "late"));
	assert_hs(0, hs_send_wait(writer, AG[5].type, AG[5].id, "add", b.data,
				  b.len, &r));
	hs_buf_free(&b);
	assert_hs(0, hs_await(writer, HSU_AWAIT_MS));
	assert_int_equal(r.gseq, gt_total + 1);
	assert_int_equal(r.seq, gt[5].n);
	expect_state_err(ro, AG[5].type, AG[5].id, hs_at_seq(r.seq), HS_ERANGE,
			 AG[5].id, NULL);
	expect_state_err(ro, AG[5].type, AG[5].id, hs_at_gseq(r.gseq),
			 HS_ERANGE, "gseq", NULL);
	expect_state(ro, 5, hs_at_time(clock_last()), gt_at(5, r.seq - 1));
	assert_hs(0, hs_close(ro));

	/* The ground truth now has the late record. */
	index_log(writer);
	assert_int_equal(gt_total, r.gseq);
	expect_state(writer, 5, hs_at_seq(r.seq), gt_at(5, r.seq));
	expect_state(writer, 5, hs_at_time(clock_last()), gt_at(5, r.seq));
	hsu_assert_no_cb_failures();
}

/* After the writer closed, a read-only runtime answers as it did. */
static void test_read_only_after_close(void **state)
{
	(void)state;
	assert_hs(0, hs_close(writer));
	writer = NULL;
	hsu_assert_no_cb_failures();

	hs_runtime *ro = open_ro(NTYPES);
	index_log(ro);
	check_state_at(ro);
	check_state_at_errors(ro);
	check_history(ro);
	check_system_at(ro);
	check_log_unchanged(ro);
	assert_hs(0, hs_close(ro));

	/* Rebuilding needs the type; reading records does not. */
	ro = open_ro(2); /* snap0 and snap1, not snap7 */
	expect_state_err(ro, "snap7", "x", hs_at_seq(1), HS_ENOTYPE, "snap7",
			 NULL);
	expect_state(ro, 1, hs_at_seq(2), gt_at(1, 2));
	hs_filter f = filter_agent(4);
	hlist got = {0};
	history(ro, &f, &got, 0);
	assert_int_equal(got.n, gt[4].n);
	hlist_free(&got);
	f.flags = HS_HISTORY_STATES;
	history(ro, &f, &got, HS_ENOTYPE);
	hlist_free(&got);
	assert_int_equal(expect_system(ro, "snap1", hs_at_gseq(gt_total)), 2);
	sys_list sl;
	memset(&sl, 0, sizeof sl);
	int rc =
		hs_system_at(ro, NULL, hs_at_gseq(gt_total), collect_sys, &sl);
	sys_free(&sl);
	assert_hs(HS_ENOTYPE, rc);
	char err[512];
	hs_last_error(ro, err, sizeof err);
	assert_non_null(strstr(err, "snap7"));
	assert_hs(0, hs_close(ro));
	hsu_assert_no_cb_failures();
}

/* An in-memory runtime with one transition, for the HS_ENOTSUP checks. */
static hs_runtime *open_in_memory(void)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.clock = fake_now;
	o.clock_udata = &clk;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	register_types(rt, NTYPES);
	assert_hs(0, hs_sendf(rt, "snap0", "x", "add", "k:I src:s", (int64_t)1,
			      "mem"));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	return rt;
}

/* An in-memory runtime has no past to ask about: each query fails with
 * HS_ENOTSUP and says why (each on a fresh runtime, so that the text
 * cannot be left over from another call). */
static void test_in_memory_not_supported(void **state)
{
	(void)state;
	static const char *const calls[] = {"hs_state_at", "hs_history",
					    "hs_system_at"};
	int silent = 0;
	for (int c = 0; c < 3; c++) {
		hs_runtime *rt = open_in_memory();
		hs_buf b = HS_BUF_INIT;
		hs_receipt at = {77, 77};
		hs_filter f = filter_none();
		hlist got = {0};
		sys_list sl;
		memset(&sl, 0, sizeof sl);
		if (c == 0) {
			assert_hs(HS_ENOTSUP,
				  hs_state_at(rt, "snap0", "x", hs_at_seq(1),
					      &b, &at));
			assert_int_equal(b.len, 0);
			assert_int_equal(at.seq, 77);
			assert_int_equal(at.gseq, 77);
		} else if (c == 1) {
			history(rt, &f, &got, HS_ENOTSUP);
			assert_int_equal(got.n, 0);
		} else {
			assert_hs(HS_ENOTSUP,
				  hs_system_at(rt, NULL, hs_at_gseq(1),
					       collect_sys, &sl));
			assert_int_equal(sl.n, 0);
		}
		char err[512];
		hs_last_error(rt, err, sizeof err);
		if (err[0] == '\0') {
			print_error("%s on an in-memory runtime: HS_ENOTSUP "
				    "with no hs_last_error text\n",
				    calls[c]);
			silent++;
		}
		assert_hs(0, hs_close(rt));
	}
	hsu_assert_no_cb_failures();
	assert_int_equal(silent, 0);
}

static int first_time(void *udata, const hs_record *rec)
{
	*(int64_t *)udata = rec->time_ns;
	return 0;
}

/* A log written with a clock a year ahead, read with the wall clock:
 * times up to its newest record are the past, later ones the future. */
static int64_t year_ahead(void *udata)
{
	return hsu_realtime_ns() + *(const int64_t *)udata;
}

static void test_time_of_a_clock_ahead(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("replay-ahead");
	int64_t ahead = 365LL * 24 * 3600 * 1000000000;
	hs_runtime *rt = pu_open_rt(dir, HS_DURABILITY_NONE, 1, year_ahead,
				    &ahead);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_receipt rc1;
	assert_hs(0, hs_send_wait(rt, "c", "x", "inc", NULL, 0, &rc1));
	assert_hs(0, hs_close(rt));

	hs_options o;
	hs_options_init(&o);
	o.path = dir;
	o.read_only = true;
	assert_hs(0, hs_open(&rt, &o));
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_buf b = HS_BUF_INIT;
	hs_filter f = {.type = "c", .id = "x"};
	int64_t t = 0;
	assert_hs(0, hs_history(rt, &f, first_time, &t));
	assert_true(t > hsu_realtime_ns());
	assert_hs(0, hs_state_at(rt, "c", "x", hs_at_time(t), &b, NULL));
	hs_buf_reset(&b);
	assert_hs(HS_ERANGE,
		  hs_state_at(rt, "c", "x", hs_at_time(t + 1), &b, NULL));
	char err[512];
	hs_last_error(rt, err, sizeof err);
	assert_non_null(strstr(err, "future"));
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_at_writer),
		cmocka_unit_test(test_history_writer),
		cmocka_unit_test(test_system_at_writer),
		cmocka_unit_test(test_read_only_beside_writer),
		cmocka_unit_test(test_read_only_after_close),
		cmocka_unit_test(test_in_memory_not_supported),
		cmocka_unit_test(test_time_of_a_clock_ahead),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
