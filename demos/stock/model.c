/*
 * What hs-stock knows without asking the log: its two send logs, played
 * through the backlog rule, for the checks to compare the log's answers
 * with.
 */
#include "hs_stock.h"

int periods_add(periods *p, int part, int64_t begin)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 256;
		period *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL)
			return HS_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (period){part, begin, -1};
	return 0;
}

void periods_end(periods *p, int part, int64_t end)
{
	for (size_t i = p->n; i-- > 0;)
		if (p->v[i].part == part) {
			if (p->v[i].end < 0) {
				p->v[i].end = end;
				p->ended++;
			}
			return;
		}
}

int period_cmp(const void *a, const void *b)
{
	const period *x = a, *y = b;

	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

bool periods_equal(const periods *a, const periods *b)
{
	if (a->n != b->n || a->ended != b->ended)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (period_cmp(&a->v[i], &b->v[i]) != 0)
			return false;
	return true;
}

int model_build(model *m, const stream *os, const stream *ds)
{
	int64_t stock[NPARTS] = {0};
	size_t i = 0, j = 0;
	int rc = 0;

	for (int p = 0; p < NPARTS; p++)
		m->since[p] = -1;
	while (rc == 0 && (i < os->n || j < ds->n)) {
		bool order = j == ds->n ||
			     (i < os->n && os->log[i].t <= ds->log[j].t);
		const sent *e = order ? &os->log[i++] : &ds->log[j++];
		int p = e->part;

		if (order) {
			stock[p] -= e->qty;
			m->ordered[p] += e->qty;
		} else {
			stock[p] += e->qty;
			m->delivered[p] += e->qty;
		}
		if (stock[p] <= STOCK_BACKLOG && m->since[p] < 0) {
			m->since[p] = e->t;
			rc = periods_add(&m->backlog, p, e->t);
		} else if (stock[p] > STOCK_BACKLOG && m->since[p] >= 0) {
			m->since[p] = -1;
			periods_end(&m->backlog, p, e->t);
		}
	}
	sort(m->backlog.v, m->backlog.n, sizeof(period), period_cmp);
	return rc;
}

int64_t sent_stock_at(const stream *os, const stream *ds, int part, int64_t t,
		      size_t *events)
{
	int64_t stock = 0;

	*events = 0;
	for (size_t i = 0; i < os->n && os->log[i].t <= t; i++)
		if (os->log[i].part == part)
			stock -= os->log[i].qty, ++*events;
	for (size_t i = 0; i < ds->n && ds->log[i].t <= t; i++)
		if (ds->log[i].part == part)
			stock += ds->log[i].qty, ++*events;
	return stock;
}

int64_t sent_orders_in(const stream *os, int part, int64_t from, int64_t to)
{
	int64_t n = 0;

	for (size_t i = 0; i < os->n; i++)
		n += os->log[i].part == part && os->log[i].t > from &&
		     os->log[i].t <= to;
	return n;
}
