/*
 * hindsight check: the guarantees of docs/FORMAT.md ("Guarantees of a
 * version-1 log"), checked without user code.
 *
 * 1. events, in gseq order: every record decodes and names its own gseq;
 *    the gseqs are 1..G without a gap; each agent's seqs go up by one
 *    from 1 and its times never go back; each record has its index entry
 *    with the same gseq and time; each cause names an existing record
 *    (same agent and seq at that gseq) with a smaller gseq.
 * 2. agents (the index), per agent: no entry beyond the agent's records
 *    (with 1., index and events agree both ways); each snapshot belongs to
 *    a transition and its FNV-1a 64 is that record's state hash.
 * 3. meta: a type/<name> key for every agent type.
 *
 * In a cut log the events start after the base (meta base_gseq), an
 * agent's seqs after its base entry, and a base entry's snapshot has the
 * hash the entry records. Causes and timers set before the base are not
 * checked: their records are archived.
 */
#include "cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr_map.h"
#include "common/buf.h"
#include "log/keys.h"
#include "timer/timer.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_check = {
	.name = "check",
	.synopsis = "DB",
	.summary = "Integrity without user code: order, index, causes, "
		   "snapshots.",
	.help = "Checks that every record decodes, gseqs run 1..N without a "
		"gap, each agent's\nseqs run 1..S, the index and the events "
		"agree both ways, every cause exists\nand precedes its "
		"effect, every snapshot's hash is its record's state "
		"hash, every\npending timer decodes and names the "
		"record that set it, and every time sample\nnames an index "
		"entry with its time.\n\nPrints each problem found (the key, what is wrong) "
		"and exits 1, or prints a\nsummary and exits 0 when all "
		"holds. Exit 2: the log cannot be opened.\n\n"
		"In a log cut by `hindsight archive`, gseqs run from the "
		"cut, each agent's seqs\nfrom its base, and each base's "
		"snapshot must have the hash its entry records.\n",
	.run = run,
};

/* What the events pass learnt of one agent. */
typedef struct agent_seen {
	uint64_t last_seq; /* 0, or its base's until its first record */
	uint64_t last_gseq;
	int64_t last_time;
	uint64_t records;
	bool started;   /* last_* hold a transition */
	bool irregular; /* its seqs were not 1..S (base + 1..S) */
} agent_seen;

typedef struct checker {
	cli_db *db;
	hsi_addr_map agents; /* of agent_seen */
	uint64_t expect; /* next gseq */
	uint64_t base_gseq; /* of a cut log, else 0 */
	uint64_t records, snapshots, timers, samples, bases, problems;
	hs_buf cause;     /* a cause's record */
	hs_buf snap;      /* a snapshot */
	hs_buf line;
	cli_progress progress;
	char type[HS_NAME_MAX + 1]; /* the agent type being scanned */
	size_t type_len;
} checker;

static void problem(checker *c, const char *fmt, ...) HS_PRINTF(2, 3);

