#include "core/rebuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctx.h"
#include "core/runtime.h"
#include "core/upcast.h"

int hsi_replay_apply(hs_runtime *rt, const hsi_type *t, const char *id,
		     size_t id_len, void *state, const hsi_record *r,
		     hsi_effect **capture, char *errmsg, size_t errcap)
{
	hsi_event_name name;
	if (r->event_type_len > HS_NAME_MAX)
		return HS_ECORRUPT;
	memcpy(name.s, r->event_type, r->event_type_len);
	name.s[r->event_type_len] = '\0';
	hs_event ev = {name.s, r->body, r->body_len};
	hsi_upcast up = HSI_UPCAST_INIT;
	if (r->event_version != t->def.event_version && r->event_version != 0) {
		char why[256];
		const void *body;
		size_t len;
		int rc = hsi_upcast_event(t, name.s, r->event_version, r->body,
					  r->body_len, &up, &body, &len, why,
					  sizeof(why));
		if (rc != 0) {
			hsi_upcast_free(&up);
			if (errmsg != NULL && errcap != 0)
				snprintf(errmsg, errcap, "%s", why);
			return rc;
		}
		ev.body = body;
		ev.len = len;
	}
	hs_ctx ctx;
	hsi_ctx_init(&ctx, rt, t, id, id_len, r->seq);
	ctx.now = r->time_ns;
	ctx.has_now = true;
	ctx.replaying = true;
	ctx.capture = capture != NULL;
	int rc = t->def.apply(&ctx, state, &ev);
	hsi_upcast_free(&up);
	if (rc == HS_ESCHEMA)
		rc = HS_EHANDLER; /* HS_ESCHEMA means the upcast failed */
	if (errmsg != NULL && errcap != 0) {
		size_t n = strnlen(ctx.error, sizeof(ctx.error));
		if (n >= errcap)
			n = errcap - 1;
		memcpy(errmsg, ctx.error, n);
		errmsg[n] = '\0';
	}
	if (capture != NULL && rc == HS_CHANGED) {
		while (*capture != NULL)
			capture = &(*capture)->next;
		*capture = ctx.effects.head;
	} else {
		hsi_effects_free(ctx.effects.head);
	}
	return rc;
}

int hsi_check_record(hs_runtime *rt, uint64_t gseq, const hsi_type *t,
		     const char *id, size_t id_len, uint64_t seq,
		     const void *data, size_t len, hsi_record *r)
{
	int rc = hsi_record_decode(data, len, r);
	if (rc == 0 && r->gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc == 0 && t != NULL &&
	    (r->type_len != t->name_len ||
	     memcmp(r->type, t->name, r->type_len) != 0 ||
	     r->id_len != id_len || memcmp(r->id, id, id_len) != 0 ||
	     (seq != 0 && r->seq != seq)))
		rc = HS_ECORRUPT;
	if (rc != 0)
		hsi_set_error(rt, "%s: events key %016llx: %s",
			      hsi_log_path(rt->log), (unsigned long long)gseq,
			      rc == HS_EVERSION
				      ? "record of a newer format"
				      : "record does not decode or does not "
					"match its index entry");
	return rc;
}

int hsi_read_record(hs_runtime *rt, uint64_t gseq, const hsi_type *t,
		    const char *id, size_t id_len, uint64_t seq, hs_buf *buf,
		    hsi_record *r)
{
	hs_buf_reset(buf);
	int rc = hsi_log_get_event(rt->log, gseq, buf);
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
	}
	return hsi_check_record(rt, gseq, t, id, id_len, seq, buf->data,
				buf->len, r);
}

/* Index entries are gathered and their records read in batches of this
 * many: one multi-get shares block reads that point lookups repeat. */
#define BATCH 256

typedef struct rebuilder {
	hs_runtime *rt;
	const hsi_type *t;
	const char *id;
	size_t id_len;
	void *state;
	uint64_t seq;       /* applied so far */
	uint64_t indexed;   /* seen in the index so far */
	int64_t time_ns;
	int apply_rc; /* apply's error, kept apart from the log's */
	size_t n;
	uint64_t seqs[BATCH];
	uint64_t gseqs[BATCH];
} rebuilder;

static int apply_record(void *p, size_t i, const void *data, size_t len)
{
	rebuilder *b = p;
	hs_runtime *rt = b->rt;
	uint64_t seq = b->seqs[i], gseq = b->gseqs[i];
	hsi_record r;
	int rc = hsi_check_record(rt, gseq, b->t, b->id, b->id_len, seq, data,
				  len, &r);
	if (rc != 0)
		return rc;
	char msg[256];
	rc = hsi_replay_apply(rt, b->t, b->id, b->id_len, b->state, &r, NULL,
			      msg, sizeof(msg));
	if (rc == HS_ESCHEMA) {
		hsi_set_error(rt, "%s: rebuilding %s/%s: seq %llu (gseq %llu): "
				  "%s",
			      hsi_log_path(rt->log), b->t->name, b->id,
			      (unsigned long long)seq, (unsigned long long)gseq,
			      msg);
		b->apply_rc = rc;
		return rc;
	}
	if (rc != HS_CHANGED) {
		hsi_set_error(rt, "%s: rebuilding %s/%s: seq %llu (gseq %llu, "
				  "'%.*s') was recorded as a change but apply "
				  "now returns %d%s%s",
			      hsi_log_path(rt->log), b->t->name, b->id,
			      (unsigned long long)seq, (unsigned long long)gseq,
			      (int)r.event_type_len, r.event_type, rc,
			      msg[0] ? ": " : "", msg);
		b->apply_rc = rc < 0 ? rc : HS_EHANDLER;
		return b->apply_rc;
	}
	b->seq = seq;
	b->time_ns = r.time_ns;
	return 0;
}

