#ifndef HS_TOOLS_TALLY_H
#define HS_TOOLS_TALLY_H

/* Agents and transitions by agent type, added an agent at a time in key
 * order (stats, and serve's /api/stats). */

#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

typedef struct cli_type_count {
	char name[HS_NAME_MAX + 1];
	uint64_t agents;
	uint64_t transitions;
} cli_type_count;

typedef struct cli_tally {
	cli_type_count *types; /* owned; free with cli_tally_free */
	size_t ntypes, cap;
	uint64_t agents, transitions;
} cli_tally;

/* Counts one agent of type (tn bytes) with last_seq transitions. Agents
 * come in key order, so those of a type come together. 0 or HS_ENOMEM. */
int cli_tally_add(cli_tally *t, const char *type, size_t tn,
		  uint64_t last_seq);

void cli_tally_free(cli_tally *t);

#endif /* HS_TOOLS_TALLY_H */
