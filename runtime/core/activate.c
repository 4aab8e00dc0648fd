/* Rebuilding an agent that is not in memory from its log. */
#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "core/ctx.h"

typedef struct loader {
	hs_runtime *rt;
	hsi_agent *agent;
	hs_buf rec;
	int64_t last_time;
} loader;

/* Applies one recorded event as replay: effects suppressed. */
static int replay_one(void *p, uint64_t seq, uint64_t gseq)
{
	loader *l = p;
	hs_runtime *rt = l->rt;
	hsi_agent *a = l->agent;
	const hsi_type *t = a->type;

	if (seq != a->seq + 1) {
		hsi_set_error(rt, "%s: index of %s/%s jumps from seq %llu to "
				  "%llu",
			      hsi_log_path(rt->log), t->name, a->id,
			      (unsigned long long)a->seq,
			      (unsigned long long)seq);
		return HS_ECORRUPT;
	}
	hs_buf_reset(&l->rec);
	int rc = hsi_log_get_event(rt->log, gseq, &l->rec);
	if (rc != 0) {
		hsi_set_error(rt, "%s: %s/%s seq %llu: index points to gseq "
				  "%llu, which %s",
			      hsi_log_path(rt->log), t->name, a->id,
			      (unsigned long long)seq, (unsigned long long)gseq,
			      rc == HS_ENOTFOUND ? "is missing"
						 : "cannot be read");
		return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
	}
	hsi_record r;
	rc = hsi_record_decode(l->rec.data, l->rec.len, &r);
	if (rc == 0 && (r.seq != seq || r.gseq != gseq ||
			r.type_len != t->name_len ||
			memcmp(r.type, t->name, r.type_len) != 0 ||
			r.id_len != a->id_len ||
			memcmp(r.id, a->id, r.id_len) != 0))
		rc = HS_ECORRUPT;
	if (rc != 0) {
		hsi_set_error(rt, "%s: events key %016llx (%s/%s seq %llu): %s",
			      hsi_log_path(rt->log), (unsigned long long)gseq,
			      t->name, a->id, (unsigned long long)seq,
			      rc == HS_EVERSION ? "record of a newer format"
						: "record does not decode or "
						  "does not match its index");
		return rc;
	}

	char event_type[HS_NAME_MAX + 1];
	if (r.event_type_len > HS_NAME_MAX) {
		hsi_set_error(rt, "%s: events key %016llx: event type too long",
			      hsi_log_path(rt->log), (unsigned long long)gseq);
		return HS_ECORRUPT;
	}
	memcpy(event_type, r.event_type, r.event_type_len);
	event_type[r.event_type_len] = '\0';
	hs_event ev = {event_type, r.body, r.body_len};
	hs_ctx ctx = {
		.rt = rt,
		.type = t,
		.id = a->id,
		.id_len = a->id_len,
		.seq = seq,
		.now = r.time_ns,
		.replaying = true,
	};
	ctx.effects_tail = &ctx.effects;
	rc = t->def.apply(&ctx, a->state, &ev);
	if (rc != HS_CHANGED) {
		hsi_set_error(rt, "%s: rebuilding %s/%s: seq %llu (gseq %llu, "
				  "'%s') was recorded as a change but apply "
				  "now returns %d%s%s",
			      hsi_log_path(rt->log), t->name, a->id,
			      (unsigned long long)seq, (unsigned long long)gseq,
			      event_type, rc, ctx.error[0] ? ": " : "",
			      ctx.error);
		return rc < 0 ? rc : HS_EHANDLER;
	}
	a->seq = seq;
	l->last_time = r.time_ns;
	return 0;
}

static int load_snapshot(hs_runtime *rt, hsi_agent *a, uint64_t last_seq,
			 uint64_t *snap_seq)
{
	const hsi_type *t = a->type;
	hs_buf state = HS_BUF_INIT;
	int rc = hsi_log_snapshot_at(rt->log, t->name, t->name_len, a->id,
				     a->id_len, last_seq, snap_seq, &state);
	if (rc == HS_ENOTFOUND) {
		*snap_seq = 0;
		rc = 0;
		if (t->def.init != NULL) {
			hs_addr self = {t->name, a->id};
			rc = t->def.init(a->state, &self, t->def.udata);
		}
	} else if (rc == 0) {
		rc = t->def.decode(a->state, state.data, state.len,
				   t->def.udata);
		if (rc != 0) {
			hsi_set_error(rt, "%s: snapshot of %s/%s at seq %llu "
					  "does not decode (%d)",
				      hsi_log_path(rt->log), t->name, a->id,
				      (unsigned long long)*snap_seq, rc);
			rc = HS_ECORRUPT;
		}
	} else {
		hsi_set_log_error(rt);
	}
	hs_buf_free(&state);
	return rc;
}

int hsi_agent_load(hs_runtime *rt, const hsi_type *type, const char *id,
		   size_t id_len, uint32_t hash, hsi_agent **out)
{
	if (rt->log == NULL)
		return HS_ENOAGENT;
	uint64_t last_seq = 0, last_gseq = 0;
	int rc = hsi_log_agent_last(rt->log, type->name, type->name_len, id,
				    id_len, &last_seq, &last_gseq);
	if (rc == HS_ENOTFOUND)
		return HS_ENOAGENT;
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}

	hsi_agent *a;
	rc = hsi_agent_new(type, id, id_len, hash, false, &a);
	if (rc != 0)
		return rc;
	uint64_t snap_seq;
	rc = load_snapshot(rt, a, last_seq, &snap_seq);
	a->seq = snap_seq;
	loader l = {rt, a, HS_BUF_INIT, 0};
	if (rc == 0 && snap_seq < last_seq)
		rc = hsi_log_scan_agent(rt->log, type->name, type->name_len,
					id, id_len, snap_seq + 1, last_seq,
					replay_one, &l);
	if (rc == 0 && snap_seq == last_seq) {
		/* Only the time is missing: it is in the last record. */
		rc = hsi_log_get_event(rt->log, last_gseq, &l.rec);
		hsi_record r;
		if (rc == 0 && hsi_record_decode(l.rec.data, l.rec.len, &r) == 0)
			l.last_time = r.time_ns;
		else if (rc == 0)
			rc = HS_ECORRUPT;
		if (rc != 0)
			hsi_set_error(rt, "%s: events key %016llx (%s/%s seq "
					  "%llu) cannot be read",
				      hsi_log_path(rt->log),
				      (unsigned long long)last_gseq,
				      type->name, a->id,
				      (unsigned long long)last_seq);
		a->seq = last_seq;
	}
	if (rc == 0 && a->seq != last_seq) {
		hsi_set_error(rt, "%s: index of %s/%s ends at seq %llu but "
				  "only %llu entries were found",
			      hsi_log_path(rt->log), type->name, a->id,
			      (unsigned long long)last_seq,
			      (unsigned long long)a->seq);
		rc = HS_ECORRUPT;
	}
	hs_buf_free(&l.rec);
	if (rc != 0) {
		hsi_agent_free(a);
		return rc;
	}
	a->last_time = l.last_time;
	*out = a;
	return 0;
}