static void problem(checker *c, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	cli_progress_end(&c->progress);
	printf("problem: %s: ", c->db->path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	c->problems++;
}

/* type/id for messages, with unprintable bytes escaped. */
static const char *agent_text(const char *t, size_t tn, const char *i,
			      size_t in, char *out, size_t cap)
{
	hs_buf b = HS_BUF_INIT;

	cli_put_name(&b, t, tn);
	cli_put(&b, "/");
	cli_put_name(&b, i, in);
	snprintf(out, cap, "%.*s", (int)b.len, b.data ? (char *)b.data : "");
	hs_buf_free(&b);
	return out;
}

static void check_cause(checker *c, const hsi_record *r)
{
	char who[400], at[400];
	hsi_record cr;
	const hsi_cause *k = &r->cause;

	agent_text(k->type, k->type_len, k->id, k->id_len, who, sizeof(who));
	if (k->gseq <= c->base_gseq && k->gseq < r->gseq)
		return; /* archived */
	if (k->gseq >= r->gseq) {
		problem(c,
			"events key %016" PRIx64 ": its cause %s #%" PRIu64
			" at gseq %" PRIu64 " does not precede it",
			r->gseq, who, k->seq, k->gseq);
		return;
	}
	hs_buf_reset(&c->cause);
	int rc = hsi_log_get_event(c->db->log, k->gseq, &c->cause);
	if (rc == HS_ENOTFOUND) {
		problem(c,
			"events key %016" PRIx64 ": its cause %s #%" PRIu64
			" at gseq %" PRIu64 " does not exist",
			r->gseq, who, k->seq, k->gseq);
		return;
	}
	if (rc != 0 || hsi_record_decode(c->cause.data, c->cause.len, &cr))
		return; /* reported where the scan meets it */
	if (cr.type_len != k->type_len || cr.id_len != k->id_len ||
	    memcmp(cr.type, k->type, k->type_len) != 0 ||
	    memcmp(cr.id, k->id, k->id_len) != 0 || cr.seq != k->seq)
		problem(c,
			"events key %016" PRIx64 ": its cause is %s #%" PRIu64
			" at gseq %" PRIu64 ", but gseq %" PRIu64
			" holds %s #%" PRIu64,
			r->gseq, who, k->seq, k->gseq, k->gseq,
			agent_text(cr.type, cr.type_len, cr.id, cr.id_len, at,
				   sizeof(at)),
			cr.seq);
}

static void check_index(checker *c, const hsi_record *r, const char *who)
{
	uint64_t g;
	int64_t t;
	char key[HSI_KEY_TEXT_MAX], err[700];
	int rc = hsi_log_index_get(c->db->log, r->type, r->type_len, r->id,
				   r->id_len, r->seq, &g, &t);

	hsi_key_text(r->type, r->type_len, r->id, r->id_len, r->seq, key,
		     sizeof(key));
	if (rc == HS_ENOTFOUND) {
		problem(c,
			"events key %016" PRIx64 " (%s #%" PRIu64
			"): no index entry (agents key %s is missing)",
			r->gseq, who, r->seq, key);
	} else if (rc != 0) {
		hsi_log_error(c->db->log, err, sizeof(err));
		problem(c, "agents key %s: %s", key, err);
	} else if (g != r->gseq) {
		problem(c,
			"agents key %s points to gseq %" PRIu64
			", but the record of %s #%" PRIu64
			" is at gseq %" PRIu64,
			key, g, who, r->seq, r->gseq);
	} else if (t != r->time_ns) {
		problem(c,
			"agents key %s has time %" PRId64
			" ns, but its record (gseq %" PRIu64 ") has %" PRId64
			" ns",
			key, t, r->gseq, r->time_ns);
	}
}

/* An agent met first in a cut log: its seqs go on from its base, if it
 * has one. Non-zero when the index cannot be read (reported). */
static int start_at_base(checker *c, const hsi_record *r, agent_seen *a)
{
	hsi_log_base base;
	char err[700];
	int rc = hsi_log_agent_base(c->db->log, r->type, r->type_len, r->id,
				    r->id_len, &base);
	if (rc == HS_ENOTFOUND)
		return 0;
	if (rc != 0) {
		hsi_log_error(c->db->log, err, sizeof(err));
		problem(c, "%s", err);
		return rc;
	}
	a->last_seq = base.seq;
	a->last_gseq = base.gseq;
	a->last_time = base.time_ns;
	a->started = true;
	return 0;
}

static int on_event(void *udata, uint64_t gseq, const void *data, size_t len)
{
	checker *c = udata;
	hsi_record r;
	char who[400];

	c->records++;
	cli_progress_tick(&c->progress, c->records);
	if (gseq != c->expect) {
		if (gseq == c->expect + 1)
			problem(c, "events: gseq %" PRIu64 " is missing",
				c->expect);
		else
			problem(c,
				"events: gseqs %" PRIu64 " to %" PRIu64
				" are missing",
				c->expect, gseq - 1);
	}
	c->expect = gseq + 1;
	int rc = hsi_record_decode(data, len, &r);
	if (rc != 0) {
		problem(c, "events key %016" PRIx64 ": %s", gseq,
			rc == HS_EVERSION ? "record of a newer format than "
					    "this hindsight"
					  : "record does not decode");
		return 0;
	}
	if (r.gseq != gseq)
		problem(c, "events key %016" PRIx64 ": the record says gseq %"
			   PRIu64, gseq, r.gseq);
	agent_text(r.type, r.type_len, r.id, r.id_len, who, sizeof(who));

	void *v;
	if (hsi_addr_map_find_or_add(&c->agents, r.type, r.type_len, r.id,
				     r.id_len, &v, NULL) != 0)
		return HS_ENOMEM;
	agent_seen *a = v;
	if (a->records == 0 && !a->started && start_at_base(c, &r, a) != 0)
		return 0;
	if (r.seq != a->last_seq + 1) {
		a->irregular = true;
		if (a->records == 0)
			problem(c,
				"events key %016" PRIx64 ": the first record "
				"of %s has seq %" PRIu64 ", not %" PRIu64,
				gseq, who, r.seq, a->last_seq + 1);
		else
			problem(c,
				"events key %016" PRIx64 ": %s #%" PRIu64
				" follows #%" PRIu64 " (at gseq %" PRIu64
				"); seqs must go up by one",
				gseq, who, r.seq, a->last_seq, a->last_gseq);
	}
	if (a->started && r.time_ns < a->last_time)
		problem(c,
			"events key %016" PRIx64 ": %s #%" PRIu64
			" has time %" PRId64 " ns, before its previous "
			"transition's %" PRId64 " ns",
			gseq, who, r.seq, r.time_ns, a->last_time);
	a->records++;
	if (r.seq > a->last_seq)
		a->last_seq = r.seq;
	a->last_gseq = gseq;
	a->last_time = r.time_ns;
	a->started = true;

	check_index(c, &r, who);
	if (r.cause.seq != 0)
		check_cause(c, &r);
	return 0;
}

/* An index entry: the record at its gseq must be that transition. */
static int check_entry(void *udata, uint64_t seq, uint64_t gseq,
		       int64_t time_ns)
{
	checker *c = udata;
	const char *t = (const char *)c->line.data;
	size_t tn = strlen(t);
	const char *i = t + tn + 1;
	size_t in = strlen(i);
	char key[HSI_KEY_TEXT_MAX], who[400];
	hsi_record r;

	(void)time_ns;
	hsi_key_text(t, tn, i, in, seq, key, sizeof(key));
	if (gseq <= c->base_gseq) {
		hsi_log_base base;
		if (hsi_log_agent_base(c->db->log, t, tn, i, in, &base) != 0 ||
		    base.seq != seq)
			problem(c,
				"agents key %s points to gseq %" PRIu64
				", which is archived, and is not the agent's "
				"base",
				key, gseq);
		return 0;
	}
	hs_buf_reset(&c->cause);
	int rc = hsi_log_get_event(c->db->log, gseq, &c->cause);
	if (rc == HS_ENOTFOUND)
		problem(c,
			"agents key %s points to gseq %" PRIu64
			", where there is no record",
			key, gseq);
	else if (rc != 0 ||
		 hsi_record_decode(c->cause.data, c->cause.len, &r) != 0)
		problem(c,
			"agents key %s points to gseq %" PRIu64
			", whose record does not decode",
			key, gseq);
	else if (r.type_len != tn || r.id_len != in ||
		 memcmp(r.type, t, tn) != 0 || memcmp(r.id, i, in) != 0 ||
		 r.seq != seq)
		problem(c,
			"agents key %s points to gseq %" PRIu64
			", which holds %s #%" PRIu64,
			key, gseq,
			agent_text(r.type, r.type_len, r.id, r.id_len, who,
				   sizeof(who)),
			r.seq);
	return 0;
}

/* The agent's snapshots, newest first: each must be the state after a
 * transition the agent has, with that record's hash. */
static int check_snapshots(checker *c, const char *t, size_t tn,
			   const char *i, size_t in, uint64_t last_seq)
{
	uint64_t max = UINT64_MAX, seq, g;
	char key[HSI_KEY_TEXT_MAX], err[700];
	int64_t time_ns;
	hsi_record r;
	hsi_log_base base = {0};
	int brc = hsi_log_agent_base(c->db->log, t, tn, i, in, &base);

	if (brc != 0 && brc != HS_ENOTFOUND) {
		hsi_log_error(c->db->log, err, sizeof(err));
		problem(c, "agents: %s", err);
	}
	if (brc == 0)
		c->bases++;
	for (;;) {
		hs_buf_reset(&c->snap);
		int rc = hsi_log_snapshot_at(c->db->log, t, tn, i, in, max,
					     &seq, &c->snap);
		if (rc == HS_ENOTFOUND || (rc == 0 && seq < base.seq)) {
			hsi_key_text(t, tn, i, in, base.seq, key, sizeof(key));
			if (brc == 0 && max >= base.seq)
				problem(c, "agents key %s is the agent's base, "
					   "and there is no snapshot of its "
					   "state there",
					key);
			if (rc == 0)
				problem(c, "snapshots: %s has one at seq "
					   "%" PRIu64 ", before its base",
					key, seq);
			return 0;
		}
		if (rc != 0) {
			hsi_log_error(c->db->log, err, sizeof(err));
			problem(c, "snapshots: %s", err);
			return 0;
		}
		c->snapshots++;
		cli_progress_tick(&c->progress, c->snapshots);
		hsi_key_text(t, tn, i, in, seq, key, sizeof(key));
		if (seq == 0 || seq > last_seq) {
			problem(c,
				"snapshots key %s: the agent has no "
				"transition %" PRIu64,
				key, seq);
		} else if (brc == 0 && seq == base.seq) {
			uint64_t h = hsi_state_hash(c->snap.data, c->snap.len);

			if (h != base.state_hash)
				problem(c,
					"snapshots key %s: its hash %016" PRIx64
					" is not the state hash %016" PRIx64
					" its base entry records",
					key, h, base.state_hash);
		} else if (hsi_log_index_get(c->db->log, t, tn, i, in, seq, &g,
					     &time_ns) == 0) {
			hs_buf_reset(&c->cause);
			if (hsi_log_get_event(c->db->log, g, &c->cause) == 0 &&
			    hsi_record_decode(c->cause.data, c->cause.len,
					      &r) == 0 &&
			    r.seq == seq) {
				uint64_t h =
					hsi_state_hash(c->snap.data, c->snap.len);

				if (h != r.state_hash)
					problem(c,
						"snapshots key %s: its hash "
						"%016" PRIx64 " is not the "
						"state hash %016" PRIx64
						" of its record (gseq %" PRIu64
						")",
						key, h, r.state_hash, g);
			}
		}
		if (seq <= 1)
			return 0;
		max = seq - 1;
	}
}

static void check_type(checker *c, const char *t, size_t tn);

static int on_agent(void *udata, const char *t, size_t tn, const char *i,
		    size_t in, uint64_t last_seq)
{
	checker *c = udata;
	const agent_seen *a = hsi_addr_map_find(&c->agents, t, tn, i, in);
	uint64_t have = a != NULL ? a->last_seq : 0;

	check_type(c, t, tn);
	/* The events pass found the entry of every record, with the right
	 * gseq. When the agent's records ran 1..S, only entries beyond S
	 * remain to be checked; otherwise all of them are. */
	uint64_t from = a != NULL && !a->irregular ? have + 1 : 1;
	if (last_seq >= from) {
		/* The names for the callback: type \0 id \0. */
		hs_buf_reset(&c->line);
		if (hsi_buf_append(&c->line, t, tn) != 0 ||
		    hsi_buf_append(&c->line, "", 1) != 0 ||
		    hsi_buf_append(&c->line, i, in) != 0 ||
		    hsi_buf_append(&c->line, "", 1) != 0)
			return HS_ENOMEM;
		int rc = hsi_log_scan_agent(c->db->log, t, tn, i, in, from,
					    last_seq, check_entry, c);
		if (rc != 0 && rc != HS_ENOMEM) {
			char err[700];

			hsi_log_error(c->db->log, err, sizeof(err));
			problem(c, "%s", err);
		}
	}
	return check_snapshots(c, t, tn, i, in, last_seq);
}

/* Agent types come together in the index (keys start with the type):
 * each new one must have its meta key. */
static void check_type(checker *c, const char *t, size_t tn)
{
	char key[HS_NAME_MAX + 8], name[4 * HS_NAME_MAX + 8];
	hs_buf val = HS_BUF_INIT, b = HS_BUF_INIT;

	if (c->type_len == tn && memcmp(c->type, t, tn) == 0)
		return;
	memcpy(c->type, t, tn);
	c->type_len = tn;
	snprintf(key, sizeof(key), "type/%.*s", (int)tn, t);
	if (hsi_log_get_meta(c->db->log, key, &val) == HS_ENOTFOUND) {
		cli_put_name(&b, t, tn);
		snprintf(name, sizeof(name), "%.*s", (int)b.len,
			 (const char *)b.data);
		problem(c,
			"meta key \"type/%s\" is missing (agent type %s has "
			"index entries)",
			name, name);
	}
	hs_buf_free(&val);
	hs_buf_free(&b);
}

/* A pending timer: its key and value decode, and the record it names as
 * its setter is its owner's transition set_seq. */
static int on_timer(void *udata, const void *key, size_t key_len,
		    const void *val, size_t len)
{
	checker *c = udata;
	const char *k = key;
	size_t tl, il, nl;
	hsi_timer_value v;
	hsi_record r;
	char who[400];

	c->timers++;
	if (!hsi_timer_key_split(k, key_len, &tl, &il, &nl)) {
		problem(c, "timers: a key of %zu bytes is not type/id/name",
			key_len);
		return 0;
	}
	agent_text(k, tl, k + tl + 1, il, who, sizeof(who));
	if (hsi_timer_value_decode(val, len, &v) != 0) {
		problem(c, "timers key %s/%.*s: the pending timer does not "
			   "decode",
			who, (int)nl, k + tl + 1 + il + 1);
		return 0;
	}
	if (v.set_gseq <= c->base_gseq)
		return 0; /* its setter is archived */
	hs_buf_reset(&c->cause);
	if (v.set_gseq > hsi_log_last_gseq(c->db->log) ||
	    hsi_log_get_event(c->db->log, v.set_gseq, &c->cause) != 0 ||
	    hsi_record_decode(c->cause.data, c->cause.len, &r) != 0 ||
	    r.type_len != tl || memcmp(r.type, k, tl) != 0 ||
	    r.id_len != il || memcmp(r.id, k + tl + 1, il) != 0 ||
	    r.seq != v.set_seq)
		problem(c, "timers key %s/%.*s: set by %s #%" PRIu64
			   " at gseq %" PRIu64 ", which holds no such record",
			who, (int)nl, k + tl + 1 + il + 1, who, v.set_seq,
			v.set_gseq);
	return 0;
}

/* A times entry: the index entry of its seq must have its time. */
static int on_sample(void *udata, const void *key, size_t key_len,
		     const char *t, size_t tn, const char *i, size_t in,
		     int64_t time_ns, uint64_t seq)
{
	checker *c = udata;
	char who[HSI_KEY_TEXT_MAX];
	uint64_t g;
	int64_t at;

	c->samples++;
	if (key == NULL) {
		problem(c, "times: a key of %zu bytes is not type/id/time/seq",
			key_len);
		return 0;
	}
	hsi_key_text(t, tn, i, in, seq, who, sizeof(who));
	int rc = hsi_log_index_get(c->db->log, t, tn, i, in, seq, &g, &at);
	if (rc == HS_ENOTFOUND)
		problem(c, "times key %s at %" PRId64 ": the agent has no "
			   "transition %" PRIu64,
			who, time_ns, seq);
	else if (rc == 0 && at != time_ns)
		problem(c, "times key %s at %" PRId64 ": the index entry of "
			   "that seq has time %" PRId64,
			who, time_ns, at);
	return 0;
}

static int run(int argc, char **argv)
{
	const cli_cmd *cmd = &cli_cmd_check;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *val;
	cli_args a;
	int rc;

	cli_args_init(&a, cmd, NULL, pos, 1, argc, argv);
	if (cli_args_opt(&a, &val) == CLI_ARG_STOP) /* no options */
		return a.exit;
	const char *path = pos[0].val;

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	checker c = {.db = &db, .expect = hsi_log_base_gseq(db.log) + 1,
		     .base_gseq = hsi_log_base_gseq(db.log)};
	hsi_addr_map_init(&c.agents, sizeof(agent_seen));
	char err[700];

	cli_progress_start(&c.progress, "events", hsi_log_last_gseq(db.log));
	rc = hsi_log_scan_events(db.log, 1, UINT64_MAX, false, on_event, &c);
	cli_progress_end(&c.progress);
	if (rc == HS_ENOMEM)
		goto oom;
	if (rc != 0) {
		hsi_log_error(db.log, err, sizeof(err));
		problem(&c, "events: the scan stopped: %s", err);
	}
	cli_progress_start(&c.progress, "index and snapshots", 0);
	rc = hsi_log_scan_agents(db.log, on_agent, &c);
	cli_progress_end(&c.progress);
	if (rc == HS_ENOMEM)
		goto oom;
	if (rc != 0) {
		hsi_log_error(db.log, err, sizeof(err));
		problem(&c, "agents: the scan stopped: %s", err);
	}

	rc = hsi_log_scan_timers(db.log, on_timer, &c);
	if (rc == HS_ENOMEM)
		goto oom;
	if (rc != 0) {
		hsi_log_error(db.log, err, sizeof(err));
		problem(&c, "timers: the scan stopped: %s", err);
	}

	rc = hsi_log_scan_time_samples(db.log, on_sample, &c);
	if (rc == HS_ENOMEM)
		goto oom;
	if (rc != 0) {
		hsi_log_error(db.log, err, sizeof(err));
		problem(&c, "times: the scan stopped: %s", err);
	}

	if (c.problems == 0) {
		printf("ok: %s: %" PRIu64 " record%s of %zu agent%s, %" PRIu64
		       " snapshot%s: gseqs and seqs contiguous, index and "
		       "events agree, causes precede effects, snapshots "
		       "match\n",
		       path, c.records, c.records == 1 ? "" : "s",
		       c.agents.count, c.agents.count == 1 ? "" : "s",
		       c.snapshots, c.snapshots == 1 ? "" : "s");
		if (c.timers != 0)
			printf("ok: %" PRIu64 " pending timer%s, each set by "
			       "the record it names\n",
			       c.timers, c.timers == 1 ? "" : "s");
		if (c.base_gseq != 0)
			printf("ok: cut after gseq %" PRIu64 " (archived): "
			       "%" PRIu64 " agent%s start%s from a base whose "
			       "snapshot matches it\n",
			       c.base_gseq, c.bases, c.bases == 1 ? "" : "s",
			       c.bases == 1 ? "s" : "");
		rc = CLI_EXIT_OK;
	} else {
		printf("%" PRIu64 " problem%s in %s (%" PRIu64
		       " record%s of %zu agent%s, %" PRIu64 " snapshot%s)\n",
		       c.problems, c.problems == 1 ? "" : "s", path, c.records,
		       c.records == 1 ? "" : "s", c.agents.count,
		       c.agents.count == 1 ? "" : "s", c.snapshots,
		       c.snapshots == 1 ? "" : "s");
		rc = CLI_EXIT_FINDING;
	}
	goto out;
oom:
	cli_error(cmd, "out of memory");
	rc = CLI_EXIT_USAGE;
out:
	hsi_addr_map_free(&c.agents);
	hs_buf_free(&c.cause);
	hs_buf_free(&c.snap);
	hs_buf_free(&c.line);
	cli_db_close(&db);
	return rc;
}
