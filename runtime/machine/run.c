/*
 * Executions: the agent type that runs a machine. One agent per
 * execution; each step is one apply (one recorded transition): `$start`,
 * an action, `$always` (sent to itself on entering a state with always
 * transitions, so that the step's cause is the transition that entered
 * it), `$wait` (a wait-for timer firing) or `$child` (a child's end).
 * Uses only the public API.
 */
#include "machine/def.h"

#include "codec/mpread.h"
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An execution's state. `def` is the version it started with (NULL
 * before `$start`); everything else is what its encoding holds. */
typedef struct exec {
	hsi_machine *mc;
	const hs_machine_def *def;
	int state;		/* -1 before start */
	uint64_t entered;	/* state entries so far */
	char via[HS_NAME_MAX + 1];
	hs_buf ctx;		/* msgpack map */
	char parent_type[HS_NAME_MAX + 1];
	char parent_id[HS_ID_MAX + 1];
	char child[HS_ID_MAX + 1]; /* pending invoke, "" if none */
	int child_edge;		/* its always index, or -1 */
	int wait_edge;		/* pending wait-for, always index, or -1 */
	uint64_t kids;		/* children started */
	hsi_mend end;
	hs_buf result;
} exec;

static void exec_reset(exec *x, hsi_machine *mc)
{
	memset(x, 0, sizeof *x);
	x->mc = mc;
	x->state = -1;
	x->child_edge = -1;
	x->wait_edge = -1;
}

static int exec_init(void *state, const hs_addr *self, void *udata)
{
	(void)self;
	exec_reset(state, udata);
	return 0;
}

static void exec_destroy(void *state, void *udata)
{
	(void)udata;
	exec *x = state;
	hs_buf_free(&x->ctx);
	hs_buf_free(&x->result);
}

static int exec_copy(exec *dst, const exec *src)
{
	*dst = *src;
	dst->ctx = (hs_buf)HS_BUF_INIT;
	dst->result = (hs_buf)HS_BUF_INIT;
	int rc = 0;
	if (src->ctx.len > 0)
		rc = hs_packf(&dst->ctx, "m", src->ctx.data, src->ctx.len);
	if (rc == 0 && src->result.len > 0)
		rc = hs_packf(&dst->result, "m", src->result.data,
			      src->result.len);
	if (rc != 0)
		exec_destroy(dst, NULL);
	return rc;
}

static const char *end_name(hsi_mend e)
{
	return e == HSI_MEND_SUCCESS ? "success"
	       : e == HSI_MEND_ERROR ? "error"
				     : NULL;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                             */
/* ------------------------------------------------------------------ */

static int exec_encode(const void *state, hs_buf *out, void *udata)
{
	hsi_machine *mc = udata;
	const exec *x = state;
	const char *sname = x->def && x->state >= 0
				    ? x->def->states[x->state].name
				    : NULL;
	static const uint8_t nil[1] = {0xc0};
	hs_buf parent = HS_BUF_INIT;
	int rc = x->parent_type[0]
			 ? hs_packf(&parent, "type:s id:s", x->parent_type,
				    x->parent_id)
			 : hs_packf(&parent, "n");
	if (rc == 0)
		rc = hs_packf(
			out,
			"machine:s version:U state:s via:s entered:U "
			"context:m parent:m child:s child_edge:i wait_edge:i "
			"kids:U end:s result:m",
			mc->id, (uint64_t)(x->def ? x->def->version : 0),
			sname, x->via[0] ? x->via : NULL, x->entered,
			x->ctx.len ? (const void *)x->ctx.data
				   : (const void *)nil,
			x->ctx.len ? x->ctx.len : sizeof nil, parent.data,
			parent.len, x->child[0] ? x->child : NULL,
			x->child_edge, x->wait_edge, x->kids, end_name(x->end),
			x->result.len ? (const void *)x->result.data
				      : (const void *)nil,
			x->result.len ? x->result.len : sizeof nil);
	hs_buf_free(&parent);
	return rc;
}

/* Copies a string field (nil or missing: "") into dst. */
static int get_str(const void *mp, size_t len, const char *path, char *dst,
		   size_t cap)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);
	dst[0] = '\0';
	if (rc == HS_ENOTFOUND || (rc == 0 && v.kind == HS_NIL))
		return 0;
	return rc != 0 ? rc : hs_get_strcpy(mp, len, path, dst, cap);
}

