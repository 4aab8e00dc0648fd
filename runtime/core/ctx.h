/* A handler's context (hs_ctx) and its event (hs_event). */
#ifndef HS_CORE_CTX_H
#define HS_CORE_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent.h"
#include "core/effect.h"
#include "core/timers.h"

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
	hsi_effects effects;
	hsi_timer_ops timers;
	const hsi_msg *msg; /* the event's message; NULL in a replay */
	uint32_t asks;      /* hs_ctx_ask calls so far */
	bool replied;       /* hs_ctx_reply answered an agent's question */
	char error[256];
};

/* A context for handling one event of agent (type, id) whose next seq is
 * `seq`. */
static inline void hsi_ctx_init(hs_ctx *ctx, hs_runtime *rt,
				const hsi_type *type, const char *id,
				size_t id_len, uint64_t seq)
{
	/* Field by field: a compound literal would also zero `error`, a
	 * quarter-kilobyte store per event that only an error reads. Every
	 * other field is set here; a new one must be too. */
	ctx->rt = rt;
	ctx->type = type;
	ctx->id = id;
	ctx->id_len = id_len;
	ctx->seq = seq;
	ctx->now = 0;
	ctx->floor = 0;
	ctx->has_now = false;
	ctx->random_calls = 0;
	ctx->replaying = false;
	ctx->capture = false;
	ctx->msg = NULL;
	ctx->asks = 0;
	ctx->replied = false;
	ctx->error[0] = '\0';
	hsi_effects_init(&ctx->effects);
	hsi_timer_ops_init(&ctx->timers);
}

/* A copy of m's event and body, caused by ctx's transition, with a tail
 * (see hsi_msg); NULL when out of memory. m stays the caller's. */
hsi_msg *hsi_ctx_msg_tailed(const hs_ctx *ctx, const hsi_msg *m,
			    uint8_t tail_kind, const char *tail,
			    size_t tail_len);

/* The transition's time (see hs_ctx.now). */
int64_t hsi_ctx_time(hs_ctx *ctx);

#endif
