/*
 * hs-stock's backlog watcher: parts entering and leaving backlog, noted
 * as the workers make the transitions and printed between steps.
 */
#include "hs_stock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Runs on the worker that made each transition, several at once. It only
 * notes crossings of the backlog line; the main thread prints them after
 * each step, so that the output does not depend on thread timing. */
void backlog_watch(void *udata, const hs_transition *tr)
{
	sim *s = udata;
	part_state old, cur;
	bool enter, leave;

	if (strcmp(tr->agent.type, "part") != 0 ||
	    part_state_read(tr->new_state, tr->new_len, &cur) != 0)
		return;
	/* A new agent's old state is the zeroed one. */
	if (part_state_read(tr->old_state, tr->old_len, &old) != 0)
		memset(&old, 0, sizeof(old));
	enter = old.stock > STOCK_BACKLOG && cur.stock <= STOCK_BACKLOG;
	leave = old.stock <= STOCK_BACKLOG && cur.stock > STOCK_BACKLOG;
	if (!enter && !leave)
		return;

	note n = {
		.part = part_index(tr->agent.id),
		.enter = enter,
		.t = tr->time_ns - EPOCH_NS,
		.stock = cur.stock,
		.since = old.backlog_since ? old.backlog_since - EPOCH_NS : -1,
	};
	pthread_mutex_lock(&s->mu);
	if (s->nnotes == s->capnotes) {
		size_t cap = s->capnotes ? 2 * s->capnotes : 256;
		note *v = realloc(s->notes, cap * sizeof(*v));

		if (v == NULL) {
			s->notes_oom = true;
			pthread_mutex_unlock(&s->mu);
			return;
		}
		s->notes = v;
		s->capnotes = cap;
	}
	n.order = s->nnotes;
	s->notes[s->nnotes++] = n;
	pthread_mutex_unlock(&s->mu);
}

int note_by_part(const void *a, const void *b)
{
	const note *x = a, *y = b;

	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int flush_notes(sim *s, size_t *printed, int *in_backlog, bool quiet)
{
	size_t from = *printed, to;
	int rc;

	pthread_mutex_lock(&s->mu);
	to = s->nnotes;
	/* One step's notes share a time: order them by part. */
	if (to > from)
		sort(s->notes + from, to - from, sizeof(note), note_by_part);
	for (size_t i = from; i < to; i++) {
		const note *n = &s->notes[i];

		*in_backlog += n->enter ? 1 : -1;
		if (quiet)
			continue;
		if (n->enter)
			printf("  %10s s  backlog    \"%s\": stock %" PRId64
			       "\n",
			       S(n->t), part_ids[n->part], n->stock);
		else
			printf("  %10s s  recovered  \"%s\": stock %" PRId64
			       ", after %s s in backlog\n",
			       S(n->t), part_ids[n->part], n->stock,
			       S(n->t - n->since));
	}
	rc = s->notes_oom ? HS_ENOMEM : 0;
	pthread_mutex_unlock(&s->mu);
	*printed = to;
	return rc;
}
