/*
 * What hs-stock asks its log after the run, opened read-only: a part's
 * stock at past times (hs_state_at), every backlog period (hs_history
 * with states), the busiest parts over a past window (hs_history filtered
 * by time and event type), and a replay of the whole log (hs_verify).
 * Each answer is compared with the send logs.
 */
#include "hs_stock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Says which call failed, with the log's own account; returns rc. */
static int log_error(hs_runtime *ro, const char *what, int rc)
{
	char err[512];

	hs_last_error(ro, err, sizeof(err));
	fprintf(stderr, "hs-stock: %s: %s: %s\n", what, hs_strerror(rc), err);
	return rc;
}

static int64_t cmp64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static int time_cmp(const void *a, const void *b)
{
	return (int)cmp64(*(const int64_t *)a, *(const int64_t *)b);
}

int past_stock(hs_runtime *ro, const sim *s, const opts *o, const model *m,
	       int part, bool *ok)
{
	int64_t times[16];
	size_t nt = 0, good_n = 0, k;
	hs_buf b = HS_BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < o->nat; i++)
		times[nt++] = o->at[i] * MS;
	for (int i = 1; i <= 8 && o->nat == 0; i++)
		times[nt++] = s->duration * i / 8;
	/* And the first two backlog periods' ends, when it had any. */
	for (size_t i = 0, seen = 0;
	     i < m->backlog.n && seen < 2 && o->nat == 0; i++) {
		const period *p = &m->backlog.v[i];

		if (p->part != part)
			continue;
		seen++;
		times[nt++] = p->begin;
		if (p->end >= 0)
			times[nt++] = p->end;
	}
	qsort(times, nt, sizeof(times[0]), time_cmp);
	k = 0;
	for (size_t i = 0; i < nt; i++)
		if (k == 0 || times[i] != times[k - 1])
			times[k++] = times[i];
	nt = k;

	printf("\nstock of %s at past times, from the log (hs_state_at "
	       "by time):\n",
	       Q(part_ids[part]));
	for (k = 0; k < nt && rc == 0; k++) {
		int64_t t = times[k], want;
		size_t events;
		hs_receipt at = {0, 0};
		part_state st;
		const char *mark = "";
		bool good;

		for (size_t i = 0; i < m->backlog.n; i++) {
			const period *p = &m->backlog.v[i];

			if (p->part == part && p->begin == t)
				mark = "   <- backlog began";
			else if (p->part == part && p->end == t)
				mark = "   <- recovered";
		}
		want = sent_stock_at(&s->orders, &s->deliveries, part, t,
				     &events);
		hs_buf_reset(&b);
		rc = hs_state_at(ro, "part", part_ids[part],
				 hs_at_time(EPOCH_NS + t), &b, &at);
		if (rc == HS_ENOAGENT) {
			rc = 0;
			good = events == 0;
			printf("  %10s s  no transition yet%s\n", S(t), mark);
			if (o->all_checks)
				printf("CHECK state_at %s %s s = none, %zu "
				       "events sent by then: %s\n",
				       Q(part_ids[part]), S(t), events,
				       verdict(good));
			good_n += good;
			continue;
		}
		if (rc != 0 || (rc = part_state_read(b.data, b.len, &st)) != 0)
			break;
		good = st.stock == want && at.seq == events;
		good_n += good;
		printf("  %10s s  stock %5" PRId64 "  (ordered %" PRId64
		       ", delivered %" PRId64 ", its transition %" PRIu64
		       ")%s\n",
		       S(t), st.stock, st.ordered, st.delivered, at.seq, mark);
		if (o->all_checks || !good)
			printf("CHECK state_at %s %s s = %" PRId64
			       " = send log %" PRId64 " (transition %" PRIu64
			       " = event %zu): %s\n",
			       Q(part_ids[part]), S(t), st.stock, want, at.seq,
			       events, verdict(good));
	}
	hs_buf_free(&b);
	if (rc != 0)
		return log_error(ro, "hs_state_at", rc);
	printf("CHECK state_at %s at %zu times = send log: %s\n",
	       Q(part_ids[part]), nt, verdict(good_n == nt));
	*ok &= good_n == nt;
	return 0;
}

