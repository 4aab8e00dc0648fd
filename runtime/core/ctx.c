#include "core/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hash.h"
#include "core/runtime.h"
#include "core/send.h"
#include "core/types.h"

const char *hs_event_type(const hs_event *ev)
{
	return ev->type;
}

const void *hs_event_body(const hs_event *ev, size_t *len)
{
	if (len != NULL)
		*len = ev->len;
	return ev->body;
}

bool hs_event_is(const hs_event *ev, const char *name)
{
	return name != NULL && strcmp(ev->type, name) == 0;
}

int hs_event_get(const hs_event *ev, const char *path, hs_value *out)
{
	return hs_get(ev->body, ev->len, path, out);
}

int hs_event_i64(const hs_event *ev, const char *path, int64_t *out)
{
	return hs_get_i64(ev->body, ev->len, path, out);
}

int hs_event_f64(const hs_event *ev, const char *path, double *out)
{
	return hs_get_f64(ev->body, ev->len, path, out);
}

int hs_event_bool(const hs_event *ev, const char *path, bool *out)
{
	return hs_get_bool(ev->body, ev->len, path, out);
}

int hs_event_str(const hs_event *ev, const char *path, const char **str,
		 size_t *len)
{
	return hs_get_str(ev->body, ev->len, path, str, len);
}

int hs_event_strcpy(const hs_event *ev, const char *path, char *dst,
		    size_t cap)
{
	return hs_get_strcpy(ev->body, ev->len, path, dst, cap);
}

hs_addr hs_ctx_self(const hs_ctx *ctx)
{
	hs_addr a = {ctx->type->name, ctx->id};
	return a;
}

void *hs_ctx_udata(const hs_ctx *ctx)
{
	return ctx->type->def.udata;
}

uint64_t hs_ctx_seq(const hs_ctx *ctx)
{
	return ctx->seq;
}

hsi_msg *hsi_ctx_msg_tailed(const hs_ctx *ctx, const hsi_msg *m,
			    uint8_t tail_kind, const char *tail,
			    size_t tail_len)
{
	hsi_msg_parts p = {
		.event = hsi_msg_event_type(m),
		.event_len = m->event_type_len,
		.body = hsi_msg_body(m),
		.body_len = m->body_len,
		.cause_type = ctx->type->name,
		.cause_type_len = ctx->type->name_len,
		.cause_id = ctx->id,
		.cause_id_len = ctx->id_len,
		.cause_seq = ctx->seq,
		.tail_kind = tail_kind,
		.tail = tail,
		.tail_len = tail_len,
	};
	return hsi_msg_make(&p);
}

int64_t hsi_ctx_time(hs_ctx *ctx)
{
	if (!ctx->has_now) {
		hs_runtime *rt = ctx->rt;
		int64_t now = rt->opts.clock(rt->opts.clock_udata);
		ctx->now = now < ctx->floor ? ctx->floor : now;
		ctx->has_now = true;
	}
	return ctx->now;
}

int64_t hs_ctx_now(const hs_ctx *ctx)
{
	/* Every context is a handler's local variable: not const. */
	return hsi_ctx_time((hs_ctx *)ctx);
}

uint64_t hs_ctx_random(hs_ctx *ctx)
{
	uint64_t h = hsi_fnv1a(ctx->type->name_hash, ctx->id, ctx->id_len);
	h ^= hsi_mix64(ctx->seq);
	h ^= hsi_mix64(++ctx->random_calls * 0x9e3779b97f4a7c15ull);
	return hsi_mix64(h);
}

bool hs_ctx_replaying(const hs_ctx *ctx)
{
	return ctx->replaying;
}

void hs_ctx_set_error(hs_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
}

int hs_ctx_send(hs_ctx *ctx, const char *type, const char *id,
		const char *event_type, const void *body, size_t len)
{
	if (ctx == NULL)
		return HS_EINVAL;
	const hsi_type *t;
	size_t id_len;
	int rc = hsi_check_addr(ctx->rt, type, id, &t, &id_len);
	if (rc != 0)
		return rc;
	hsi_msg_cause cause = {ctx->type, ctx->id, ctx->id_len, ctx->seq};
	hsi_msg *m;
	rc = hsi_msg_build_on_worker(ctx->rt, event_type, body, len, &cause,
				     &m);
	if (rc != 0)
		return rc;
	if (ctx->replaying && !ctx->capture) {
		free(m);
		return 0;
	}
	return hsi_effect_add(&ctx->effects, t, id, id_len, m);
}

