#include "core/effect.h"

#include <stdlib.h>
#include <string.h>

#include "core/ask.h"
#include "core/runtime.h"
#include "core/send.h"

int hsi_effect_add(hsi_effects *l, const hsi_type *type, const char *id,
		   size_t id_len, hsi_msg *m)
{
	hsi_effect *e = malloc(sizeof(*e) + id_len + 1);
	if (e == NULL) {
		free(m);
		return HS_ENOMEM;
	}
	e->next = NULL;
	e->type = type;
	e->msg = m;
	e->id_len = (uint8_t)id_len;
	memcpy(e->id, id, id_len);
	e->id[id_len] = '\0';
	*l->tail = e;
	l->tail = &e->next;
	return 0;
}

/* An answer to a question keeps the question's cause (core/ask.c). */
static bool own_cause(const hsi_msg *m)
{
	return m->tail_kind != HSI_TAIL_CANCEL;
}

void hsi_effects_uncause(hsi_effect *e)
{
	for (; e != NULL; e = e->next)
		if (own_cause(e->msg))
			e->msg->cause_seq = 0;
}

bool hsi_effects_hold(hs_runtime *rt, hsi_agent *a, hsi_effect *e,
		      hsi_waiter *waiter, int rc, hsi_timer *done)
{
	if (rt->log == NULL) {
		hsi_timers_apply(rt, done);
		return false;
	}
	if (done == NULL &&
	    ((e == NULL && waiter == NULL) ||
	     atomic_load_explicit(&a->pending, memory_order_relaxed) == 0))
		return false;
	hsi_commit *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		/* The firing stays in the log: handled again after the next
		 * open. */
		hsi_timers_free(done);
		return false;
	}
	c->agent = a;
	c->effects = e;
	c->waiter = waiter;
	c->result = rc;
	c->timers = done;
	/* Without a record, never refused. */
	hsi_writer_push(rt, c);
	return true;
}

void hsi_effects_release(hs_runtime *rt, hsi_effect *e, uint64_t gseq,
			 int rc)
{
	while (e != NULL) {
		hsi_effect *next = e->next;
		if (own_cause(e->msg))
			e->msg->cause_gseq = gseq;
		int drc = rc;
		/* Relaxed: a message that slips past a concurrent hs_close
		 * is still handled, since this commit keeps `active` above
		 * 0 (and the workers running) until it is released. */
		if (drc == 0 &&
		    atomic_load_explicit(&rt->closing, memory_order_relaxed))
			drc = HS_ECLOSED;
		if (drc == 0)
			drc = hsi_deliver(rt, e->type, e->id, e->id_len,
					  e->msg);
		if (drc != 0) {
			hsi_drop(rt, e->type, e->id, e->msg, drc);
			/* An agent's question to a failed agent is answered. */
			hsi_effect *answer =
				drc == HS_EFAILED
					? hsi_ask_error_answer(rt, e->msg, drc)
					: NULL;
			free(e->msg);
			hsi_effects_release(rt, answer, 0, 0);
		}
		free(e);
		e = next;
	}
}

void hsi_effects_free(hsi_effect *e)
{
	while (e != NULL) {
		hsi_effect *next = e->next;
		free(e->msg);
		free(e);
		e = next;
	}
}
