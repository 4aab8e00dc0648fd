#ifndef HS_CORE_INTROSPECT_H
#define HS_CORE_INTROSPECT_H

/*
 * What tools that inspect a log need to know of a runtime's registered
 * agent types, without the core's internals (core/runtime.h). Both calls
 * are thread-safe, as hs_register's lookups are.
 */

#include <stdbool.h>

#include "hindsight.h"

/* True when `type` is registered on rt. False for a NULL rt or type. */
bool hsi_introspect_has_type(hs_runtime *rt, const char *type);

/*
 * The state of a new agent (type, id) before its first event: the type's
 * init() on a zeroed state, then encode(), appended to out. The public API
 * has no query for it (hs_state_at starts at seq 1). The caller owns out;
 * on failure out->len is as it was (its capacity may have grown). Returns
 * 0, HS_EINVAL (NULL rt, type or id), HS_ENOTYPE (type not registered),
 * HS_ENOMEM, or init()'s or encode()'s error (HS_EHANDLER for a positive
 * one).
 */
int hsi_introspect_initial_state(hs_runtime *rt, const char *type,
				 const char *id, hs_buf *out);

#endif /* HS_CORE_INTROSPECT_H */
