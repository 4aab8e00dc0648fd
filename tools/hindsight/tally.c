/* Agents and transitions by agent type (tally.h). */
#include "tally.h"

#include <stdlib.h>
#include <string.h>

int cli_tally_add(cli_tally *t, const char *type, size_t tn, uint64_t last_seq)
{
	cli_type_count *c = t->ntypes ? &t->types[t->ntypes - 1] : NULL;

	if (c == NULL || strlen(c->name) != tn || memcmp(c->name, type, tn)) {
		if (t->ntypes == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 16;
			cli_type_count *v =
				realloc(t->types, cap * sizeof(*v));

			if (v == NULL)
				return HS_ENOMEM;
			t->types = v;
			t->cap = cap;
		}
		c = &t->types[t->ntypes++];
		memset(c, 0, sizeof(*c));
		memcpy(c->name, type, tn);
	}
	c->agents++;
	c->transitions += last_seq;
	t->agents++;
	t->transitions += last_seq;
	return 0;
}

void cli_tally_free(cli_tally *t)
{
	free(t->types);
	memset(t, 0, sizeof(*t));
}
