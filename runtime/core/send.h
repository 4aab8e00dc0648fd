/* Putting messages into mailboxes: from hs_send, and from released
 * effects. */
#ifndef HS_CORE_SEND_H
#define HS_CORE_SEND_H

#include <stddef.h>

#include "agent/agent.h"
#include "core/metrics.h"

/* Validates and copies an event into a new message, built in *block when
 * it fits there (see hsi_msg_make_in; block may be NULL). */
int hsi_msg_build(const char *event_type, const void *body, size_t len,
		  const hsi_msg_cause *cause, void **block, hsi_msg **out);

/* hsi_msg_build for a handler's message: on a worker, in a block the
 * worker recycled (core/msgpool.h). */
int hsi_msg_build_on_worker(hs_runtime *rt, const char *event_type,
			    const void *body, size_t len,
			    const hsi_msg_cause *cause, hsi_msg **out);

/* Finds or creates the agent and queues the message (taking ownership of
 * it on success), scheduling the agent if it was idle. For a handler's
 * effects: a full mailbox never refuses nor delays it (core/flow.h). */
int hsi_deliver(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m);

/* Queues m (taking it on success) at an agent pinned in memory by the
 * caller (an hs_ref), without finding it: timeout_ms as hs_send_timeout's
 * for a type with a mailbox limit. Counts the push in *pushed, which the
 * caller alone writes now (core/metrics.h), or NULL for a shared one. */
int hsi_push_pinned(hs_runtime *rt, hsi_agent *a, hsi_msg *m,
		    int timeout_ms, hsi_counter *pushed);

/* Every outside send is between these two: enter counts the sender (so
 * that hs_close waits for it) and returns 0, or HS_ECLOSED, HS_ENOTSUP
 * (read-only) or the writer's error; leave must follow in every case. */
int hsi_send_enter(hs_runtime *rt);
void hsi_send_leave(hs_runtime *rt);

/* hs_send with a waiter for its outcome (taken when it returns 0). */
int hsi_send_waited(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const void *body, size_t len,
		    hsi_waiter *w);

/* Sends with a waiter and waits up to timeout_ms for the outcome; with
 * `reply` (not NULL) the waiter asks, and the reply is appended there. */
int hsi_send_and_wait(hs_runtime *rt, const char *type, const char *id,
		      const char *event_type, const void *body, size_t len,
		      int timeout_ms, hs_receipt *receipt, hs_buf *reply);

/* Passes a discarded message to the on_drop callback and wakes its waiter
 * with `why`; the caller still owns it. */
void hsi_drop(hs_runtime *rt, const hsi_type *type, const char *id,
	      hsi_msg *m, int why);

#endif
