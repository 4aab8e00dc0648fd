/*
 * The sink: the built-in watcher that ends every transition, set at open.
 * Both take over the hsi_transition whose `pub` they are shown.
 */
#ifndef HS_CORE_SINK_H
#define HS_CORE_SINK_H

#include "hindsight.h"

/* In memory: releases the effects and wakes the waiter at once. */
void hsi_sink_memory(void *rt, const hs_transition *t);

/* The log: encodes the record (and a due snapshot) and queues it to the
 * writer, which releases effects and waiter once it is written. On out of
 * memory it fails the log (the transition cannot be recorded) and sets
 * the transition's rc. */
void hsi_sink_log(void *rt, const hs_transition *t);

#endif
