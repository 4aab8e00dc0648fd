/*
 * The types plugin of bench_serve_log's log, for `hindsight serve --types`
 * (bench/serve.sh): the benchmarks' ship type of bench_util.h, registered
 * with the default snapshot interval as bench_serve_log writes it. Its
 * hs_* calls bind to the program that loads it (the `hindsight` command
 * exports them), so it links nothing, like demos/ships' plugin.
 */
#define _GNU_SOURCE /* nftw in bench_util.h */
#include "bench_util.h"

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	hs_type t = ship_type(0);
	return hs_register(rt, &t);
}
