/*
 * The live part of a subscription: a bounded SPSC ring between the log's
 * writer thread (the durable watcher) and the subscription's reader. The
 * writer never waits here: it drops what does not fit (see live.h).
 */
#include "subscribe/live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "core/types.h"

hsi_live *hsi_live_create(const hsi_sub_filter *filter, size_t cap)
{
	size_t size = (sizeof(hsi_live) + 63) / 64 * 64;
	hsi_live *l = aligned_alloc(64, size);
	if (l == NULL)
		return NULL;
	memset(l, 0, size);
	l->filter = filter;
	l->cap = cap;
	l->slots = calloc(cap, sizeof(*l->slots));
	pthread_condattr_t ca;
	bool ok = l->slots != NULL && pthread_condattr_init(&ca) == 0;
	if (ok) {
		ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
		     pthread_cond_init(&l->cv, &ca) == 0;
		pthread_condattr_destroy(&ca);
	}
	if (!ok || pthread_mutex_init(&l->mu, NULL) != 0) {
		if (ok)
			pthread_cond_destroy(&l->cv);
		free(l->slots);
		free(l);
		return NULL;
	}
	return l;
}

void hsi_live_destroy(hsi_live *l)
{
	if (l == NULL)
		return;
	while (hsi_live_peek(l) != NULL)
		hsi_live_pop(l);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l->slots);
	free(l);
}

/* Appends a copy of n bytes at *p and returns it. */
static const char *put(char **p, const void *src, size_t n)
{
	char *at = *p;
	if (n != 0)
		memcpy(at, src, n);
	*p += n;
	return at;
}

/* The record of t as hs_history gives it, in one allocation. */
static hsi_live_rec *copy(hs_runtime *rt, const hs_transition *t,
			  uint64_t base)
{
	/* The versions the log appender records (core/sink.c). */
	const hsi_type *ty = hsi_type_find(rt, t->agent.type);
	unsigned ev = ty != NULL ? ty->def.event_version : 1;
	unsigned sv = ty != NULL ? ty->def.state_version : 1;
	bool caused = t->cause_seq != 0;
	size_t type_n = strlen(t->agent.type) + 1;
	size_t id_n = strlen(t->agent.id) + 1;
	size_t ev_n = strlen(t->event_type) + 1;
	size_t ctype_n = caused ? strlen(t->cause.type) + 1 : 1;
	size_t cid_n = caused ? strlen(t->cause.id) + 1 : 1;
	hsi_live_rec *e = malloc(sizeof(*e) + type_n + id_n + ev_n + ctype_n +
				 cid_n + t->event_len);
	if (e == NULL)
		return NULL;
	char *p = e->data;
	e->base = base;
	e->rec = (hs_record){
		.agent = {put(&p, t->agent.type, type_n),
			  put(&p, t->agent.id, id_n)},
		.seq = t->seq,
		.gseq = t->gseq,
		.time_ns = t->time_ns,
		.event_type = put(&p, t->event_type, ev_n),
		.cause = {put(&p, caused ? t->cause.type : "", ctype_n),
			  put(&p, caused ? t->cause.id : "", cid_n)},
		.cause_seq = t->cause_seq,
		.cause_gseq = caused ? t->cause_gseq : 0,
		/* As the log appender computes it (core/sink.c). */
		.state_hash = hsi_state_hash(t->new_state, t->new_len),
		.event_version = ev,
		.recorded_event_version = ev,
		.state_version = sv,
	};
	if (t->event_len != 0) {
		e->rec.body = put(&p, t->event_body, t->event_len);
		e->rec.body_len = t->event_len;
	}
	return e;
}

