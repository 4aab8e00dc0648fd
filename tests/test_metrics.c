/* Metrics: hs_metrics_get and hs_metrics_prometheus move when the runtime
 * works, agree with what it did, and the text parses as Prometheus's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>

#include "util.h"
#include "persist_util.h"

static hs_metrics metrics(hs_runtime *rt)
{
	hs_metrics m;
	memset(&m, 0xff, sizeof m);
	m.size = sizeof m;
	assert_hs(0, hs_metrics_get(rt, &m));
	assert_int_equal(m.size, sizeof m);
	return m;
}

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* ------------------------------------------------------------------ */
/* A Prometheus text parser: enough to check the format                 */
/* ------------------------------------------------------------------ */

#define PROM_MAX 256

typedef struct prom_family {
	char name[96];
	char type[128];
} prom_family;

typedef struct prom_text {
	prom_family fam[PROM_MAX];
	int nfam;
	int samples;
	char err[256];
} prom_text;

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 ||
	    !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == ':'))
			return false;
	return true;
}

static prom_family *family(prom_text *p, const char *name, size_t n)
{
	for (int i = 0; i < p->nfam; i++)
		if (strlen(p->fam[i].name) == n &&
		    memcmp(p->fam[i].name, name, n) == 0)
			return &p->fam[i];
	return NULL;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* One sample line: name{label="value",...} value. 0 or -1 (p->err). */
static int parse_sample(prom_text *p, const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && line[i] != '{' && line[i] != ' ')
		i++;
	size_t nlen = i;
	if (!name_ok(line, nlen) || strncmp(line, "hindsight_", 10) != 0)
		goto bad;
	/* The family: the name, or a histogram's name without its
	 * suffix. */
	prom_family *f = family(p, line, nlen);
	if (f == NULL) {
		const char *suffixes[] = {"_bucket", "_sum", "_count"};
		for (int k = 0; k < 3 && f == NULL; k++)
			if (ends_with(line, nlen, suffixes[k])) {
				f = family(p, line,
					   nlen - strlen(suffixes[k]));
				if (f != NULL && strcmp(f->type, "histogram"))
					f = NULL;
			}
	}
	if (f == NULL)
		goto bad; /* no TYPE line before it */
	if (i < len && line[i] == '{') {
		i++;
		for (;;) {
			size_t s = i;
			while (i < len && line[i] != '=')
				i++;
			if (!name_ok(line + s, i - s) || i + 1 >= len ||
			    line[i + 1] != '"')
				goto bad;
			for (i += 2; i < len && line[i] != '"'; i++)
				if (line[i] == '\\') {
					i++;
					if (i >= len ||
					    (line[i] != '\\' &&
					     line[i] != '"' && line[i] != 'n'))
						goto bad;
				}
			if (i >= len)
				goto bad;
			i++; /* the closing quote */
			if (i < len && line[i] == ',') {
				i++;
				continue;
			}
			if (i < len && line[i] == '}') {
				i++;
				break;
			}
			goto bad;
		}
	}
	if (i >= len || line[i] != ' ')
		goto bad;
	i++;
	char num[64];
	if (len - i == 0 || len - i >= sizeof num)
		goto bad;
	memcpy(num, line + i, len - i);
	num[len - i] = '\0';
	char *end;
	double v = strtod(num, &end);
	if (*end != '\0' || v < 0)
		goto bad;
	p->samples++;
	return 0;
bad:
	snprintf(p->err, sizeof p->err, "bad sample line: %.*s", (int)len,
		 line);
	return -1;
}

/* Parses the whole text: every line a comment (HELP or TYPE) or a
 * sample of a family whose TYPE came before it. */