/* Copies a value that is not nil into dst (nil or missing: empty). */
static int get_raw(const void *mp, size_t len, const char *path, hs_buf *dst)
{
	hs_value v;
	int rc = hs_get(mp, len, path, &v);
	hs_buf_reset(dst);
	if (rc == HS_ENOTFOUND || (rc == 0 && v.kind == HS_NIL))
		return 0;
	return rc != 0 ? rc : hs_packf(dst, "m", v.raw, v.raw_len);
}

static int exec_decode(void *state, const void *data, size_t len,
		       void *udata)
{
	exec *x = state;
	exec_destroy(x, NULL);
	exec_reset(x, udata);
	int64_t version = 0, entered = 0, ce = -1, we = -1, kids = 0;
	char sname[HS_NAME_MAX + 1], end[16];
	int rc = hs_get_i64(data, len, "version", &version);
	if (rc != 0 || version == 0)
		return rc;
	x->def = hsi_machine_version(x->mc, (uint32_t)version);
	if (x->def == NULL)
		return HS_ENOTFOUND; /* that version is not in the set */
	rc = get_str(data, len, "state", sname, sizeof sname);
	if (rc == 0 && (x->state = hsi_mdef_state(x->def, sname)) < 0)
		rc = HS_EBADMSG;
	if (rc == 0)
		rc = hs_get_i64(data, len, "entered", &entered);
	if (rc == 0)
		rc = hs_get_i64(data, len, "child_edge", &ce);
	if (rc == 0)
		rc = hs_get_i64(data, len, "wait_edge", &we);
	if (rc == 0)
		rc = hs_get_i64(data, len, "kids", &kids);
	if (rc == 0)
		rc = get_str(data, len, "via", x->via, sizeof x->via);
	if (rc == 0)
		rc = get_str(data, len, "child", x->child, sizeof x->child);
	if (rc == 0)
		rc = get_str(data, len, "parent.type", x->parent_type,
			     sizeof x->parent_type);
	if (rc == 0)
		rc = get_str(data, len, "parent.id", x->parent_id,
			     sizeof x->parent_id);
	if (rc == 0)
		rc = get_str(data, len, "end", end, sizeof end);
	if (rc == 0)
		rc = get_raw(data, len, "context", &x->ctx);
	if (rc == 0)
		rc = get_raw(data, len, "result", &x->result);
	if (rc != 0)
		return rc == HS_ENOMEM ? rc : HS_EBADMSG;
	x->entered = (uint64_t)entered;
	x->child_edge = (int)ce;
	x->wait_edge = (int)we;
	x->kids = (uint64_t)kids;
	x->end = strcmp(end, "success") == 0 ? HSI_MEND_SUCCESS
		 : strcmp(end, "error") == 0 ? HSI_MEND_ERROR
					     : HSI_MEND_NONE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Steps                                                                */
/* ------------------------------------------------------------------ */

/* One step being taken: the execution as it will be (`nx`), and what it
 * needs from the handler. */
typedef enum fx_kind { FX_SEND, FX_WAIT, FX_CANCEL_WAIT } fx_kind;

/* A message or timer of the step, made only if the whole step succeeds
 * (an UNCHANGED outcome would still deliver sends). */
typedef struct fx {
	fx_kind kind;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	hs_buf body;
	int64_t delay_ns;
	uint64_t entered; /* a $always to self: the entry it is for */
} fx;

#define MAX_FX 16

typedef struct step {
	hs_ctx *ctx;
	const exec *was;
	exec nx;
	hs_addr self;
	fx fx[MAX_FX];
	int nfx;
} step;

/* Queues an effect; body is taken over (reset on return). */
static int fx_add(step *s, fx_kind kind, const char *type, const char *id,
		  const char *event, hs_buf *body, int64_t delay_ns,
		  uint64_t entered)
{
	if (s->nfx == MAX_FX) {
		hs_buf_free(body);
		return HS_ERANGE;
	}
	fx *f = &s->fx[s->nfx++];
	f->kind = kind;
	snprintf(f->type, sizeof f->type, "%s", type ? type : "");
	snprintf(f->id, sizeof f->id, "%s", id ? id : "");
	snprintf(f->event, sizeof f->event, "%s", event ? event : "");
	f->body = body ? *body : (hs_buf)HS_BUF_INIT;
	if (body)
		*body = (hs_buf)HS_BUF_INIT;
	f->delay_ns = delay_ns;
	f->entered = entered;
	return 0;
}

static void fx_free(step *s)
{
	for (int i = 0; i < s->nfx; i++)
		hs_buf_free(&s->fx[i].body);
	s->nfx = 0;
}

/* Makes the step's effects, in order. A $always for an entry that later
 * steps of this transition left behind is not sent. */
static int fx_flush(step *s)
{
	int rc = 0;
	for (int i = 0; rc == 0 && i < s->nfx; i++) {
		fx *f = &s->fx[i];
		if (f->kind == FX_SEND && f->entered != 0 &&
		    f->entered != s->nx.entered)
			continue;
		if (f->kind == FX_SEND)
			rc = hs_ctx_send(s->ctx, f->type, f->id, f->event,
					 f->body.data, f->body.len);
		else if (f->kind == FX_WAIT)
			rc = hs_ctx_timer_after(s->ctx, "$wait", f->delay_ns,
						NULL, NULL, "$wait",
						f->body.data, f->body.len);
		else
			rc = hs_ctx_timer_cancel(s->ctx, "$wait");
	}
	return rc;
}

static const char *state_name(const exec *x)
{
	return x->def && x->state >= 0 ? x->def->states[x->state].name : "-";
}

static hs_machine_call call_for(step *s, const void *input, size_t len)
{
	hs_machine_call c = {
		s->nx.mc->id,	s->nx.def->version, s->self.id,
		state_name(&s->nx), s->nx.ctx.data,	    s->nx.ctx.len,
		input,		len,		    hs_ctx_now(s->ctx),
		hs_ctx_random(s->ctx)};
	return c;
}

static int run_guard(step *s, const hsi_medge *e, const void *in,
		     size_t len)
{
	if (e->when.name == NULL)
		return 1;
	hs_machine_call c = call_for(s, in, len);
	int rc = e->when.fn(e->when.udata, &c);
	if (rc < 0)
		hs_ctx_set_error(s->ctx, "state '%s': %s.when: guard '%s' "
					 "failed: %s",
				 state_name(&s->nx), e->field, e->when.name,
				 hs_strerror(rc));
	return rc < 0 ? rc : rc != 0;
}

/* Runs update u on the context; its output must be one msgpack map. */
static int run_update(step *s, const hsi_mupdate *u, const char *field,
		      const void *in, size_t len, hs_buf *out)
{
	hs_machine_call c = call_for(s, in, len);
	int rc = u->fn(u->udata, &c, out);
	hs_value v;
	if (rc == 0 && (hs_get(out->data, out->len, "", &v) != 0 ||
			v.kind != HS_MAP || v.raw_len != out->len))
		rc = HS_EBADMSG;
	if (rc != 0)
		hs_ctx_set_error(s->ctx, "state '%s': %s: update '%s' "
					 "failed: %s",
				 state_name(&s->nx), field, u->name,
				 hs_strerror(rc));
	return rc;
}

/* Enters state t, reached by the step named via. */
static int enter(step *s, int t, const char *via)
{
	exec *x = &s->nx;
	if (x->wait_edge >= 0) {
		int rc = fx_add(s, FX_CANCEL_WAIT, NULL, NULL, NULL, NULL, 0,
				0);
		if (rc != 0)
			return rc;
	}
	x->state = t;
	x->entered++;
	snprintf(x->via, sizeof x->via, "%s", via);
	x->child[0] = '\0';
	x->child_edge = -1;
	x->wait_edge = -1;
	const hsi_mstate *st = &x->def->states[t];
	hs_buf b = HS_BUF_INIT;
	int rc = 0;
	if (st->end != HSI_MEND_NONE) {
		x->end = st->end;
		hs_buf_reset(&x->result);
		const hs_buf *r = st->ret.len ? &st->ret : &x->ctx;
		rc = hs_packf(&x->result, "m", r->data, r->len);
		if (rc == 0 && x->parent_type[0])
			rc = hs_packf(&b, "child:s ok:b result:m", s->self.id,
				      st->end == HSI_MEND_SUCCESS,
				      x->result.data, x->result.len);
		if (rc == 0 && x->parent_type[0])
			rc = fx_add(s, FX_SEND, x->parent_type, x->parent_id,
				    "$child", &b, 0, 0);
	} else if (st->nalways > 0) {
		rc = hs_packf(&b, "entered:U", x->entered);
		if (rc == 0)
			rc = fx_add(s, FX_SEND, s->self.type, s->self.id,
				    "$always", &b, 0, x->entered);
	}
	hs_buf_free(&b);
	return rc;
}

/* Starts the child of invoke edge i. */
static int invoke(step *s, int i, const hsi_medge *e)
{
	exec *x = &s->nx;
	const hsi_minvoke *inv = e->invoke;
	hsi_machine *cm = hsi_machines_find(x->mc->set, inv->machine);
	const hs_machine_def *cd =
		cm == NULL ? NULL : hsi_machine_version(cm, inv->version);
	if (cd == NULL) {
		hs_ctx_set_error(s->ctx, "state '%s': %s.invoke: no machine "
					 "'%s' version %u",
				 state_name(x), e->field, inv->machine,
				 (unsigned)inv->version);
		return HS_ENOTFOUND;
	}
	x->kids++;
	int n = snprintf(x->child, sizeof x->child, "%s/%s-%llu", s->self.id,
			 e->name, (unsigned long long)x->kids);
	if (n < 0 || (size_t)n >= sizeof x->child)
		return HS_ETOOLONG;
	x->child_edge = i;
	snprintf(x->via, sizeof x->via, "%s", e->name);
	hs_buf in = HS_BUF_INIT, b = HS_BUF_INIT;
	int rc = inv->input.name
			 ? run_update(s, &inv->input, e->field, NULL, 0, &in)
			 : hs_packf(&in, "");
	if (rc == 0)
		rc = hs_packf(&b, "version:U input:m parent_type:s "
				  "parent_id:s",
			      (uint64_t)cd->version, in.data, in.len,
			      s->self.type, s->self.id);
	if (rc == 0)
		rc = fx_add(s, FX_SEND, inv->machine, x->child, "$start", &b,
			    0, 0);
	hs_buf_free(&in);
	hs_buf_free(&b);
	return rc;
}

/* Takes edge e (always index i, or -1 for an action or invoke result)
 * with this input. `waited`: its wait-for is over. */
static int take(step *s, int i, const hsi_medge *e, const void *in,
		size_t len, bool waited)
{
	exec *x = &s->nx;
	if (e->wait_ns > 0 && !waited) {
		hs_buf b = HS_BUF_INIT;
		int rc = hs_packf(&b, "entered:U edge:i", x->entered, i);
		if (rc == 0)
			rc = fx_add(s, FX_WAIT, NULL, NULL, NULL, &b,
				    e->wait_ns, 0);
		hs_buf_free(&b);
		x->wait_edge = i;
		snprintf(x->via, sizeof x->via, "%s", e->name);
		return rc;
	}
	if (e->update.name != NULL) {
		hs_buf out = HS_BUF_INIT;
		int rc = run_update(s, &e->update, e->field, in, len, &out);
		if (rc != 0) {
			hs_buf_free(&out);
			return rc;
		}
		hs_buf_free(&x->ctx);
		x->ctx = out;
	}
	if (e->invoke != NULL)
		return invoke(s, i, e);
	return enter(s, e->target, e->name);
}

/* The first always transition whose guard passes: 1 taken, 0 none. */
static int take_always(step *s)
{
	const hsi_mstate *st = &s->nx.def->states[s->nx.state];
	for (size_t i = 0; i < st->nalways; i++) {
		int rc = run_guard(s, &st->always[i], NULL, 0);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			rc = take(s, (int)i, &st->always[i], NULL, 0, false);
			return rc < 0 ? rc : 1;
		}
	}
	return 0;
}