void hsi_live_watch(void *udata, const hs_transition *t)
{
	hsi_live *l = udata;
	if (!l->started) {
		/* Shown gap-free from here: nothing before it is buffered. */
		l->base = t->gseq - 1;
		l->started = true;
	}
	if (hsi_sub_filter_transition(l->filter, t)) {
		/* Only this thread writes head. */
		uint64_t head =
			atomic_load_explicit(&l->head, memory_order_relaxed);
		/* Acquire: pairs with the release store in hsi_live_pop, so
		 * the reader is done with a slot before it is reused. */
		uint64_t tail =
			atomic_load_explicit(&l->tail, memory_order_acquire);
		hsi_live_rec *e =
			head - tail < l->cap ? copy(l->rt, t, l->base) : NULL;
		if (e != NULL) {
			l->slots[head % l->cap] = e;
			/* Release: pairs with the acquire load in
			 * hsi_live_peek, which then sees the slot and the
			 * record. */
			atomic_store_explicit(&l->head, head + 1,
					      memory_order_release);
		} else {
			/* Full (or out of memory): the reader reads this one
			 * back from the log, where it is already. */
			l->base = t->gseq;
			/* Release: pairs with the acquire load in
			 * hsi_live_dropped, so that a reader that sees this
			 * gseq also sees the write that put it in the
			 * log. */
			atomic_store_explicit(&l->dropped, t->gseq,
					      memory_order_release);
			atomic_fetch_add_explicit(&l->ndropped, 1,
						  memory_order_relaxed);
		}
	}
	/* Seq_cst, with the seq_cst load of `waiting` below: pairs with the
	 * reader's seq_cst store of `waiting` and load of `seen` in
	 * hsi_live_wait (either it sees this gseq or we see it waiting).
	 * Also a release for the acquire in hsi_live_seen: the head and
	 * dropped stores above come before it. */
	atomic_store_explicit(&l->seen, t->gseq, memory_order_seq_cst);
	if (atomic_load_explicit(&l->waiting, memory_order_seq_cst)) {
		pthread_mutex_lock(&l->mu);
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
	}
}

uint64_t hsi_live_seen(hsi_live *l)
{
	/* Acquire: pairs with the seq_cst store in hsi_live_watch. */
	return atomic_load_explicit(&l->seen, memory_order_acquire);
}

uint64_t hsi_live_dropped(hsi_live *l)
{
	/* Acquire: pairs with the release store in hsi_live_watch. */
	return atomic_load_explicit(&l->dropped, memory_order_acquire);
}

hsi_live_rec *hsi_live_peek(hsi_live *l)
{
	/* Only the reader writes tail. */
	uint64_t tail = atomic_load_explicit(&l->tail, memory_order_relaxed);
	/* Acquire: pairs with the release store of head in
	 * hsi_live_watch. */
	uint64_t head = atomic_load_explicit(&l->head, memory_order_acquire);
	return tail == head ? NULL : l->slots[tail % l->cap];
}

void hsi_live_pop(hsi_live *l)
{
	uint64_t tail = atomic_load_explicit(&l->tail, memory_order_relaxed);
	free(l->slots[tail % l->cap]);
	l->slots[tail % l->cap] = NULL;
	/* Release: pairs with the acquire load of tail in hsi_live_watch;
	 * the slot is the producer's again. */
	atomic_store_explicit(&l->tail, tail + 1, memory_order_release);
}

void hsi_live_wait(hsi_live *l, uint64_t seen, const struct timespec *deadline)
{
	pthread_mutex_lock(&l->mu);
	/* Seq_cst: pairs with the seq_cst store of seen and load of waiting
	 * in hsi_live_watch. We hold mu from here until the wait releases
	 * it, so a producer that sees waiting signals after we sleep. */
	atomic_store_explicit(&l->waiting, true, memory_order_seq_cst);
	while (atomic_load_explicit(&l->seen, memory_order_seq_cst) == seen &&
	       !atomic_load_explicit(&l->cancelled, memory_order_relaxed)) {
		int rc = deadline != NULL
				 ? pthread_cond_timedwait(&l->cv, &l->mu,
							  deadline)
				 : pthread_cond_wait(&l->cv, &l->mu);
		if (rc == ETIMEDOUT)
			break;
	}
	/* Relaxed: a producer that still sees true only signals in vain. */
	atomic_store_explicit(&l->waiting, false, memory_order_relaxed);
	pthread_mutex_unlock(&l->mu);
}

void hsi_live_cancel(hsi_live *l)
{
	pthread_mutex_lock(&l->mu);
	/* Relaxed: set and read under mu when it matters (hsi_live_wait);
	 * hsi_live_cancelled is only a quick look. */
	atomic_store_explicit(&l->cancelled, true, memory_order_relaxed);
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

bool hsi_live_cancelled(hsi_live *l)
{
	/* Relaxed: see hsi_live_cancel. */
	return atomic_load_explicit(&l->cancelled, memory_order_relaxed);
}
