/* Putting messages into mailboxes: hs_send and its variants, the
 * delivery of released effects, and the waiters of hs_send_wait. A full
 * bounded mailbox holds back outside senders only (core/flow.c). */
#include "core/send.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "core/activate.h"
#include "core/activity.h"
#include "core/flow.h"
#include "core/passivate.h"
#include "core/runtime.h"
#include "core/types.h"
#include "core/waiter.h"

int hsi_msg_build(const char *event_type, const void *body, size_t len,
		  const hsi_msg_cause *cause, void **block, hsi_msg **out)
{
	if (event_type == NULL || event_type[0] == '\0' ||
	    (body == NULL && len != 0))
		return HS_EINVAL;
	size_t type_len = strnlen(event_type, HS_NAME_MAX + 1);
	if (type_len > HS_NAME_MAX)
		return HS_ETOOLONG;
	if (len > UINT32_MAX)
		return HS_ETOOLONG;
	if (len != 0 && hs_msgpack_check(body, len) != 0)
		return HS_EBADMSG;
	/* A nil body is stored as no body; make live runs see the same. */
	if (len == 1 && *(const uint8_t *)body == 0xc0)
		len = 0;
	hsi_msg *m =
		hsi_msg_new(event_type, type_len, body, (uint32_t)len, cause,
			    block);
	if (m == NULL)
		return HS_ENOMEM;
	*out = m;
	return 0;
}

int hsi_msg_build_on_worker(hs_runtime *rt, const char *event_type,
			    const void *body, size_t len,
			    const hsi_msg_cause *cause, hsi_msg **out)
{
	int wi = hsi_sched_current(&rt->sched);
	if (wi < 0)
		return hsi_msg_build(event_type, body, len, cause, NULL, out);
	hsi_blocks *b = &rt->workers[wi].blocks;
	void *block = hsi_blocks_get(&rt->msgpool, b);
	int rc = hsi_msg_build(event_type, body, len, cause, &block, out);
	if (block != NULL)
		hsi_blocks_unget(&rt->msgpool, b, block);
	return rc;
}

/* The timeout of a handler's effect: never refused nor delayed. Outside
 * senders' timeouts are clamped to -1 and above. */
#define EFFECT_TIMEOUT INT_MIN

/* With the agent's shard locked: true (and the shard unlocked) when m is
 * a question and the agent is failed: it would wait for a restart, so
 * the asker hears HS_EFAILED now. Checked before a bounded mailbox counts
 * m in. Relaxed: a question that slips past waits for the restart, or
 * the hs_close that drops it. */
static inline bool refuse_question(hsi_shard *s, hsi_agent *a,
				   const hsi_msg *m)
{
	if ((m->tail_kind != HSI_TAIL_ASK && !hsi_waiter_asks(m->waiter)) ||
	    !atomic_load_explicit(&a->failed, memory_order_relaxed))
		return false;
	pthread_mutex_unlock(&s->mu);
	return true;
}

/* With the agent's shard locked: queues m, unlocks, schedules the agent
 * if it was idle. */
static inline int push(hs_runtime *rt, hsi_shard *s, hsi_agent *a,
		       hsi_msg *m)
{
	bool schedule = hsi_mailbox_push(&a->mbox, &m->node);
	hsi_count(&s->stats[HSI_SHARD_PUSHED], 1);
	pthread_mutex_unlock(&s->mu);
	if (schedule)
		hsi_activate(rt, a);
	hsi_check_resident(rt);
	return 0;
}

/* deliver() for a type with a limit: counts an effect in, or makes an
 * outside sender wait for room as hsi_flow_admit says, finding the agent
 * again after each wait. Out of line, so that deliver() for a type
 * without a limit is what it was before limits existed plus one test. */
__attribute__((noinline)) static int
deliver_bounded(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m, int timeout_ms)
{
	hsi_admit ad = {.timeout_ms = timeout_ms};
	hsi_shard *s;
	hsi_agent *a;
	int rc;
	do {
		rc = hsi_agent_acquire(rt, type, id, id_len,
				       HSI_ACQUIRE_CREATE, &s, &a);
		if (rc != 0)
			return rc;
		if (refuse_question(s, a, m))
			return HS_EFAILED;
		if (timeout_ms == EFFECT_TIMEOUT) {
			hsi_flow_force(a);
			break;
		}
		rc = hsi_flow_admit(rt, s, a, &ad);
		if (rc != 0)
			pthread_mutex_unlock(&s->mu);
	} while (rc == HSI_FLOW_RETRY);
	if (rc != 0)
		return rc;
	return push(rt, s, a, m);
}

