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
	/* The transition's time, read from the clock only when first asked
	 * for (it costs a tenth of an in-memory event otherwise), and never
	 * below `floor`, the agent's previous transition time. */
	int64_t now;
	int64_t floor;
	bool has_now;
	uint64_t random_calls;
	bool replaying;
	bool capture; /* in a replay, keep the sends instead of dropping */
	/* Effects in the order they were sent. */
	hsi_effect *effects;
	hsi_effect **effects_tail;
	char error[256];
};

/* The transition's time (see hs_ctx.now). */
int64_t hsi_ctx_time(hs_ctx *ctx);

/* Frees effects that will never be delivered. */
void hsi_effects_free(hsi_effect *e);

#endif
