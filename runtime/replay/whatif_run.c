/*
 * Step 2 of the what-if, the run: a second scan walks history in gseq
 * order: the inserts due before each record, then the record itself,
 * unless it is dropped. A caused record is taken from history, at its
 * place, only when it still holds (whatif_check.c); otherwise it is
 * skipped. Sends left unpaired are delivered right after their
 * transition, breadth-first in send order, each becoming a what-if
 * transition caused by its sender's. Each what-if transition is compared
 * with the history transition of the same agent and seq as soon as it is
 * made; only those that differ keep their state, for the report.
 *
 * Without edits every record runs as in history, so the run is history
 * itself and nothing is reported, however the log interleaved causes and
 * what they sent.
 */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "replay/whatif.h"

/* Messages that one delivered event may lead to, transitively, before
 * the what-if gives up on a cascade that does not end. */
#define CASCADE_MAX 1000000

/* The queue of messages sent in the what-if run, not yet delivered. */
typedef struct queue {
	hsi_effect *head;
	hsi_effect **tail;
} queue;

static void queue_push(queue *q, hsi_effect *list)
{
	*q->tail = list;
	while (*q->tail != NULL)
		q->tail = &(*q->tail)->next;
}

static hsi_effect *queue_pop(queue *q)
{
	hsi_effect *e = q->head;
	if (e != NULL) {
		q->head = e->next;
		if (q->head == NULL)
			q->tail = &q->head;
		e->next = NULL;
	}
	return e;
}

/*
 * Delivers one event to agent a in the what-if run. If apply changes the
 * state, the transition is recorded (what-if seq and gseq, hash, how it
 * compares with history), *made is set and *sent receives the messages
 * its handler sent, in send order. An event that apply rejects or that
 * changes nothing leaves no transition, and its sends are discarded: the
 * live runtime would record no transition either (sends from an
 * unchanged transition reach history as records from outside, which the
 * run takes from history).
 */
static int transit(hsi_whatif *w, hsi_wagent *a, const char *ev, size_t ev_len,
		   const void *body, size_t body_len, int64_t time_ns,
		   uint64_t src_gseq, hsi_wagent *cause, uint64_t cause_seq,
		   uint64_t cause_gseq, bool *made, hsi_effect **out)
{
	hs_runtime *rt = w->rt;
	const hsi_type *t = a->t;
	int rc;

	*made = false;
	*out = NULL;

	if (a->state == NULL && (rc = hsi_state_new(t, a->id, &a->state))) {
		hsi_set_error(rt, "what-if: init() of %s/%s failed (%d)",
			      t->name, a->id, rc);
		return rc;
	}
	if (time_ns < a->last_time)
		time_ns = a->last_time;
	hsi_wtrans *v = hsi_whatif_grow(a->w, a->nw, &a->capw, sizeof(*v), 8);
	if (v == NULL)
		return HS_ENOMEM;
	a->w = v;
	uint64_t seq = a->nw + 1;
	hsi_record r = {
		.version = HSI_FORMAT_VERSION,
		.type = t->name,
		.type_len = t->name_len,
		.id = a->id,
		.id_len = a->id_len,
		.seq = seq,
		.time_ns = time_ns,
		.event_type = ev,
		.event_type_len = ev_len,
		.body = body_len != 0 ? body : NULL,
		.body_len = body_len,
	};
	hsi_effect *sent = NULL;
	/* r.event_version 0: the body is already as today's code reads it
	 * (history's went through hsi_whatif_upcast). */
	int arc = hsi_replay_apply(rt, t, a->id, a->id_len, a->state, &r,
				   &sent, NULL, 0);
	if (arc != HS_CHANGED) {
		hsi_effects_free(sent);
		return 0;
	}
	hsi_wtrans x = {
		.gseq = w->wcount + 1,
		.time_ns = time_ns,
		.src_gseq = src_gseq,
		.ev_type_len = (uint8_t)ev_len,
		.body_len = (uint32_t)body_len,
		.cause = cause,
		.cause_seq = cause_seq,
		.cause_gseq = cause_gseq,
	};
	rc = 0;
	if (src_gseq == 0) {
		x.ev_off = w->events.len;
		if (hsi_buf_reserve(&w->events, ev_len + 1 + body_len) != 0)
			rc = HS_ENOMEM;
		else {
			hsi_buf_append(&w->events, ev, ev_len);
			hsi_buf_append(&w->events, "", 1);
			hsi_buf_append(&w->events, body, body_len);
		}
	}
	hsi_encode_state(t, a->state, &w->enc);
	x.hash = hsi_state_hash(w->enc.data, w->enc.len);
	if (rc == 0)
		rc = hsi_whatif_compare(w, a, &x, seq, ev, ev_len, body,
					body_len, &x.cmp);
	if (rc == 0 && x.cmp != HSI_CMP_SAME) {
		x.state_off = w->states.len;
		x.state_len = w->enc.len;
		rc = hsi_buf_append(&w->states, w->enc.data, w->enc.len);
	}
	if (rc != 0) {
		hsi_effects_free(sent);
		return rc;
	}
	a->w[a->nw++] = x;
	a->last_time = time_ns;
	w->wcount++;
	for (hsi_effect *e = sent; e != NULL; e = e->next)
		e->msg->cause_gseq = x.gseq;
	*made = true;
	*out = sent;
	return 0;
}

/*
 * Delivers one event to agent a and then, breadth-first in send order,
 * every message that follows from it. `he` is the history record whose
 * event it is, applied unchanged (NULL for an insert or a replacement);
 * `cause` is the what-if transition that sent it, if any. The sends of a
 * transition that ran as in history are first paired with history
 * (hsi_whatif_pair_sends): only what is left of them is delivered here.
 */