/* Queues m at the agent, taking it on success: timeout_ms is EFFECT_TIMEOUT
 * for a handler's effect, which a full mailbox never refuses, else the
 * outside sender's wait for room (0 = none). */
static inline int deliver(hs_runtime *rt, const hsi_type *type,
			  const char *id, size_t id_len, hsi_msg *m,
			  int timeout_ms)
{
	if (type->def.mailbox_limit != 0)
		return deliver_bounded(rt, type, id, id_len, m, timeout_ms);
	hsi_shard *s;
	hsi_agent *a;
	int rc = hsi_agent_acquire(rt, type, id, id_len, HSI_ACQUIRE_CREATE,
				   &s, &a);
	if (rc != 0)
		return rc;
	if (refuse_question(s, a, m))
		return HS_EFAILED;
	return push(rt, s, a, m);
}

/* Without a resident limit an agent, once in memory, stays at its
 * address until hs_close (nothing else frees agents), and a type without
 * a mailbox limit needs no shard lock to push (the lock guards only
 * passivation and admission): so a worker remembers the agents its
 * handlers sent to last and pushes to them without finding them. A
 * question keeps the full path (a failed agent answers it at once). */
static bool near_ok(const hs_runtime *rt, const hsi_type *type,
		    const hsi_msg *m)
{
	return rt->opts.resident_limit == 0 && type->def.mailbox_limit == 0 &&
	       m->tail_kind != HSI_TAIL_ASK && !hsi_waiter_asks(m->waiter);
}

static int deliver_near(hs_runtime *rt, hsi_worker *w, const hsi_type *type,
			const char *id, size_t id_len, hsi_msg *m)
{
	for (unsigned i = 0; i < HSI_NEAR; i++) {
		hsi_agent *a = w->near[i];
		if (a != NULL && a->type == type && a->id_len == id_len &&
		    memcmp(a->id, id, id_len) == 0) {
			if (hsi_mailbox_push(&a->mbox, &m->node))
				hsi_activate(rt, a);
			hsi_count(&w->counts.pushed, 1);
			return 0;
		}
	}
	hsi_shard *s;
	hsi_agent *a;
	int rc = hsi_agent_acquire(rt, type, id, id_len, HSI_ACQUIRE_CREATE,
				   &s, &a);
	if (rc != 0)
		return rc;
	w->near[w->near_next++ % HSI_NEAR] = a;
	return push(rt, s, a, m);
}

int hsi_deliver(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m)
{
	if (near_ok(rt, type, m)) {
		int wi = hsi_sched_current(&rt->sched);
		if (wi >= 0)
			return deliver_near(rt, &rt->workers[wi], type, id,
					    id_len, m);
	}
	return deliver(rt, type, id, id_len, m, EFFECT_TIMEOUT);
}

void hsi_drop(hs_runtime *rt, const hsi_type *type, const char *id,
	      hsi_msg *m, int why)
{
	hsi_waiter_done(m->waiter, why, 0, 0);
	hsi_rare_add(&rt->rare.dropped, 1);
	if (rt->opts.on_drop != NULL)
		rt->opts.on_drop(rt->opts.drop_udata, type->name, id,
				 hsi_msg_event_type(m), hsi_msg_body(m),
				 m->body_len);
}

int hsi_push_pinned(hs_runtime *rt, hsi_agent *a, hsi_msg *m,
		    int timeout_ms, hsi_counter *pushed)
{
	if (a->type->def.mailbox_limit != 0) {
		/* Bounded: counted and admitted under the shard lock, as
		 * hsi_flow_admit requires. A wait releases the lock, but the
		 * pin keeps `a` here, so a retry needs no new lookup. */
		hsi_shard *s = hsi_registry_shard(&rt->registry, a->hash);
		hsi_admit ad = {.timeout_ms = timeout_ms};
		int rc;
		pthread_mutex_lock(&s->mu);
		do
			rc = hsi_flow_admit(rt, s, a, &ad);
		while (rc == HSI_FLOW_RETRY);
		if (rc != 0) {
			pthread_mutex_unlock(&s->mu);
			return rc;
		}
		return push(rt, s, a, m);
	}
	/* No shard lock: the pin keeps the passivation sweep away (it
	 * checks the pins under the shard lock before the idle bit), and
	 * the mailbox takes any number of producers. */
	if (hsi_mailbox_push(&a->mbox, &m->node))
		hsi_activate(rt, a);
	if (pushed != NULL)
		hsi_count(pushed, 1);
	else
		hsi_rare_add(&rt->rare.pushed, 1);
	return 0;
}

