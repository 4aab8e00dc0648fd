/* hs_metrics_get and hs_metrics_prometheus: sums of the counters that
 * each thread keeps (core/metrics.h), and the gauges read beside them. */
#include "core/metrics.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "core/ref.h"
#include "core/runtime.h"

_Static_assert(HSI_SHARD_STATS <= sizeof(((hsi_shard *)0)->stats) /
					  sizeof(((hsi_shard *)0)->stats[0]),
	       "hsi_shard.stats too small");

/* Workers are indexed on every send from a handler: keep it a shift. */
_Static_assert((sizeof(hsi_worker) & (sizeof(hsi_worker) - 1)) == 0,
	       "hsi_worker's size is not a power of two");

/* The size of the first version of hs_metrics, which every caller's
 * struct has at least: later versions only add fields after `types`. */
#define METRICS_V1_SIZE (offsetof(hs_metrics, types) + sizeof(uint64_t))

int64_t hsi_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One type's events, summed over the workers. */
typedef struct type_sums {
	uint64_t transitions, unchanged, errors;
} type_sums;

static type_sums sum_type(const hs_runtime *rt, unsigned index)
{
	type_sums s = {0, 0, 0};
	for (unsigned i = 0; i < rt->opts.workers; i++) {
		const hsi_type_counts *c = &rt->types[index]->counts[i];
		s.transitions += hsi_counter_get(&c->transitions);
		s.unchanged += hsi_counter_get(&c->unchanged);
		s.errors += hsi_counter_get(&c->errors);
	}
	return s;
}

static unsigned types_registered(hs_runtime *rt)
{
	/* Acquire pairs with hs_register's release store: types[] up to
	 * the count is published. */
	return atomic_load_explicit(&rt->ntypes, memory_order_acquire);
}

static uint64_t shard_sum(const hs_runtime *rt, unsigned which)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < HSI_REGISTRY_SHARDS; i++)
		n += hsi_counter_get(&rt->registry.shards[i].stats[which]);
	return n;
}

static void collect(hs_runtime *rt, hs_metrics *m)
{
	memset(m, 0, sizeof(*m));
	unsigned ntypes = types_registered(rt);
	/* What left the mailboxes first, then what went in: a message
	 * counted out was counted in before, so the difference is not
	 * below the true depth by more than the messages in flight. */
	for (unsigned t = 0; t < ntypes; t++) {
		type_sums s = sum_type(rt, t);
		m->transitions += s.transitions;
		m->events_unchanged += s.unchanged;
		m->handler_errors += s.errors;
		if (rt->types[t]->def.on_error == HS_ON_ERROR_SKIP)
			m->events_skipped += s.errors;
		else
			m->agent_failures += s.errors;
	}
	m->events_handled =
		m->transitions + m->events_unchanged + m->handler_errors;
	uint64_t unqueued = hsi_counter_get(&rt->rare.unqueued);
	uint64_t queued = shard_sum(rt, HSI_SHARD_PUSHED) +
			  hsi_refs_pushed(rt) +
			  hsi_counter_get(&rt->rare.pushed);
	for (unsigned i = 0; i < rt->opts.workers; i++) {
		const hsi_worker_counts *c = &rt->workers[i].counts;
		m->turns += hsi_counter_get(&c->turns);
		queued += hsi_counter_get(&c->pushed);
	}
	m->events_queued = queued;
	uint64_t out = m->events_handled + unqueued;
	m->mailbox_depth = queued > out ? queued - out : 0;

	m->restarts = hsi_counter_get(&rt->rare.restarts);
	m->sends_refused = hsi_counter_get(&rt->rare.refused);
	m->messages_dropped = hsi_counter_get(&rt->rare.dropped);
	m->timers_fired = hsi_counter_get(&rt->rare.timers_fired);
	m->agents_created = shard_sum(rt, HSI_SHARD_CREATED);
	m->activations = shard_sum(rt, HSI_SHARD_ACTIVATED);
	m->activation_ns = shard_sum(rt, HSI_SHARD_ACTIVATION_NS);
	m->passivations = shard_sum(rt, HSI_SHARD_PASSIVATED);

	const hsi_writer *w = &rt->writer;
	if (w->inited) {
		const hsi_writer_counts *c = &w->counts;
		m->log_records = hsi_counter_get(&c->records);
		m->log_snapshots = hsi_counter_get(&c->snapshots);
		m->log_bytes = hsi_counter_get(&c->bytes);
		m->log_write_ns = hsi_counter_get(&c->write_ns);
		m->log_write_ns_max = hsi_counter_get(&c->write_ns_max);
		for (unsigned i = 0; i < HS_METRICS_BATCH_BUCKETS; i++) {
			m->log_batch_buckets[i] =
				hsi_counter_get(&c->batch_buckets[i]);
			m->log_batches += m->log_batch_buckets[i];
		}
		for (unsigned i = 0; i < HS_METRICS_LATENCY_BUCKETS; i++)
			m->log_write_buckets[i] =
				hsi_counter_get(&c->write_buckets[i]);
		/* Taken first: a record is queued before it is taken. */
		uint64_t taken = hsi_counter_get(&c->taken);
		uint64_t in = hsi_counter_get(&w->queued);
		m->log_queue_depth = in > taken ? in - taken : 0;
		/* Relaxed: a flag (see hsi_sink_log). */
		m->log_error = atomic_load_explicit(&((hsi_writer *)w)->failed,
						    memory_order_relaxed);
	}
	if (rt->log != NULL)
		m->log_last_gseq = hsi_log_last_gseq(rt->log);

	m->agents_resident = hs_resident(rt);
	m->resident_limit = rt->opts.resident_limit;
	/* Relaxed: a count for the report. */
	long failed = atomic_load_explicit(&rt->nfailed, memory_order_relaxed);
	m->agents_failed = failed > 0 ? (uint64_t)failed : 0;
	m->run_queue_depth =
		atomic_load_explicit(&rt->sched.queued, memory_order_relaxed);
	/* A read-only runtime would count the log's timers by scanning it:
	 * too slow for a scrape, and none of them runs there. */
	if (!rt->opts.read_only)
		m->timers_pending = hs_timers_pending(rt);
	m->workers = rt->opts.workers;
	m->types = ntypes;
}

