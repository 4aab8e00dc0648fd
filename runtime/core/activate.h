/* Bringing agents into memory: found, rebuilt from the log, or created. */
#ifndef HS_CORE_ACTIVATE_H
#define HS_CORE_ACTIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/registry.h"

/* How hsi_agent_acquire treats an agent that is not in memory. */
enum { HSI_ACQUIRE_EXISTING = 0, HSI_ACQUIRE_CREATE = 1 };

/* Finds the agent, rebuilding it from the log or (with CREATE) creating
 * it if needed, and returns with its shard locked (*shard). */
int hsi_agent_acquire(hs_runtime *rt, const hsi_type *type, const char *id,
		      size_t id_len, int mode, hsi_shard **shard,
		      hsi_agent **out);

#endif
