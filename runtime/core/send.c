#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "core/runtime.h"

int hsi_check_addr(hs_runtime *rt, const char *type, const char *id,
		   const hsi_type **out_type, size_t *id_len)
{
	if (type == NULL || id == NULL)
		return HS_EINVAL;
	size_t n = strnlen(id, HS_ID_MAX + 1);
	if (n == 0 || type[0] == '\0')
		return HS_EINVAL;
	if (n > HS_ID_MAX)
		return HS_ETOOLONG;
	const hsi_type *t = hsi_type_find(rt, type);
	if (t == NULL)
		return strnlen(type, HS_NAME_MAX + 1) > HS_NAME_MAX
			       ? HS_ETOOLONG
			       : HS_ENOTYPE;
	*out_type = t;
	*id_len = n;
	return 0;
}

int hsi_msg_build(const char *event_type, const void *body, size_t len,
		  hsi_msg **out)
{
	if (event_type == NULL || event_type[0] == '\0' ||
	    (body == NULL && len != 0))
		return HS_EINVAL;
	size_t type_len = strnlen(event_type, HS_NAME_MAX + 1);
	if (type_len > HS_NAME_MAX)
		return HS_ETOOLONG;
	if (len > UINT32_MAX)
		return HS_ETOOLONG;
	if (len != 0 && hs_msgpack_check(body, len) != 0)
		return HS_EBADMSG;
	hsi_msg *m = hsi_msg_new(event_type, type_len, body, (uint32_t)len);
	if (m == NULL)
		return HS_ENOMEM;
	*out = m;
	return 0;
}

int hsi_deliver(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m)
{
	uint32_t hash = hsi_registry_hash(type, id, id_len);
	hsi_shard *s = hsi_registry_shard(&rt->registry, hash);

	pthread_mutex_lock(&s->mu);
	hsi_agent *a = hsi_registry_find(s, type, id, id_len, hash);
	if (a == NULL) {
		/* init() is user code: run it without the shard lock, then
		 * look again in case another sender created the agent. */
		pthread_mutex_unlock(&s->mu);
		hsi_agent *fresh;
		int rc = hsi_agent_new(type, id, id_len, hash, &fresh);
		if (rc != 0)
			return rc;
		pthread_mutex_lock(&s->mu);
		a = hsi_registry_find(s, type, id, id_len, hash);
		if (a == NULL) {
			rc = hsi_registry_insert(s, fresh);
			if (rc != 0) {
				pthread_mutex_unlock(&s->mu);
				hsi_agent_free(fresh);
				return rc;
			}
			a = fresh;
		} else {
			hsi_agent_free(fresh);
		}
	}
	bool schedule = hsi_mailbox_push(&a->mbox, &m->node);
	pthread_mutex_unlock(&s->mu);
	if (schedule)
		hsi_activate(rt, a);
	return 0;
}

int hs_send(hs_runtime *rt, const char *type, const char *id,
	    const char *event_type, const void *body, size_t len)
{
	if (rt == NULL)
		return HS_EINVAL;
	/* seq_cst, pairs with the closing store in hs_close. */
	atomic_fetch_add(&rt->senders, 1);
	int rc = HS_ECLOSED;
	if (atomic_load(&rt->closing))
		goto out;
	const hsi_type *t;
	size_t id_len;
	hsi_msg *m;
	rc = hsi_check_addr(rt, type, id, &t, &id_len);
	if (rc == 0)
		rc = hsi_msg_build(event_type, body, len, &m);
	if (rc == 0) {
		rc = hsi_deliver(rt, t, id, id_len, m);
		if (rc != 0)
			free(m);
	}
out:
	atomic_fetch_sub(&rt->senders, 1);
	return rc;
}

int hs_sendf(hs_runtime *rt, const char *type, const char *id,
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
		rc = hs_send(rt, type, id, event_type, body.data, body.len);
	hs_buf_free(&body);
	return rc;
}

hsi_agent *hsi_agent_find(hs_runtime *rt, const char *type, const char *id,
			  int *err)
{
	const hsi_type *t;
	size_t id_len;
	*err = hsi_check_addr(rt, type, id, &t, &id_len);
	if (*err != 0)
		return NULL;
	hsi_agent *a = hsi_registry_lookup(&rt->registry, t, id, id_len);
	if (a == NULL)
		*err = HS_ENOAGENT;
	return a;
}