/* Backlog periods of one part from its history with states. */
typedef struct scan {
	periods *out;
	int part;
	int64_t prev_since;
	bool odd; /* a begin not at its record's time */
} scan;

static int on_part_record(void *udata, const hs_record *rec)
{
	scan *sc = udata;
	part_state st;
	int rc = part_state_read(rec->state, rec->state_len, &st);

	if (rc != 0)
		return rc;
	if (sc->prev_since == 0 && st.backlog_since != 0) {
		sc->odd |= st.backlog_since != rec->time_ns;
		rc = periods_add(sc->out, sc->part,
				 st.backlog_since - EPOCH_NS);
	} else if (sc->prev_since != 0 && st.backlog_since == 0) {
		periods_end(sc->out, sc->part, rec->time_ns - EPOCH_NS);
	}
	sc->prev_since = st.backlog_since;
	return rc;
}

static int period_len_cmp(const void *a, const void *b)
{
	const period *x = a, *y = b;
	int64_t lx = x->end - x->begin, ly = y->end - y->begin;

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return period_cmp(a, b);
}

int backlog_periods(hs_runtime *ro, sim *s, const model *m, bool *ok)
{
	periods log = {0}, seen = {0};
	bool odd = false;
	int rc = 0;

	for (int p = 0; p < NPARTS && rc == 0; p++) {
		hs_filter f = {.type = "part",
			       .id = part_ids[p],
			       .flags = HS_HISTORY_STATES};
		scan sc = {&log, p, 0, false};

		rc = hs_history(ro, &f, on_part_record, &sc);
		if (rc == HS_ENOAGENT) /* no record of this part */
			rc = 0;
		odd |= sc.odd;
	}
	if (rc != 0) {
		free(log.v);
		return log_error(ro, "hs_history", rc);
	}

	/* What the watcher saw, in each part's seq order. */
	sort(s->notes, s->nnotes, sizeof(note), note_by_part);
	for (size_t i = 0; i < s->nnotes && rc == 0; i++) {
		if (s->notes[i].enter)
			rc = periods_add(&seen, s->notes[i].part,
					 s->notes[i].t);
		else
			periods_end(&seen, s->notes[i].part, s->notes[i].t);
	}
	sort(seen.v, seen.n, sizeof(period), period_cmp);

	printf("\nbacklog periods (stock <= %d), from the log (hs_history "
	       "of each part, with states):\n"
	       "  %zu began, %zu ended, %zu still open at %s s\n",
	       STOCK_BACKLOG, log.n, log.ended, log.n - log.ended,
	       S(s->duration));
	if (log.ended > 0 && rc == 0) {
		period *v = malloc(log.n * sizeof(*v));
		size_t n = 0;

		if (v == NULL) {
			rc = HS_ENOMEM;
		} else {
			for (size_t i = 0; i < log.n; i++)
				if (log.v[i].end >= 0)
					v[n++] = log.v[i];
			qsort(v, n, sizeof(*v), period_len_cmp);
			printf("  the longest that ended:\n");
			for (size_t i = 0; i < n && i < 5; i++)
				printf("    %-40s %10s .. %10s s  (%s s)\n",
				       Q(part_ids[v[i].part]), S(v[i].begin),
				       S(v[i].end), S(v[i].end - v[i].begin));
			free(v);
		}
	}
	if (rc == 0) {
		bool w = periods_equal(&log, &seen) && !odd;
		bool l = periods_equal(&log, &m->backlog);

		printf("CHECK backlog periods from the log = those the "
		       "watcher saw (%zu began, %zu ended): %s\n",
		       seen.n, seen.ended, verdict(w));
		printf("CHECK backlog periods from the log = send logs (%zu "
		       "began, %zu ended): %s\n",
		       m->backlog.n, m->backlog.ended, verdict(l));
		*ok &= w && l;
	}
	free(log.v);
	free(seen.v);
	return rc;
}

