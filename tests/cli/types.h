/*
 * Agent types of the CLI tests, shared by the log-making program
 * (make_log.c) and the types plugins (plugin_counter.c):
 *
 *   counter  {n, adds, label}      add {by[, notify]}, label {label},
 *                                  reset, noop (unchanged); snapshot
 *                                  every 3 transitions. An add with a
 *                                  `notify` id sends audit/<notify> a
 *                                  "saw" event (a caused record).
 *   audit    {count, total, last}  saw {from, n}; no snapshots
 *   ship     {port, pos: {lat, lon}, moves}
 *                                  depart {port}, move {lat, lon};
 *                                  snapshot every 2
 *
 * Built with COUNTER_CHANGED defined, "add" with by >= 5 adds one more
 * than it should: the changed code that `hindsight verify` must catch.
 */
#ifndef HS_TESTS_CLI_TYPES_H
#define HS_TESTS_CLI_TYPES_H

#include <hindsight.h>

int cli_test_register(hs_runtime *rt);

#endif
