/* Verify: replay records through today's apply() and compare the hash of
 * each rebuilt state with the recorded one. Reads the log, never writes
 * it. User callbacks (fn, and apply through hsi_replay_apply) run outside
 * any RocksDB iteration: index entries are read in chunks first. */
#include <stdlib.h>
#include <string.h>

#include "replay/report.h"

/* Index entries read per chunk. */
#define CHUNK 1024

/* An agent in scope. Its names live in verifier.names at `off`:
 * type \0 id \0. */
typedef struct vagent {
	size_t off;
	uint8_t type_len;
	uint8_t id_len;
	uint64_t last_seq;
	uint64_t base_seq; /* its base in a cut log, 0 if none */
	uint64_t first_gseq;
	uint64_t last_gseq;
	const hsi_type *t;
} vagent;

typedef struct verifier {
	hs_runtime *rt;
	const char *type; /* scope's type or NULL */
	uint64_t from, to;
	hs_divergence_fn fn;
	void *udata;
	hs_verify_report report;
	bool stopped; /* fn asked to stop */

	vagent *agents;
	size_t nagents, cap;
	hs_buf names;

	/* One chunk of the current agent's index. */
	uint64_t seqs[CHUNK];
	uint64_t gseqs[CHUNK];
	size_t n;
	uint64_t next_seq;

	hs_buf before;
	hs_buf after;
	hs_buf recorded;
	hs_buf json[4];
} verifier;

static int add_agent(verifier *v, const char *type, size_t type_len,
		     const char *id, size_t id_len, uint64_t last_seq)
{
	if (v->nagents == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 64;
		vagent *a = realloc(v->agents, cap * sizeof(*a));
		if (a == NULL)
			return HS_ENOMEM;
		v->agents = a;
		v->cap = cap;
	}
	size_t off = v->names.len;
	if (hsi_buf_reserve(&v->names, type_len + id_len + 2) != 0)
		return HS_ENOMEM;
	hsi_buf_append(&v->names, type, type_len);
	hsi_buf_append(&v->names, "", 1);
	hsi_buf_append(&v->names, id, id_len);
	hsi_buf_append(&v->names, "", 1);
	v->agents[v->nagents++] = (vagent){
		.off = off,
		.type_len = (uint8_t)type_len,
		.id_len = (uint8_t)id_len,
		.last_seq = last_seq,
	};
	return 0;
}

static const char *agent_type(const verifier *v, const vagent *a)
{
	return (const char *)v->names.data + a->off;
}

static const char *agent_id(const verifier *v, const vagent *a)
{
	return (const char *)v->names.data + a->off + a->type_len + 1;
}

static int on_agent(void *p, const char *type, size_t type_len, const char *id,
		    size_t id_len, uint64_t last_seq)
{
	verifier *v = p;
	if (v->type != NULL && (strlen(v->type) != type_len ||
				memcmp(v->type, type, type_len) != 0))
		return 0;
	return add_agent(v, type, type_len, id, id_len, last_seq);
}

static int index_gseq(verifier *v, const vagent *a, uint64_t seq,
		      uint64_t *gseq)
{
	hs_runtime *rt = v->rt;
	int64_t time_ns;
	int rc = hsi_log_index_get(rt->log, agent_type(v, a), a->type_len,
				   agent_id(v, a), a->id_len, seq, gseq,
				   &time_ns);
	if (rc == HS_ENOTFOUND) {
		hsi_set_error(rt, "%s: index of %s/%s lacks seq %llu",
			      hsi_log_path(rt->log), agent_type(v, a),
			      agent_id(v, a), (unsigned long long)seq);
		return HS_ECORRUPT;
	}
	if (rc != 0)
		hsi_set_log_error(rt);
	return rc;
}

/* Decides which collected agents are in scope (a record in the gseq range
 * is possible: their first..last gseq meets it) and checks that their
 * types are registered, before anything is replayed, so that a missing
 * type fails the call before fn is called. Agents out of scope get
 * t == NULL. */
