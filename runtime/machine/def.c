/*
 * The definition model: lookups and freeing.
 */
#include "machine/def.h"

#include <stdlib.h>
#include <string.h>

int hsi_mdef_state(const hs_machine_def *def, const char *name)
{
	for (size_t i = 0; name != NULL && i < def->nstates; i++)
		if (def->states[i].name != NULL &&
		    strcmp(def->states[i].name, name) == 0)
			return (int)i;
	return -1;
}

const hsi_maction *hsi_mdef_action(const hs_machine_def *def, int s,
				   const char *name)
{
	if (s < 0 || (size_t)s >= def->nstates)
		return NULL;
	const hsi_mstate *st = &def->states[s];
	for (size_t i = 0; i < st->nactions; i++)
		if (strcmp(st->actions[i].name, name) == 0)
			return &st->actions[i];
	return NULL;
}

void hsi_medge_clear(hsi_medge *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->state);
	free(e->when.name);
	free(e->update.name);
	free(e->field);
	hsi_minvoke *inv = e->invoke;
	if (inv != NULL) {
		free(inv->machine);
		free(inv->input.name);
		hsi_medge_clear(inv->success);
		hsi_medge_clear(inv->error);
		free(inv->success);
		free(inv->error);
		free(inv);
	}
	memset(e, 0, sizeof *e);
}

void hs_machine_def_free(hs_machine_def *def)
{
	if (def == NULL)
		return;
	for (size_t i = 0; i < def->nstates; i++) {
		hsi_mstate *st = &def->states[i];
		free(st->name);
		for (size_t a = 0; a < st->nactions; a++) {
			free(st->actions[a].name);
			hsi_medge_clear(&st->actions[a].edge);
		}
		for (size_t a = 0; a < st->nalways; a++)
			hsi_medge_clear(&st->always[a]);
		free(st->actions);
		free(st->always);
		hs_buf_free(&st->ret);
	}
	free(def->states);
	hs_buf_free(&def->context);
	free(def->id);
	free(def);
}

const char *hs_machine_def_id(const hs_machine_def *def)
{
	return def == NULL ? NULL : def->id;
}

uint32_t hs_machine_def_version(const hs_machine_def *def)
{
	return def == NULL ? 0 : def->version;
}
