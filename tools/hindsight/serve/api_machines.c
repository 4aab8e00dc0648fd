/* /api/machines: the state machines that the types plugin registers, as
 * graphs for the page to draw. */
#include "server.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>

#include "core/runtime.h"
#include "machine/def.h"

/* Calls fn for each machine registered on the view's runtime (its agent
 * types made by hs_machines_register). */
static int each_machine(srv_view *v, int (*fn)(void *, hsi_machine *),
			void *udata)
{
	hs_runtime *rt = v->db.rt;
	unsigned n = atomic_load(&rt->ntypes);
	int rc = 0;

	for (unsigned i = 0; i < n && rc == 0; i++) {
		hsi_machine *mc = hsi_machine_of_type(&rt->types[i]->def);

		if (mc != NULL)
			rc = fn(udata, mc);
	}
	return rc;
}

typedef struct names {
	hs_buf *b;
	unsigned n;
} names;

static int put_name(void *udata, hsi_machine *mc)
{
	names *w = udata;
	int rc = cli_put(w->b, w->n++ ? "," : "");

	return rc | cli_put_json_str(w->b, mc->id, strlen(mc->id));
}

int srv_put_machine_names(srv_view *v, hs_buf *b)
{
	names w = {.b = b};
	int rc = cli_put(b, "[");

	rc |= each_machine(v, put_name, &w);
	return rc | cli_put(b, "]");
}

static int put_str_or_null(hs_buf *b, const char *s)
{
	return s ? cli_put_json_str(b, s, strlen(s)) : cli_put(b, "null");
}

/* {"name","to","kind","event","wait_ms","invoke"} */
static int put_edge(hs_buf *b, const char *kind, const char *event,
		    const hsi_medge *e)
{
	int rc = cli_put(b, "{\"name\":");

	rc |= put_str_or_null(b, e->name);
	rc |= cli_put(b, ",\"to\":");
	rc |= put_str_or_null(b, e->state);
	rc |= cli_putf(b, ",\"kind\":\"%s\",\"event\":", kind);
	rc |= put_str_or_null(b, event);
	rc |= cli_put(b, ",\"guard\":");
	rc |= put_str_or_null(b, e->when.name);
	rc |= cli_putf(b, ",\"wait_ms\":%" PRId64 ",\"invoke\":",
		       e->wait_ns / 1000000);
	if (e->invoke == NULL)
		return rc | cli_put(b, "null}");
	rc |= cli_put(b, "{\"machine\":");
	rc |= put_str_or_null(b, e->invoke->machine);
	rc |= cli_put(b, ",\"success\":");
	rc |= put_str_or_null(b, e->invoke->success ? e->invoke->success->state
						    : NULL);
	rc |= cli_put(b, ",\"error\":");
	rc |= put_str_or_null(b, e->invoke->error ? e->invoke->error->state
						  : NULL);
	return rc | cli_put(b, "}}");
}

static int put_def(hs_buf *b, const hs_machine_def *d)
{
	static const char *ends[] = {"null", "\"success\"", "\"error\""};
	int rc = cli_put(b, "{\"id\":");

	rc |= cli_put_json_str(b, d->id, strlen(d->id));
	rc |= cli_putf(b, ",\"version\":%" PRIu32 ",\"start\":", d->version);
	rc |= cli_put_json_str(b, d->states[d->start].name,
			       strlen(d->states[d->start].name));
	rc |= cli_put(b, ",\"states\":[");
	for (size_t i = 0; i < d->nstates; i++) {
		const hsi_mstate *st = &d->states[i];
		unsigned ne = 0;

		rc |= cli_put(b, i ? ",{\"name\":" : "{\"name\":");
		rc |= cli_put_json_str(b, st->name, strlen(st->name));
		rc |= cli_putf(b, ",\"end\":%s,\"edges\":[", ends[st->end]);
		for (size_t k = 0; k < st->nactions; k++, ne++) {
			rc |= cli_put(b, ne ? "," : "");
			rc |= put_edge(b, "on", st->actions[k].name,
				       &st->actions[k].edge);
		}
		for (size_t k = 0; k < st->nalways; k++, ne++) {
			rc |= cli_put(b, ne ? "," : "");
			rc |= put_edge(b, "always", NULL, &st->always[k]);
		}
		rc |= cli_put(b, "]}");
	}
	return rc | cli_put(b, "]}");
}

typedef struct defs {
	hs_buf *b;
	unsigned n;
} defs;

static int put_machine(void *udata, hsi_machine *mc)
{
	defs *w = udata;
	int rc = 0;

	/* Every version: executions of older ones are in the log too. */
	pthread_mutex_lock(&mc->mu);
	for (size_t i = 0; i < mc->nversions; i++) {
		rc |= cli_put(w->b, w->n++ ? "," : "");
		rc |= put_def(w->b, mc->versions[i]);
	}
	pthread_mutex_unlock(&mc->mu);
	return rc;
}

int api_machines(srv_req *q)
{
	defs w = {.b = &q->body};
	int rc = cli_put(&q->body, "{\"machines\":[");

	rc |= each_machine(q->v, put_machine, &w);
	rc |= cli_put(&q->body, "]}\n");
	return rc ? srv_nomem(q) : 0;
}