static int prepare(verifier *v)
{
	for (size_t i = 0; i < v->nagents; i++) {
		vagent *a = &v->agents[i];
		hsi_log_base base;
		int rc = hsi_log_agent_base(v->rt->log, agent_type(v, a),
					    a->type_len, agent_id(v, a),
					    a->id_len, &base);
		if (rc == 0)
			a->base_seq = base.seq;
		else if (rc != HS_ENOTFOUND) {
			hsi_set_log_error(v->rt);
			return rc;
		}
		rc = index_gseq(v, a, a->base_seq ? a->base_seq : 1,
				&a->first_gseq);
		if (rc == 0)
			rc = index_gseq(v, a, a->last_seq, &a->last_gseq);
		if (rc != 0)
			return rc;
		if (a->first_gseq > v->to || a->last_gseq < v->from)
			continue;
		rc = hsi_replay_type(v->rt, agent_type(v, a), a->type_len, "",
				     &a->t);
		if (rc != 0) {
			hsi_set_error(v->rt,
				      "agent type '%s' (of agent %s/%s) "
				      "is not registered: replay needs "
				      "its code",
				      agent_type(v, a), agent_type(v, a),
				      agent_id(v, a));
			return rc;
		}
	}
	return 0;
}

/* The largest seq of agent a whose gseq is below v->from; 0 if none. */
static int seq_before_from(verifier *v, const vagent *a, uint64_t *out)
{
	/* answer in [lo, hi]; a base lies before every record */
	uint64_t lo = a->base_seq, hi = a->last_seq;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2, gseq;
		int rc = index_gseq(v, a, mid, &gseq);
		if (rc != 0)
			return rc;
		if (gseq < v->from)
			lo = mid;
		else
			hi = mid - 1;
	}
	*out = lo;
	return 0;
}

static int collect(void *p, uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	verifier *v = p;
	(void)time_ns;
	v->seqs[v->n] = seq;
	v->gseqs[v->n] = gseq;
	return ++v->n == CHUNK ? 1 : 0; /* 1 stops the scan */
}

/* Reads the next chunk of the agent's index from v->next_seq. */
static int next_chunk(verifier *v, const vagent *a)
{
	v->n = 0;
	if (v->next_seq > a->last_seq)
		return 0;
	int rc = hsi_log_scan_agent(v->rt->log, agent_type(v, a), a->type_len,
				    agent_id(v, a), a->id_len, v->next_seq,
				    a->last_seq, collect, v);
	if (rc < 0) {
		hsi_set_log_error(v->rt);
		return rc;
	}
	return 0;
}

/* The state the agent starts from: its initial state, or, when the range
 * starts after its first record or the agent has a base, its newest
 * snapshot before the range. *seq is the seq of that state (0 for the
 * initial one). */
static int start_state(verifier *v, const vagent *a, void **out, uint64_t *seq)
{
	hs_runtime *rt = v->rt;
	const hsi_type *t = a->t;
	const char *id = agent_id(v, a);
	uint64_t before = 0;
	int rc;

	*seq = 0;
	if (v->from > 1 && a->first_gseq < v->from) {
		rc = seq_before_from(v, a, &before);
		if (rc != 0)
			return rc;
	}
	if (before < a->base_seq)
		before = a->base_seq;
	if (before == 0) {
		rc = hsi_state_new(t, id, out);
		if (rc != 0)
			hsi_set_error(rt, "%s/%s: init() failed (%d)", t->name,
				      id, rc);
		return rc;
	}
	void *state = calloc(1, t->def.state_size);
	if (state == NULL)
		return HS_ENOMEM;
	rc = hsi_load_start(rt, t, id, a->id_len, before, state, seq);
	if (rc != 0) {
		hsi_state_free(t, state);
		return rc;
	}
	*out = state;
	return 0;
}

