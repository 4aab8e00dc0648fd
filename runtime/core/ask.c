/*
 * Questions and answers. From outside, a question is a message with a
 * waiter that wants the handler's reply (core/waiter.c). Between agents it
 * is an effect whose tail says "ID REPLY_EVENT"; the answer is an ordinary
 * message REPLY_EVENT {"ask": ID, ...} to the asker, whose tail cancels the
 * asker's timeout timer "hs.ask.ID" when it is handled. Its recorded cause
 * is the question's: the asker's transition that asked (whether or not
 * the answering handler records a transition).
 */
#include "core/ask.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "core/ctx.h"
#include "core/runtime.h"
#include "core/send.h"
#include "core/types.h"
#include "core/waiter.h"

#define ASK_TIMER_PREFIX "hs.ask."

int hs_ask(hs_runtime *rt, const char *type, const char *id,
	   const char *event_type, const void *body, size_t len,
	   int timeout_ms, hs_buf *reply)
{
	if (reply == NULL)
		return HS_EINVAL;
	return hsi_send_and_wait(rt, type, id, event_type, body, len,
				 timeout_ms, NULL, reply);
}

int hs_ask_async(hs_runtime *rt, const char *type, const char *id,
		 const char *event_type, const void *body, size_t len,
		 hs_reply_fn fn, void *udata)
{
	if (fn == NULL)
		return HS_EINVAL;
	hsi_waiter *w = hsi_waiter_new(true, fn, udata);
	if (w == NULL)
		return HS_ENOMEM;
	int rc = hsi_send_waited(rt, type, id, event_type, body, len, w);
	if (rc != 0)
		hsi_waiter_abandon(w);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Between agents                                                       */
/* ------------------------------------------------------------------ */

static void timer_name(char *out, size_t cap, uint64_t ask_id)
{
	snprintf(out, cap, ASK_TIMER_PREFIX "%" PRIu64, ask_id);
}

int hs_ctx_ask(hs_ctx *ctx, const char *type, const char *id,
	       const char *event_type, const void *body, size_t len,
	       const char *reply_event, int64_t timeout_ns, uint64_t *ask_id)
{
	if (ctx == NULL || reply_event == NULL || reply_event[0] == '\0')
		return HS_EINVAL;
	size_t reply_len = strnlen(reply_event, HS_NAME_MAX + 1);
	if (reply_len > HS_NAME_MAX)
		return HS_ETOOLONG;
	if (ctx->asks > 0xffff)
		return HS_ERANGE;
	const hsi_type *t;
	size_t id_len;
	int rc = hsi_check_addr(ctx->rt, type, id, &t, &id_len);
	hsi_msg *m = NULL;
	if (rc == 0)
		rc = hsi_msg_build(event_type, body, len, NULL, NULL, &m);
	if (rc != 0)
		return rc;
	uint64_t ask = ctx->seq << 16 | ctx->asks++;
	if (ask_id != NULL)
		*ask_id = ask;
	char tail[HS_NAME_MAX + 32];
	int tail_len = snprintf(tail, sizeof(tail), "%" PRIu64 " %s", ask,
				reply_event);
	if (ctx->replaying && !ctx->capture) {
		free(m);
		return 0;
	}
	/* In a capturing replay the question and its timeout are shown
	 * (hs_replay_effects) and paired by a what-if like any send. */
	hsi_msg *q = hsi_ctx_msg_tailed(ctx, m, HSI_TAIL_ASK, tail,
					(size_t)tail_len);
	free(m);
	if (q == NULL)
		return HS_ENOMEM;
	rc = hsi_effect_add(&ctx->effects, t, id, id_len, q);
	if (rc != 0 || timeout_ns <= 0)
		return rc;
	char name[HS_NAME_MAX + 1];
	hs_buf tb = HS_BUF_INIT;
	timer_name(name, sizeof(name), ask);
	rc = hs_packf(&tb, "ask:U timeout:b", ask, 1);
	if (rc == 0)
		rc = hs_ctx_timer_after(ctx, name, timeout_ns, NULL, NULL,
					reply_event, tb.data, tb.len);
	hs_buf_free(&tb);
	return rc;
}

/* The asker's id and reply event from a question's tail. */
static bool parse_question(const hsi_msg *m, uint64_t *ask,
			   const char **reply_event, size_t *reply_len)
{
	const char *tail = hsi_msg_tail(m);
	char *end;
	if (m->tail_kind != HSI_TAIL_ASK)
		return false;
	*ask = strtoull(tail, &end, 10);
	if (*end != ' ')
		return false;
	*reply_event = end + 1;
	*reply_len = strlen(end + 1);
	return *reply_len != 0;
}

/* The answer to question m: {"ask": ID, <key>: <value>} to the asker,
 * caused by the question's cause, ending the asker's timeout. */
static int answer(hs_runtime *rt, const hsi_msg *m, const hs_buf *body,
		  hsi_effect **out)
{
	uint64_t ask;
	const char *reply_event;
	size_t reply_len;
	if (!parse_question(m, &ask, &reply_event, &reply_len))
		return HS_EINVAL;
	const hsi_type *asker = hsi_type_find(rt, hsi_msg_cause_type(m));
	if (asker == NULL)
		return HS_ENOTYPE;
	char name[HS_NAME_MAX + 1];
	timer_name(name, sizeof(name), ask);
	hsi_msg_parts p = {
		.event = reply_event,
		.event_len = reply_len,
		.body = body->data,
		.body_len = (uint32_t)body->len,
		.cause_type = hsi_msg_cause_type(m),
		.cause_type_len = m->cause_type_len,
		.cause_id = hsi_msg_cause_id(m),
		.cause_id_len = m->cause_id_len,
		.cause_seq = m->cause_seq,
		.cause_gseq = m->cause_gseq,
		.tail_kind = HSI_TAIL_CANCEL,
		.tail = name,
		.tail_len = strlen(name),
	};
	hsi_msg *a = hsi_msg_make(&p);
	if (a == NULL)
		return HS_ENOMEM;
	hsi_effects l;
	hsi_effects_init(&l);
	int rc = hsi_effect_add(&l, asker, hsi_msg_cause_id(m),
				m->cause_id_len, a);
	*out = l.head;
	return rc;
}

int hs_ctx_reply(hs_ctx *ctx, const void *body, size_t len)
{
	if (ctx == NULL || (body == NULL && len != 0))
		return HS_EINVAL;
	if (len != 0 && hs_msgpack_check(body, len) != 0)
		return HS_EBADMSG;
	if (ctx->replaying)
		return 0;
	const hsi_msg *m = ctx->msg;
	if (m == NULL)
		return HS_EINVAL;
	if (hsi_waiter_asks(m->waiter))
		return hsi_waiter_reply(m->waiter, body, len);
	if (m->tail_kind != HSI_TAIL_ASK)
		return HS_EINVAL;
	if (ctx->replied)
		return HS_EEXIST;
	uint64_t ask;
	const char *ev;
	size_t ev_len;
	if (!parse_question(m, &ask, &ev, &ev_len))
		return HS_EINVAL;
	hs_buf b = HS_BUF_INIT;
	int rc = len != 0 ? hs_packf(&b, "ask:U reply:m", ask, body, len)
			  : hs_packf(&b, "ask:U reply:n", ask);
	hsi_effect *e = NULL;
	if (rc == 0)
		rc = answer(ctx->rt, m, &b, &e);
	hs_buf_free(&b);
	if (rc != 0)
		return rc;
	*ctx->effects.tail = e;
	ctx->effects.tail = &e->next;
	ctx->replied = true;
	return 0;
}

bool hs_ctx_asked(const hs_ctx *ctx)
{
	const hsi_msg *m = ctx != NULL ? ctx->msg : NULL;
	if (m == NULL || ctx->replaying)
		return false;
	if (hsi_waiter_asks(m->waiter))
		return !hsi_waiter_replied(m->waiter);
	return m->tail_kind == HSI_TAIL_ASK && !ctx->replied;
}

hsi_effect *hsi_ask_error_answer(hs_runtime *rt, const hsi_msg *m, int rc)
{
	if (m->tail_kind != HSI_TAIL_ASK)
		return NULL;
	uint64_t ask;
	const char *ev;
	size_t ev_len;
	hs_buf b = HS_BUF_INIT;
	hsi_effect *e = NULL;
	if (parse_question(m, &ask, &ev, &ev_len) &&
	    hs_packf(&b, "ask:U error:i", ask, rc) == 0 &&
	    answer(rt, m, &b, &e) != 0)
		e = NULL;
	hs_buf_free(&b);
	return e;
}