static int deliver(hsi_whatif *w, hsi_wagent *a, const char *ev, size_t ev_len,
		   const void *body, size_t body_len, int64_t time_ns,
		   hsi_htrans *he, hsi_wagent *cause, uint64_t cause_seq,
		   uint64_t cause_gseq)
{
	queue q = {NULL, &q.head};
	size_t delivered = 0;
	bool made;
	hsi_effect *sent;
	int rc = transit(w, a, ev, ev_len, body, body_len, time_ns,
			 he != NULL ? he->gseq : 0, cause, cause_seq,
			 cause_gseq, &made, &sent);
	if (rc == 0 && made && he != NULL) {
		he->wseq = a->nw;
		rc = hsi_whatif_pair_sends(w, a, he, &sent);
	}
	queue_push(&q, sent);
	hsi_effect *e;
	while (rc == 0 && (e = queue_pop(&q)) != NULL) {
		hsi_msg *m = e->msg;
		/* The sender is the transition that transit() just recorded
		 * and that set the message's cause. */
		hsi_wagent *from = hsi_whatif_find_agent(
			w, hsi_msg_cause_type(m), m->cause_type_len,
			hsi_msg_cause_id(m), m->cause_id_len);
		hsi_wagent *to = NULL;
		if (from == NULL || m->cause_seq == 0 ||
		    m->cause_seq > from->nw) {
			hsi_set_error(w->rt, "what-if: a message lost its "
					     "sender");
			rc = HS_ECORRUPT;
		} else if (++delivered > CASCADE_MAX) {
			hsi_set_error(w->rt,
				      "what-if: one event led to more than "
				      "%d messages; a cascade that does not "
				      "end?",
				      CASCADE_MAX);
			rc = HS_ERANGE;
		} else {
			rc = hsi_whatif_get_agent(w, e->type->name,
						  e->type->name_len, e->id,
						  e->id_len, e->type, "", &to);
		}
		if (rc == 0)
			rc = transit(w, to, hsi_msg_event_type(m),
				     m->event_type_len, hsi_msg_body(m),
				     m->body_len,
				     from->w[m->cause_seq - 1].time_ns, 0,
				     from, m->cause_seq, m->cause_gseq, &made,
				     &sent);
		if (rc == 0)
			queue_push(&q, sent);
		hsi_effects_free(e);
	}
	hsi_effects_free(q.head);
	return rc;
}

static int run_insert(hsi_whatif *w, const hsi_wedit *ed, int64_t time_ns)
{
	hsi_wagent *a;
	int rc = hsi_whatif_get_agent(w, ed->e->type, strlen(ed->e->type),
				      ed->e->id, ed->id_len, ed->t, "", &a);
	if (rc != 0)
		return rc;
	return deliver(w, a, ed->event_type, ed->event_type_len, ed->body,
		       ed->body_len, time_ns, NULL, NULL, 0, 0);
}

/* A caused record r of agent a, taken from history when it still holds;
 * else skipped. */
static int run_caused(hsi_whatif *w, hsi_wagent *a, hsi_htrans *he,
		      const hsi_record *r)
{
	hsi_wagent *ca;
	uint64_t ws;
	const void *body;
	size_t len;
	int rc = hsi_whatif_caused_holds(w, r, &ca, &ws);
	if (rc != 0 || ws == 0 ||
	    (rc = hsi_whatif_upcast(w, a->t, r, &body, &len)) != 0)
		return rc;
	return deliver(w, a, r->event_type, r->event_type_len, body, len,
		       r->time_ns, he, ca, ws, ca->w[ws - 1].gseq);
}

/* At each record: the inserts due before it, then the record unless it
 * is dropped, or caused by a transition that did not run (or send it) as
 * in history. */
static int run_record(hsi_whatif *w, const hsi_record *r)
{
	uint64_t step = w->wcount;
	int rc;
	while (w->ins_i < w->nins && w->ins[w->ins_i].e->gseq == r->gseq) {
		rc = run_insert(w, &w->ins[w->ins_i++], r->time_ns);
		if (rc != 0)
			return rc;
	}
	hsi_wagent *a = hsi_whatif_find_agent(w, r->type, r->type_len, r->id,
					      r->id_len);
	if (a == NULL || r->seq == 0 || r->seq > a->nh ||
	    a->h[r->seq - 1].gseq != r->gseq)
		return hsi_whatif_log_changed(w, r->gseq);
	hsi_htrans *he = &a->h[r->seq - 1];
	he->wpos = step;
	const hsi_wedit *m = NULL;
	if (w->mods_i < w->nmods && w->mods[w->mods_i].e->gseq == r->gseq)
		m = &w->mods[w->mods_i++];
	if (m != NULL && m->e->kind == HS_EDIT_DROP)
		return 0;
	if (r->cause.seq != 0)
		return run_caused(w, a, he, r); /* never edited */
	if (m == NULL) {
		const void *body;
		size_t len;
		if ((rc = hsi_whatif_upcast(w, a->t, r, &body, &len)) != 0)
			return rc;
		return deliver(w, a, r->event_type, r->event_type_len, body,
			       len, r->time_ns, he, NULL, 0, 0);
	}
	const char *ev = m->event_type != NULL ? m->event_type : r->event_type;
	size_t ev_len =
		m->event_type != NULL ? m->event_type_len : r->event_type_len;
	return deliver(w, a, ev, ev_len, m->body, m->body_len, r->time_ns,
		       NULL, NULL, 0, 0);
}

int hsi_whatif_run(hsi_whatif *w)
{
	int rc = hsi_whatif_scan(w, run_record);
	/* Inserts after the last record. */
	while (rc == 0 && w->ins_i < w->nins)
		rc = run_insert(w, &w->ins[w->ins_i++], w->last_time);
	return rc;
}
