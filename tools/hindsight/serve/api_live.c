/*
 * /api/live: the records after a gseq as Server-Sent Events, following
 * the log as it grows.
 *
 * libmicrohttpd asks the stream for bytes from the connection's own
 * thread; the stream sends what the current view has past its position,
 * or waits on srv.wake (a newer view, or stopping) for up to the
 * keepalive interval and then sends a comment, so that a dead client is
 * noticed and proxies keep the connection open.
 */
#include "server.h"

#include "common/buf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEPALIVE_S 15
#define BATCH 256 /* records a chunk at most */

typedef struct live {
	srv *s;
	uint64_t next;       /* the next gseq to send */
	hs_buf out;          /* bytes to send */
	size_t off;          /* of out, sent */
	bool ending;         /* out holds the last bytes */
	uint64_t generation; /* of the log the stream follows */
	srv_req q;           /* for srv_decode's error */
} live;

typedef struct chunk {
	live *l;
	int rc;
} chunk;

static int put_event(void *udata, uint64_t gseq, const void *data, size_t len)
{
	chunk *c = udata;
	live *l = c->l;
	hsi_named_record r;

	if (srv_decode(&l->q, gseq, data, len, &r) != 0)
		return 1;
	c->rc |= cli_putf(&l->out,
			  "id: %" PRIu64 "\nevent: record\ndata: ", gseq);
	c->rc |= srv_put_record(&l->out, &r.pub, false);
	c->rc |= cli_put(&l->out, "\n\n");
	l->next = gseq + 1;
	return c->rc ? 1 : 0;
}

/* Fills l->out with the next records of the view, an error event that
 * ends the stream, or nothing. Called with s->mu held. */
static void fill(live *l)
{
	srv_view *v = l->s->view;
	uint64_t to = v->last_gseq;
	chunk c = {.l = l};

	if (to - l->next >= BATCH)
		to = l->next + BATCH - 1;
	hs_buf_reset(&l->q.body);
	int rc = hsi_log_scan_events(v->db.log, l->next, to, false, put_event,
				     &c);
	if (rc < 0 && l->q.body.len == 0) {
		char err[700];

		hsi_log_error(v->db.log, err, sizeof(err));
		srv_error(&l->q, 500, "%s", err);
	}
	if (c.rc != 0)
		srv_nomem(&l->q);
	if (l->q.body.len != 0) {
		/* q.body is {"error": ...}\n: one data line. */
		cli_put(&l->out, "event: error\ndata: ");
		hsi_buf_append(&l->out, l->q.body.data, l->q.body.len - 1);
		cli_put(&l->out, "\n\n");
		l->ending = true;
	}
}

static ssize_t live_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	live *l = cls;
	srv *s = l->s;

	(void)pos;
	if (l->off == l->out.len) {
		if (l->ending)
			return MHD_CONTENT_READER_END_OF_STREAM;
		hs_buf_reset(&l->out);
		l->off = 0;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += KEEPALIVE_S;
		pthread_mutex_lock(&s->mu);
		while (!s->stopping && s->generation == l->generation &&
		       s->view->last_gseq < l->next &&
		       pthread_cond_timedwait(&s->wake, &s->mu, &ts) !=
			       ETIMEDOUT)
			;
		if (s->stopping) {
			pthread_mutex_unlock(&s->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (s->generation != l->generation) {
			/* Its gseqs mean other records now. */
			cli_put(&l->out,
				"event: error\ndata: {\"error\":\"the "
				"log was replaced (deleted and made "
				"anew): reload\"}\n\n");
			l->ending = true;
		} else if (s->view->last_gseq >= l->next) {
			fill(l);
		}
		pthread_mutex_unlock(&s->mu);
		if (l->out.len == 0 && cli_put(&l->out, ": keepalive\n\n"))
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	size_t n = l->out.len - l->off;
	if (n > max)
		n = max;
	memcpy(buf, l->out.data + l->off, n);
	l->off += n;
	return (ssize_t)n;
}

static void live_free(void *cls)
{
	live *l = cls;

	pthread_mutex_lock(&l->s->mu);
	l->s->live_streams--;
	pthread_mutex_unlock(&l->s->mu);
	hs_buf_free(&l->out);
	hs_buf_free(&l->q.body);
	free(l);
}

struct MHD_Response *api_live(srv_req *q)
{
	srv *s = q->s;
	uint64_t from = 0;
	int got = srv_arg_u64(q, "from", 0, UINT64_MAX, &from);
	const char *last_id = MHD_lookup_connection_value(
		q->conn, MHD_HEADER_KIND, "Last-Event-ID");

	if (got < 0)
		return NULL;
	/* A reconnecting EventSource resumes after the last id it got. */
	if (last_id != NULL && cli_parse_u64(last_id, &from) == 0)
		got = 0;
	live *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		srv_nomem(q);
		return NULL;
	}
	l->s = s;
	l->q = (srv_req){.s = s, .conn = q->conn};
	pthread_mutex_lock(&s->mu);
	l->next = (got == 0 ? from : s->view->last_gseq) + 1;
	l->generation = s->generation;
	s->live_streams++;
	pthread_mutex_unlock(&s->mu);
	/* The first bytes go out at once, so that the client sees the
	 * stream open before the first record. */
	if (cli_putf(&l->out, "retry: 2000\n: live from gseq %" PRIu64 "\n\n",
		     l->next) != 0) {
		live_free(l);
		srv_nomem(q);
		return NULL;
	}
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 16 * 1024, live_read, l, live_free);
	if (resp == NULL) {
		live_free(l);
		srv_nomem(q);
	}
	return resp;
}
