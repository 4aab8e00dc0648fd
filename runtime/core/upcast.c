#include "core/upcast.h"

#include <stdio.h>
#include <string.h>

void hsi_upcast_free(hsi_upcast *u)
{
	hs_buf_free(&u->b[0]);
	hs_buf_free(&u->b[1]);
}

/* The event upcaster of t for `event` from `from`: its own, else the
 * type's catch-all (event NULL); NULL when neither exists. */
static const hs_upcaster *find_event(const hsi_type *t, const char *event,
				     uint32_t from)
{
	const hs_upcaster *any = NULL;
	for (size_t i = 0; i < t->def.event_upcasters_len; i++) {
		const hs_upcaster *u = &t->def.event_upcasters[i];
		if (u->from_version != from)
			continue;
		if (u->event == NULL)
			any = u;
		else if (strcmp(u->event, event) == 0)
			return u;
	}
	return any;
}

static const hs_upcaster *find_state(const hsi_type *t, uint32_t from)
{
	for (size_t i = 0; i < t->def.state_upcasters_len; i++)
		if (t->def.state_upcasters[i].from_version == from)
			return &t->def.state_upcasters[i];
	return NULL;
}

/* Runs the chain from `version` to `to`; event NULL: a state. */
static int chain(const hsi_type *t, const char *event, uint32_t version,
		 uint32_t to, const void *data, size_t len, hsi_upcast *u,
		 const void **out, size_t *out_len, char *why, size_t cap)
{
	const char *what = event != NULL ? "event" : "state";
	char name[HS_NAME_MAX + 16] = "";
	if (event != NULL)
		snprintf(name, sizeof(name), " '%s'", event);
	if (version > to) {
		snprintf(why, cap,
			 "%s%s of type '%s' was recorded at %s version %u, "
			 "newer than the code's %u",
			 what, name, t->name, what, (unsigned)version,
			 (unsigned)to);
		return HS_ESCHEMA;
	}
	const void *p = data;
	size_t n = len;
	int k = 0;
	for (uint32_t v = version; v < to; v++) {
		const hs_upcaster *up = event != NULL ? find_event(t, event, v)
						      : find_state(t, v);
		if (up == NULL) {
			snprintf(why, cap,
				 "%s%s of type '%s' was recorded at %s "
				 "version %u and has no upcaster from version "
				 "%u to %u (the code is at %s version %u)",
				 what, name, t->name, what, (unsigned)version,
				 (unsigned)v, (unsigned)v + 1, what,
				 (unsigned)to);
			return HS_ESCHEMA;
		}
		if (up->fn == NULL)
			continue; /* unchanged at this step */
		hs_buf *b = &u->b[k];
		k ^= 1;
		hs_buf_reset(b);
		int rc = up->fn(event, p, n, b, t->def.udata);
		if (rc == 0 && b->len != 0 && hs_msgpack_check(b->data, b->len))
			rc = HS_EBADMSG;
		if (rc != 0) {
			snprintf(why, cap,
				 "upcaster of %s%s of type '%s' from version "
				 "%u to %u failed: %s",
				 what, name, t->name, (unsigned)v,
				 (unsigned)v + 1, hs_strerror(rc));
			return HS_ESCHEMA;
		}
		p = b->len != 0 ? b->data : NULL;
		n = b->len;
	}
	*out = p;
	*out_len = n;
	return 0;
}

int hsi_upcast_event(const hsi_type *t, const char *event, uint32_t version,
		     const void *body, size_t len, hsi_upcast *u,
		     const void **out, size_t *out_len, char *why, size_t cap)
{
	return chain(t, event, version, t->def.event_version, body, len, u,
		     out, out_len, why, cap);
}

int hsi_upcast_state(const hsi_type *t, uint32_t version, const void *data,
		     size_t len, hsi_upcast *u, const void **out,
		     size_t *out_len, char *why, size_t cap)
{
	return chain(t, NULL, version, t->def.state_version, data, len, u,
		     out, out_len, why, cap);
}
