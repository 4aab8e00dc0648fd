/* hs_ref: an agent resolved once and pinned in memory, for senders that
 * send it many events (hs_send_ref). */
#ifndef HS_CORE_REF_H
#define HS_CORE_REF_H

#include <stdint.h>

#include "agent/agent.h"

/* Messages pushed through refs so far, released ones included. */
uint64_t hsi_refs_pushed(hs_runtime *rt);

/* hs_close: frees the refs still held (their agents are being freed). */
void hsi_refs_free(hs_runtime *rt);

#endif