/* Appends a map header for n pairs. */
static int map_header(hs_buf *out, size_t n)
{
	uint8_t h[5];
	size_t hl = 1;
	if (n < 16) {
		h[0] = (uint8_t)(0x80 | n);
	} else if (n <= 0xffff) {
		h[0] = 0xde;
		h[1] = (uint8_t)(n >> 8);
		h[2] = (uint8_t)n;
		hl = 3;
	} else {
		h[0] = 0xdf;
		for (int k = 0; k < 4; k++)
			h[1 + k] = (uint8_t)(n >> (24 - 8 * k));
		hl = 5;
	}
	return hsi_buf_append(out, h, hl);
}

/* Whether map `in` (a raw msgpack map) has the string key k. */
static bool has_key(const hs_value *in, const hs_value *k)
{
	const uint8_t *p, *end = in->raw + in->raw_len;
	hs_value m, key, val;
	if (hsi_mp_read(in->raw, end, &m, &p) != 0)
		return false;
	for (size_t i = 0; i < m.len; i++) {
		if (hsi_mp_read(p, end, &key, NULL) != 0 ||
		    hsi_mp_read(key.raw + key.raw_len, end, &val, NULL) != 0)
			return false;
		if (key.raw_len == k->raw_len &&
		    memcmp(key.raw, k->raw, k->raw_len) == 0)
			return true;
		p = val.raw + val.raw_len;
	}
	return false;
}

