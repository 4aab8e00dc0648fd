#include "core/timers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec/record.h"
#include "common/deadline.h"
#include "core/activity.h"
#include "core/runtime.h"
#include "core/send.h"
#include "core/types.h"

/* The firing thread sleeps at most this long, so that a clock that jumps
 * (or a simulated one) is looked at again. */
#define MAX_SLEEP_NS INT64_C(1000000000)

/* ------------------------------------------------------------------ */
/* Loading the log's timers                                             */
/* ------------------------------------------------------------------ */

typedef struct loader {
	hsi_timer_table *table; /* NULL: only check that each decodes */
	char *errbuf;
	size_t errcap;
	const char *path; /* named in errbuf, or NULL */
} loader;

static int load_one(void *p, const void *key, size_t key_len, const void *val,
		    size_t len)
{
	loader *l = p;
	size_t tl, il, nl;
	hsi_timer_value v;
	const char *k = key;
	if (!hsi_timer_key_split(k, key_len, &tl, &il, &nl) ||
	    hsi_timer_value_decode(val, len, &v) != 0) {
		if (l->errbuf != NULL)
			snprintf(l->errbuf, l->errcap,
				 "%s%sa pending timer (timers key of %zu "
				 "bytes) does not decode",
				 l->path != NULL ? l->path : "",
				 l->path != NULL ? ": " : "", key_len);
		return HS_ECORRUPT;
	}
	if (l->table == NULL)
		return 0;
	hsi_timer_target target = {v.type,  v.type_len,	 v.id,
				   v.id_len, v.event,	 v.event_len,
				   v.body,   v.body_len};
	hsi_timer *t = hsi_timer_new(HSI_TIMER_SET, k, tl, k + tl + 1, il,
				     k + tl + 1 + il + 1, nl, &target);
	if (t == NULL || hsi_timer_table_reserve(l->table, 1) != 0) {
		free(t);
		return HS_ENOMEM;
	}
	t->due_ns = v.due_ns;
	t->set_seq = v.set_seq;
	t->set_gseq = v.set_gseq;
	hsi_timer_table_put(l->table, t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Firing                                                               */
/* ------------------------------------------------------------------ */

static hsi_msg *firing_of(const hsi_timer *t)
{
	hsi_msg_parts p = {
		.event = hsi_timer_event(t),
		.event_len = t->event_len,
		.body = hsi_timer_body(t),
		.body_len = t->body_len,
		.cause_type = t->data,
		.cause_type_len = t->owner_type_len,
		.cause_id = hsi_timer_owner_id(t),
		.cause_id_len = t->owner_id_len,
		.cause_seq = t->set_seq,
		.cause_gseq = t->set_gseq,
		.tail_kind = HSI_TAIL_TIMER,
		.tail = hsi_timer_name(t),
		.tail_len = t->name_len,
	};
	hsi_msg *m = hsi_msg_make(&p);
	if (m != NULL) {
		m->has_time = true;
		m->time_ns = t->due_ns;
	}
	return m;
}

/* A fired timer on its way to its target, outside the table's lock. */
typedef struct firing {
	struct firing *next;
	hsi_msg *msg;
	const hsi_type *type; /* registered: types live as long as rt */
	uint8_t id_len;
	char target_id[HS_ID_MAX + 1];
} firing;

static void deliver(hs_runtime *rt, firing *f)
{
	int rc = hsi_deliver(rt, f->type, f->target_id, f->id_len, f->msg);
	if (rc == 0)
		return;
	/* Still in the log: it fires again after the next open. */
	hsi_set_error(rt, "timer %s of %s/%s for %s/%s: %s; it fires again "
			  "when the log is next opened",
		      hsi_msg_tail(f->msg), hsi_msg_cause_type(f->msg),
		      hsi_msg_cause_id(f->msg), f->type->name, f->target_id,
		      hs_strerror(rc));
	hsi_drop(rt, f->type, f->target_id, f->msg, rc);
	free(f->msg);
}

static bool type_known(void *rt, const hsi_timer *t)
{
	return hsi_type_find(rt, hsi_timer_target_type(t)) != NULL;
}

void hsi_timers_types_changed(hs_runtime *rt)
{
	hsi_timers *ts = &rt->timers;
	if (!ts->inited)
		return;
	pthread_mutex_lock(&ts->mu);
	if (hsi_timer_table_unpark(&ts->table, type_known, rt) != 0)
		pthread_cond_signal(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
}

/* Takes up to FIRE_CHUNK due timers off the table (in due order) into a
 * list of firings counted as activity. */
#define FIRE_CHUNK 256

static size_t take_due(hs_runtime *rt, int64_t now, firing **head)
{
	hsi_timers *ts = &rt->timers;
	firing **tail = head;
	size_t n = 0;
	hsi_timer *t;
	pthread_mutex_lock(&ts->mu);
	/* Acquire pairs with hs_register's release store: a type counted
	 * here is found by type_known. */
	unsigned types = atomic_load_explicit(&rt->ntypes,
					      memory_order_acquire);
	for (;;) {
		/* A type registered while this loop parked a timer of it
		 * (hs_register waits for the lock to unpark it): that timer
		 * goes first, before later ones of its type fire. */
		unsigned now_types = atomic_load_explicit(
			&rt->ntypes, memory_order_acquire);
		if (now_types != types && ts->table.nparked != 0)
			hsi_timer_table_unpark(&ts->table, type_known, rt);
		types = now_types;
		if (n == FIRE_CHUNK ||
		    (t = hsi_timer_table_fire(&ts->table, now)) == NULL)
			break;
		const hsi_type *type =
			hsi_type_find(rt, hsi_timer_target_type(t));
		if (type == NULL) {
			/* Out of memory to park it: it stays fired in memory,
			 * and in the log until the next open. */
			if (!hsi_timer_table_park(&ts->table, t))
				hsi_set_error(rt, "out of memory parking a "
						  "timer; it fires again when "
						  "the log is next opened");
			continue;
		}
		firing *f = malloc(sizeof(*f));
		hsi_msg *m = f != NULL ? firing_of(t) : NULL;
		if (m == NULL) {
			/* Stays fired in memory; in the log, until the next
			 * open. */
			free(f);
			hsi_set_error(rt, "out of memory firing a timer; it "
					  "fires again when the log is next "
					  "opened");
			continue;
		}
		/* Counted as activity until delivered, so that hs_await
		 * after hs_timers_fire_due waits for its handling. */
		hsi_activity_begin(rt);
		f->next = NULL;
		f->msg = m;
		f->type = type;
		f->id_len = t->target_id_len;
		memcpy(f->target_id, hsi_timer_target_id(t),
		       t->target_id_len + 1);
		*tail = f;
		tail = &f->next;
		n++;
	}
	pthread_mutex_unlock(&ts->mu);
	return n;
}

/* Fires every timer due at `now`, in due order, a chunk at a time.
 * Returns how many. */
static size_t fire_due(hs_runtime *rt, int64_t now)
{
	size_t total = 0, n;
	pthread_mutex_lock(&rt->timers.fire_mu);
	do {
		firing *head = NULL;
		n = take_due(rt, now, &head);
		total += n;
		while (head != NULL) {
			firing *next = head->next;
			deliver(rt, head);
			free(head);
			hsi_deactivate(rt);
			head = next;
		}
	} while (n == FIRE_CHUNK);
	pthread_mutex_unlock(&rt->timers.fire_mu);
	hsi_rare_add(&rt->rare.timers_fired, total);
	return total;
}

static void *firing_main(void *p)
{
	hs_runtime *rt = p;
	hsi_timers *ts = &rt->timers;
	pthread_mutex_lock(&ts->mu);
	while (!ts->stop) {
		hsi_timer *t = hsi_timer_table_next(&ts->table);
		if (t == NULL) {
			pthread_cond_wait(&ts->cv, &ts->mu);
			continue;
		}
		int64_t now = rt->opts.clock(rt->opts.clock_udata);
		if (t->due_ns <= now) {
			pthread_mutex_unlock(&ts->mu);
			fire_due(rt, now);
			pthread_mutex_lock(&ts->mu);
			continue;
		}
		int64_t wait = t->due_ns - now;
		struct timespec until = hsi_deadline_in_ns(
			CLOCK_REALTIME, wait < MAX_SLEEP_NS ? wait : MAX_SLEEP_NS);
		pthread_cond_timedwait(&ts->cv, &ts->mu, &until);
	}
	pthread_mutex_unlock(&ts->mu);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Life                                                                 */
/* ------------------------------------------------------------------ */

int hsi_timers_check(void *udata, hsi_log *log, char *errbuf, size_t errcap)
{
	(void)udata;
	loader l = {NULL, errbuf, errcap, NULL};
	int rc = hsi_log_scan_timers(log, load_one, &l);
	if (rc != 0 && rc != HS_ECORRUPT)
		hsi_log_error(log, errbuf, errcap);
	return rc;
}

int hsi_timers_start(hs_runtime *rt, char *errbuf, size_t errcap)
{
	hsi_timers *ts = &rt->timers;
	pthread_mutex_init(&ts->fire_mu, NULL);
	pthread_mutex_init(&ts->mu, NULL);
	pthread_cond_init(&ts->cv, NULL);
	hsi_timer_table_init(&ts->table);
	ts->inited = true;
	if (rt->opts.read_only)
		return 0; /* nothing fires; hs_timers_pending counts the log */
	if (rt->log != NULL) {
		loader l = {&ts->table, errbuf, errcap, rt->path};
		int rc = hsi_log_scan_timers(rt->log, load_one, &l);
		if (rc != 0) {
			if (rc != HS_ECORRUPT && errbuf != NULL)
				hsi_log_error(rt->log, errbuf, errcap);
			return rc;
		}
	}
	if (pthread_create(&ts->thread, NULL, firing_main, rt) != 0)
		return HS_ETHREAD;
	ts->started = true;
	return 0;
}

void hsi_timers_stop(hs_runtime *rt)
{
	hsi_timers *ts = &rt->timers;
	if (!ts->started)
		return;
	pthread_mutex_lock(&ts->mu);
	ts->stop = true;
	pthread_cond_signal(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
	pthread_join(ts->thread, NULL);
	ts->started = false;
}

void hsi_timers_destroy(hs_runtime *rt)
{
	hsi_timers *ts = &rt->timers;
	if (!ts->inited)
		return;
	hsi_timers_stop(rt);
	hsi_timer_table_destroy(&ts->table);
	pthread_cond_destroy(&ts->cv);
	pthread_mutex_destroy(&ts->mu);
	pthread_mutex_destroy(&ts->fire_mu);
	ts->inited = false;
}

/* ------------------------------------------------------------------ */
/* Operations                                                           */
/* ------------------------------------------------------------------ */

hsi_timer *hsi_timer_done_of(const hsi_msg *m)
{
	if (m->tail_kind != HSI_TAIL_TIMER)
		return NULL;
	hsi_timer *t = hsi_timer_new(HSI_TIMER_DONE, hsi_msg_cause_type(m),
				     m->cause_type_len, hsi_msg_cause_id(m),
				     m->cause_id_len, hsi_msg_tail(m),
				     m->tail_len, NULL);
	if (t != NULL)
		t->set_seq = m->cause_seq;
	return t;
}

bool hsi_timers_stale(hs_runtime *rt, const hsi_msg *m)
{
	if (m->tail_kind != HSI_TAIL_TIMER)
		return false;
	char key[HSI_TIMER_KEY_MAX];
	size_t n = 0;
	memcpy(key, hsi_msg_cause_type(m), m->cause_type_len + 1);
	n += m->cause_type_len + 1;
	memcpy(key + n, hsi_msg_cause_id(m), m->cause_id_len + 1);
	n += m->cause_id_len + 1;
	memcpy(key + n, hsi_msg_tail(m), m->tail_len);
	n += m->tail_len;
	hsi_timers *ts = &rt->timers;
	pthread_mutex_lock(&ts->mu);
	const hsi_timer *t = hsi_timer_table_find(&ts->table, key, n);
	bool stale = t == NULL || t->set_seq != m->cause_seq ||
		     t->heap_at != HSI_TIMER_FIRED || t->superseded;
	pthread_mutex_unlock(&ts->mu);
	return stale;
}

void hsi_timers_supersede(hs_runtime *rt, const hsi_timer *ops)
{
	hsi_timers *ts = &rt->timers;
	for (const hsi_timer *op = ops; op != NULL; op = op->next) {
		if (op->kind == HSI_TIMER_DONE)
			continue;
		pthread_mutex_lock(&ts->mu);
		hsi_timer *t = hsi_timer_table_find(&ts->table, op->data,
						    op->key_len);
		if (t != NULL && t->set_seq < op->set_seq)
			t->superseded = true;
		pthread_mutex_unlock(&ts->mu);
	}
}

/* Whether the firing `done` names is still the timer in the table (the
 * owner did not re-arm or cancel the name since). */
static bool still_armed(hsi_timers *ts, const hsi_timer *done)
{
	const hsi_timer *t =
		hsi_timer_table_find(&ts->table, done->data, done->key_len);
	return t != NULL && t->set_seq == done->set_seq &&
	       t->heap_at == HSI_TIMER_FIRED;
}

void hsi_timers_write_done(hs_runtime *rt, const hsi_timer *ops,
			   hsi_log_batch *b)
{
	hsi_timers *ts = &rt->timers;
	for (const hsi_timer *t = ops; t != NULL; t = t->next) {
		if (t->kind != HSI_TIMER_DONE)
			continue;
		pthread_mutex_lock(&ts->mu);
		bool armed = still_armed(ts, t);
		pthread_mutex_unlock(&ts->mu);
		if (armed)
			hsi_log_batch_delete_timer(rt->log, b, t->data,
						   t->key_len);
	}
}

int hsi_timers_write_set(hs_runtime *rt, hsi_timer *ops, uint64_t gseq,
			 hsi_log_batch *b, hs_buf *scratch)
{
	for (hsi_timer *t = ops; t != NULL; t = t->next) {
		if (t->kind == HSI_TIMER_CANCEL) {
			hsi_log_batch_delete_timer(rt->log, b, t->data,
						   t->key_len);
			continue;
		}
		if (t->kind != HSI_TIMER_SET)
			continue;
		t->set_gseq = gseq;
		hsi_timer_value v = {
			.due_ns = t->due_ns,
			.type = hsi_timer_target_type(t),
			.type_len = t->target_type_len,
			.id = hsi_timer_target_id(t),
			.id_len = t->target_id_len,
			.event = hsi_timer_event(t),
			.event_len = t->event_len,
			.body = hsi_timer_body(t),
			.body_len = t->body_len,
			.set_seq = t->set_seq,
			.set_gseq = gseq,
		};
		hs_buf_reset(scratch);
		if (hsi_timer_value_encode(&v, scratch) != 0)
			return HS_ENOMEM;
		hsi_log_batch_put_timer(rt->log, b, t->data, t->key_len,
					scratch->data, scratch->len);
	}
	return 0;
}

void hsi_timers_apply(hs_runtime *rt, hsi_timer *ops)
{
	hsi_timers *ts = &rt->timers;
	bool armed = false;
	pthread_mutex_lock(&ts->mu);
	while (ops != NULL) {
		hsi_timer *t = ops;
		ops = t->next;
		switch (t->kind) {
		case HSI_TIMER_SET:
			if (hsi_timer_table_reserve(&ts->table, 1) != 0) {
				/* The older generation must not fire: its end
				 * would delete this one from the log. */
				hsi_timer_table_remove(&ts->table, t->data,
						       t->key_len, 0);
				hsi_set_error(rt, "out of memory arming timer "
						  "%s: it fires when the log "
						  "is next opened",
					      hsi_timer_name(t));
				break;
			}
			hsi_timer_table_put(&ts->table, t);
			armed = true;
			continue; /* the table's now */
		case HSI_TIMER_CANCEL:
			hsi_timer_table_remove(&ts->table, t->data, t->key_len,
					       0);
			break;
		case HSI_TIMER_DONE:
			/* Only the generation that fired: a re-armed name has
			 * another. */
			hsi_timer_table_remove(&ts->table, t->data, t->key_len,
					       t->set_seq);
			break;
		}
		free(t);
	}
	if (armed)
		pthread_cond_signal(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
}

/* ------------------------------------------------------------------ */
/* Public                                                               */
/* ------------------------------------------------------------------ */

int hs_timers_fire_due(hs_runtime *rt, size_t *fired)
{
	if (rt == NULL)
		return HS_EINVAL;
	if (rt->opts.read_only)
		return HS_ENOTSUP;
	size_t n = fire_due(rt, rt->opts.clock(rt->opts.clock_udata));
	if (fired != NULL)
		*fired = n;
	return 0;
}

static int count_key(void *udata, const void *key, size_t key_len,
		     const void *val, size_t len)
{
	(void)key, (void)key_len, (void)val, (void)len;
	++*(size_t *)udata;
	return 0;
}

size_t hs_timers_pending(hs_runtime *rt)
{
	if (rt == NULL || !rt->timers.inited)
		return 0;
	if (rt->opts.read_only) {
		size_t n = 0;
		return hsi_log_scan_timers(rt->log, count_key, &n) == 0 ? n : 0;
	}
	pthread_mutex_lock(&rt->timers.mu);
	size_t n = rt->timers.table.count;
	pthread_mutex_unlock(&rt->timers.mu);
	return n;
}
