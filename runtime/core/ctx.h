#ifndef HS_CORE_CTX_H
#define HS_CORE_CTX_H

#include "core/runtime.h"

struct hs_event {
	const char *type;
	const uint8_t *body;
	size_t len;
};

struct hs_ctx {
	hs_runtime *rt;
	const hsi_type *type;
	const char *id;
	size_t id_len;
	uint64_t seq;
	int64_t now;
	uint64_t random_calls;
	bool replaying;
	bool capture; /* in a replay, keep the sends instead of dropping */
	/* Effects in the order they were sent. */
	hsi_effect *effects;
	hsi_effect **effects_tail;
	char error[256];
};

/* Frees effects that will never be delivered. */
void hsi_effects_free(hsi_effect *e);

#endif
