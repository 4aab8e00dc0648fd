#ifndef HS_AGENT_AGENT_H
#define HS_AGENT_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/mailbox.h"
#include "common/spin.h"
#include "hindsight.h"

/* A registered agent type. Immutable once published, but for the
 * counters it points to. */
typedef struct hsi_type {
	hs_type def;
	char name[HS_NAME_MAX + 1];
	uint8_t name_len;
	unsigned index;
	uint64_t name_hash;
	/* One per worker, each written by its worker (core/metrics.h). */
	struct hsi_type_counts *counts;
	/* def.event_upcasters and def.state_upcasters, with the event
	 * names, in one allocation; def.event_version and state_version
	 * are >= 1. */
	hs_upcaster *upcasters;
} hsi_type;

/* Someone waiting for one message's outcome (core/waiter.h). */
typedef struct hsi_waiter hsi_waiter;

/* What a message's tail (tail_kind) is for. */
enum {
	HSI_TAIL_NONE = 0,
	HSI_TAIL_TIMER,  /* the name of the timer whose firing this is */
	HSI_TAIL_ASK,    /* a question from the cause: "ID REPLY_EVENT" */
	HSI_TAIL_CANCEL, /* a timer of the receiver that handling ends */
};

/* A queued event in one allocation: event type, NUL, body, then, when
 * cause_seq != 0, the cause's type, NUL, id, NUL, then the tail, NUL
 * (when tail_kind != HSI_TAIL_NONE). */
typedef struct hsi_msg {
	hsi_node node;
	hsi_waiter *waiter;
	int64_t time_ns; /* the event's own time, when has_time */
	bool has_time;
	/* An HSI_MSG_BLOCK-byte block, which the consumer may recycle
	 * (core/msgpool.h); any message may also be freed with free(). */
	bool pooled;
	uint64_t cause_seq;
	uint64_t cause_gseq;
	uint32_t body_len;
	uint8_t event_type_len;
	uint8_t cause_type_len;
	uint8_t cause_id_len;
	uint8_t tail_kind;
	uint8_t tail_len;
	char data[];
} hsi_msg;

static inline const char *hsi_msg_cause_type(const hsi_msg *m)
{
	return m->data + m->event_type_len + 1 + m->body_len;
}

static inline const char *hsi_msg_cause_id(const hsi_msg *m)
{
	return hsi_msg_cause_type(m) + m->cause_type_len + 1;
}

static inline const char *hsi_msg_tail(const hsi_msg *m)
{
	return hsi_msg_cause_id(m) + m->cause_id_len + 1;
}

static inline const char *hsi_msg_event_type(const hsi_msg *m)
{
	return m->data;
}

static inline const uint8_t *hsi_msg_body(const hsi_msg *m)
{
	return (const uint8_t *)m->data + m->event_type_len + 1;
}

/* A message of at most this many bytes, header included, is allocated as
 * a block of exactly this size (malloc's 112-byte chunk), so that blocks
 * are interchangeable and can be recycled (core/msgpool.h). */
#define HSI_MSG_BLOCK 104

/* Builds a message, copying its parts; `cause` may be NULL. Returns NULL
 * when out of memory. */
typedef struct hsi_msg_cause {
	const hsi_type *type;
	const char *id;
	size_t id_len;
	uint64_t seq;
} hsi_msg_cause;

hsi_msg *hsi_msg_new(const char *event_type, size_t event_type_len,
		     const void *body, uint32_t body_len,
		     const hsi_msg_cause *cause, void **block);

/* Every part of a message, for hsi_msg_make: a cause by name (type NULL:
 * none) and a tail (kind HSI_TAIL_NONE: none). */
typedef struct hsi_msg_parts {
	const char *event;
	size_t event_len;
	const void *body;
	uint32_t body_len;
	const char *cause_type;
	size_t cause_type_len;
	const char *cause_id;
	size_t cause_id_len;
	uint64_t cause_seq, cause_gseq;
	uint8_t tail_kind;
	const char *tail;
	size_t tail_len; /* <= 255 */
} hsi_msg_parts;

/* Builds a message, copying its parts. NULL when out of memory. */
hsi_msg *hsi_msg_make(const hsi_msg_parts *p);

/* hsi_msg_make in *block (an HSI_MSG_BLOCK-byte block from malloc, or
 * NULL) when the message fits there: *block is then NULL, else still the
 * caller's. */
hsi_msg *hsi_msg_make_in(const hsi_msg_parts *p, void **block);

/* What an agent remembers of its handler's errors; allocated on the first
 * one so that healthy agents do not pay for it. */
typedef struct hsi_agent_err {
	int code;
	uint64_t skipped;
	char event[HS_NAME_MAX + 1];
	char msg[256];
} hsi_agent_err;

typedef struct hsi_agent {
	hsi_mailbox mbox;

	/* Touched by the scheduler under its lock. */
	struct hsi_agent *run_next;

	const hsi_type *type;

	/* Guards state, seq and err against readers on other threads; the
	 * handling worker holds it while apply() runs. */
	hsi_spin lock;
	atomic_bool failed;
	/* Set on use, cleared by the passivation sweep (a clock). */
	atomic_bool recent;
	uint8_t id_len;
	uint32_t hash;
	/* hs_ref handles held on the agent: raised under the shard lock,
	 * lowered anywhere; the agent may leave memory only at 0. In what
	 * was padding after `hash`. */
	atomic_uint refs;
	uint64_t seq;
	int64_t last_time;
	hsi_agent_err *err;
	/* Transitions handed to the commit writer and not yet written, plus
	 * readers holding it (deref, status, restart); the agent may leave
	 * memory only at 0. */
	atomic_uint pending;
	/* Messages pushed and not yet popped, counted only for a type with a
	 * mailbox limit (core/flow.c): raised under the shard lock by
	 * producers, lowered by the consumer. */
	atomic_uint queued;
	void *state;
	char id[]; /* NUL-terminated; the state follows, aligned */
} hsi_agent;

/* Allocates an agent with a zeroed state and, if run_init, runs the
 * type's init. Returns 0, HS_ENOMEM, or init's error (nothing allocated
 * then). */
int hsi_agent_new(const hsi_type *type, const char *id, size_t id_len,
		  uint32_t hash, bool run_init, hsi_agent **out);

/* Runs the type's destroy and frees the agent. Its mailbox must be
 * drained. */
void hsi_agent_free(hsi_agent *a);

#endif
