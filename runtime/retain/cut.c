#include "retain/cut.h"

#include <string.h>

#include "codec/record.h"
#include "codec/record_names.h"
#include "core/rebuild.h"
#include "core/runtime.h"
#include "replay/report.h"

typedef struct cutter {
	hs_runtime *rt;
	hsi_log *wlog;
	hsi_log_batch *b;
	uint64_t before;
	hs_buf state;
	hs_buf rec;
	hsi_cut_report report;
} cutter;

/* The hash of the rebuilt state must be the recorded one: a cut makes
 * today's state the only one left, so it must be history's. */
static int check_hash(cutter *c, const hsi_type *t, const char *id,
		      size_t id_len, const hs_receipt *at, uint64_t hash)
{
	hsi_record r;
	int rc = hsi_read_record(c->rt, at->gseq, t, id, id_len, at->seq,
				 &c->rec, &r);
	if (rc != 0)
		return rc;
	if (r.state_version != t->def.state_version) {
		c->report.unchecked++;
		return 0;
	}
	if (r.state_hash == hash)
		return 0;
	hsi_set_error(c->rt, "%s: %s/%s seq %llu (gseq %llu): today's code "
			     "rebuilds a state whose hash %016llx is not the "
			     "recorded %016llx; a cut would keep today's "
			     "state as the only one (hindsight verify shows "
			     "where code and history part)",
		      hsi_log_path(c->rt->log), t->name, id,
		      (unsigned long long)at->seq,
		      (unsigned long long)at->gseq, (unsigned long long)hash,
		      (unsigned long long)r.state_hash);
	return HS_EHANDLER;
}

static int on_agent(void *p, const char *type, size_t type_len,
		    const char *id, size_t id_len, uint64_t last_seq)
{
	cutter *c = p;
	hs_runtime *rt = c->rt;
	char tname[HS_NAME_MAX + 1], iname[HS_ID_MAX + 1];
	(void)last_seq;
	hsi_copy_name(tname, sizeof(tname), type, type_len);
	hsi_copy_name(iname, sizeof(iname), id, id_len);

	/* Its transition in force at the cut, and the state there. */
	hs_receipt at;
	hs_buf_reset(&c->state);
	int rc = hs_state_at(rt, tname, iname,
			     (hs_point){.kind = HS_POINT_GSEQ,
					.seq = c->before - 1},
			     &c->state, &at);
	if (rc == HS_ENOAGENT)
		return 0; /* born after the cut */
	if (rc == HS_ENOTYPE)
		hsi_set_error(rt, "agent %s/%s has transitions before the cut, "
				  "and its type '%s' is not registered: its "
				  "base state needs the type's code",
			      tname, iname, tname);
	if (rc != 0)
		return rc;
	if (at.gseq <= hsi_log_base_gseq(rt->log))
		return 0; /* its base already */

	const hsi_type *t;
	if ((rc = hsi_replay_type(rt, tname, type_len, "", &t)) != 0)
		return rc;
	uint64_t hash = hsi_state_hash(c->state.data, c->state.len);
	if ((rc = check_hash(c, t, iname, id_len, &at, hash)) != 0)
		return rc;
	hsi_log_base base = {.seq = at.seq,
			     .gseq = at.gseq,
			     .state_hash = hash,
			     .state_version = t->def.state_version};
	uint64_t g;
	rc = hsi_log_index_get(rt->log, type, type_len, id, id_len, at.seq, &g,
			       &base.time_ns);
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
	}
	hsi_log_batch_put_base(c->wlog, c->b, type, type_len, id, id_len,
			       &base, c->state.data, c->state.len);
	c->report.bases++;
	return 0;
}

int hsi_cut(hs_runtime *rt, hsi_log *wlog, uint64_t before,
	    hsi_cut_report *out)
{
	if (rt == NULL || rt->log == NULL || wlog == NULL)
		return HS_EINVAL;
	uint64_t base = hsi_log_base_gseq(rt->log);
	uint64_t last = hsi_log_last_gseq(rt->log);
	if (before <= base + 1 || before > last + 1) {
		hsi_set_error(rt, "%s: a cut before gseq %llu: it must lie "
				  "after the log's first event (gseq %llu) "
				  "and at most one past its last (%llu)",
			      hsi_log_path(rt->log), (unsigned long long)before,
			      (unsigned long long)base + 1,
			      (unsigned long long)last);
		return HS_ERANGE;
	}
	cutter c = {.rt = rt, .wlog = wlog, .before = before,
		    .state = HS_BUF_INIT, .rec = HS_BUF_INIT};
	c.b = hsi_log_batch_new();
	if (c.b == NULL)
		return HS_ENOMEM;
	c.report.from_gseq = base + 1;
	c.report.events = before - 1 - base;
	int rc = hsi_log_scan_agents(rt->log, on_agent, &c);
	if (rc == 0) {
		hsi_log_batch_cut(wlog, c.b, before);
		if ((rc = hsi_log_write(wlog, c.b, true)) != 0 ||
		    (rc = hsi_log_compact(wlog)) != 0) {
			char err[700];
			hsi_log_error(wlog, err, sizeof(err));
			hsi_set_error(rt, "%s", err);
		}
	}
	hsi_log_batch_free(c.b);
	hs_buf_free(&c.state);
	hs_buf_free(&c.rec);
	if (rc == 0 && out != NULL)
		*out = c.report;
	return rc;
}