int hs_ctx_sendf(hs_ctx *ctx, const char *type, const char *id,
		 const char *event_type, const char *fmt, ...)
{
	if (fmt == NULL)
		return HS_EINVAL;
	hs_buf body = HS_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	int rc = hs_vpackf(&body, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = hs_ctx_send(ctx, type, id, event_type, body.data,
				 body.len);
	hs_buf_free(&body);
	return rc;
}

/* ------------------------------------------------------------------ */
/* From handlers                                                        */
/* ------------------------------------------------------------------ */

static int check_name(const char *name, size_t *len)
{
	if (name == NULL || name[0] == '\0')
		return HS_EINVAL;
	*len = strnlen(name, HS_NAME_MAX + 1);
	return *len > HS_NAME_MAX ? HS_ETOOLONG : 0;
}

int hs_ctx_timer_at(hs_ctx *ctx, const char *name, int64_t due_ns,
		    const char *type, const char *id, const char *event_type,
		    const void *body, size_t len)
{
	if (ctx == NULL)
		return HS_EINVAL;
	size_t name_len, id_len;
	const hsi_type *t;
	int rc = check_name(name, &name_len);
	if (rc == 0 && type == NULL && id == NULL) {
		type = ctx->type->name;
		id = ctx->id;
	}
	if (rc == 0)
		rc = hsi_check_addr(ctx->rt, type, id, &t, &id_len);
	hsi_msg *m = NULL;
	/* The same checks (and nil body rule) as a send, and the same
	 * message as its firing will carry. */
	hsi_msg_cause cause = {ctx->type, ctx->id, ctx->id_len, ctx->seq};
	if (rc == 0)
		rc = hsi_msg_build(event_type, body, len, &cause, NULL, &m);
	if (rc != 0)
		return rc;
	if (ctx->replaying) {
		/* Captured as its firing: a what-if pairs the firing in
		 * history with it, as with a send, and hs_replay_effects
		 * shows it (the tail names the timer, the time is due). */
		hsi_msg *f = ctx->capture
				     ? hsi_ctx_msg_tailed(ctx, m, HSI_TAIL_TIMER,
							  name, name_len)
				     : NULL;
		free(m);
		if (f == NULL)
			return ctx->capture ? HS_ENOMEM : 0;
		f->has_time = true;
		f->time_ns = due_ns;
		return hsi_effect_add(&ctx->effects, t, id, id_len, f);
	}
	hsi_timer_target target = {
		t->name,		  t->name_len, id, id_len,
		hsi_msg_event_type(m), m->event_type_len,
		hsi_msg_body(m),	  m->body_len,
	};
	hsi_timer *op = hsi_timer_new(HSI_TIMER_SET, ctx->type->name,
				      ctx->type->name_len, ctx->id,
				      ctx->id_len, name, name_len, &target);
	free(m);
	if (op == NULL)
		return HS_ENOMEM;
	op->due_ns = due_ns;
	op->set_seq = ctx->seq;
	hsi_timer_ops_add(&ctx->timers, op);
	return 0;
}

int hs_ctx_timer_after(hs_ctx *ctx, const char *name, int64_t delay_ns,
		       const char *type, const char *id,
		       const char *event_type, const void *body, size_t len)
{
	if (ctx == NULL)
		return HS_EINVAL;
	return hs_ctx_timer_at(ctx, name, hs_ctx_now(ctx) + delay_ns, type, id,
			       event_type, body, len);
}

int hs_ctx_timer_cancel(hs_ctx *ctx, const char *name)
{
	size_t name_len;
	int rc = ctx == NULL ? HS_EINVAL : check_name(name, &name_len);
	if (rc != 0 || ctx->replaying)
		return rc;
	hsi_timer *op = hsi_timer_new(HSI_TIMER_CANCEL, ctx->type->name,
				      ctx->type->name_len, ctx->id,
				      ctx->id_len, name, name_len, NULL);
	if (op == NULL)
		return HS_ENOMEM;
	op->set_seq = ctx->seq;
	hsi_timer_ops_add(&ctx->timers, op);
	return 0;
}
