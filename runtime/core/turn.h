/* One turn of an agent on a worker. */
#ifndef HS_CORE_TURN_H
#define HS_CORE_TURN_H

#include "agent/agent.h"

/* Handles up to `batch` messages of agent a (the scheduler's run
 * function; udata is the runtime). */
void hsi_run_agent(void *udata, unsigned worker, hsi_agent *a);

#endif
