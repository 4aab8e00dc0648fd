/*
 * What hs-ships asks its log after the run, opened read-only: where some
 * ships were at past times (hs_state_at), one ship's whole voyage history
 * (hs_history), how many ships were in each port at a past instant
 * (hs_system_at), whether replaying the log gives the recorded states
 * again (hs_verify), and a digest of the history. Each answer about the
 * past is checked against what the watcher saw then.
 */
#include "hs_ships.h"

#include "common/splitmix.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void choose_queries(sim *s, uint64_t seed)
{
	int chosen[NQUERY_SHIPS], nchosen = 0;

	for (int k = 0; k < NQUERY_SHIPS && k < s->nships; k++) {
		int n = (int)(splitmix_mix(seed ^
					   (UINT64_C(0xa11ce) + (uint64_t)k)) %
			      (uint64_t)s->nships);
		bool again = true;

		while (again) {
			again = false;
			for (int j = 0; j < nchosen; j++)
				if (chosen[j] == n) {
					n = (n + 1) % s->nships;
					again = true;
				}
		}
		chosen[nchosen++] = n;
	}
	for (int k = 0; k < nchosen; k++)
		for (int t = 1; t <= NQUERY_TIMES; t++) {
			query *q = &s->queries[s->nqueries++];

			q->ship = chosen[k];
			q->time_ns =
				hour_ns(s->hours * t / (NQUERY_TIMES + 1)) +
				30 * 60 * NS_PER_S;
			snprintf(q->watcher_loc, sizeof(q->watcher_loc),
				 "(not seen)");
		}
	s->census_ns = hour_ns(s->hours / 2) + 15 * 60 * NS_PER_S;
}

/* Where the log says ships were at the query times. */
static int ask_locations(hs_runtime *rt, const sim *s)
{
	hs_buf buf = HS_BUF_INIT;
	int rc = 0;

	printf("\n== Where were they? (hs_state_at) ==\n");
	for (int q = 0; q < s->nqueries && rc == 0; q++) {
		const query *qu = &s->queries[q];
		char id[32], loc[80];
		hs_receipt at = {0, 0};
		ship sh;

		ship_id(qu->ship, id, sizeof(id));
		hs_buf_reset(&buf);
		rc = hs_state_at(rt, SHIP_TYPE, id, hs_at_time(qu->time_ns),
				 &buf, &at);
		if (rc == HS_ENOAGENT) {
			/* No record yet: it had not entered service. */
			snprintf(loc, sizeof(loc), "not in service");
			rc = 0;
		} else if (rc != 0) {
			log_error(rt, "hs_state_at", rc);
			break;
		} else if ((rc = ship_decode(&sh, buf.data, buf.len)) != 0) {
			fprintf(stderr,
				"hs-ships: %s: undecodable state: %s\n", id,
				hs_strerror(rc));
			break;
		} else {
			ship_location(&sh, loc, sizeof(loc));
		}
		check(strcmp(loc, qu->watcher_loc) == 0,
		      "location %s at %s = %s (seq %" PRIu64 "; watcher: %s)",
		      id, rfc3339(qu->time_ns).s, loc, at.seq,
		      qu->watcher_loc);
	}
	hs_buf_free(&buf);
	return rc;
}

typedef struct history_ctx {
	int64_t records;
} history_ctx;

static int print_record(void *udata, const hs_record *rec)
{
	history_ctx *hc = udata;
	hs_buf body = HS_BUF_INIT;
	char loc[80];
	ship sh;
	int rc;

	hc->records++;
	if (rec->body != NULL &&
	    (rc = hs_json(&body, rec->body, rec->body_len, 0)) != 0)
		return rc;
	if ((rc = ship_decode(&sh, rec->state, rec->state_len)) != 0) {
		hs_buf_free(&body);
		return rc;
	}
	ship_location(&sh, loc, sizeof(loc));
	printf("  #%-3" PRIu64 " %s  %-6s %.*s\n", rec->seq,
	       rfc3339(rec->time_ns).s, rec->event_type, (int)body.len,
	       body.data != NULL ? (const char *)body.data : "");
	if (sh.status == SHIP_AT_SEA)
		printf("        -> %s, %" PRId64 " TEU aboard, voyage %" PRId64
		       "\n",
		       loc, sh.cargo, sh.voyages);
	else
		printf("        -> %s, visit %" PRId64 " there, %" PRId64
		       " TEU delivered so far\n",
		       loc, ship_visits_to(&sh, sh.port), sh.delivered);
	hs_buf_free(&body);
	return 0;
}

