/* hs_replay_effects: what a recorded transition's handler sends and sets
 * when it runs again with today's code. */
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/runtime.h"
#include "replay/report.h"

static int tell(hsi_effect *e, hs_effect_fn fn, void *udata)
{
	for (; e != NULL; e = e->next) {
		const hsi_msg *m = e->msg;
		bool timer = m->tail_kind == HSI_TAIL_TIMER;
		hs_effect_info info = {
			.to = {e->type->name, e->id},
			.event_type = hsi_msg_event_type(m),
			.body = m->body_len != 0 ? hsi_msg_body(m) : NULL,
			.body_len = m->body_len,
			.timer = timer ? hsi_msg_tail(m) : NULL,
			.due_ns = timer ? m->time_ns : 0,
		};
		int rc = fn(udata, &info);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int hs_replay_effects(hs_runtime *rt, const char *type, const char *id,
		      uint64_t seq, hs_effect_fn fn, void *udata)
{
	if (rt == NULL || type == NULL || id == NULL || seq == 0 ||
	    fn == NULL)
		return HS_EINVAL;
	if (rt->log == NULL)
		return HS_ENOTSUP;
	size_t id_len = strnlen(id, HS_ID_MAX + 1);
	if (id_len == 0 || id_len > HS_ID_MAX)
		return HS_EINVAL;
	const hsi_type *t;
	int rc = hsi_replay_type(rt, type, strnlen(type, HS_NAME_MAX + 1), "",
				 &t);
	if (rc != 0)
		return rc;
	uint64_t gseq;
	int64_t time_ns;
	rc = hsi_log_index_get(rt->log, t->name, t->name_len, id, id_len, seq,
			       &gseq, &time_ns);
	if (rc == HS_ENOTFOUND)
		return HS_ENOAGENT;
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	void *state = NULL;
	if (seq == 1) {
		rc = hsi_state_new(t, id, &state);
	} else if ((state = calloc(1, t->def.state_size)) == NULL) {
		rc = HS_ENOMEM;
	} else {
		rc = hsi_rebuild(rt, t, id, id_len, seq - 1, state, NULL, NULL);
	}
	hs_buf buf = HS_BUF_INIT;
	hsi_record r;
	hsi_effect *sent = NULL;
	char msg[256] = "";
	if (rc == 0)
		rc = hsi_read_record(rt, gseq, t, id, id_len, seq, &buf, &r);
	if (rc == 0) {
		rc = hsi_replay_apply(rt, t, id, id_len, state, &r, &sent, msg,
				      sizeof(msg));
		if (rc == HS_CHANGED) {
			rc = 0;
		} else {
			hsi_set_error(rt, "%s/%s seq %llu was recorded as a "
					  "change but apply now returns %d%s%s",
				      t->name, id, (unsigned long long)seq, rc,
				      msg[0] ? ": " : "", msg);
			rc = rc < 0 ? rc : HS_EHANDLER;
		}
	}
	if (rc == 0)
		rc = tell(sent, fn, udata);
	hsi_effects_free(sent);
	hs_buf_free(&buf);
	if (state != NULL)
		hsi_state_free(t, state);
	return rc;
}
