/* The `active` count that hs_await waits on: agents scheduled or running
 * and transitions not yet written. */
#ifndef HS_CORE_ACTIVITY_H
#define HS_CORE_ACTIVITY_H

#include "agent/agent.h"

/* Counts the agent as active and schedules it. */
void hsi_activate(hs_runtime *rt, hsi_agent *a);

/* Counts one unit of work (a turn or a written transition) as done. */
void hsi_deactivate(hs_runtime *rt);

/* Counts one unit of work as begun, without scheduling anything. */
void hsi_activity_begin(hs_runtime *rt);

#endif