/*
 * Prints state JSON (from hs_json) for people: the value of "since", which
 * the state keeps as integer nanoseconds, shown as RFC 3339 instead.
 */
static void print_state_json(const char *json, size_t len)
{
	static const char key[] = "\"since\":";
	const char *p = json, *end = json + len;

	for (;;) {
		const char *k = NULL;

		for (const char *q = p; q + sizeof(key) - 1 <= end; q++)
			if (memcmp(q, key, sizeof(key) - 1) == 0) {
				k = q;
				break;
			}
		if (k == NULL)
			break;
		const char *v = k + sizeof(key) - 1, *d;
		while (v < end && *v == ' ')
			v++;
		d = v;
		if (d < end && *d == '-')
			d++;
		while (d < end && *d >= '0' && *d <= '9')
			d++;
		if (d == v || (d == v + 1 && *v == '-')) { /* not a number */
			printf("%.*s", (int)(v - p), p);
			p = v;
			continue;
		}
		char num[32];
		size_t n = (size_t)(d - v) < sizeof(num) ? (size_t)(d - v)
							  : sizeof(num) - 1;
		memcpy(num, v, n);
		num[n] = '\0';
		printf("%.*s\"%s\"", (int)(v - p), p,
		       rfc3339(strtoll(num, NULL, 10)).s);
		p = d;
	}
	printf("%.*s\n", (int)(end - p), p);
}

/* One ship's voyages, event by event with the state after each. */
static int ask_history(hs_runtime *rt, int ship_no)
{
	hs_filter f;
	history_ctx hc = {0};
	hs_buf state = HS_BUF_INIT, json = HS_BUF_INIT;
	char id[32];
	int rc;

	ship_id(ship_no, id, sizeof(id));
	printf("\n== The voyages of %s (hs_history) ==\n", id);
	memset(&f, 0, sizeof(f));
	f.type = SHIP_TYPE;
	f.id = id;
	f.flags = HS_HISTORY_STATES;
	if ((rc = hs_history(rt, &f, print_record, &hc)) != 0) {
		log_error(rt, "hs_history", rc);
		return rc;
	}
	printf("  %" PRId64 " events. Its state after the last one:\n",
	       hc.records);
	if (hc.records > 0) {
		rc = hs_state_at(rt, SHIP_TYPE, id,
				 hs_at_seq((uint64_t)hc.records), &state,
				 NULL);
		if (rc == 0)
			rc = hs_json(&json, state.data, state.len,
				     HS_JSON_PRETTY);
		if (rc != 0)
			log_error(rt, "hs_state_at", rc);
		else
			print_state_json((const char *)json.data, json.len);
	}
	hs_buf_free(&state);
	hs_buf_free(&json);
	return rc;
}

static int count_ship(void *udata, hs_addr agent, const void *state,
		      size_t len, hs_receipt at)
{
	census *c = udata;
	ship sh;
	int rc, p;

	(void)at;
	if ((rc = ship_decode(&sh, state, len)) != 0) {
		fprintf(stderr, "hs-ships: %s: undecodable state\n", agent.id);
		return rc;
	}
	if (sh.status == SHIP_AT_SEA) {
		c->at_sea++;
	} else if (sh.status == SHIP_IN_PORT &&
		   (p = port_index(sh.port)) >= 0) {
		c->in_port[p]++;
		c->total_in_port++;
	} else {
		fprintf(stderr, "hs-ships: %s: in an unknown port '%s'\n",
			agent.id, sh.port);
		return HS_EBADMSG;
	}
	return 0;
}

