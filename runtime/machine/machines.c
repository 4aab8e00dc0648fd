/*
 * The set of machines: callbacks by name, every version of every machine,
 * registration as agent types, and starting executions.
 */
#include "machine/def.h"

#include <stdlib.h>
#include <string.h>

int hs_machines_create(hs_machines **out)
{
	if (out == NULL)
		return HS_EINVAL;
	hs_machines *m = calloc(1, sizeof *m);
	if (m == NULL)
		return HS_ENOMEM;
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return HS_ENOMEM;
	}
	*out = m;
	return 0;
}

void hs_machines_destroy(hs_machines *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nmachines; i++) {
		hsi_machine *mc = m->machines[i];
		for (size_t v = 0; v < mc->nversions; v++)
			hs_machine_def_free(mc->versions[v]);
		free(mc->versions);
		free(mc->id);
		pthread_mutex_destroy(&mc->mu);
		free(mc);
	}
	free(m->machines);
	for (size_t i = 0; i < m->nfns; i++)
		free(m->fns[i].name);
	free(m->fns);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static int add_fn(hs_machines *m, const char *name, bool guard,
		  hs_machine_guard_fn gfn, hs_machine_update_fn ufn,
		  void *udata)
{
	if (m == NULL || name == NULL || name[0] == '\0' ||
	    (gfn == NULL && ufn == NULL))
		return HS_EINVAL;
	if (strlen(name) > HS_NAME_MAX)
		return HS_ETOOLONG;
	hsi_mfn *f = (hsi_mfn *)hsi_machines_fn(m, name, guard);
	if (f == NULL) {
		if (m->nfns == m->fcap) {
			size_t cap = m->fcap ? m->fcap * 2 : 8;
			hsi_mfn *n = realloc(m->fns, cap * sizeof *n);
			if (n == NULL)
				return HS_ENOMEM;
			m->fns = n;
			m->fcap = cap;
		}
		char *copy = strdup(name);
		if (copy == NULL)
			return HS_ENOMEM;
		f = &m->fns[m->nfns++];
		f->name = copy;
		f->guard = guard;
	}
	f->gfn = gfn;
	f->ufn = ufn;
	f->udata = udata;
	return 0;
}

int hs_machines_guard(hs_machines *m, const char *name,
		      hs_machine_guard_fn fn, void *udata)
{
	return add_fn(m, name, true, fn, NULL, udata);
}

int hs_machines_update(hs_machines *m, const char *name,
		       hs_machine_update_fn fn, void *udata)
{
	return add_fn(m, name, false, NULL, fn, udata);
}

const hsi_mfn *hsi_machines_fn(const hs_machines *m, const char *name,
			       bool guard)
{
	for (size_t i = 0; i < m->nfns; i++)
		if (m->fns[i].guard == guard &&
		    strcmp(m->fns[i].name, name) == 0)
			return &m->fns[i];
	return NULL;
}

hsi_machine *hsi_machines_find(hs_machines *m, const char *id)
{
	hsi_machine *found = NULL;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->nmachines && found == NULL; i++)
		if (strcmp(m->machines[i]->id, id) == 0)
			found = m->machines[i];
	pthread_mutex_unlock(&m->mu);
	return found;
}

const hs_machine_def *hsi_machine_version(hsi_machine *mc, uint32_t v)
{
	const hs_machine_def *d = NULL;
	pthread_mutex_lock(&mc->mu);
	for (size_t i = 0; i < mc->nversions; i++) {
		const hs_machine_def *x = mc->versions[i];
		if (v == 0 ? (d == NULL || x->version > d->version)
			   : x->version == v)
			d = x;
	}
	pthread_mutex_unlock(&mc->mu);
	return d;
}

/* The machine with def's id, made when missing. */
static hsi_machine *machine_for(hs_machines *m, const char *id)
{
	hsi_machine *mc = hsi_machines_find(m, id);
	if (mc != NULL)
		return mc;
	mc = calloc(1, sizeof *mc);
	if (mc == NULL)
		return NULL;
	mc->set = m;
	mc->id = strdup(id);
	if (mc->id == NULL || pthread_mutex_init(&mc->mu, NULL) != 0) {
		free(mc->id);
		free(mc);
		return NULL;
	}
	pthread_mutex_lock(&m->mu);
	if (m->nmachines == m->mcap) {
		size_t cap = m->mcap ? m->mcap * 2 : 4;
		hsi_machine **n = realloc(m->machines, cap * sizeof *n);
		if (n == NULL) {
			pthread_mutex_unlock(&m->mu);
			pthread_mutex_destroy(&mc->mu);
			free(mc->id);
			free(mc);
			return NULL;
		}
		m->machines = n;
		m->mcap = cap;
	}
	m->machines[m->nmachines++] = mc;
	pthread_mutex_unlock(&m->mu);
	return mc;
}

int hs_machine_add(hs_machines *m, hs_machine_def *def)
{
	if (m == NULL || def == NULL || def->id == NULL)
		return HS_EINVAL;
	hsi_machine *mc = machine_for(m, def->id);
	if (mc == NULL)
		return HS_ENOMEM;
	int rc = 0;
	pthread_mutex_lock(&mc->mu);
	for (size_t i = 0; i < mc->nversions && rc == 0; i++)
		if (mc->versions[i]->version == def->version)
			rc = HS_EEXIST;
	if (rc == 0 && mc->nversions == mc->cap) {
		size_t cap = mc->cap ? mc->cap * 2 : 4;
		hs_machine_def **n = realloc(mc->versions, cap * sizeof *n);
		if (n == NULL)
			rc = HS_ENOMEM;
		else {
			mc->versions = n;
			mc->cap = cap;
		}
	}
	if (rc == 0)
		mc->versions[mc->nversions++] = def;
	pthread_mutex_unlock(&mc->mu);
	return rc;
}

int hs_machines_register(hs_machines *m, hs_runtime *rt)
{
	if (m == NULL || rt == NULL)
		return HS_EINVAL;
	pthread_mutex_lock(&m->mu);
	size_t n = m->nmachines;
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&m->mu);
		hsi_machine *mc = m->machines[i];
		pthread_mutex_unlock(&m->mu);
		hs_type t;
		hsi_machine_type(mc, &t);
		int rc = hs_register(rt, &t);
		if (rc != 0 && rc != HS_EEXIST)
			return rc;
	}
	return 0;
}

int hs_machine_start(hs_runtime *rt, hs_machines *m, const char *machine,
		     const char *id, uint32_t version, const void *input,
		     size_t len)
{
	if (rt == NULL || m == NULL || machine == NULL)
		return HS_EINVAL;
	hsi_machine *mc = hsi_machines_find(m, machine);
	const hs_machine_def *d =
		mc == NULL ? NULL : hsi_machine_version(mc, version);
	if (d == NULL)
		return HS_ENOTFOUND;
	hs_buf b = HS_BUF_INIT;
	int rc = input != NULL && len > 0
			 ? hs_packf(&b, "version:u input:m",
				    (unsigned)d->version, input, len)
			 : hs_packf(&b, "version:u", (unsigned)d->version);
	if (rc == 0)
		rc = hs_send(rt, machine, id, "$start", b.data, b.len);
	hs_buf_free(&b);
	return rc;
}
