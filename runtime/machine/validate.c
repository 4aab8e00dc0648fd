/*
 * The graph checks of a loaded definition: every state reachable from the
 * start, and no cycle of `always` transitions that never waits (an
 * execution would go round it for ever, one recorded step after
 * another). The loader has already checked names, fields and callbacks.
 */
#include "machine/def.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn for every target of edge e (its state, or its invoke's
 * success and error states). */
static void targets(const hsi_medge *e, int out[3], int *n)
{
	*n = 0;
	if (e->target >= 0)
		out[(*n)++] = e->target;
	if (e->invoke != NULL) {
		out[(*n)++] = e->invoke->success->target;
		out[(*n)++] = e->invoke->error->target;
	}
}

static void reach(const hs_machine_def *d, int s, bool *seen)
{
	if (seen[s])
		return;
	seen[s] = true;
	const hsi_mstate *st = &d->states[s];
	int t[3], n;
	for (size_t i = 0; i < st->nactions; i++) {
		targets(&st->actions[i].edge, t, &n);
		for (int k = 0; k < n; k++)
			reach(d, t[k], seen);
	}
	for (size_t i = 0; i < st->nalways; i++) {
		targets(&st->always[i], t, &n);
		for (int k = 0; k < n; k++)
			reach(d, t[k], seen);
	}
}

/* Depth-first search over always transitions without wait-for; color 1
 * on the stack, 2 done. On a cycle, writes the path into err. */
static bool cycle(const hs_machine_def *d, int s, unsigned char *color,
		  int *stack, int depth, char *err, size_t cap)
{
	color[s] = 1;
	stack[depth] = s;
	const hsi_mstate *st = &d->states[s];
	for (size_t i = 0; i < st->nalways; i++) {
		const hsi_medge *e = &st->always[i];
		if (e->wait_ns > 0)
			continue;
		int t[3], n;
		targets(e, t, &n);
		for (int k = 0; k < n; k++) {
			if (color[t[k]] == 1) {
				int len = snprintf(
					err, cap,
					"state '%s': %s: cycle of always "
					"transitions with no wait-for: ",
					st->name, e->field);
				int from = depth;
				while (from > 0 && stack[from] != t[k])
					from--;
				for (int j = from; j <= depth; j++)
					if (len >= 0 && (size_t)len < cap)
						len += snprintf(
							err + len, cap - len,
							"%s -> ",
							d->states[stack[j]]
								.name);
				if (len >= 0 && (size_t)len < cap)
					snprintf(err + len, cap - len, "%s",
						 d->states[t[k]].name);
				return true;
			}
			if (color[t[k]] == 0 &&
			    cycle(d, t[k], color, stack, depth + 1, err, cap))
				return true;
		}
	}
	color[s] = 2;
	return false;
}

int hsi_mdef_validate(const hs_machine_def *d, char *err, size_t cap)
{
	char scratch[8];
	if (err == NULL || cap == 0) {
		err = scratch;
		cap = sizeof scratch;
	}
	bool *seen = calloc(d->nstates, sizeof *seen);
	unsigned char *color = calloc(d->nstates, 1);
	int *stack = calloc(d->nstates + 1, sizeof *stack);
	int rc = 0;
	if (seen == NULL || color == NULL || stack == NULL) {
		rc = HS_ENOMEM;
		goto out;
	}
	reach(d, d->start, seen);
	for (size_t i = 0; i < d->nstates; i++) {
		if (!seen[i]) {
			snprintf(err, cap,
				 "state '%s': unreachable from start-at '%s'",
				 d->states[i].name, d->states[d->start].name);
			rc = HS_EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < d->nstates; i++) {
		if (color[i] == 0 &&
		    cycle(d, (int)i, color, stack, 0, err, cap)) {
			rc = HS_EINVAL;
			goto out;
		}
	}
out:
	free(seen);
	free(color);
	free(stack);
	return rc;
}
