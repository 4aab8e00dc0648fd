/*
 * A types plugin with the "meter" type of tests/schema/meter.h at code
 * version 3, for `hindsight ... --types plugin_meter.so` on
 * tests/fixtures/meter-v1v2 (written by versions 1 and 2). Built a second
 * time with METER_FLAGS=METER_NO_ADD_UPCASTER (plugin_meter_noup.so): the
 * upcaster of "add" from version 1 is missing.
 */
#include "meter.h"

#ifndef METER_FLAGS
#define METER_FLAGS 0
#endif

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	return meter_register(rt, 3, METER_FLAGS);
}