static int prom_parse(prom_text *p, const char *text, size_t len)
{
	memset(p, 0, sizeof *p);
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		if (nl == NULL) {
			snprintf(p->err, sizeof p->err, "no final newline");
			return -1;
		}
		const char *line = text + at;
		size_t n = (size_t)(nl - line);
		at += n + 1;
		if (n > 0 && line[0] == '#') {
			char kw[8], name[96], rest[128];
			char copy[512];
			if (n >= sizeof copy)
				goto bad;
			memcpy(copy, line, n);
			copy[n] = '\0';
			if (sscanf(copy, "# %7s %95s %127[^\n]", kw, name,
				   rest) != 3)
				goto bad;
			if (strcmp(kw, "TYPE") == 0) {
				if (strcmp(rest, "counter") &&
				    strcmp(rest, "gauge") &&
				    strcmp(rest, "histogram"))
					goto bad;
				if (strcmp(rest, "counter") == 0 &&
				    !ends_with(name, strlen(name), "_total"))
					goto bad;
				if (family(p, name, strlen(name)) != NULL ||
				    p->nfam == PROM_MAX)
					goto bad; /* declared twice */
				prom_family *f = &p->fam[p->nfam++];
				snprintf(f->name, sizeof f->name, "%s", name);
				snprintf(f->type, sizeof f->type, "%s", rest);
			} else if (strcmp(kw, "HELP") != 0) {
				goto bad;
			}
			continue;
bad:
			snprintf(p->err, sizeof p->err,
				 "bad comment line: %.*s", (int)n, line);
			return -1;
		}
		if (parse_sample(p, line, n) != 0)
			return -1;
	}
	return 0;
}

/* The value of one sample, given its name and labels exactly as
 * printed ("hindsight_transitions_total{type=\"c\"}"); -1 if absent. */
static double prom_value(const hs_buf *b, const char *series)
{
	size_t n = strlen(series);
	const char *text = (const char *)b->data;
	size_t at = 0;
	while (at < b->len) {
		const char *nl = memchr(text + at, '\n', b->len - at);
		size_t len =
			nl != NULL ? (size_t)(nl - text) - at : b->len - at;
		if (len > n && memcmp(text + at, series, n) == 0 &&
		    text[at + n] == ' ')
			return strtod(text + at + n + 1, NULL);
		at += len + 1;
	}
	return -1;
}

static void assert_parses(const hs_buf *b)
{
	prom_text *p = malloc(sizeof *p);
	assert_non_null(p);
	if (prom_parse(p, (const char *)b->data, b->len) != 0) {
		print_error("%s\n", p->err);
		fail();
	}
	assert_true(p->samples > 20);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Arguments                                                            */
/* ------------------------------------------------------------------ */

static void test_bad_args(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	hs_metrics m;
	memset(&m, 0, sizeof m);
	m.size = sizeof m;
	assert_hs(HS_EINVAL, hs_metrics_get(NULL, &m));
	assert_hs(HS_EINVAL, hs_metrics_get(rt, NULL));
	m.size = 0;
	assert_hs(HS_EINVAL, hs_metrics_get(rt, &m));
	m.size = offsetof(hs_metrics, transitions);
	assert_hs(HS_EINVAL, hs_metrics_get(rt, &m));
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_EINVAL, hs_metrics_prometheus(NULL, &b));
	assert_hs(HS_EINVAL, hs_metrics_prometheus(rt, NULL));
	assert_int_equal(b.len, 0);

	/* A caller built against a later, larger struct gets what this
	 * version has, and learns how much that is. */
	struct {
		hs_metrics m;
		uint64_t later[8];
	} big;
	memset(&big, 0xab, sizeof big);
	big.m.size = sizeof big;
	assert_hs(0, hs_metrics_get(rt, &big.m));
	assert_int_equal(big.m.size, sizeof(hs_metrics));
	assert_int_equal(big.later[0], 0xababababababababull);
	assert_int_equal(big.m.transitions, 0);
	assert_int_equal(big.m.workers, 1);

	/* Appends, keeping what the buffer held. */
	assert_hs(0, hsi_buf_append(&b, "x\n", 2));
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_true(b.len > 2 && memcmp(b.data, "x\n", 2) == 0);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
}

/* ------------------------------------------------------------------ */
/* In memory                                                            */
/* ------------------------------------------------------------------ */

/* Passes {"n": k} back and forth between ping/a and ping/b. */
static int ping_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	int64_t k;
	int rc = hs_event_i64(ev, "n", &k);
	if (rc != 0)
		return rc;
	++*(int64_t *)state;
	if (k > 0) {
		hs_addr self = hs_ctx_self(ctx);
		rc = hs_ctx_sendf(ctx, "ping", self.id[0] == 'a' ? "b" : "a",
				  "ball", "n:I", k - 1);
		if (rc != 0)
			return rc;
	}
	return HS_CHANGED;
}

