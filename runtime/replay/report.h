/* Helpers shared by verify and what-if: states as NUL-terminated JSON
 * text, type lookups that explain a miss (records named for people are in
 * codec/record_names.h). */
#ifndef HS_REPLAY_REPORT_H
#define HS_REPLAY_REPORT_H

#include <stdlib.h>
#include <string.h>

#include "codec/record_names.h"
#include "common/buf.h"
#include "core/rebuild.h"
#include "core/upcast.h"
#include "core/types.h"

/*
 * Puts the JSON text of one msgpack value, NUL-terminated, in `out`
 * (reset first) and points *text at it. An empty or malformed value gives
 * *text NULL and 0: reports show such a state as unknown. Returns 0 or
 * HS_ENOMEM.
 */
static inline int hsi_json_text(hs_buf *out, const void *mp, size_t len,
				const char **text)
{
	*text = NULL;
	hs_buf_reset(out);
	if (mp == NULL || len == 0)
		return 0;
	int rc = hs_json(out, mp, len, 0);
	if (rc == HS_EBADMSG)
		return 0;
	if (rc == 0)
		rc = hsi_buf_append(out, "", 1);
	if (rc != 0)
		return rc;
	*text = (const char *)out->data;
	return 0;
}

/* hs_json_diff(old, new) as NUL-terminated text in out, as hsi_json_text:
 * NULL when either side is empty or malformed. */
static inline int hsi_json_diff_text(hs_buf *out, const void *old_mp,
				     size_t old_len, const void *new_mp,
				     size_t new_len, const char **text)
{
	*text = NULL;
	hs_buf_reset(out);
	if (old_mp == NULL || old_len == 0 || new_mp == NULL || new_len == 0)
		return 0;
	int rc = hs_json_diff(out, old_mp, old_len, new_mp, new_len);
	if (rc == HS_EBADMSG)
		return 0;
	if (rc == 0)
		rc = hsi_buf_append(out, "", 1);
	if (rc != 0)
		return rc;
	*text = (const char *)out->data;
	return 0;
}

/* Encodes a state into out (reset first). A state that cannot be encoded
 * is empty, as the live runtime logs it (core/turn.c). */
static inline void hsi_encode_state(const hsi_type *t, const void *state,
				    hs_buf *out)
{
	hs_buf_reset(out);
	if (t->def.encode(state, out, t->def.udata) != 0)
		hs_buf_reset(out);
}

/* The registered type named by [name, name+len); on a miss, HS_ENOTYPE
 * with hs_last_error naming the type and `where` (may be ""). */
static inline int hsi_replay_type(hs_runtime *rt, const char *name, size_t len,
				  const char *where, const hsi_type **out)
{
	char s[HS_NAME_MAX + 1];
	hsi_copy_name(s, sizeof(s), name, len);
	const hsi_type *t = len <= HS_NAME_MAX ? hsi_type_find(rt, s) : NULL;
	if (t == NULL) {
		hsi_set_error(rt,
			      "agent type '%s'%s%s is not registered: "
			      "replay needs its code",
			      s, where[0] ? " " : "", where);
		return HS_ENOTYPE;
	}
	*out = t;
	return 0;
}

/* A zeroed state of type t, set up by its init. Returns 0, HS_ENOMEM or
 * init's error (nothing allocated then). */
static inline int hsi_state_new(const hsi_type *t, const char *id, void **out)
{
	void *state = calloc(1, t->def.state_size);
	if (state == NULL)
		return HS_ENOMEM;
	if (t->def.init != NULL) {
		hs_addr self = {t->name, id};
		int rc = t->def.init(state, &self, t->def.udata);
		if (rc != 0) {
			free(state);
			return rc < 0 ? rc : HS_EHANDLER;
		}
	}
	*out = state;
	return 0;
}

/* Runs the type's destroy and frees the state. Accepts NULL. */
static inline void hsi_state_free(const hsi_type *t, void *state)
{
	if (state == NULL)
		return;
	if (t->def.destroy != NULL)
		t->def.destroy(state, t->def.udata);
	free(state);
}

#endif /* HS_REPLAY_REPORT_H */