int hsi_send_enter(hs_runtime *rt)
{
	/* seq_cst, pairs with the store of `closing` and the load of
	 * `senders` in hs_close (see there). */
	atomic_fetch_add_explicit(&rt->senders, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&rt->closing, memory_order_seq_cst))
		return HS_ECLOSED;
	/* Relaxed: a flag; a send that misses it fails at the writer. */
	return rt->opts.read_only ? HS_ENOTSUP
				  : atomic_load_explicit(&rt->writer.failed,
							 memory_order_relaxed);
}

void hsi_send_leave(hs_runtime *rt)
{
	/* Pairs with hs_close's load of `senders`: the message is queued. */
	atomic_fetch_sub_explicit(&rt->senders, 1, memory_order_release);
}

/* The optional parts of a send. */
typedef struct send_extra {
	hsi_waiter *waiter;
	bool has_time;
	int64_t time_ns;
	int timeout_ms; /* for room in a full mailbox; 0 = HS_EAGAIN */
} send_extra;

static int send_msg(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const void *body, size_t len,
		    const send_extra *extra)
{
	if (rt == NULL)
		return HS_EINVAL;
	int rc = hsi_send_enter(rt);
	if (rc != 0)
		goto out;
	const hsi_type *t;
	size_t id_len;
	hsi_msg *m;
	rc = hsi_check_addr(rt, type, id, &t, &id_len);
	if (rc == 0)
		rc = hsi_msg_build(event_type, body, len, NULL, NULL, &m);
	if (rc == 0) {
		int timeout_ms = 0;
		if (extra != NULL) {
			m->waiter = extra->waiter;
			m->has_time = extra->has_time;
			m->time_ns = extra->time_ns;
			timeout_ms = extra->timeout_ms;
		}
		rc = deliver(rt, t, id, id_len, m, timeout_ms);
		if (rc != 0)
			free(m);
	}
out:
	hsi_send_leave(rt);
	return rc;
}

int hs_send(hs_runtime *rt, const char *type, const char *id,
	    const char *event_type, const void *body, size_t len)
{
	return send_msg(rt, type, id, event_type, body, len, NULL);
}

int hs_send_at(hs_runtime *rt, const char *type, const char *id,
	       const char *event_type, const void *body, size_t len,
	       int64_t time_ns)
{
	send_extra extra = {NULL, true, time_ns, 0};
	return send_msg(rt, type, id, event_type, body, len, &extra);
}

int hs_send_timeout(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const void *body, size_t len,
		    int timeout_ms)
{
	send_extra extra = {NULL, false, 0, timeout_ms < 0 ? -1 : timeout_ms};
	return send_msg(rt, type, id, event_type, body, len, &extra);
}

int hs_sendf(hs_runtime *rt, const char *type, const char *id,
	     const char *event_type, const char *fmt, ...)
{
	if (fmt == NULL)
		return HS_EINVAL;
	hs_buf body = HS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = hs_vpackf(&body, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = hs_send(rt, type, id, event_type, body.data, body.len);
	hs_buf_free(&body);
	return rc;
}

int hsi_send_waited(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const void *body, size_t len,
		    hsi_waiter *w)
{
	send_extra extra = {w, false, 0, 0};
	return send_msg(rt, type, id, event_type, body, len, &extra);
}

int hsi_send_and_wait(hs_runtime *rt, const char *type, const char *id,
		      const char *event_type, const void *body, size_t len,
		      int timeout_ms, hs_receipt *receipt, hs_buf *reply)
{
	hsi_waiter *w = hsi_waiter_new(reply != NULL, NULL, NULL);
	if (w == NULL)
		return HS_ENOMEM;
	int rc = hsi_send_waited(rt, type, id, event_type, body, len, w);
	if (rc != 0) {
		hsi_waiter_abandon(w);
		return rc;
	}
	return hsi_waiter_wait(w, timeout_ms, receipt, reply);
}

int hs_send_wait(hs_runtime *rt, const char *type, const char *id,
		 const char *event_type, const void *body, size_t len,
		 hs_receipt *out)
{
	return hsi_send_and_wait(rt, type, id, event_type, body, len, -1, out,
				 NULL);
}