static void test_memory_counts(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hs_type ping = hsu_counter_type("ping", HS_ON_ERROR_FAIL);
	ping.apply = ping_apply;
	assert_hs(0, hs_register(rt, &ping));

	enum {
		AGENTS = 10,
		EACH = 100,
		NOOPS = 7,
		REF_SENDS = 50,
		BALL = 999
	};
	char id[16];
	for (int i = 0; i < AGENTS; i++) {
		snprintf(id, sizeof id, "a%d", i);
		for (int k = 0; k < EACH; k++)
			assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
	}
	for (int k = 0; k < NOOPS; k++)
		assert_hs(0, hs_sendf(rt, "c", "a0", "noop", ""));
	hs_ref *ref;
	assert_hs(0, hs_agent_ref(rt, "c", "by-ref", &ref));
	for (int k = 0; k < REF_SENDS; k++)
		assert_hs(0, hs_send_ref(ref, "inc", NULL, 0));
	/* Handlers' sends: BALL + 1 events in all. */
	assert_hs(0, hs_sendf(rt, "ping", "a", "ball", "n:i", BALL));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));

	hs_metrics m = metrics(rt);
	uint64_t changes = AGENTS * EACH + REF_SENDS + BALL + 1;
	uint64_t events = changes + NOOPS;
	assert_int_equal(m.transitions, changes);
	assert_int_equal(m.events_unchanged, NOOPS);
	assert_int_equal(m.events_handled, events);
	assert_int_equal(m.events_queued, events);
	assert_int_equal(m.mailbox_depth, 0);
	assert_int_equal(m.run_queue_depth, 0);
	assert_int_equal(m.handler_errors, 0);
	assert_int_equal(m.agent_failures, 0);
	assert_int_equal(m.agents_failed, 0);
	assert_int_equal(m.agents_created, AGENTS + 1 + 2);
	assert_int_equal(m.agents_resident, AGENTS + 1 + 2);
	assert_int_equal(m.activations, 0);
	assert_int_equal(m.passivations, 0);
	assert_true(m.turns > 0 && m.turns <= events);
	assert_int_equal(m.log_batches, 0);
	assert_int_equal(m.log_records, 0);
	assert_int_equal(m.log_last_gseq, 0);
	assert_int_equal(m.workers, 2);
	assert_int_equal(m.types, 2);

	/* A released ref's sends still count. */
	hs_ref_release(ref);
	assert_int_equal(metrics(rt).events_queued, events);

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_parses(&b);
	assert_true(
		prom_value(&b, "hindsight_transitions_total{type=\"c\"}") ==
		AGENTS * EACH + REF_SENDS);
	assert_true(
		prom_value(&b, "hindsight_transitions_total{type=\"ping\"}") ==
		BALL + 1);
	assert_true(
		prom_value(&b,
			   "hindsight_events_unchanged_total{type=\"c\"}") ==
		NOOPS);
	assert_true(prom_value(&b, "hindsight_events_queued_total") == events);
	assert_true(prom_value(&b, "hindsight_workers") == 2);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

