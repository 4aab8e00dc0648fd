#include "agent/agent.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

hsi_msg *hsi_msg_new(const char *event_type, size_t event_type_len,
		     const void *body, uint32_t body_len,
		     const hsi_msg_cause *cause)
{
	size_t cause_len = 0;
	if (cause != NULL)
		cause_len = cause->type->name_len + 1 + cause->id_len + 1;
	hsi_msg *m = malloc(sizeof(*m) + event_type_len + 1 + body_len +
			    cause_len);
	if (m == NULL)
		return NULL;
	m->waiter = NULL;
	m->time_ns = 0;
	m->has_time = false;
	m->cause_seq = 0;
	m->cause_gseq = 0;
	m->body_len = body_len;
	m->event_type_len = (uint8_t)event_type_len;
	m->cause_type_len = 0;
	m->cause_id_len = 0;
	memcpy(m->data, event_type, event_type_len);
	m->data[event_type_len] = '\0';
	if (body_len != 0)
		memcpy(m->data + event_type_len + 1, body, body_len);
	if (cause != NULL) {
		m->cause_seq = cause->seq;
		m->cause_type_len = cause->type->name_len;
		m->cause_id_len = (uint8_t)cause->id_len;
		char *p = (char *)hsi_msg_cause_type(m);
		memcpy(p, cause->type->name, m->cause_type_len + 1);
		memcpy(p + m->cause_type_len + 1, cause->id, cause->id_len);
		p[m->cause_type_len + 1 + cause->id_len] = '\0';
	}
	return m;
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
