/* /api/log, /api/record and /api/causes: records by position, one record,
 * and the chain of causes through a record. */
#include "server.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define LOG_LIMIT_MAX 1000
#define CAUSES_SCAN_DEFAULT 10000
#define CAUSES_SCAN_MAX 10000000
#define CHAIN_MAX 1000
#define EFFECTS_MAX 1000

typedef struct lister {
	hs_buf *b;
	uint64_t n;
	uint64_t last; /* gseq of the last record listed */
	int rc;
} lister;

static int list_record(void *udata, const hs_record *r)
{
	lister *l = udata;

	if (l->n)
		l->rc |= cli_put(l->b, ",");
	l->rc |= srv_put_record(l->b, r, false);
	l->last = r->gseq;
	l->n++;
	return l->rc ? HS_ENOMEM : 0;
}

int api_log(srv_req *q)
{
	hs_filter f = {.limit = 100};
	uint64_t end = q->v->last_gseq;
	int got;

	if (srv_arg_u64(q, "from", 1, UINT64_MAX, &f.from_gseq) < 0 ||
	    srv_arg_u64(q, "to", 1, UINT64_MAX, &f.to_gseq) < 0 ||
	    (got = srv_arg_time(q, "since", &f.since_ns)) < 0)
		return 0;
	f.has_since = got == 0;
	if ((got = srv_arg_time(q, "until", &f.until_ns)) < 0 ||
	    srv_arg_u64(q, "limit", 1, LOG_LIMIT_MAX, &f.limit) < 0 ||
	    srv_arg_order(q, &f.reverse) != 0)
		return 0;
	f.has_until = got == 0;
	f.type = srv_arg(q, "type");
	f.event_type = srv_arg(q, "event");
	if (f.to_gseq != 0 && f.from_gseq > f.to_gseq)
		return srv_error(
			q, 400, "from (%" PRIu64 ") is after to (%" PRIu64 ")",
			f.from_gseq, f.to_gseq);
	if (f.has_since && f.has_until && f.since_ns > f.until_ns)
		return srv_error(q, 400, "since is after until");
	/* The view's end, so that a page and its next agree. */
	if (f.to_gseq == 0 || f.to_gseq > end)
		f.to_gseq = end;
	if (f.from_gseq == 0)
		f.from_gseq = 1;

	lister l = {.b = &q->body};
	int rc = cli_put(&q->body, "{\"records\":[");
	if (end != 0 && f.from_gseq <= f.to_gseq) {
		int h = hs_history(q->v->db.rt, &f, list_record, &l);

		if (h != 0)
			return h == HS_ENOMEM || l.rc ? srv_nomem(q)
						      : srv_fail(q, h, "log");
	}
	rc |= l.rc;
	bool more = l.n == f.limit &&
		    (f.reverse ? l.last > f.from_gseq : l.last < f.to_gseq);
	if (more)
		rc |= cli_putf(&q->body, "],\"next\":%" PRIu64 "}\n",
			       f.reverse ? l.last - 1 : l.last + 1);
	else
		rc |= cli_put(&q->body, "],\"next\":null}\n");
	return rc ? srv_nomem(q) : 0;
}

/* Reads record gseq into buf and decodes it into out: 0, or -1 with q
 * answered (404 past the end of the view, 500). */
static int read_record(srv_req *q, uint64_t gseq, hs_buf *buf,
		       hsi_named_record *out)
{
	uint64_t base = hsi_log_base_gseq(q->v->db.log);

	if (gseq != 0 && gseq <= base) {
		srv_error(q, 410,
			  "gseq %" PRIu64 " is archived: the log holds the "
			  "records after gseq %" PRIu64,
			  gseq, base);
		return -1;
	}
	if (gseq == 0 || gseq > q->v->last_gseq) {
		srv_error(q, 404,
			  "no record at gseq %" PRIu64
			  ": the log holds gseq 1..%" PRIu64,
			  gseq, q->v->last_gseq);
		return -1;
	}
	hs_buf_reset(buf);
	if (hsi_log_get_event(q->v->db.log, gseq, buf) != 0) {
		char err[700];

		hsi_log_error(q->v->db.log, err, sizeof(err));
		srv_error(q, 500, "%s", err);
		return -1;
	}
	return srv_decode(q, gseq, buf->data, buf->len, out);
}