static void test_failures(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(2, 0);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	hsu_register_counter(rt, "s", HS_ON_ERROR_SKIP);

	assert_hs(0, hs_sendf(rt, "s", "x", "fail", ""));
	assert_hs(0, hs_sendf(rt, "s", "x", "inc", ""));
	assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
	assert_hs(0, hs_sendf(rt, "c", "x", "fail", ""));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	/* Held by the failed agent. */
	for (int i = 0; i < 3; i++)
		assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));

	hs_metrics m = metrics(rt);
	assert_int_equal(m.handler_errors, 2);
	assert_int_equal(m.events_skipped, 1);
	assert_int_equal(m.agent_failures, 1);
	assert_int_equal(m.agents_failed, 1);
	assert_int_equal(m.transitions, 2);
	assert_int_equal(m.events_handled, 4);
	assert_int_equal(m.events_queued, 7);
	assert_int_equal(m.mailbox_depth, 3);

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_parses(&b);
	assert_true(
		prom_value(&b, "hindsight_agent_failures_total{type=\"c\"}") ==
		1);
	assert_true(
		prom_value(&b, "hindsight_agent_failures_total{type=\"s\"}") ==
		0);
	assert_true(
		prom_value(&b, "hindsight_events_skipped_total{type=\"s\"}") ==
		1);
	assert_true(
		prom_value(&b, "hindsight_handler_errors_total{type=\"c\"}") ==
		1);
	assert_true(prom_value(&b, "hindsight_agents_failed") == 1);
	assert_true(prom_value(&b, "hindsight_mailbox_messages") == 3);
	hs_buf_free(&b);

	/* Dropping what waited empties the mailbox. */
	assert_hs(0, hs_restart(rt, "c", "x", HS_RESTART_DROP_PENDING));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	m = metrics(rt);
	assert_int_equal(m.restarts, 1);
	assert_int_equal(m.agents_failed, 0);
	assert_int_equal(m.messages_dropped, 3);
	assert_int_equal(m.mailbox_depth, 0);
	assert_int_equal(m.agent_failures, 1);

	/* Failing again and restarting without a drop: the messages are
	 * handled. */
	assert_hs(0, hs_sendf(rt, "c", "x", "fail", ""));
	assert_hs(HS_EFAILED, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_sendf(rt, "c", "x", "inc", ""));
	assert_int_equal(metrics(rt).mailbox_depth, 1);
	assert_hs(0, hs_restart(rt, "c", "x", 0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	m = metrics(rt);
	assert_int_equal(m.agent_failures, 2);
	assert_int_equal(m.restarts, 2);
	assert_int_equal(m.mailbox_depth, 0);
	assert_int_equal(m.transitions, 3);
	assert_hs(0, hs_close(rt));
}

/* ------------------------------------------------------------------ */
/* Queue depths while a handler is blocked                              */
/* ------------------------------------------------------------------ */

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_entered;

static int gate_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	(void)ctx;
	if (hs_event_is(ev, "wait")) {
		pthread_mutex_lock(&gate_mu);
		gate_entered = true;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		pthread_mutex_unlock(&gate_mu);
	}
	++*(int64_t *)state;
	return HS_CHANGED;
}

static void test_depth_while_blocked(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("metrics-depth");
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = dir;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type t = hsu_counter_type("gate", HS_ON_ERROR_FAIL);
	t.apply = gate_apply;
	assert_hs(0, hs_register(rt, &t));
	gate_open = gate_entered = false;

	assert_hs(0, hs_sendf(rt, "gate", "g", "wait", ""));
	pthread_mutex_lock(&gate_mu);
	while (!gate_entered)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);

	enum {
		MORE = 25
	};
	for (int i = 0; i < MORE; i++)
		assert_hs(0, hs_sendf(rt, "gate", "g", "go", ""));
	/* Another agent waits for the one worker. */
	assert_hs(0, hs_sendf(rt, "gate", "other", "go", ""));
	hs_metrics m = metrics(rt);
	/* The message being handled counts until its outcome. */
	assert_int_equal(m.mailbox_depth, MORE + 2);
	assert_int_equal(m.run_queue_depth, 1);
	assert_int_equal(m.transitions, 0);
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_parses(&b);
	assert_true(prom_value(&b, "hindsight_mailbox_messages") == MORE + 2);
	assert_true(prom_value(&b, "hindsight_run_queue_agents") == 1);
	hs_buf_free(&b);

	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	m = metrics(rt);
	assert_int_equal(m.mailbox_depth, 0);
	assert_int_equal(m.run_queue_depth, 0);
	assert_int_equal(m.log_queue_depth, 0);
	assert_int_equal(m.transitions, MORE + 2);
	assert_int_equal(m.log_records, MORE + 2);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* The log's writer, with a scraper running meanwhile                   */
/* ------------------------------------------------------------------ */

typedef struct scraper {
	hs_runtime *rt;
	atomic_bool stop;
	int scrapes;
	bool went_back;
	bool bad_text;
} scraper;

/* Scrapes while the runtime works: counters never go back, the text
 * always parses. Runs on its own thread, so it records, not asserts. */
