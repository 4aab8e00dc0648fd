/*
 * The demo's machines as a types plugin (libhs_orders_types.so), for the
 * `hindsight` command's --types: `hindsight machine DB order/order-0009
 * --types build/demos/libhs_orders_types.so` shows an order's path,
 * `hindsight verify` replays the log. The definitions are read from
 * $HS_ORDERS_DEFS, else from the source directory the build knew.
 *
 * The set lives as long as the plugin is loaded: a program unloads the
 * plugin (dlclose) only after closing the runtimes it registered on,
 * as `hindsight` does, and the set is freed then.
 */
#include "orders.h"

#include <stdlib.h>

#ifndef HS_ORDERS_DEFS
#define HS_ORDERS_DEFS "demos/orders"
#endif

static hs_machines *m;

#if defined(__GNUC__)
__attribute__((destructor)) static void unload(void)
{
	hs_machines_destroy(m);
	m = NULL;
}
#endif

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	if (m == NULL) {
		const char *dir = getenv("HS_ORDERS_DEFS");
		int rc = hs_machines_create(&m);
		if (rc == 0)
			rc = orders_callbacks(m);
		if (rc == 0 && orders_load(m, dir ? dir : HS_ORDERS_DEFS,
					   false) != 0)
			rc = HS_EINVAL;
		if (rc != 0) {
			hs_machines_destroy(m);
			m = NULL;
			return rc;
		}
	}
	return hs_machines_register(m, rt);
}