/* Sets the initial context: the input's pairs, then those of the
 * definition's context whose keys the input does not set. */
static int start_context(exec *x, const hs_value *input)
{
	const hs_buf *c = &x->def->context;
	hs_buf_reset(&x->ctx);
	if (input == NULL || input->kind != HS_MAP || input->len == 0)
		return hs_packf(&x->ctx, "m", c->data, c->len);
	const uint8_t *end = c->data + c->len, *p, *ip;
	hs_value m, key, val, im;
	int rc = hsi_mp_read(c->data, end, &m, &p);
	if (rc == 0)
		rc = hsi_mp_read(input->raw, input->raw + input->raw_len, &im,
				 &ip);
	hs_buf rest = HS_BUF_INIT;
	size_t extra = 0;
	for (size_t i = 0; rc == 0 && i < m.len; i++) {
		rc = hsi_mp_read(p, end, &key, NULL);
		if (rc == 0)
			rc = hsi_mp_read(key.raw + key.raw_len, end, &val,
					 NULL);
		if (rc != 0)
			break;
		p = val.raw + val.raw_len;
		if (!has_key(input, &key)) {
			rc = hsi_buf_append(&rest, key.raw,
					    (size_t)(val.raw + val.raw_len -
						     key.raw));
			extra++;
		}
	}
	if (rc == 0)
		rc = map_header(&x->ctx, im.len + extra);
	if (rc == 0)
		rc = hsi_buf_append(&x->ctx, ip,
				    (size_t)(input->raw + input->raw_len - ip));
	if (rc == 0 && rest.len)
		rc = hsi_buf_append(&x->ctx, rest.data, rest.len);
	hs_buf_free(&rest);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Handling an event                                                    */
/* ------------------------------------------------------------------ */

/* An event the execution does not take: answered when asked, else an
 * error that the type skips. Nothing is recorded. */
static int reject(hs_ctx *ctx, const char *fmt, ...) HS_PRINTF(2, 3);

static int reject(hs_ctx *ctx, const char *fmt, ...)
{
	char text[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (hs_ctx_asked(ctx)) {
		hs_buf b = HS_BUF_INIT;
		int rc = hs_packf(&b, "ok:b error:s", 0, text);
		if (rc == 0)
			rc = hs_ctx_reply(ctx, b.data, b.len);
		hs_buf_free(&b);
		return rc != 0 ? rc : HS_UNCHANGED;
	}
	hs_ctx_set_error(ctx, "%s", text);
	return HS_EINVAL;
}

static int on_start(step *s, const hs_event *ev)
{
	exec *x = &s->nx;
	int64_t version = 0;
	size_t len = 0;
	const void *body = hs_event_body(ev, &len);
	if (hs_event_i64(ev, "version", &version) != 0 || version <= 0)
		return reject(s->ctx, "%s '%s': $start: no version",
			      x->mc->id, s->self.id);
	x->def = hsi_machine_version(x->mc, (uint32_t)version);
	if (x->def == NULL)
		return reject(s->ctx, "%s '%s': $start: no version %lld",
			      x->mc->id, s->self.id, (long long)version);
	int rc = get_str(body, len, "parent_type", x->parent_type,
			 sizeof x->parent_type);
	if (rc == 0)
		rc = get_str(body, len, "parent_id", x->parent_id,
			     sizeof x->parent_id);
	hs_value input;
	bool has_input = hs_event_get(ev, "input", &input) == 0;
	if (rc == 0)
		rc = start_context(x, has_input ? &input : NULL);
	if (rc == 0)
		rc = enter(s, x->def->start, "$start");
	return rc < 0 ? rc : HS_CHANGED;
}

static int on_always(step *s, const hs_event *ev)
{
	int64_t entered = -1;
	hs_event_i64(ev, "entered", &entered);
	if ((uint64_t)entered != s->was->entered || s->was->wait_edge >= 0 ||
	    s->was->child[0])
		return HS_UNCHANGED; /* stale: left or waiting already */
	int rc = take_always(s);
	return rc < 0 ? rc : rc == 1 ? HS_CHANGED : HS_UNCHANGED;
}

static int on_wait(step *s, const hs_event *ev)
{
	int64_t entered = -1, edge = -1;
	hs_event_i64(ev, "entered", &entered);
	hs_event_i64(ev, "edge", &edge);
	const exec *w = s->was;
	if ((uint64_t)entered != w->entered || edge != w->wait_edge ||
	    edge < 0)
		return HS_UNCHANGED;
	const hsi_mstate *st = &w->def->states[w->state];
	if ((size_t)edge >= st->nalways)
		return HS_EBADMSG;
	s->nx.wait_edge = -1;
	int rc = take(s, (int)edge, &st->always[edge], NULL, 0, true);
	return rc < 0 ? rc : HS_CHANGED;
}

static int on_child(step *s, const hs_event *ev)
{
	char child[HS_ID_MAX + 1] = "";
	bool ok = false;
	hs_value result;
	hs_event_strcpy(ev, "child", child, sizeof child);
	hs_event_bool(ev, "ok", &ok);
	const exec *w = s->was;
	if (!w->child[0] || strcmp(child, w->child) != 0 ||
	    w->child_edge < 0)
		return HS_UNCHANGED; /* a child whose result is not awaited */
	if (hs_event_get(ev, "result", &result) != 0)
		return HS_EBADMSG;
	const hsi_medge *e = &w->def->states[w->state].always[w->child_edge];
	const hsi_medge *then = ok ? e->invoke->success : e->invoke->error;
	int rc = take(s, -1, then, result.raw, result.raw_len, false);
	return rc < 0 ? rc : HS_CHANGED;
}

/* Whether an automatic step is due: the state has always transitions
 * and is neither waiting (wait-for) nor waiting for a child. */
static bool always_due(const exec *x)
{
	return x->def->states[x->state].nalways > 0 && x->wait_edge < 0 &&
	       !x->child[0];
}

static int on_action(step *s, const hs_event *ev)
{
	exec *x = &s->nx;
	const char *name = hs_event_type(ev);
	size_t len = 0;
	const void *body = hs_event_body(ev, &len);
	const hsi_maction *a = hsi_mdef_action(x->def, x->state, name);
	/* An action that came before the automatic steps of a state it
	 * does not take (sent right after $start, say): those steps are
	 * taken first, in this transition, up to a state that waits. Their
	 * own $always messages then find them done and change nothing. */
	for (int hops = 0; a == NULL && always_due(x) && hops < 64; hops++) {
		int rc = take_always(s);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		a = hsi_mdef_action(x->def, x->state, name);
	}
	if (a == NULL)
		return reject(s->ctx, "%s '%s': state '%s' does not accept "
				      "action '%s'",
			      x->mc->id, s->self.id, state_name(x), name);
	int rc = run_guard(s, &a->edge, body, len);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return reject(s->ctx, "%s '%s': state '%s': action '%s' "
				      "refused by guard '%s'",
			      x->mc->id, s->self.id, state_name(x), name,
			      a->edge.when.name);
	rc = take(s, -1, &a->edge, body, len, false);
	return rc < 0 ? rc : HS_CHANGED;
}

static int answer(step *s)
{
	if (!hs_ctx_asked(s->ctx))
		return 0;
	hs_buf b = HS_BUF_INIT;
	int rc = hs_packf(&b, "ok:b state:s context:m end:s", 1,
			  state_name(&s->nx), s->nx.ctx.data, s->nx.ctx.len,
			  end_name(s->nx.end));
	if (rc == 0)
		rc = hs_ctx_reply(s->ctx, b.data, b.len);
	hs_buf_free(&b);
	return rc;
}

static int exec_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	exec *x = state;
	static const step blank;
	step s = blank;
	s.ctx = ctx;
	s.was = x;
	s.self = hs_ctx_self(ctx);
	int rc;
	if (hs_event_is(ev, "$start") && x->def != NULL)
		return reject(ctx, "%s '%s': started already", x->mc->id,
			      s.self.id);
	if (!hs_event_is(ev, "$start") && x->def == NULL)
		return reject(ctx, "%s '%s': not started (send $start "
				   "first, see hs_machine_start)",
			      x->mc->id, s.self.id);
	if (x->end != HSI_MEND_NONE && !hs_event_is(ev, "$always") &&
	    !hs_event_is(ev, "$wait") && !hs_event_is(ev, "$child"))
		return reject(ctx, "%s '%s': ended in state '%s'", x->mc->id,
			      s.self.id, state_name(x));
	if (x->end != HSI_MEND_NONE)
		return HS_UNCHANGED;
	if ((rc = exec_copy(&s.nx, x)) != 0)
		return rc;
	if (hs_event_is(ev, "$start"))
		rc = on_start(&s, ev);
	else if (hs_event_is(ev, "$always"))
		rc = on_always(&s, ev);
	else if (hs_event_is(ev, "$wait"))
		rc = on_wait(&s, ev);
	else if (hs_event_is(ev, "$child"))
		rc = on_child(&s, ev);
	else
		rc = on_action(&s, ev);
	if (rc == HS_CHANGED) {
		int frc = fx_flush(&s);
		if (frc == 0)
			frc = answer(&s);
		if (frc != 0)
			rc = frc;
	}
	fx_free(&s);
	if (rc != HS_CHANGED) {
		exec_destroy(&s.nx, NULL);
		return rc;
	}
	exec_destroy(x, NULL);
	*x = s.nx;
	return HS_CHANGED;
}

void hsi_machine_type(hsi_machine *mc, hs_type *t)
{
	memset(t, 0, sizeof *t);
	t->name = mc->id;
	t->state_size = sizeof(exec);
	t->init = exec_init;
	t->apply = exec_apply;
	t->encode = exec_encode;
	t->decode = exec_decode;
	t->destroy = exec_destroy;
	t->on_error = HS_ON_ERROR_SKIP;
	t->snapshot_every = 64;
	t->udata = mc;
}

hsi_machine *hsi_machine_of_type(const hs_type *t)
{
	return t->apply == exec_apply ? t->udata : NULL;
}
