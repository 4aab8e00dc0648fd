/*
 * Someone waiting for one message's outcome: hs_send_wait, or hs_ask,
 * which also takes the reply the handler gave (hs_ctx_reply), blocking or
 * through a callback. A waiter is shared by its sender and its message and
 * freed by the last of them to let go.
 */
#ifndef HS_CORE_WAITER_H
#define HS_CORE_WAITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"

/* A waiter for the outcome, and with `ask` for a reply too. With fn, the
 * outcome goes to fn(udata, rc, reply, len), exactly once, on the thread
 * that settles it, and only the message holds the waiter; without, the
 * sender holds it too and waits in hsi_waiter_wait. NULL when out of
 * memory. */
hsi_waiter *hsi_waiter_new(bool ask, hs_reply_fn fn, void *udata);

/* The message's side: settles the outcome (the first call wins: a later
 * one, or one after the sender gave up, only lets go). An ask settled
 * with rc 0 but no reply gets HS_ENOREPLY. Accepts NULL. */
void hsi_waiter_done(hsi_waiter *w, int rc, uint64_t seq, uint64_t gseq);

/* The sender's side: waits up to timeout_ms (< 0: for ever) and lets go.
 * Returns the outcome, or HS_ETIMEDOUT (the message may still be
 * handled). On 0, *receipt and the reply (appended to reply) are set
 * when not NULL. */
int hsi_waiter_wait(hsi_waiter *w, int timeout_ms, hs_receipt *receipt,
		    hs_buf *reply);

/* Lets go of a waiter whose message was never queued (both sides). */
void hsi_waiter_abandon(hsi_waiter *w);

/* Whether the waiter wants a reply. */
bool hsi_waiter_asks(const hsi_waiter *w);

/* Whether hsi_waiter_reply was called. */
bool hsi_waiter_replied(hsi_waiter *w);

/* Keeps a handler's reply for the asker. Returns 0, HS_EEXIST (it has
 * one already) or HS_ENOMEM. */
int hsi_waiter_reply(hsi_waiter *w, const void *body, size_t len);

#endif