/* Orders per part in a past window: hs_history filtered by time and
 * event type over the whole log. */
typedef struct tally {
	int64_t count[NPARTS];
	int64_t total;
	bool unknown;
} tally;

static int on_order(void *udata, const hs_record *rec)
{
	tally *t = udata;
	int p = part_index(rec->agent.id);

	if (p < 0)
		t->unknown = true;
	else
		t->count[p]++;
	t->total++;
	return 0;
}

int busiest_window(hs_runtime *ro, const sim *s, const opts *o, bool *ok)
{
	int64_t from = o->win_from >= 0 ? o->win_from * MS : s->duration / 4;
	int64_t to = o->win_to >= 0 ? o->win_to * MS : s->duration / 2;
	hs_filter f = {.type = "part",
		       .event_type = "order",
		       .has_since = true,
		       .since_ns = EPOCH_NS + from,
		       .has_until = true,
		       .until_ns = EPOCH_NS + to};
	tally *t = calloc(1, sizeof(*t));
	ranked r[NPARTS];
	int64_t want_total = 0;
	int bad = 0, rc;

	if (t == NULL)
		return HS_ENOMEM;
	rc = hs_history(ro, &f, on_order, t);
	if (rc != 0) {
		free(t);
		return log_error(ro, "hs_history", rc);
	}
	for (int p = 0; p < NPARTS; p++) {
		int64_t want = 0;

		for (size_t i = 0; i < s->orders.n; i++)
			want += s->orders.log[i].part == p &&
				s->orders.log[i].t >= from &&
				s->orders.log[i].t <= to;
		want_total += want;
		bad += t->count[p] != want;
		r[p] = (ranked){p, t->count[p], 0, 0};
	}
	qsort(r, NPARTS, sizeof(r[0]), ranked_cmp);
	printf("\nbusiest parts by orders in %s .. %s s, from the log "
	       "(hs_history: type part, event order, since/until):\n",
	       S(from), S(to));
	for (int i = 0; i < 5 && r[i].n > 0; i++)
		printf("  %-40s %3" PRId64 " order%s\n",
		       Q(part_ids[r[i].part]), r[i].n, r[i].n == 1 ? "" : "s");
	printf("CHECK orders in %s .. %s s: %" PRId64 " in the log, %" PRId64
	       " sent, equal for every part: %s\n",
	       S(from), S(to), t->total, want_total,
	       verdict(bad == 0 && !t->unknown && t->total == want_total));
	*ok &= bad == 0 && !t->unknown && t->total == want_total;
	free(t);
	return 0;
}

static int on_divergence(void *udata, const hs_divergence *d)
{
	(void)udata;
	printf("  divergence at %s/%s seq %" PRIu64 " (%s): %s\n",
	       d->record.agent.type, d->record.agent.id, d->record.seq,
	       d->record.event_type, d->diff_json ? d->diff_json : "?");
	return 0;
}

int verify(hs_runtime *ro, const sim *s, bool *ok)
{
	hs_verify_report rep = {0};
	uint64_t nsent = s->orders.n + s->deliveries.n;
	int rc = hs_verify(ro, NULL, on_divergence, NULL, &rep);

	if (rc != 0)
		return log_error(ro, "hs_verify", rc);
	printf("\nreplaying the whole log through today's part.c "
	       "(hs_verify):\n");
	printf("verified: %" PRIu64 " records, %" PRIu64
	       " divergences (%" PRIu64 " agents)\n",
	       rep.records, rep.divergences, rep.agents);
	printf("CHECK verified records = events sent (%" PRIu64 "): %s\n",
	       nsent, verdict(rep.records == nsent && rep.divergences == 0));
	*ok &= rep.records == nsent && rep.divergences == 0;
	return 0;
}
