/*
 * Loading a machine definition: JSON text (through the codec's JSON
 * parser) or msgpack into the model of def.h, with every callback name
 * resolved and every state name checked; the graph checks are in
 * validate.c. Every rejection is a sentence naming the state and field.
 */
#include "machine/def.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json_parse.h"
#include "codec/mpread.h"

typedef struct loader {
	const hs_machines *set;
	hs_machine_def *def;
	char *err;
	size_t cap;
	const uint8_t *end;
} loader;

static int fail(loader *L, const char *fmt, ...) HS_PRINTF(2, 3);

static int fail(loader *L, const char *fmt, ...)
{
	if (L->err != NULL && L->cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(L->err, L->cap, fmt, ap);
		va_end(ap);
	}
	return HS_EINVAL;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ------------------------------------------------------------------ */
/* Walking maps                                                         */
/* ------------------------------------------------------------------ */

typedef struct map_it {
	const uint8_t *p, *end;
	size_t left;
} map_it;

/* Opens the map at p; HS_ETYPE when it is something else. */
static int map_open(const uint8_t *p, const uint8_t *end, map_it *it)
{
	hs_value v;
	const uint8_t *inner = NULL;
	int rc = hsi_mp_read(p, end, &v, &inner);
	if (rc != 0)
		return rc;
	if (v.kind != HS_MAP)
		return HS_ETYPE;
	it->p = inner;
	it->end = end;
	it->left = v.len;
	return 0;
}

/* The next pair: key (a string, else HS_ETYPE) and the value's view.
 * Returns 1 with a pair, 0 at the end, or an error. */
static int map_next(map_it *it, hs_value *key, hs_value *val)
{
	if (it->left == 0)
		return 0;
	int rc = hsi_mp_read(it->p, it->end, key, NULL);
	if (rc == 0 && key->kind != HS_STR)
		rc = HS_ETYPE;
	if (rc == 0)
		rc = hsi_mp_read(key->raw + key->raw_len, it->end, val, NULL);
	if (rc != 0)
		return rc;
	it->p = val->raw + val->raw_len;
	it->left--;
	return 1;
}

static bool key_is(const hs_value *k, const char *s)
{
	return k->len == strlen(s) && memcmp(k->as.str, s, k->len) == 0;
}

/* The elements of an array value, one at a time. */
static int array_elem(const uint8_t **p, const uint8_t *end, hs_value *val)
{
	int rc = hsi_mp_read(*p, end, val, NULL);
	if (rc == 0)
		*p = val->raw + val->raw_len;
	return rc;
}

/* A string value as a new C string (1..HS_NAME_MAX bytes). */
static int take_name(loader *L, const hs_value *v, const char *where,
		     const char *field, char **out)
{
	if (v->kind != HS_STR)
		return fail(L, "%s: %s: expected a string", where, field);
	if (v->len == 0 || v->len > HS_NAME_MAX)
		return fail(L, "%s: %s: expected 1..%d bytes", where, field,
			    HS_NAME_MAX);
	if (memchr(v->as.str, '\0', v->len) != NULL)
		return fail(L, "%s: %s: contains a NUL byte", where, field);
	free(*out);
	*out = dupn(v->as.str, v->len);
	return *out == NULL ? HS_ENOMEM : 0;
}

static int take_copy(hs_buf *dst, const hs_value *v)
{
	hs_buf_reset(dst);
	return hs_packf(dst, "m", v->raw, v->raw_len);
}

/* ------------------------------------------------------------------ */
/* Edges                                                                */
/* ------------------------------------------------------------------ */

static int load_edge(loader *L, const char *where, const char *field,
		     const hs_value *v, hsi_medge *e, bool in_invoke);

static int load_wait(loader *L, const char *where, const char *field,
		     const hs_value *v, int64_t *ns)
{
	map_it it;
	hs_value k, x;
	int rc = map_open(v->raw, L->end, &it);
	if (rc == HS_ETYPE)
		return fail(L, "%s: %s.wait-for: expected an object "
			       "{\"seconds\": N} or {\"ms\": N}",
			    where, field);
	int64_t total = 0;
	while (rc == 0 && (rc = map_next(&it, &k, &x)) == 1) {
		rc = 0;
		int64_t unit;
		if (key_is(&k, "seconds"))
			unit = INT64_C(1000000000);
		else if (key_is(&k, "ms"))
			unit = INT64_C(1000000);
		else
			return fail(L, "%s: %s.wait-for.%.*s: unknown field",
				    where, field, (int)k.len, k.as.str);
		if (x.kind != HS_INT || x.as.i < 0 ||
		    x.as.i > INT64_MAX / unit / 2)
			return fail(L, "%s: %s.wait-for: expected a "
				       "non-negative integer",
				    where, field);
		total += x.as.i * unit;
	}
	if (rc < 0)
		return rc;
	if (total <= 0)
		return fail(L, "%s: %s.wait-for: must be longer than 0", where,
			    field);
	*ns = total;
	return 0;
}

static int load_invoke(loader *L, const char *where, const char *field,
		       const hs_value *v, hsi_minvoke **out)
{
	map_it it;
	hs_value k, x;
	int rc = map_open(v->raw, L->end, &it);
	if (rc == HS_ETYPE)
		return fail(L, "%s: %s.invoke: expected an object", where,
			    field);
	hsi_minvoke *inv = calloc(1, sizeof *inv);
	if (inv == NULL)
		return HS_ENOMEM;
	*out = inv;
	char sub[128];
	while (rc == 0 && (rc = map_next(&it, &k, &x)) == 1) {
		rc = 0;
		if (key_is(&k, "machine")) {
			snprintf(sub, sizeof sub, "%s.invoke.machine", field);
			rc = take_name(L, &x, where, sub, &inv->machine);
		} else if (key_is(&k, "version")) {
			if (x.kind != HS_INT || x.as.i < 0 ||
			    x.as.i > UINT32_MAX)
				return fail(L, "%s: %s.invoke.version: "
					       "expected a version number",
					    where, field);
			inv->version = (uint32_t)x.as.i;
		} else if (key_is(&k, "input")) {
			snprintf(sub, sizeof sub, "%s.invoke.input", field);
			rc = take_name(L, &x, where, sub, &inv->input.name);
		} else if (key_is(&k, "success") || key_is(&k, "error")) {
			bool ok = key_is(&k, "success");
			hsi_medge **e = ok ? &inv->success : &inv->error;
			if (*e == NULL && (*e = calloc(1, sizeof **e)) == NULL)
				return HS_ENOMEM;
			snprintf(sub, sizeof sub, "%s.invoke.%s", field,
				 ok ? "success" : "error");
			rc = load_edge(L, where, sub, &x, *e, true);
		} else {
			return fail(L, "%s: %s.invoke.%.*s: unknown field",
				    where, field, (int)k.len, k.as.str);
		}
	}
	if (rc < 0)
		return rc;
	if (inv->machine == NULL)
		return fail(L, "%s: %s.invoke.machine: missing", where, field);
	if (inv->success == NULL || inv->error == NULL)
		return fail(L, "%s: %s.invoke.%s: missing", where, field,
			    inv->success == NULL ? "success" : "error");
	return 0;
}

/* One transition; `field` is where it is ("always[1]", "actions.add",
 * "always[0].invoke.success"). */
static int load_edge(loader *L, const char *where, const char *field,
		     const hs_value *v, hsi_medge *e, bool in_invoke)
{
	map_it it;
	hs_value k, x;
	int rc = map_open(v->raw, L->end, &it);
	if (rc == HS_ETYPE)
		return fail(L, "%s: %s: expected an object", where, field);
	e->target = -1;
	e->field = dupn(field, strlen(field));
	if (e->field == NULL)
		return HS_ENOMEM;
	char sub[160];
	while (rc == 0 && (rc = map_next(&it, &k, &x)) == 1) {
		rc = 0;
		snprintf(sub, sizeof sub, "%s.%.*s", field, (int)k.len,
			 k.as.str);
		if (key_is(&k, "name") && !in_invoke)
			rc = take_name(L, &x, where, sub, &e->name);
		else if (key_is(&k, "state"))
			rc = take_name(L, &x, where, sub, &e->state);
		else if (key_is(&k, "when") && !in_invoke)
			rc = take_name(L, &x, where, sub, &e->when.name);
		else if (key_is(&k, "context"))
			rc = take_name(L, &x, where, sub, &e->update.name);
		else if (key_is(&k, "wait-for") && !in_invoke)
			rc = load_wait(L, where, field, &x, &e->wait_ns);
		else if (key_is(&k, "invoke") && !in_invoke)
			rc = load_invoke(L, where, field, &x, &e->invoke);
		else
			return fail(L, "%s: %s: unknown field", where, sub);
	}
	if (rc < 0)
		return rc;
	if (e->invoke != NULL && e->state != NULL)
		return fail(L, "%s: %s: has both state and invoke", where,
			    field);
	if (e->invoke != NULL && e->wait_ns > 0)
		return fail(L, "%s: %s.wait-for: not allowed with invoke",
			    where, field);
	if (e->invoke == NULL && e->state == NULL)
		return fail(L, "%s: %s.state: missing (a transition to "
			       "nowhere)",
			    where, field);
	return 0;
}

/* ------------------------------------------------------------------ */
/* States                                                               */
/* ------------------------------------------------------------------ */

static int load_state(loader *L, const hs_value *name, const hs_value *v,
		      hsi_mstate *st)
{
	char where[HS_NAME_MAX + 16];
	int rc = take_name(L, name, "states", "state name", &st->name);
	if (rc != 0)
		return rc;
	snprintf(where, sizeof where, "state '%s'", st->name);
	map_it it;
	hs_value k, x;
	rc = map_open(v->raw, L->end, &it);
	if (rc == HS_ETYPE)
		return fail(L, "%s: expected an object", where);
	char sub[160];
	while (rc == 0 && (rc = map_next(&it, &k, &x)) == 1) {
		rc = 0;
		if (key_is(&k, "actions")) {
			map_it ai;
			hs_value an, av;
			rc = map_open(x.raw, L->end, &ai);
			if (rc == HS_ETYPE)
				return fail(L, "%s: actions: expected an "
					       "object",
					    where);
			if (rc != 0)
				return rc;
			st->actions = calloc(ai.left + 1, sizeof *st->actions);
			if (st->actions == NULL)
				return HS_ENOMEM;
			while ((rc = map_next(&ai, &an, &av)) == 1) {
				hsi_maction *a = &st->actions[st->nactions++];
				rc = take_name(L, &an, where, "actions",
					       &a->name);
				if (rc != 0)
					return rc;
				if (a->name[0] == '$')
					return fail(L, "%s: actions.%s: names "
						       "starting with '$' are "
						       "reserved",
						    where, a->name);
				snprintf(sub, sizeof sub, "actions.%s",
					 a->name);
				rc = load_edge(L, where, sub, &av, &a->edge,
					       false);
				if (rc != 0)
					return rc;
				if (a->edge.wait_ns > 0 || a->edge.invoke)
					return fail(L, "%s: %s.%s: only in "
						       "always transitions",
						    where, sub,
						    a->edge.invoke ? "invoke"
								   : "wait-for");
				if (a->edge.name == NULL &&
				    (a->edge.name = dupn(a->name,
							 strlen(a->name))) ==
					    NULL)
					return HS_ENOMEM;
			}
		} else if (key_is(&k, "always")) {
			if (x.kind != HS_ARRAY)
				return fail(L, "%s: always: expected an array",
					    where);
			st->always = calloc(x.len + 1, sizeof *st->always);
			if (st->always == NULL)
				return HS_ENOMEM;
			const uint8_t *p = NULL;
			hsi_mp_read(x.raw, L->end, &x, &p);
			for (size_t i = 0; i < x.len; i++) {
				hs_value ev;
				if ((rc = array_elem(&p, L->end, &ev)) != 0)
					return rc;
				snprintf(sub, sizeof sub, "always[%zu]", i);
				st->nalways++;
				rc = load_edge(L, where, sub, &ev,
					       &st->always[i], false);
				if (rc != 0)
					return rc;
			}
		} else if (key_is(&k, "end")) {
			if (x.kind == HS_BOOL)
				st->end = x.as.b ? HSI_MEND_SUCCESS
						 : HSI_MEND_NONE;
			else if (x.kind == HS_STR && key_is(&x, "success"))
				st->end = HSI_MEND_SUCCESS;
			else if (x.kind == HS_STR && key_is(&x, "error"))
				st->end = HSI_MEND_ERROR;
			else
				return fail(L, "%s: end: expected true, "
					       "false, \"success\" or "
					       "\"error\"",
					    where);
		} else if (key_is(&k, "return")) {
			rc = take_copy(&st->ret, &x);
		} else {
			return fail(L, "%s: %.*s: unknown field", where,
				    (int)k.len, k.as.str);
		}
	}
	if (rc < 0)
		return rc;
	if (st->end != HSI_MEND_NONE && (st->nactions || st->nalways))
		return fail(L, "%s: end: an end state has no transitions "
			       "(%s)",
			    where, st->nactions ? "actions" : "always");
	if (st->end == HSI_MEND_NONE && st->ret.len > 0)
		return fail(L, "%s: return: only an end state returns", where);
	if (st->end == HSI_MEND_NONE && !st->nactions && !st->nalways)
		return fail(L, "%s: neither an end (end: true) nor any "
			       "actions or always transitions",
			    where);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Resolving names                                                      */
/* ------------------------------------------------------------------ */

static int resolve_fn(loader *L, const char *where, const char *field,
		      const char *what, char *name, bool guard,
		      hs_machine_guard_fn *gfn, hs_machine_update_fn *ufn,
		      void **udata)
{
	if (name == NULL)
		return 0;
	const hsi_mfn *f = hsi_machines_fn(L->set, name, guard);
	if (f == NULL && L->set->any_callback)
		return 0; /* a tool that only shows the definition */
	if (f == NULL)
		return fail(L, "%s: %s.%s: no %s callback named '%s'", where,
			    field, what, guard ? "guard" : "update", name);
	if (guard)
		*gfn = f->gfn;
	else
		*ufn = f->ufn;
	*udata = f->udata;
	return 0;
}

static int resolve_edge(loader *L, const char *where, hsi_medge *e)
{
	int rc = resolve_fn(L, where, e->field, "when", e->when.name, true,
			    &e->when.fn, NULL, &e->when.udata);
	if (rc == 0)
		rc = resolve_fn(L, where, e->field, "context", e->update.name,
				false, NULL, &e->update.fn, &e->update.udata);
	if (rc != 0)
		return rc;
	if (e->state != NULL) {
		e->target = hsi_mdef_state(L->def, e->state);
		if (e->target < 0)
			return fail(L, "%s: %s.state: unknown state '%s'",
				    where, e->field, e->state);
		if (e->name == NULL &&
		    (e->name = dupn(e->state, strlen(e->state))) == NULL)
			return HS_ENOMEM;
	}
	hsi_minvoke *inv = e->invoke;
	if (inv == NULL)
		return 0;
	if (e->name == NULL &&
	    (e->name = dupn(inv->machine, strlen(inv->machine))) == NULL)
		return HS_ENOMEM;
	rc = resolve_fn(L, where, e->field, "invoke.input", inv->input.name,
			false, NULL, &inv->input.fn, &inv->input.udata);
	if (rc == 0)
		rc = resolve_edge(L, where, inv->success);
	if (rc == 0)
		rc = resolve_edge(L, where, inv->error);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The definition                                                       */
/* ------------------------------------------------------------------ */

static int load_top(loader *L, const uint8_t *p)
{
	hs_machine_def *d = L->def;
	map_it it;
	hs_value k, x, states = {0};
	char *start = NULL;
	bool have_states = false, have_version = false;
	int rc = map_open(p, L->end, &it);
	if (rc == HS_ETYPE)
		return fail(L, "machine: expected an object");
	while (rc == 0 && (rc = map_next(&it, &k, &x)) == 1) {
		rc = 0;
		if (key_is(&k, "id")) {
			rc = take_name(L, &x, "machine", "id", &d->id);
		} else if (key_is(&k, "version")) {
			if (x.kind != HS_INT || x.as.i < 1 ||
			    x.as.i > UINT32_MAX)
				rc = fail(L, "machine: version: expected an "
					     "integer >= 1");
			d->version = (uint32_t)x.as.i;
			have_version = true;
		} else if (key_is(&k, "start-at")) {
			rc = take_name(L, &x, "machine", "start-at", &start);
		} else if (key_is(&k, "context")) {
			if (x.kind != HS_MAP)
				rc = fail(L, "machine: context: expected an "
					     "object");
			else
				rc = take_copy(&d->context, &x);
		} else if (key_is(&k, "states")) {
			states = x;
			have_states = true;
		} else if (key_is(&k, "description")) {
			/* free text for people */
		} else {
			rc = fail(L, "machine: %.*s: unknown field",
				  (int)k.len, k.as.str);
		}
	}
	if (rc == 0 && d->id == NULL)
		rc = fail(L, "machine: id: missing");
	if (rc == 0 && !have_version)
		rc = fail(L, "machine '%s': version: missing", d->id);
	if (rc == 0 && start == NULL)
		rc = fail(L, "machine '%s': start-at: missing", d->id);
	if (rc == 0 && (!have_states || states.kind != HS_MAP ||
			states.len == 0))
		rc = fail(L, "machine '%s': states: expected a non-empty "
			     "object",
			  d->id);
	if (rc == 0 && d->context.len == 0)
		rc = hs_packf(&d->context, "");
	if (rc == 0) {
		d->states = calloc(states.len, sizeof *d->states);
		rc = d->states == NULL ? HS_ENOMEM : map_open(states.raw,
							       L->end, &it);
	}
	hs_value sn, sv;
	while (rc == 0 && (rc = map_next(&it, &sn, &sv)) == 1) {
		hsi_mstate *st = &d->states[d->nstates++];
		rc = load_state(L, &sn, &sv, st);
		if (rc == 0 && hsi_mdef_state(d, st->name) !=
				       (int)d->nstates - 1)
			rc = fail(L, "state '%s': defined twice", st->name);
	}
	if (rc == 0) {
		d->start = hsi_mdef_state(d, start);
		if (d->start < 0)
			rc = fail(L, "machine '%s': start-at: unknown state "
				     "'%s'",
				  d->id, start);
	}
	free(start);
	for (size_t i = 0; rc == 0 && i < d->nstates; i++) {
		hsi_mstate *st = &d->states[i];
		char where[HS_NAME_MAX + 16];
		snprintf(where, sizeof where, "state '%s'", st->name);
		for (size_t a = 0; rc == 0 && a < st->nactions; a++)
			rc = resolve_edge(L, where, &st->actions[a].edge);
		for (size_t a = 0; rc == 0 && a < st->nalways; a++)
			rc = resolve_edge(L, where, &st->always[a]);
	}
	return rc;
}

int hs_machine_load_msgpack(const hs_machines *m, const void *mp, size_t len,
			    hs_machine_def **out, char *err, size_t cap)
{
	if (m == NULL || mp == NULL || out == NULL)
		return HS_EINVAL;
	if (err != NULL && cap > 0)
		err[0] = '\0';
	if (hs_msgpack_check(mp, len) != 0) {
		if (err != NULL && cap > 0)
			snprintf(err, cap, "machine: not one msgpack value");
		return HS_EBADMSG;
	}
	loader L = {m, calloc(1, sizeof(hs_machine_def)), err, cap,
		    (const uint8_t *)mp + len};
	if (L.def == NULL)
		return HS_ENOMEM;
	int rc = load_top(&L, mp);
	if (rc == 0)
		rc = hsi_mdef_validate(L.def, err, cap);
	if (rc != 0 && rc != HS_EINVAL && rc != HS_ENOMEM) {
		/* from the map walk: a key that is not a string */
		fail(&L, "machine: every key must be a string");
		rc = HS_EINVAL;
	}
	if (rc != 0) {
		if (rc == HS_ENOMEM && err != NULL && cap > 0)
			snprintf(err, cap, "machine: out of memory");
		hs_machine_def_free(L.def);
		return rc;
	}
	*out = L.def;
	return 0;
}

int hs_machine_load_json(const hs_machines *m, const char *text, size_t len,
			 hs_machine_def **out, char *err, size_t cap)
{
	if (m == NULL || text == NULL || out == NULL)
		return HS_EINVAL;
	hs_buf mp = HS_BUF_INIT;
	hsi_json_error je = {0};
	int rc = hsi_json_to_msgpack(&mp, text, len, HSI_MP_MAX_DEPTH, &je);
	if (rc != 0) {
		if (err != NULL && cap > 0)
			snprintf(err, cap, "machine: JSON line %zu column %zu: "
					   "%s",
				 je.line, je.column,
				 je.what ? je.what : hs_strerror(rc));
		hs_buf_free(&mp);
		return rc;
	}
	rc = hs_machine_load_msgpack(m, mp.data, mp.len, out, err, cap);
	hs_buf_free(&mp);
	return rc;
}
