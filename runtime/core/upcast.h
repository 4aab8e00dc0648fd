/* Schema evolution on read: bringing a recorded event body or snapshot
 * from the version that wrote it to the type's (hs_type event_version,
 * state_version) through the type's upcasters, one step at a time. */
#ifndef HS_CORE_UPCAST_H
#define HS_CORE_UPCAST_H

#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"

/* Scratch for a chain: each step writes into the buffer the previous one
 * did not. HSI_UPCAST_INIT, then hsi_upcast_free. */
typedef struct hsi_upcast {
	hs_buf b[2];
} hsi_upcast;

#define HSI_UPCAST_INIT {{HS_BUF_INIT, HS_BUF_INIT}}

void hsi_upcast_free(hsi_upcast *u);

/*
 * Brings the body (NULL, 0: none) of event `event` (NUL-terminated),
 * recorded at event version `version`, to t's event_version. *out and
 * *out_len are then the input itself (version current) or data in u,
 * valid until u is used again or freed. Returns 0 or HS_ESCHEMA: newer
 * than the code, a step without an upcaster, an upcaster that failed or
 * made something that is not one msgpack value; `why` (cap bytes,
 * NUL-terminated) then says which, naming the type, the event and the
 * versions.
 */
int hsi_upcast_event(const hsi_type *t, const char *event, uint32_t version,
		     const void *body, size_t len, hsi_upcast *u,
		     const void **out, size_t *out_len, char *why,
		     size_t cap);

/* The same for an encoded state of state version `version`, through the
 * type's state upcasters. */
int hsi_upcast_state(const hsi_type *t, uint32_t version, const void *data,
		     size_t len, hsi_upcast *u, const void **out,
		     size_t *out_len, char *why, size_t cap);

#endif
