/*
 * A types plugin for the CLI tests: `hindsight verify DB --types
 * plugin_counter.so`. Built as a MODULE library; the hs_* functions it
 * calls are those of the program that loads it. Built a second time with
 * COUNTER_CHANGED (plugin_counter_changed.so): code that disagrees with
 * the log.
 */
#include "types.h"

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	return cli_test_register(rt);
}
