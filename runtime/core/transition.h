/* A transition as it leaves the turn. */
#ifndef HS_CORE_TRANSITION_H
#define HS_CORE_TRANSITION_H

#include "agent/agent.h"
#include "core/effect.h"
#include "timer/timer.h"

/* What the watchers see (pub, first, so that the sink can find the rest
 * from the pointer it is given), plus what the sink takes over: the
 * effects and waiter it releases once the transition is durable, and the
 * timer operations that take effect with it. The sink sets `rc` when it
 * cannot take the transition. */
typedef struct hsi_transition {
	hs_transition pub;
	hsi_agent *agent;
	hsi_effect *effects;
	hsi_waiter *waiter;
	hsi_timer *timers;
	int rc;
} hsi_transition;

#endif
