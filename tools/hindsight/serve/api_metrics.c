/* /metrics: the server's and the log's numbers as Prometheus text. */
#include "server.h"

#include <inttypes.h>

static int metric(hs_buf *b, const char *name, const char *type,
		  const char *help, uint64_t value)
{
	return cli_putf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
			name, help, name, type, name, value);
}

int api_metrics(srv_req *q)
{
	const srv *s = q->s; /* s->mu is held */
	hs_buf *b = &q->body;
	int rc = 0;

	q->content_type = "text/plain; version=0.0.4; charset=utf-8";
	rc |= metric(b, "hindsight_log_records", "gauge",
		     "Records in the log (its last gseq), as of the newest "
		     "view.",
		     q->v->last_gseq);
	rc |= metric(b, "hindsight_serve_views_opened_total", "counter",
		     "Read-only views of the log opened (one more each time "
		     "it grew).",
		     s->views);
	rc |= cli_put(b, "# HELP hindsight_serve_requests_total Requests "
			 "answered, by status class.\n# TYPE "
			 "hindsight_serve_requests_total counter\n");
	rc |= cli_putf(
		b,
		"hindsight_serve_requests_total{class=\"2xx\"} %" PRIu64
		"\nhindsight_serve_requests_total{class=\"4xx\"} %" PRIu64
		"\nhindsight_serve_requests_total{class=\"5xx\"} %" PRIu64
		"\n",
		s->requests - s->status_4xx - s->status_5xx, s->status_4xx,
		s->status_5xx);
	rc |= metric(b, "hindsight_serve_live_streams", "gauge",
		     "Open /api/live streams.", s->live_streams);
	return rc ? srv_nomem(q) : 0;
}
