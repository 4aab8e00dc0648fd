/*
 * The effects of a transition: messages its handler sent. This file owns
 * their whole life: built by hs_ctx_send, held with the transition until
 * it is written, then released (each delivered carrying its cause) or
 * dropped, and freed.
 */
#ifndef HS_CORE_EFFECT_H
#define HS_CORE_EFFECT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent.h"
#include "timer/timer.h"

typedef struct hsi_effect {
	struct hsi_effect *next;
	const hsi_type *type;
	hsi_msg *msg;
	uint8_t id_len;
	char id[];
} hsi_effect;

/* A handler's effects in the order they were sent. */
typedef struct hsi_effects {
	hsi_effect *head;
	hsi_effect **tail;
} hsi_effects;

static inline void hsi_effects_init(hsi_effects *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

/* Appends a message to (type, id) to the list, taking m (freed on
 * failure too). Returns 0 or HS_ENOMEM. */
int hsi_effect_add(hsi_effects *l, const hsi_type *type, const char *id,
		   size_t id_len, hsi_msg *m);

/* Forgets the cause of each message (its transition was not recorded). */
void hsi_effects_uncause(hsi_effect *e);

/*
 * The outcome of an event that recorded nothing still rests on the agent's
 * state, which may include transitions not yet written: holds its effects
 * and waiter (wakes with rc) behind them, by the writer. `done` (may be
 * NULL; taken) is the end of the timer whose firing the event was: it is
 * written too, so a held outcome goes to the writer even when nothing else
 * waits there (in memory it takes effect at once). Returns false when
 * nothing was held (or no memory): release the effects and waiter now.
 */
bool hsi_effects_hold(hs_runtime *rt, hsi_agent *a, hsi_effect *e,
		      hsi_waiter *waiter, int rc, hsi_timer *done);

/* Delivers the messages in order, each caused by gseq, or drops them
 * (closing, or rc != 0). Frees the list. */
void hsi_effects_release(hs_runtime *rt, hsi_effect *e, uint64_t gseq,
			 int rc);

/* Frees effects that will never be delivered. */
void hsi_effects_free(hsi_effect *e);

#endif