static int flush(rebuilder *b)
{
	int rc = hsi_log_get_events(b->rt->log, b->gseqs, b->n, apply_record,
				    b);
	b->n = 0;
	if (b->apply_rc != 0)
		return b->apply_rc; /* apply's own, with its text set */
	if (rc == HS_ENOTFOUND) {
		hsi_set_log_error(b->rt);
		rc = HS_ECORRUPT; /* the index points to nothing */
	} else if (rc == HS_EIO || rc == HS_ENOMEM) {
		hsi_set_log_error(b->rt);
	}
	b->n = 0;
	return rc;
}

static int gather(void *p, uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	rebuilder *b = p;
	(void)time_ns;
	if (seq != b->indexed + 1) {
		hsi_set_error(b->rt, "%s: index of %s/%s jumps from seq %llu "
				     "to %llu",
			      hsi_log_path(b->rt->log), b->t->name, b->id,
			      (unsigned long long)b->indexed,
			      (unsigned long long)seq);
		return HS_ECORRUPT;
	}
	b->indexed = seq;
	b->seqs[b->n] = seq;
	b->gseqs[b->n++] = gseq;
	return b->n == BATCH ? flush(b) : 0;
}

/* The state version of the snapshot at snap_seq: that of its record, or
 * of the base entry that stands for an archived one. */
static int snapshot_version(hs_runtime *rt, const hsi_type *t,
			    const char *id, size_t id_len, uint64_t snap_seq,
			    uint32_t *version)
{
	uint64_t gseq;
	int64_t time_ns;
	int rc = hsi_log_index_get(rt->log, t->name, t->name_len, id, id_len,
				   snap_seq, &gseq, &time_ns);
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
	}
	if (gseq <= hsi_log_base_gseq(rt->log)) {
		hsi_log_base base;
		rc = hsi_log_agent_base(rt->log, t->name, t->name_len, id,
					id_len, &base);
		if (rc == 0 && base.seq != snap_seq)
			rc = HS_ENOTFOUND;
		if (rc != 0) {
			if (rc == HS_ENOTFOUND)
				hsi_set_error(rt, "%s: index of %s/%s: seq %llu "
						  "is archived but not the "
						  "agent's base",
					      hsi_log_path(rt->log), t->name,
					      id, (unsigned long long)snap_seq);
			else
				hsi_set_log_error(rt);
			return HS_ECORRUPT;
		}
		*version = base.state_version;
		return 0;
	}
	hs_buf buf = HS_BUF_INIT;
	hsi_record r;
	rc = hsi_read_record(rt, gseq, t, id, id_len, snap_seq, &buf, &r);
	if (rc == 0)
		*version = r.state_version;
	hs_buf_free(&buf);
	return rc;
}

/* True when the snapshot at seq is the agent's base: there is nothing
 * before it to rebuild from. */
static bool is_base(hs_runtime *rt, const hsi_type *t, const char *id,
		    size_t id_len, uint64_t seq)
{
	hsi_log_base base;
	return hsi_log_agent_base(rt->log, t->name, t->name_len, id, id_len,
				  &base) == 0 &&
	       base.seq == seq;
}

int hsi_archived_or(hs_runtime *rt, const hsi_type *t, const char *id,
		       size_t id_len, uint64_t seq, int rc)
{
	hsi_log_base base;
	int brc = hsi_log_agent_base(rt->log, t->name, t->name_len, id, id_len,
				     &base);
	if (brc == 0 && seq < base.seq) {
		hsi_set_error(rt, "%s: %s/%s seq %llu is archived: the log "
				  "holds this agent from seq %llu (the cut "
				  "after gseq %llu)",
			      hsi_log_path(rt->log), t->name, id,
			      (unsigned long long)seq,
			      (unsigned long long)base.seq,
			      (unsigned long long)hsi_log_base_gseq(rt->log));
		return HS_EARCHIVED;
	}
	if (brc != 0 && brc != HS_ENOTFOUND) {
		hsi_set_log_error(rt);
		return brc;
	}
	return rc;
}

static int init_state(hs_runtime *rt, const hsi_type *t, const char *id,
		      void *state)
{
	(void)rt;
	if (t->def.init == NULL)
		return 0;
	hs_addr self = {t->name, id};
	int rc = t->def.init(state, &self, t->def.udata);
	if (rc != 0) {
		/* As when a live agent's init fails: what it built is its
		 * own to undo; destroy sees a zeroed state. */
		memset(state, 0, t->def.state_size);
		rc = rc < 0 ? rc : HS_EHANDLER;
	}
	return rc;
}