int hs_metrics_get(hs_runtime *rt, hs_metrics *out)
{
	if (rt == NULL || out == NULL || out->size < METRICS_V1_SIZE)
		return HS_EINVAL;
	hs_metrics m;
	collect(rt, &m);
	size_t n = out->size < sizeof(m) ? out->size : sizeof(m);
	m.size = n;
	memcpy(out, &m, n);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Prometheus text format 0.0.4                                         */
/* ------------------------------------------------------------------ */

typedef struct prom {
	hs_buf *out;
	int rc;
} prom;

static void put(prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(prom *p, const char *fmt, ...)
{
	if (p->rc != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || hsi_buf_reserve(p->out, (size_t)n + 1) != 0) {
		p->rc = HS_ENOMEM;
		return;
	}
	va_start(ap, fmt);
	vsnprintf((char *)p->out->data + p->out->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->out->len += (size_t)n;
}

static void head(prom *p, const char *name, const char *type, const char *help)
{
	put(p, "# HELP hindsight_%s %s\n# TYPE hindsight_%s %s\n", name, help,
	    name, type);
}

static void one(prom *p, const char *name, const char *type, const char *help,
		uint64_t v)
{
	head(p, name, type, help);
	put(p, "hindsight_%s %llu\n", name, (unsigned long long)v);
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(prom *p, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			put(p, "\\\\");
		else if (*s == '"')
			put(p, "\\\"");
		else if (*s == '\n')
			put(p, "\\n");
		else
			put(p, "%c", *s);
	}
}

enum {
	PER_TRANSITIONS,
	PER_UNCHANGED,
	PER_HANDLED,
	PER_ERRORS,
	PER_SKIPPED,
	PER_FAILURES
};

static uint64_t per_value(const hs_runtime *rt, unsigned t, int which)
{
	type_sums s = sum_type(rt, t);
	bool skip = rt->types[t]->def.on_error == HS_ON_ERROR_SKIP;
	switch (which) {
	case PER_TRANSITIONS:
		return s.transitions;
	case PER_UNCHANGED:
		return s.unchanged;
	case PER_HANDLED:
		return s.transitions + s.unchanged + s.errors;
	case PER_ERRORS:
		return s.errors;
	case PER_SKIPPED:
		return skip ? s.errors : 0;
	default:
		return skip ? 0 : s.errors;
	}
}

/* A counter by agent type. */
static void per_type(prom *p, hs_runtime *rt, unsigned ntypes,
		     const char *name, const char *help, int which)
{
	head(p, name, "counter", help);
	for (unsigned t = 0; t < ntypes; t++) {
		put(p, "hindsight_%s{type=\"", name);
		put_label(p, rt->types[t]->name);
		put(p, "\"} %llu\n",
		    (unsigned long long)per_value(rt, t, which));
	}
}

static void histogram(prom *p, const char *name, const char *help,
		      const uint64_t *buckets, unsigned n, bool seconds,
		      double sum)
{
	head(p, name, "histogram", help);
	uint64_t acc = 0;
	for (unsigned i = 0; i + 1 < n; i++) {
		acc += buckets[i];
		if (seconds)
			put(p, "hindsight_%s_bucket{le=\"%g\"} %llu\n", name,
			    (double)(1ull << i) * 1e-6,
			    (unsigned long long)acc);
		else
			put(p, "hindsight_%s_bucket{le=\"%llu\"} %llu\n", name,
			    1ull << i, (unsigned long long)acc);
	}
	acc += buckets[n - 1];
	put(p, "hindsight_%s_bucket{le=\"+Inf\"} %llu\n", name,
	    (unsigned long long)acc);
	put(p, "hindsight_%s_sum %.9g\nhindsight_%s_count %llu\n", name, sum,
	    name, (unsigned long long)acc);
}

int hs_metrics_prometheus(hs_runtime *rt, hs_buf *out)
{
	if (rt == NULL || out == NULL)
		return HS_EINVAL;
	hs_metrics m;
	collect(rt, &m);
	unsigned ntypes = (unsigned)m.types;
	size_t len = out->len;
	prom p = {out, 0};

	one(&p, "events_queued_total", "counter",
	    "Messages put into agents' mailboxes: sends from outside, "
	    "handlers' sends, answers, timer firings.",
	    m.events_queued);
	per_type(&p, rt, ntypes, "events_handled_total",
		 "Messages handled by a worker.", PER_HANDLED);
	per_type(&p, rt, ntypes, "transitions_total",
		 "Events that changed an agent's state.", PER_TRANSITIONS);
	per_type(&p, rt, ntypes, "events_unchanged_total",
		 "Events that changed nothing.", PER_UNCHANGED);
	per_type(&p, rt, ntypes, "handler_errors_total",
		 "Events whose handler returned an error.", PER_ERRORS);
	per_type(&p, rt, ntypes, "events_skipped_total",
		 "Events dropped after a handler error (HS_ON_ERROR_SKIP).",
		 PER_SKIPPED);
	per_type(&p, rt, ntypes, "agent_failures_total",
		 "Agents stopped by a handler error (HS_ON_ERROR_FAIL).",
		 PER_FAILURES);
	one(&p, "agent_restarts_total", "counter",
	    "Failed agents restarted with hs_restart.", m.restarts);
	one(&p, "turns_total", "counter", "Times an agent was given a worker.",
	    m.turns);
	one(&p, "sends_refused_total", "counter",
	    "Sends from outside refused or timed out on a full mailbox.",
	    m.sends_refused);
	one(&p, "messages_dropped_total", "counter",
	    "Messages discarded through on_drop (hs_restart dropping "
	    "pending ones, hs_close, undeliverable).",
	    m.messages_dropped);
	one(&p, "timers_fired_total", "counter", "Timers fired.",
	    m.timers_fired);
	one(&p, "agents_created_total", "counter", "New agents (init run).",
	    m.agents_created);
	one(&p, "activations_total", "counter",
	    "Agents rebuilt from the log into memory.", m.activations);
	head(&p, "activation_seconds_total", "counter",
	     "Time spent rebuilding agents from the log.");
	put(&p, "hindsight_activation_seconds_total %.9f\n",
	    (double)m.activation_ns / 1e9);
	one(&p, "passivations_total", "counter",
	    "Agents that left memory under the resident limit.",
	    m.passivations);

	histogram(&p, "log_batch_transitions",
		  "Transitions per group commit of the log's writer.",
		  m.log_batch_buckets, HS_METRICS_BATCH_BUCKETS, false,
		  (double)m.log_records);
	histogram(&p, "log_write_seconds",
		  "Time of each group commit's write (with its fsync under "
		  "HS_DURABILITY_SYNC).",
		  m.log_write_buckets, HS_METRICS_LATENCY_BUCKETS, true,
		  (double)m.log_write_ns / 1e9);
	head(&p, "log_write_seconds_max", "gauge",
	     "The slowest group commit write so far.");
	put(&p, "hindsight_log_write_seconds_max %.9f\n",
	    (double)m.log_write_ns_max / 1e9);
	one(&p, "log_records_total", "counter",
	    "Transitions written to the log.", m.log_records);
	one(&p, "log_snapshots_total", "counter",
	    "Snapshots written to the log.", m.log_snapshots);
	one(&p, "log_bytes_total", "counter",
	    "Bytes of records and snapshots written to the log.", m.log_bytes);

	one(&p, "agents_resident", "gauge", "Agents in memory.",
	    m.agents_resident);
	one(&p, "agents_resident_limit", "gauge",
	    "The resident limit (0: none).", m.resident_limit);
	one(&p, "agents_failed", "gauge",
	    "Failed agents waiting for hs_restart.", m.agents_failed);
	one(&p, "mailbox_messages", "gauge",
	    "Messages queued and not yet handled (failed agents' "
	    "included).",
	    m.mailbox_depth);
	one(&p, "run_queue_agents", "gauge", "Agents waiting for a worker.",
	    m.run_queue_depth);
	one(&p, "log_queue_transitions", "gauge",
	    "Transitions waiting for the log's writer.", m.log_queue_depth);
	one(&p, "timers_pending", "gauge", "Timers set and not yet handled.",
	    m.timers_pending);
	one(&p, "log_last_gseq", "gauge", "The last gseq written to the log.",
	    m.log_last_gseq);
	head(&p, "log_error", "gauge",
	     "The error code that stopped the log's writer (0: none).");
	put(&p, "hindsight_log_error %lld\n", (long long)m.log_error);
	one(&p, "workers", "gauge", "Worker threads.", m.workers);
	one(&p, "agent_types", "gauge", "Agent types registered.", m.types);
	if (p.rc != 0)
		out->len = len;
	return p.rc;
}