/* How many ships were in each port at the census time. */
static int ask_census(hs_runtime *rt, const sim *s)
{
	census c;
	int order[NPORTS], rc;
	int64_t agents;
	bool same = true;

	printf("\n== Ships in port at %s (hs_system_at) ==\n",
	       rfc3339(s->census_ns).s);
	memset(&c, 0, sizeof(c));
	rc = hs_system_at(rt, SHIP_TYPE, hs_at_time(s->census_ns), count_ship,
			  &c);
	if (rc != 0) {
		log_error(rt, "hs_system_at", rc);
		return rc;
	}
	/* Ships without a record by then had not entered service. */
	agents = c.total_in_port + c.at_sea;
	c.not_in_service = s->nships - agents;
	for (int i = 0; i < NPORTS; i++)
		order[i] = i;
	for (int i = 1; i < NPORTS; i++) /* by count, then table order */
		for (int j = i;
		     j > 0 && c.in_port[order[j]] > c.in_port[order[j - 1]];
		     j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < NPORTS; i++) {
		const port *p = &ports[order[i]];
		char name[64];

		snprintf(name, sizeof(name), "%s, %s:", p->city, p->country);
		printf("  port %-30s %5" PRId64 "\n", name,
		       c.in_port[order[i]]);
	}
	printf("  %-35s %5" PRId64 "\n", "at sea:", c.at_sea);
	if (c.not_in_service > 0)
		printf("  %-35s %5" PRId64 "\n",
		       "not in service yet:", c.not_in_service);
	for (int i = 0; i < NPORTS; i++)
		same = same && c.in_port[i] == s->census_seen.in_port[i];
	check(same && c.total_in_port == s->census_seen.total_in_port &&
		      c.at_sea == s->census_seen.at_sea &&
		      c.not_in_service == s->census_seen.not_in_service,
	      "census at %s = %" PRId64 " in port + %" PRId64
	      " at sea + %" PRId64 " not in service (watcher: %" PRId64
	      " + %" PRId64 " + %" PRId64 ", %s per port)",
	      rfc3339(s->census_ns).s, c.total_in_port, c.at_sea,
	      c.not_in_service, s->census_seen.total_in_port,
	      s->census_seen.at_sea, s->census_seen.not_in_service,
	      same ? "same" : "different");
	return 0;
}

static int print_divergence(void *udata, const hs_divergence *d)
{
	int *shown = udata;

	if (++*shown <= 5)
		printf("  divergence: %s/%s seq %" PRIu64 " (%s): %s\n",
		       d->record.agent.type, d->record.agent.id, d->record.seq,
		       d->record.event_type,
		       d->diff_json != NULL ? d->diff_json : "");
	return 0;
}

/* Replays the whole log and compares every rebuilt state with the
 * recorded one. */
static int ask_verify(hs_runtime *rt, int64_t want_records, int nships)
{
	hs_verify_report rep;
	int shown = 0, rc;

	printf("\n== Replaying the log (hs_verify) ==\n");
	rc = hs_verify(rt, NULL, print_divergence, &shown, &rep);
	if (rc != 0) {
		log_error(rt, "hs_verify", rc);
		return rc;
	}
	printf("verified: %" PRIu64 " records, %" PRIu64 " agents, %" PRIu64
	       " divergences\n",
	       rep.records, rep.agents, rep.divergences);
	check(rep.divergences == 0 && (int64_t)rep.records == want_records &&
		      rep.agents <= (uint64_t)nships,
	      "replay = %" PRIu64 " records of %" PRIu64 " ships, %" PRIu64
	      " divergences (events sent: %" PRId64 ")",
	      rep.records, rep.agents, rep.divergences, want_records);
	return 0;
}

typedef struct fingerprint {
	uint64_t records;
	uint64_t sum;
} fingerprint;

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

static int fingerprint_record(void *udata, const hs_record *rec)
{
	fingerprint *fp = udata;
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	/* Everything but gseq, which depends on how the sender threads
	 * interleaved; summed, so that the order of records does not
	 * count either. */
	h = fnv1a(h, rec->agent.id, strlen(rec->agent.id) + 1);
	h = fnv1a(h, &rec->seq, sizeof(rec->seq));
	h = fnv1a(h, &rec->time_ns, sizeof(rec->time_ns));
	h = fnv1a(h, rec->event_type, strlen(rec->event_type) + 1);
	if (rec->body != NULL)
		h = fnv1a(h, rec->body, rec->body_len);
	h = fnv1a(h, &rec->state_hash, sizeof(rec->state_hash));
	fp->records++;
	fp->sum += h;
	return 0;
}

/* A digest of the whole history that is the same for the same seed. */
static int ask_fingerprint(hs_runtime *rt)
{
	hs_filter f;
	fingerprint fp = {0, 0};
	int rc;

	memset(&f, 0, sizeof(f));
	f.type = SHIP_TYPE;
	if ((rc = hs_history(rt, &f, fingerprint_record, &fp)) != 0) {
		log_error(rt, "hs_history", rc);
		return rc;
	}
	printf("history fingerprint: %" PRIu64 " records, %016" PRIx64 "\n",
	       fp.records, fp.sum);
	return 0;
}

int ask_the_log(hs_runtime *rt, const sim *s, int64_t events_sent)
{
	int first = s->nqueries > 0 ? s->queries[0].ship : 0;
	int rc;

	if ((rc = ask_locations(rt, s)) == 0 &&
	    (rc = ask_history(rt, first)) == 0 &&
	    (rc = ask_census(rt, s)) == 0 &&
	    (rc = ask_verify(rt, events_sent, s->nships)) == 0)
		rc = ask_fingerprint(rt);
	return rc;
}