static void *scrape_main(void *p)
{
	scraper *s = p;
	uint64_t last_transitions = 0, last_records = 0;
	prom_text *pt = malloc(sizeof *pt);
	while (!atomic_load(&s->stop) && pt != NULL) {
		hs_metrics m;
		m.size = sizeof m;
		if (hs_metrics_get(s->rt, &m) != 0) {
			s->bad_text = true;
			break;
		}
		if (m.transitions < last_transitions ||
		    m.log_records < last_records)
			s->went_back = true;
		last_transitions = m.transitions;
		last_records = m.log_records;
		hs_buf b = HS_BUF_INIT;
		if (hs_metrics_prometheus(s->rt, &b) != 0 ||
		    prom_parse(pt, (const char *)b.data, b.len) != 0)
			s->bad_text = true;
		hs_buf_free(&b);
		s->scrapes++;
	}
	free(pt);
	return NULL;
}

static void test_log_counts(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("metrics-log");
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_FAIL);
	t.snapshot_every = 4;
	assert_hs(0, hs_register(rt, &t));
	/* A name that needs escaping in a label. */
	hs_type odd = hsu_counter_type("we\"ird\\name", HS_ON_ERROR_FAIL);
	assert_hs(0, hs_register(rt, &odd));

	scraper s = {.rt = rt};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, scrape_main, &s), 0);
	enum {
		AGENTS = 8,
		EACH = 200
	};
	char id[16];
	for (int k = 0; k < EACH; k++)
		for (int i = 0; i < AGENTS; i++) {
			snprintf(id, sizeof id, "a%d", i);
			assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
		}
	assert_hs(0, hs_sendf(rt, "we\"ird\\name", "w", "inc", ""));
	hs_receipt r;
	assert_hs(0, hs_send_wait(rt, "c", "a0", "inc", NULL, 0, &r));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	atomic_store(&s.stop, true);
	pthread_join(th, NULL);
	assert_true(s.scrapes > 0);
	assert_false(s.went_back);
	assert_false(s.bad_text);

	hs_metrics m = metrics(rt);
	uint64_t n = AGENTS * EACH + 2;
	assert_int_equal(m.transitions, n);
	assert_int_equal(m.log_records, n);
	assert_int_equal(m.log_last_gseq, n);
	assert_true(r.gseq > 0 && r.gseq <= n);
	assert_true(m.log_batches > 0 && m.log_batches <= n);
	assert_int_equal(sum(m.log_batch_buckets, HS_METRICS_BATCH_BUCKETS),
			 m.log_batches);
	assert_int_equal(sum(m.log_write_buckets, HS_METRICS_LATENCY_BUCKETS),
			 m.log_batches);
	assert_true(m.log_write_ns > 0);
	assert_true(m.log_write_ns_max > 0 &&
		    m.log_write_ns_max <= m.log_write_ns);
	/* Every 4th transition of each agent; a0 has EACH + 1. */
	assert_int_equal(m.log_snapshots, AGENTS * (EACH / 4));
	assert_true(m.log_bytes > n * 10);
	assert_int_equal(m.log_queue_depth, 0);
	assert_int_equal(m.log_error, 0);
	assert_int_equal(m.mailbox_depth, 0);

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_parses(&b);
	assert_true(prom_value(&b, "hindsight_log_batch_transitions_count") ==
		    (double)m.log_batches);
	assert_true(prom_value(&b, "hindsight_log_batch_transitions_sum") ==
		    (double)n);
	assert_true(prom_value(&b, "hindsight_log_write_seconds_count") ==
		    (double)m.log_batches);
	assert_true(prom_value(&b, "hindsight_log_batch_transitions_bucket"
				   "{le=\"+Inf\"}") == (double)m.log_batches);
	assert_true(prom_value(&b, "hindsight_log_last_gseq") == (double)n);
	assert_true(prom_value(&b, "hindsight_transitions_total"
				   "{type=\"we\\\"ird\\\\name\"}") == 1);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Passivation and activation                                           */
/* ------------------------------------------------------------------ */