int hsi_load_start(hs_runtime *rt, const hsi_type *t, const char *id,
		   size_t id_len, uint64_t max_seq, void *state,
		   uint64_t *seq)
{
	hs_buf snap = HS_BUF_INIT;
	uint64_t snap_seq = 0;
	uint32_t version = 1;
	*seq = 0;
	int rc = hsi_log_snapshot_at(rt->log, t->name, t->name_len, id,
				     id_len, max_seq, &snap_seq, &snap);
	if (rc != 0 && rc != HS_ENOTFOUND)
		hsi_set_log_error(rt);
	/* Only a type that changed its state's shape pays for reading the
	 * snapshot's record. */
	if (rc == 0 && t->def.state_version > 1)
		rc = snapshot_version(rt, t, id, id_len, snap_seq, &version);
	const void *data = snap.data;
	size_t len = snap.len;
	hsi_upcast up = HSI_UPCAST_INIT;
	if (rc == 0 && version != t->def.state_version) {
		char why[256];
		if (version > t->def.state_version ||
		    t->def.old_snapshots != HS_OLD_SNAPSHOTS_UPCAST) {
			rc = HS_ENOTFOUND; /* ignored: rebuilt from events */
			if (is_base(rt, t, id, id_len, snap_seq)) {
				hsi_set_error(rt, "%s: the base of %s/%s (seq "
						  "%llu, the state before "
						  "the log's cut) has state "
						  "version %u and the type "
						  "cannot read it (version "
						  "%u, no state upcaster "
						  "from it): the events "
						  "before it are archived",
					      hsi_log_path(rt->log), t->name,
					      id, (unsigned long long)snap_seq,
					      (unsigned)version,
					      (unsigned)t->def.state_version);
				rc = HS_ESCHEMA;
			}
		} else if ((rc = hsi_upcast_state(t, version, snap.data,
						  snap.len, &up, &data, &len,
						  why, sizeof(why))) != 0) {
			hsi_set_error(rt, "%s: snapshot of %s/%s at seq %llu: "
					  "%s",
				      hsi_log_path(rt->log), t->name, id,
				      (unsigned long long)snap_seq, why);
		}
	}
	if (rc == HS_ENOTFOUND) {
		rc = init_state(rt, t, id, state);
	} else if (rc == 0) {
		rc = t->def.decode(state, data, len, t->def.udata);
		if (rc != 0) {
			hsi_set_error(rt, "%s: snapshot of %s/%s at seq %llu "
					  "does not decode (%d)",
				      hsi_log_path(rt->log), t->name, id,
				      (unsigned long long)snap_seq, rc);
			rc = HS_ECORRUPT;
		} else {
			*seq = snap_seq;
		}
	}
	hsi_upcast_free(&up);
	hs_buf_free(&snap);
	return rc;
}

static int load_snapshot(rebuilder *b, uint64_t to_seq)
{
	return hsi_load_start(b->rt, b->t, b->id, b->id_len, to_seq, b->state,
			      &b->seq);
}

int hsi_rebuild(hs_runtime *rt, const hsi_type *t, const char *id,
		size_t id_len, uint64_t to_seq, void *state, uint64_t *gseq,
		int64_t *time_ns)
{
	rebuilder *b = malloc(sizeof(*b));
	if (b == NULL)
		return HS_ENOMEM;
	*b = (rebuilder){.rt = rt, .t = t, .id = id, .id_len = id_len,
			 .state = state};
	uint64_t last_gseq;
	int64_t last_time;
	int rc = hsi_log_index_get(rt->log, t->name, t->name_len, id, id_len,
				   to_seq, &last_gseq, &last_time);
	if (rc == HS_ENOTFOUND)
		rc = hsi_archived_or(rt, t, id, id_len, to_seq, HS_ENOAGENT);
	else if (rc != 0)
		hsi_set_log_error(rt);
	if (rc == 0)
		rc = load_snapshot(b, to_seq);
	b->indexed = b->seq;
	if (rc == 0 && b->seq < to_seq) {
		rc = hsi_log_scan_agent(rt->log, t->name, t->name_len, id,
					id_len, b->seq + 1, to_seq, gather, b);
		if (rc == 0 && b->n != 0)
			rc = flush(b);
		else if (b->apply_rc == 0 && (rc == HS_EIO || rc == HS_ENOMEM))
			hsi_set_log_error(rt);
	}
	if (rc == 0 && b->seq != to_seq) {
		hsi_set_error(rt, "%s: index of %s/%s has seq %llu but stops "
				  "at %llu before it",
			      hsi_log_path(rt->log), t->name, id,
			      (unsigned long long)to_seq,
			      (unsigned long long)b->seq);
		rc = HS_ECORRUPT;
	}
	free(b);
	if (rc != 0)
		return rc;
	if (gseq != NULL)
		*gseq = last_gseq;
	if (time_ns != NULL)
		*time_ns = last_time;
	return 0;
}
