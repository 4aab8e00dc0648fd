/*
 * hs-stock's check of the live runtime after the run: every part's final
 * state against the send logs, and the busiest parts by their windows.
 */
#include "hs_stock.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	if (x->peak != y->peak)
		return x->peak > y->peak ? -1 : 1;
	return x->part - y->part;
}

int check_final(sim *s, const opts *o, const model *m, bool *ok)
{
	hs_buf b = HS_BUF_INIT;
	ranked *r = calloc(NPARTS, sizeof(*r));
	int bad = 0, rc = 0, top;
	int64_t end = s->duration;

	if (r == NULL)
		return HS_ENOMEM;
	if (o->all_checks)
		printf("final stock of each part (hs_deref) = delivered - "
		       "ordered, as sent:\n");
	for (int p = 0; p < NPARTS && rc == 0; p++) {
		part_state st;
		int64_t win, want_win, want_since;
		bool good;

		hs_buf_reset(&b);
		rc = hs_deref(s->rt, "part", part_ids[p], &b);
		if (rc == HS_ENOAGENT) { /* no event reached it */
			memset(&st, 0, sizeof(st));
			rc = 0;
		} else if (rc == 0) {
			rc = part_state_read(b.data, b.len, &st);
		}
		if (rc != 0) {
			fprintf(stderr, "hs-stock: state of \"%s\": %s\n",
				part_ids[p], hs_strerror(rc));
			break;
		}
		win = part_window_at(&st, EPOCH_NS + end);
		want_win = sent_orders_in(&s->orders, p, end - STOCK_WINDOW_NS,
					  end);
		want_since = m->since[p] < 0 ? 0 : EPOCH_NS + m->since[p];
		good = st.stock == m->delivered[p] - m->ordered[p] &&
		       st.ordered == m->ordered[p] &&
		       st.delivered == m->delivered[p] && win == want_win &&
		       st.backlog_since == want_since;
		bad += !good;
		if (o->all_checks || !good)
			printf("CHECK stock \"%s\" = %" PRId64
			       " = delivered %" PRId64 " - ordered %" PRId64
			       ": %s\n",
			       part_ids[p], st.stock, m->delivered[p],
			       m->ordered[p], verdict(good));
		if (!good)
			printf("  state: ordered %" PRId64
			       " delivered %" PRId64 " window %" PRId64
			       " backlog_since %" PRId64
			       "; sent: window %" PRId64
			       " backlog_since %" PRId64 "\n",
			       st.ordered, st.delivered, win, st.backlog_since,
			       want_win, want_since);
		r[p] = (ranked){p, win, st.peak, st.peak_at};
	}
	hs_buf_free(&b);
	if (rc == 0) {
		printf("CHECK final states of %d parts (stock, ordered, "
		       "delivered, 5 s window, backlog_since) = send logs: "
		       "%s\n",
		       NPARTS, verdict(bad == 0));
		*ok &= bad == 0;

		qsort(r, NPARTS, sizeof(*r), ranked_cmp);
		printf("\nbusiest parts at the end: orders in the last 5 s "
		       "(%s .. %s s), from each part's window\n",
		       S(end > STOCK_WINDOW_NS ? end - STOCK_WINDOW_NS : 0),
		       S(end));
		for (top = 0; top < 5 && r[top].n > 0; top++)
			printf("  %-40s %3" PRId64
			       " order%s  (most ever in 5 s: "
			       "%" PRId64 ", at %s s)\n",
			       Q(part_ids[r[top].part]), r[top].n,
			       r[top].n == 1 ? " " : "s", r[top].peak,
			       S(r[top].peak_at - EPOCH_NS));
		if (top == 0)
			printf("  (no orders in the last 5 s)\n");
	}
	free(r);
	return rc;
}
