/*
 * The server's view of the log, and the refresher that replaces it.
 *
 * A read-only RocksDB handle sees the log as of its open. Every refresh
 * interval the refresher opens the log read-only just to read its last
 * gseq; when the log has grown it opens a whole new view (raw log,
 * runtime, types plugin), swaps it in under srv.mu and wakes the live
 * streams. Read-only opens take no lock: a writer is never in the way.
 */
#include "server.h"

#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void read_created(hsi_log *log, char out[32])
{
	hs_buf b = HS_BUF_INIT;

	out[0] = '\0';
	if (hsi_log_get_meta(log, "created_ns", &b) == 0 && b.len < 32) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	hs_buf_free(&b);
}

int srv_view_open(srv *s, srv_view **out)
{
	srv_view *v = calloc(1, sizeof(*v));
	int rc;

	if (v == NULL) {
		cli_error(s->cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	if ((rc = cli_db_open(&v->db, s->cmd, s->path)) != 0 ||
	    (rc = cli_db_runtime(&v->db, s->types, s->trust_types)) != 0) {
		cli_db_close(&v->db);
		free(v);
		return rc;
	}
	v->last_gseq = hsi_log_last_gseq(v->db.log);
	read_created(v->db.log, v->created);
	*out = v;
	return 0;
}

void srv_view_close(srv_view *v)
{
	if (v == NULL)
		return;
	cli_db_close(&v->db);
	hs_buf_free(&v->stats);
	free(v);
}

/* Whether the log, as a new read-only open sees it, is not what view v
 * shows: grown, or another log at the same path. false when it cannot be
 * opened now (the refresher tries again at the next tick). */
static bool changed_since(const srv *s, uint64_t seen, const char *created)
{
	char err[512], now[32];
	hsi_log *log;
	uint64_t last;

	if (hsi_log_open(s->path, HSI_LOG_READONLY, &log, err, sizeof(err)))
		return false;
	last = hsi_log_last_gseq(log);
	read_created(log, now);
	hsi_log_close(log);
	return last != seen || strcmp(now, created) != 0;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *refresher_main(void *p)
{
	srv *s = p;
	struct timespec ts;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		deadline_in(&ts, s->refresh_ms);
		while (!s->stopping &&
		       pthread_cond_timedwait(&s->wake, &s->mu, &ts) !=
			       ETIMEDOUT)
			;
		if (s->stopping)
			break;
		uint64_t seen = s->view->last_gseq;
		char created[sizeof(s->view->created)];
		memcpy(created, s->view->created, sizeof(created));
		pthread_mutex_unlock(&s->mu);

		srv_view *fresh = NULL;
		if (changed_since(s, seen, created) &&
		    srv_view_open(s, &fresh) != 0)
			fresh = NULL;

		pthread_mutex_lock(&s->mu);
		if (fresh != NULL) {
			srv_view *old = s->view;
			bool replaced =
				strcmp(fresh->created, old->created) != 0 ||
				fresh->last_gseq < old->last_gseq;
			s->view = fresh;
			s->views++;
			s->generation += replaced;
			fresh = old;
			pthread_cond_broadcast(&s->wake);
		}
		if (fresh != NULL) {
			pthread_mutex_unlock(&s->mu);
			srv_view_close(fresh);
			pthread_mutex_lock(&s->mu);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int srv_refresher_start(srv *s)
{
	int rc = pthread_create(&s->refresher, NULL, refresher_main, s);

	s->refresher_started = rc == 0;
	return rc == 0 ? 0 : HS_ENOMEM;
}

void srv_refresher_stop(srv *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
	if (s->refresher_started)
		pthread_join(s->refresher, NULL);
	s->refresher_started = false;
}