static void test_passivation(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("metrics-passivate");
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.resident_limit = 16;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);

	enum {
		AGENTS = 200
	};
	char id[16];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < AGENTS; i++) {
			snprintf(id, sizeof id, "a%d", i);
			assert_hs(0, hs_sendf(rt, "c", id, "inc", ""));
		}
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	}
	/* A deref sweeps once everything is written. */
	assert_int_equal(hsu_counter_value(rt, "c", "a0"), 2);

	hs_metrics m = metrics(rt);
	assert_int_equal(m.agents_created, AGENTS);
	assert_true(m.passivations > 0);
	assert_true(m.activations > 0);
	assert_true(m.activation_ns > 0);
	assert_int_equal(m.resident_limit, 16);
	assert_int_equal(m.agents_resident, hs_resident(rt));
	/* Every agent is in memory or passivated, once for each time it
	 * came back. */
	assert_int_equal(m.agents_created + m.activations,
			 m.agents_resident + m.passivations);
	assert_int_equal(m.transitions, 2 * AGENTS);

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_metrics_prometheus(rt, &b));
	assert_parses(&b);
	assert_true(prom_value(&b, "hindsight_passivations_total") ==
		    (double)m.passivations);
	assert_true(prom_value(&b, "hindsight_activations_total") ==
		    (double)m.activations);
	assert_true(prom_value(&b, "hindsight_activation_seconds_total") > 0);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

/* ------------------------------------------------------------------ */
/* Back-pressure and timers                                             */
/* ------------------------------------------------------------------ */

static void test_refused_and_timers(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("metrics-refused");
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = dir;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	hs_type t = hsu_counter_type("gate", HS_ON_ERROR_FAIL);
	t.apply = gate_apply;
	t.mailbox_limit = 4;
	assert_hs(0, hs_register(rt, &t));
	gate_open = gate_entered = false;

	assert_hs(0, hs_sendf(rt, "gate", "g", "wait", ""));
	pthread_mutex_lock(&gate_mu);
	while (!gate_entered)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	for (int i = 0; i < 4; i++)
		assert_hs(0, hs_sendf(rt, "gate", "g", "go", ""));
	assert_hs(HS_EAGAIN, hs_sendf(rt, "gate", "g", "go", ""));
	assert_hs(HS_ETIMEDOUT,
		  hs_send_timeout(rt, "gate", "g", "go", NULL, 0, 1));
	hs_metrics m = metrics(rt);
	assert_int_equal(m.sends_refused, 2);
	/* The message being handled counts until its outcome. */
	assert_int_equal(m.mailbox_depth, 5);
	assert_int_equal(m.events_queued, 5);
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_int_equal(metrics(rt).mailbox_depth, 0);
	assert_hs(0, hs_close(rt));
	pu_rmtree(dir);
	free(dir);
}

static int timer_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	if (hs_event_is(ev, "arm")) {
		int rc = hs_ctx_timer_after(ctx, "t", 0, NULL, NULL, "ring",
					    NULL, 0);
		if (rc != 0)
			return rc;
	}
	++*(int64_t *)state;
	return HS_CHANGED;
}

static void test_timers(void **state)
{
	(void)state;
	hsu_reset();
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("t", HS_ON_ERROR_FAIL);
	t.apply = timer_apply;
	assert_hs(0, hs_register(rt, &t));
	assert_hs(0, hs_sendf(rt, "t", "x", "arm", ""));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* The firing thread delivers it soon after. */
	int64_t deadline = hsu_monotonic_ns() + 10 * 1000000000LL;
	hs_metrics m = metrics(rt);
	while (m.transitions < 2 && hsu_monotonic_ns() < deadline) {
		hsu_sleep_ms(5);
		assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
		m = metrics(rt);
	}
	assert_int_equal(m.timers_fired, 1);
	assert_int_equal(m.transitions, 2);
	assert_int_equal(m.events_queued, 2);
	assert_int_equal(m.timers_pending, 0);
	assert_hs(0, hs_close(rt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_memory_counts),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_depth_while_blocked),
		cmocka_unit_test(test_log_counts),
		cmocka_unit_test(test_passivation),
		cmocka_unit_test(test_refused_and_timers),
		cmocka_unit_test(test_timers),
	};
	return cmocka_run_group_tests(tests, pu_cleanup_dirs, pu_cleanup_dirs);
}
