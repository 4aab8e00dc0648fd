/* A shared object that is not a types plugin: it lacks
 * hindsight_register_types. For the CLI's error test. */
#include <hindsight.h>

HS_PLUGIN_EXPORT int not_the_register_function(hs_runtime *rt);

HS_PLUGIN_EXPORT int not_the_register_function(hs_runtime *rt)
{
	(void)rt;
	return 0;
}
