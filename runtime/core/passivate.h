/* Passivation: idle agents leave memory under a resident limit. */
#ifndef HS_CORE_PASSIVATE_H
#define HS_CORE_PASSIVATE_H

#include "core/runtime.h"

/* Lets idle agents leave memory until the resident count is below the
 * limit. Call with no shard lock held. */
void hsi_passivate(hs_runtime *rt);

static inline void hsi_check_resident(hs_runtime *rt)
{
	size_t limit = rt->opts.resident_limit;
	if (limit != 0 && atomic_load_explicit(&rt->resident,
					       memory_order_relaxed) > limit)
		hsi_passivate(rt);
}

#endif
