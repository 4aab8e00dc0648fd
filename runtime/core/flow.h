/*
 * Back-pressure: bounded mailboxes. A type's mailbox_limit caps the
 * messages waiting at each of its agents; outside senders that find a
 * mailbox full fail with HS_EAGAIN or wait on the shard's `room`
 * condition; handlers' effects always get in. Types without a limit pay
 * one branch per send and per handled message.
 */
#ifndef HS_CORE_FLOW_H
#define HS_CORE_FLOW_H

#include <stdbool.h>
#include <time.h>

#include "agent/registry.h"

/* What an outside sender does on a full mailbox; one per send call. */
typedef struct hsi_admit {
	int timeout_ms; /* 0 = HS_EAGAIN at once, < 0 = wait without limit */
	bool has_deadline;
	bool expired;   /* the deadline passed in a wait */
	struct timespec deadline; /* CLOCK_MONOTONIC, set at the first wait */
} hsi_admit;

/* hsi_flow_admit's answer when it waited: the shard lock was released
 * meanwhile, so the agent may be gone: unlock, find it again, retry. */
#define HSI_FLOW_RETRY 1

/*
 * With shard `s` locked and `a` found in it, for a type with a limit:
 * counts one more message for `a` and returns 0 when its mailbox has
 * room (the caller then pushes before unlocking); else HS_EAGAIN,
 * HS_ETIMEDOUT, HS_ECLOSED, or HSI_FLOW_RETRY after one wait. Returns with
 * `s` locked in every case.
 */
int hsi_flow_admit(hs_runtime *rt, hsi_shard *s, hsi_agent *a,
		   hsi_admit *ad);

/* Counts a message that will not be admitted through hsi_flow_admit (a
 * handler's effect): never refused. With `s` locked, for a type with a
 * limit. */
static inline void hsi_flow_force(hsi_agent *a)
{
	/* Relaxed: producers count under the shard lock; the consumer pops
	 * the message (acquire, after the push's release) before it counts
	 * it down, so the count never goes below zero. */
	atomic_fetch_add_explicit(&a->queued, 1, memory_order_relaxed);
}

void hsi_flow_taken_slow(hs_runtime *rt, hsi_agent *a, unsigned limit);

/* The consumer (or a restart dropping messages) took one message out of
 * a's mailbox: counts it down, waking waiting senders when the mailbox
 * has drained to half its limit. No lock held. */
static inline void hsi_flow_taken(hs_runtime *rt, hsi_agent *a)
{
	unsigned limit = a->type->def.mailbox_limit;
	if (limit != 0)
		hsi_flow_taken_slow(rt, a, limit);
}

/* hs_close: wakes every waiting sender, after `closing` is set, so that
 * each returns HS_ECLOSED. */
void hsi_flow_close(hs_runtime *rt);

#endif