static uint64_t gseq_arg(srv_req *q)
{
	uint64_t g = 0;
	int rc = srv_arg_u64(q, "gseq", 1, UINT64_MAX, &g);

	if (rc > 0)
		srv_error(q, 400, "gseq: missing");
	return rc == 0 ? g : 0;
}

int api_record(srv_req *q)
{
	hs_buf buf = HS_BUF_INIT;
	hsi_named_record r;
	uint64_t g = gseq_arg(q);
	int rc = 0;

	if (g != 0 && read_record(q, g, &buf, &r) == 0) {
		rc |= srv_put_record(&q->body, &r.pub, false);
		rc |= cli_put(&q->body, "\n");
		if (rc)
			srv_nomem(q);
	}
	hs_buf_free(&buf);
	return 0;
}

/* on_event's stop when it has answered q (a record that does not
 * decode); 1 is its stop at EFFECTS_MAX. */
#define ANSWERED 2

typedef struct effects {
	srv_req *q;
	uint64_t cause;
	uint64_t n;
	uint64_t scanned_to;
	int rc;
} effects;

static int on_event(void *udata, uint64_t gseq, const void *data, size_t len)
{
	effects *e = udata;
	hsi_named_record r;

	e->scanned_to = gseq;
	if (srv_decode(e->q, gseq, data, len, &r) != 0)
		return ANSWERED;
	if (r.pub.cause_gseq != e->cause)
		return 0;
	if (e->n)
		e->rc |= cli_put(&e->q->body, ",");
	e->rc |= srv_put_record(&e->q->body, &r.pub, false);
	return ++e->n == EFFECTS_MAX || e->rc ? 1 : 0;
}

int api_causes(srv_req *q)
{
	uint64_t g = gseq_arg(q), scan = CAUSES_SCAN_DEFAULT;
	uint64_t chain[CHAIN_MAX];
	size_t depth = 0;
	hs_buf buf = HS_BUF_INIT;
	hsi_named_record r;
	int rc = 0;

	if (g == 0 || srv_arg_u64(q, "scan", 1, CAUSES_SCAN_MAX, &scan) < 0 ||
	    read_record(q, g, &buf, &r) != 0)
		goto out;
	hs_buf *b = &q->body;
	rc |= cli_put(b, "{\"record\":");
	rc |= srv_put_record(b, &r.pub, false);

	/* Up: causes have smaller gseqs, so the chain ends, at the latest
	 * where the log was cut. */
	uint64_t base = hsi_log_base_gseq(q->v->db.log), archived = 0;
	for (uint64_t c = r.pub.cause_gseq; c != 0 && depth < CHAIN_MAX;) {
		if (c <= base) {
			archived = c;
			break;
		}
		if (c >= (depth ? chain[depth - 1] : g)) {
			srv_error(q, 500,
				  "%s: events key %016" PRIx64
				  ": its cause has a gseq not below "
				  "its own",
				  q->s->path, depth ? chain[depth - 1] : g);
			goto out;
		}
		chain[depth++] = c;
		if (read_record(q, c, &buf, &r) != 0)
			goto out;
		c = r.pub.cause_gseq;
	}
	rc |= cli_put(b, ",\"chain\":[");
	for (size_t k = 0; k < depth; k++) {
		if (read_record(q, chain[depth - 1 - k], &buf, &r) != 0)
			goto out;
		if (k)
			rc |= cli_put(b, ",");
		rc |= srv_put_record(b, &r.pub, false);
	}
	rc |= cli_put(b, "],\"effects\":[");

	/* Down: the records whose cause is g come after it. */
	effects e = {.q = q, .cause = g, .scanned_to = g};
	uint64_t end = q->v->last_gseq;
	uint64_t to = end - g > scan ? g + scan : end;
	if (g < end) {
		int s = hsi_log_scan_events(q->v->db.log, g + 1, to, false,
					    on_event, &e);
		if (s == ANSWERED)
			goto out;
		if (s < 0) {
			char err[700];

			hsi_log_error(q->v->db.log, err, sizeof(err));
			srv_error(q, 500, "%s", err);
			goto out;
		}
	}
	rc |= e.rc;
	rc |= cli_putf(b,
		       "],\"effects_scanned_to\":%" PRIu64
		       ",\"effects_complete\":%s,\"archived_cause\":%" PRIu64
		       "}\n",
		       e.scanned_to, e.scanned_to == end ? "true" : "false",
		       archived);
	if (rc)
		srv_nomem(q);
out:
	hs_buf_free(&buf);
	return 0;
}
