#include "agent/agent.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

hsi_msg *hsi_msg_make(const hsi_msg_parts *p)
{
	return hsi_msg_make_in(p, NULL);
}

hsi_msg *hsi_msg_make_in(const hsi_msg_parts *p, void **block)
{
	size_t cause_len = p->cause_type != NULL
				   ? p->cause_type_len + 1 + p->cause_id_len + 1
				   : 0;
	size_t tail_len = p->tail_kind != HSI_TAIL_NONE ? p->tail_len + 1 : 0;
	size_t size = sizeof(hsi_msg) + p->event_len + 1 + p->body_len +
		      cause_len + tail_len;
	bool pooled = size <= HSI_MSG_BLOCK;
	hsi_msg *m;
	if (pooled && block != NULL && *block != NULL) {
		m = *block;
		*block = NULL;
	} else {
		m = malloc(pooled ? HSI_MSG_BLOCK : size);
	}
	if (m == NULL)
		return NULL;
	*m = (hsi_msg){
		.pooled = pooled,
		.body_len = p->body_len,
		.event_type_len = (uint8_t)p->event_len,
		.tail_kind = p->tail_kind,
		.tail_len = (uint8_t)p->tail_len,
	};
	char *d = m->data;
	memcpy(d, p->event, p->event_len);
	d[p->event_len] = '\0';
	d += p->event_len + 1;
	if (p->body_len != 0)
		memcpy(d, p->body, p->body_len);
	d += p->body_len;
	if (p->cause_type != NULL) {
		m->cause_seq = p->cause_seq;
		m->cause_gseq = p->cause_gseq;
		m->cause_type_len = (uint8_t)p->cause_type_len;
		m->cause_id_len = (uint8_t)p->cause_id_len;
		memcpy(d, p->cause_type, p->cause_type_len);
		d[p->cause_type_len] = '\0';
		d += p->cause_type_len + 1;
		memcpy(d, p->cause_id, p->cause_id_len);
		d[p->cause_id_len] = '\0';
		d += p->cause_id_len + 1;
	}
	if (tail_len != 0) {
		memcpy(d, p->tail, p->tail_len);
		d[p->tail_len] = '\0';
	}
	return m;
}

hsi_msg *hsi_msg_new(const char *event_type, size_t event_type_len,
		     const void *body, uint32_t body_len,
		     const hsi_msg_cause *cause, void **block)
{
	hsi_msg_parts p = {
		.event = event_type,
		.event_len = event_type_len,
		.body = body,
		.body_len = body_len,
	};
	if (cause != NULL) {
		p.cause_type = cause->type->name;
		p.cause_type_len = cause->type->name_len;
		p.cause_id = cause->id;
		p.cause_id_len = cause->id_len;
		p.cause_seq = cause->seq;
	}
	return hsi_msg_make_in(&p, block);
}

int hsi_agent_new(const hsi_type *type, const char *id, size_t id_len,
		  uint32_t hash, bool run_init, hsi_agent **out)
{
	const size_t align = alignof(max_align_t);
	size_t state_off = (sizeof(hsi_agent) + id_len + 1 + align - 1) &
			   ~(align - 1);
	hsi_agent *a = calloc(1, state_off + type->def.state_size);
	if (a == NULL)
		return HS_ENOMEM;
	hsi_mailbox_init(&a->mbox);
	a->type = type;
	atomic_init(&a->lock.held, 0);
	atomic_init(&a->failed, false);
	atomic_init(&a->pending, 0);
	atomic_init(&a->queued, 0);
	atomic_init(&a->refs, 0);
	atomic_init(&a->recent, true);
	a->id_len = (uint8_t)id_len;
	a->hash = hash;
	memcpy(a->id, id, id_len);
	a->state = (char *)a + state_off;
	if (run_init && type->def.init != NULL) {
		hs_addr self = {type->name, a->id};
		int rc = type->def.init(a->state, &self, type->def.udata);
		if (rc != 0) {
			free(a);
			return rc < 0 ? rc : HS_EHANDLER;
		}
	}
	*out = a;
	return 0;
}

void hsi_agent_free(hsi_agent *a)
{
	if (a == NULL)
		return;
	if (a->type->def.destroy != NULL)
		a->type->def.destroy(a->state, a->type->def.udata);
	hsi_mailbox_destroy(&a->mbox);
	free(a->err);
	free(a);
}