/* Reports the first divergence of an agent at record r. */
static int diverge(verifier *v, const vagent *a, const hsi_record *r,
		   hs_divergence_kind kind, int apply_rc, const char *msg,
		   uint64_t rebuilt_hash)
{
	hs_runtime *rt = v->rt;
	const hsi_type *t = a->t;
	uint64_t snap = 0;
	hs_buf_reset(&v->recorded);
	int rc = hsi_log_snapshot_at(rt->log, t->name, t->name_len,
				     agent_id(v, a), a->id_len, r->seq, &snap,
				     &v->recorded);
	if (rc == HS_ENOTFOUND || (rc == 0 && snap != r->seq)) {
		hs_buf_reset(&v->recorded);
		rc = 0;
	}
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}

	hsi_named_record nr;
	hsi_name_record(&nr, r);
	hs_divergence d = {
		.kind = kind,
		.record = nr.pub,
		.apply_rc = apply_rc,
		.error_msg = msg,
		.rebuilt_hash = rebuilt_hash,
	};
	const hs_buf *old = v->recorded.len != 0 ? &v->recorded : &v->before;
	rc = hsi_json_text(&v->json[0], v->before.data, v->before.len,
			   &d.before_json);
	if (rc == 0)
		rc = hsi_json_text(&v->json[1], v->after.data, v->after.len,
				   &d.rebuilt_json);
	if (rc == 0)
		rc = hsi_json_text(&v->json[2], v->recorded.data,
				   v->recorded.len, &d.recorded_json);
	if (rc == 0)
		rc = hsi_json_diff_text(&v->json[3], old->data, old->len,
					v->after.data, v->after.len,
					&d.diff_json);
	if (rc != 0)
		return rc;
	v->report.divergences++;
	if (v->fn == NULL || (rc = v->fn(v->udata, &d)) == 0)
		return 0;
	v->stopped = true;
	return rc;
}

/* The agent being replayed, for check_record. */
typedef struct vrun {
	verifier *v;
	const vagent *a;
	void *state;
	bool counted;  /* the agent counts in report.agents */
	bool diverged; /* stop following it */
	int stop_rc;   /* what reporting the divergence returned */
} vrun;

/* Replays one record and compares the rebuilt state's hash with it. */
static int check_record(void *p, size_t i, const void *data, size_t len)
{
	vrun *run = p;
	verifier *v = run->v;
	const vagent *a = run->a;
	hs_runtime *rt = v->rt;
	const hsi_type *t = a->t;
	const char *id = agent_id(v, a);
	hsi_record r;
	int rc = hsi_check_record(rt, v->gseqs[i], t, id, a->id_len,
				  v->seqs[i], data, len, &r);
	if (rc != 0)
		return rc;
	bool in_range = r.gseq >= v->from;
	if (in_range) {
		v->report.records++;
		run->counted = true;
	}
	char msg[256] = "";
	int arc = hsi_replay_apply(rt, t, id, a->id_len, run->state, &r, NULL,
				   msg, sizeof(msg));
	hsi_encode_state(t, run->state, &v->after);
	uint64_t h = hsi_state_hash(v->after.data, v->after.len);
	/* A hash recorded by another state version hashes another shape. */
	bool hashed = r.state_version == t->def.state_version;
	int kind = -1;
	if (arc == HS_ESCHEMA)
		kind = HS_DIVERGE_VERSION;
	else if (arc == HS_UNCHANGED)
		kind = HS_DIVERGE_UNCHANGED;
	else if (arc != HS_CHANGED)
		kind = HS_DIVERGE_REJECTED;
	else if (hashed && h != r.state_hash)
		kind = HS_DIVERGE_STATE;
	if (kind < 0 && in_range) {
		if (r.event_version != t->def.event_version)
			v->report.upcast++;
		if (!hashed)
			v->report.unhashed++;
	}
	if (kind >= 0) {
		run->counted = true; /* also before the range */
		run->diverged = true;
		run->stop_rc = diverge(v, a, &r, (hs_divergence_kind)kind, arc,
				       msg, h);
		return 1; /* stops the batch */
	}
	hs_buf swap = v->before;
	v->before = v->after;
	v->after = swap;
	return 0;
}

/* Replays one agent from its start state through the end of the range;
 * stops at its first divergence. Each chunk of index entries has its
 * records read in one batch. */
