/*
 * Timers as data: one allocation per timer operation, and the table of
 * pending timers (a hash by key and a min-heap by due time). The runtime's
 * use of them (setting from handlers, writing, firing) is core/timers.c.
 *
 * A timer's key is its owner's address and the name the owner's handler
 * gave it: type \0 id \0 name, as in the log's `timers` column family.
 * Its generation is the seq of the owner's transition that set it, so a
 * firing that comes back to be handled can tell whether the owner re-armed
 * the name meanwhile.
 */
#ifndef HS_TIMER_TIMER_H
#define HS_TIMER_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

typedef enum hsi_timer_kind {
	HSI_TIMER_SET,    /* arm (or re-arm) the key */
	HSI_TIMER_CANCEL, /* disarm the key */
	HSI_TIMER_DONE,   /* the firing of generation set_seq was handled */
} hsi_timer_kind;

#define HSI_TIMER_KEY_MAX (2 * HS_NAME_MAX + HS_ID_MAX + 2)

typedef struct hsi_timer {
	struct hsi_timer *next; /* in a list of operations, or a hash chain */
	size_t heap_at;         /* in the table: heap index, or FIRED */
	int64_t due_ns;
	uint64_t set_seq;  /* the generation: seq of the setting transition */
	uint64_t set_gseq; /* its gseq once written (0 in memory) */
	uint64_t order;    /* ties of due_ns fire in the order they were set */
	uint32_t hash;
	uint32_t body_len;
	uint16_t key_len;
	uint8_t kind;
	/* In the table: a newer set or cancel of the key was accepted and is
	 * on its way to the log; this generation's firing is stale. */
	bool superseded;
	uint8_t owner_type_len, owner_id_len, name_len;
	uint8_t target_type_len, target_id_len, event_len;
	/* key (owner type \0 owner id \0 name), then for SET: target type
	 * \0, target id \0, event type \0, body. */
	char data[];
} hsi_timer;

#define HSI_TIMER_FIRED SIZE_MAX
#define HSI_TIMER_PARKED (SIZE_MAX - 1)

static inline const char *hsi_timer_owner_id(const hsi_timer *t)
{
	return t->data + t->owner_type_len + 1;
}

static inline const char *hsi_timer_name(const hsi_timer *t)
{
	return hsi_timer_owner_id(t) + t->owner_id_len + 1;
}

static inline const char *hsi_timer_target_type(const hsi_timer *t)
{
	return t->data + t->key_len + 1;
}

static inline const char *hsi_timer_target_id(const hsi_timer *t)
{
	return hsi_timer_target_type(t) + t->target_type_len + 1;
}

static inline const char *hsi_timer_event(const hsi_timer *t)
{
	return hsi_timer_target_id(t) + t->target_id_len + 1;
}

static inline const uint8_t *hsi_timer_body(const hsi_timer *t)
{
	return (const uint8_t *)hsi_timer_event(t) + t->event_len + 1;
}

/* What a SET carries besides its key. */
typedef struct hsi_timer_target {
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
	const char *event;
	size_t event_len;
	const void *body;
	size_t body_len;
} hsi_timer_target;

/* A new operation on key (owner type, owner id, name); `target` only for
 * HSI_TIMER_SET (NULL otherwise). Lengths must be within the names' limits
 * (checked by the caller). NULL when out of memory; free with free(). */
hsi_timer *hsi_timer_new(hsi_timer_kind kind, const char *owner_type,
			 size_t owner_type_len, const char *owner_id,
			 size_t owner_id_len, const char *name,
			 size_t name_len, const hsi_timer_target *target);

/* Splits a timers key (owner type \0 owner id \0 name) into the lengths
 * of its parts; false when it is not one (a part empty, too long, or a
 * NUL in the name). */
bool hsi_timer_key_split(const char *key, size_t n, size_t *type_len,
			 size_t *id_len, size_t *name_len);

/* Frees a list of operations. */
void hsi_timers_free(hsi_timer *list);

/* The pending timers. Not thread-safe: its owner locks it. */
typedef struct hsi_timer_table {
	hsi_timer **buckets; /* chains through `next` */
	size_t nbuckets;     /* 0 or a power of two */
	size_t count;        /* pending, fired ones included */
	hsi_timer **heap;    /* not yet fired, soonest first */
	size_t nheap, heap_cap;
	hsi_timer **parked;  /* due, but their target cannot be reached yet */
	size_t nparked, parked_cap;
	uint64_t next_order;
} hsi_timer_table;

void hsi_timer_table_init(hsi_timer_table *tt);

/* Frees every timer in the table. */
void hsi_timer_table_destroy(hsi_timer_table *tt);

/* Makes room for n more timers, so that as many puts cannot fail.
 * Returns 0 or HS_ENOMEM. */
int hsi_timer_table_reserve(hsi_timer_table *tt, size_t n);

/* Takes a SET: arms its key, replacing (and freeing) the timer armed
 * there. Needs room (hsi_timer_table_reserve). */
void hsi_timer_table_put(hsi_timer_table *tt, hsi_timer *t);

/* Removes the timer of key (any generation with gen 0, else only that
 * generation). Returns whether one was removed. */
bool hsi_timer_table_remove(hsi_timer_table *tt, const char *key,
			    size_t key_len, uint64_t gen);

/* The timer of key, or NULL. */
hsi_timer *hsi_timer_table_find(const hsi_timer_table *tt, const char *key,
				size_t key_len);

/* The soonest timer not yet fired, or NULL. */
static inline hsi_timer *hsi_timer_table_next(const hsi_timer_table *tt)
{
	return tt->nheap != 0 ? tt->heap[0] : NULL;
}

/* Sets aside a timer just taken by hsi_timer_table_fire whose target
 * cannot be reached yet; false when out of memory. */
bool hsi_timer_table_park(hsi_timer_table *tt, hsi_timer *t);

/* Puts the parked timers for which ready(udata, t) is true back among
 * those waiting; returns how many. */
size_t hsi_timer_table_unpark(hsi_timer_table *tt,
			      bool (*ready)(void *udata, const hsi_timer *t),
			      void *udata);

/* Marks the soonest timer fired (it stays in the table, still pending,
 * until its firing is handled) and returns it; NULL when none is due at
 * `now`. */
hsi_timer *hsi_timer_table_fire(hsi_timer_table *tt, int64_t now);

#endif
