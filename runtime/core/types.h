/* The runtime's table of registered agent types. */
#ifndef HS_CORE_TYPES_H
#define HS_CORE_TYPES_H

#include <stddef.h>

#include "agent/agent.h"

#define HSI_MAX_TYPES 256

/* Frees a type made by hs_register (NULL is fine). */
void hsi_type_free(hsi_type *t);

/* The registered type with this name, or NULL. Thread-safe. */
const hsi_type *hsi_type_find(hs_runtime *rt, const char *name);

/* Checks an address; on success *out_type is the type and *id_len the
 * id's length. */
int hsi_check_addr(hs_runtime *rt, const char *type, const char *id,
		   const hsi_type **out_type, size_t *id_len);

#endif