static int verify_agent(verifier *v, const vagent *a)
{
	hs_runtime *rt = v->rt;
	const hsi_type *t = a->t;
	vrun run = {v, a, NULL, false, false, 0};
	uint64_t seq;

	int rc = start_state(v, a, &run.state, &seq);
	if (rc != 0)
		return rc;
	hsi_encode_state(t, run.state, &v->before);
	v->next_seq = seq + 1;
	for (;;) {
		rc = next_chunk(v, a);
		if (rc != 0 || v->n == 0)
			break;
		size_t m = 0; /* entries to replay: contiguous, in range */
		bool gap = false;
		for (; m < v->n; m++) {
			if (v->seqs[m] != v->next_seq) {
				gap = true;
				break;
			}
			if (v->gseqs[m] > v->to)
				break;
			v->next_seq++;
		}
		rc = hsi_log_get_events(rt->log, v->gseqs, m, check_record,
					&run);
		if (run.diverged) {
			rc = run.stop_rc;
			break;
		}
		if (rc == HS_ENOTFOUND) {
			hsi_set_log_error(rt);
			rc = HS_ECORRUPT; /* the index points to nothing */
		}
		if (rc == 0 && gap) {
			hsi_set_error(rt,
				      "%s: index of %s/%s jumps from seq %llu "
				      "to %llu",
				      hsi_log_path(rt->log), t->name,
				      agent_id(v, a),
				      (unsigned long long)v->next_seq - 1,
				      (unsigned long long)v->seqs[m]);
			rc = HS_ECORRUPT;
		}
		if (rc != 0 || m < v->n) /* an error, past the range, a gap */
			break;
	}
	if (run.counted)
		v->report.agents++;
	hsi_state_free(t, run.state);
	return rc;
}

static int collect_agents(verifier *v, const hs_filter *f)
{
	hs_runtime *rt = v->rt;
	if (f->id == NULL) {
		int rc = hsi_log_scan_agents(rt->log, on_agent, v);
		if (rc == HS_ENOMEM)
			hsi_set_error(rt, "verify: out of memory");
		else if (rc != 0)
			hsi_set_log_error(rt);
		return rc;
	}

	size_t type_len = strnlen(f->type, HS_NAME_MAX + 1);
	size_t id_len = strnlen(f->id, HS_ID_MAX + 1);
	if (type_len == 0 || id_len == 0)
		return HS_EINVAL;
	if (type_len > HS_NAME_MAX || id_len > HS_ID_MAX)
		return HS_ETOOLONG;
	uint64_t last, last_gseq;
	int rc = hsi_log_agent_last(rt->log, f->type, type_len, f->id, id_len,
				    &last, &last_gseq);
	if (rc == HS_ENOTFOUND) {
		hsi_set_error(rt, "%s: no record of agent %s/%s",
			      hsi_log_path(rt->log), f->type, f->id);
		return HS_ENOAGENT;
	}
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	return add_agent(v, f->type, type_len, f->id, id_len, last);
}

int hs_verify(hs_runtime *rt, const hs_filter *scope, hs_divergence_fn fn,
	      void *udata, hs_verify_report *report)
{
	if (rt == NULL)
		return HS_EINVAL;
	if (rt->log == NULL)
		return HS_ENOTSUP;
	hs_filter all;
	memset(&all, 0, sizeof(all));
	const hs_filter *f = scope != NULL ? scope : &all;
	if ((f->id != NULL && f->type == NULL) ||
	    (f->to_gseq != 0 && f->to_gseq < f->from_gseq))
		return HS_EINVAL;

	verifier *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return HS_ENOMEM;
	/* The log as far as it was written when the call began. */
	uint64_t end = hsi_log_last_gseq(rt->log);
	v->rt = rt;
	v->type = f->type;
	v->from = f->from_gseq != 0 ? f->from_gseq : 1;
	v->to = f->to_gseq != 0 && f->to_gseq < end ? f->to_gseq : end;
	v->fn = fn;
	v->udata = udata;

	int rc = 0;
	const hsi_type *t;
	if (f->type != NULL && f->id == NULL)
		rc = hsi_replay_type(rt, f->type,
				     strnlen(f->type, HS_NAME_MAX + 1), "",
				     &t);
	if (rc == 0)
		rc = collect_agents(v, f);
	if (rc == 0)
		rc = prepare(v);
	for (size_t i = 0; rc == 0 && i < v->nagents; i++) {
		if (v->agents[i].t != NULL)
			rc = verify_agent(v, &v->agents[i]);
	}
	if (report != NULL && (rc == 0 || v->stopped))
		*report = v->report;
	free(v->agents);
	hs_buf_free(&v->names);
	hs_buf_free(&v->before);
	hs_buf_free(&v->after);
	hs_buf_free(&v->recorded);
	for (size_t i = 0; i < 4; i++)
		hs_buf_free(&v->json[i]);
	free(v);
	return rc;
}
