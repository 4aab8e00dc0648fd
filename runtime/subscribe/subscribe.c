/*
 * Subscriptions: the public API, and the choice of the source of each
 * record. A reader at position P (every record up to P dealt with) takes
 * the next record from the live ring when the ring holds every matching
 * record after P, and from the log otherwise (live.h says how the ring
 * tells). Both give the same records in the same order, so the seam
 * between them has no gap and no repeat.
 */
#include "subscribe/sub.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/deadline.h"
#include "core/runtime.h"
#include "core/watch.h"
#include "log/log.h"

/* Records kept for a slow reader unless the options say otherwise. */
#define DEFAULT_BUFFER 4096

/* How often (ms) to look at the log while records queued before the
 * subscription began are still on their way to it: nobody signals their
 * arrival, as the watcher is shown only the records after them. */
#define INFLIGHT_POLL_MS 1

void hs_sub_options_init(hs_sub_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

static void sub_free(hs_sub *s)
{
	hsi_live_destroy(s->live);
	hsi_sub_filter_destroy(&s->filter);
	free(s);
}

int hs_subscribe(hs_runtime *rt, const hs_sub_options *opts, hs_sub **out)
{
	hs_sub_options defaults;
	if (rt == NULL || out == NULL)
		return HS_EINVAL;
	if (opts == NULL) {
		hs_sub_options_init(&defaults);
		opts = &defaults;
	}
	if (rt->log == NULL) {
		hsi_set_error(rt, "this runtime keeps no log (opened without a "
				  "path): there is nothing to subscribe to");
		return HS_ENOTSUP;
	}
	hs_sub *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return HS_ENOMEM;
	s->rt = rt;
	s->pos = opts->after_gseq;
	s->read_only = rt->opts.read_only;
	int rc = hsi_sub_filter_init(&s->filter, opts->type, opts->id,
				     opts->event_type);
	if (rc != 0) {
		free(s);
		return rc;
	}
	size_t cap = opts->buffer != 0 ? opts->buffer : DEFAULT_BUFFER;
	s->live = hsi_live_create(&s->filter, s->read_only ? 1 : cap);
	if (s->live == NULL) {
		sub_free(s);
		return HS_ENOMEM;
	}
	s->live->rt = rt;
	uint64_t last = hsi_log_last_gseq(rt->log);
	if (s->pos > last) {
		hsi_set_error(rt, "%s: after_gseq %" PRIu64 " is past the end "
				  "of the log (%" PRIu64 ")",
			      hsi_log_path(rt->log), s->pos, last);
		sub_free(s);
		return HS_ERANGE;
	}
	if (s->read_only) {
		s->end = last;
		s->from = last + 1;
	} else {
		rc = hsi_watch_durable_from(rt, hsi_live_watch, s->live,
					    &s->watch_id, &s->from);
		if (rc != 0) {
			sub_free(s);
			return rc;
		}
	}
	*out = s;
	return 0;
}

int hs_unsubscribe(hs_sub *s)
{
	if (s == NULL)
		return 0;
	/* Once this returns the watcher runs no more: the ring is ours. */
	if (!s->read_only)
		(void)hs_unwatch(s->rt, s->watch_id);
	sub_free(s);
	return 0;
}

uint64_t hs_sub_position(const hs_sub *s)
{
	return s != NULL ? s->pos : 0;
}

void hs_sub_cancel(hs_sub *s)
{
	if (s != NULL)
		hsi_live_cancel(s->live);
}

/* What to wait for when nothing is ready. */
typedef struct wait_for {
	uint64_t seen; /* a gseq after this one being shown */
	bool poll;     /* records before `from` are still on their way */
	bool end;      /* read-only: nothing more will come */
} wait_for;

/* The first record the ring holds, delivered or dropped if it is behind
 * the position. Returns 0 or an error. */
static int take_buffered(hs_sub *s, hsi_live_rec *e, hsi_sub_out *out)
{
	uint64_t gseq = e->rec.gseq;
	if (gseq <= s->pos) {
		/* Already dealt with from the log. The rules of pump() read
		 * the log only up to records the ring does not hold, so this
		 * does not happen; it keeps a record from being delivered
		 * twice should those rules change. */
		hsi_live_pop(s->live);
		return 0;
	}
	if (e->base > s->pos) {
		/* Records between the position and this one were dropped:
		 * the log has them (this one is written, so they are). */
		return hsi_sub_from_log(s, gseq - 1, out);
	}
	/* Every matching record in (base, gseq) was in the ring before
	 * this one, so none is left after the position. */
	s->pos = gseq;
	out->n++;
	s->nlive++;
	if (out->fn(out->udata, &e->rec) != 0)
		out->stop = true;
	hsi_live_pop(s->live);
	return 0;
}

/* Delivers what is ready now, up to out->max, from the ring or the log;
 * when nothing more is, says in *w what to wait for. */
static int pump(hs_sub *s, hsi_sub_out *out, wait_for *w)
{
	hsi_live *l = s->live;
	int rc = 0;
	while (rc == 0 && out->n < out->max && !out->stop) {
		if (s->read_only) {
			if (s->pos >= s->end) {
				w->end = true;
				return 0;
			}
			rc = hsi_sub_from_log(s, s->end, out);
			continue;
		}
		/* seen before the ring: see live.h. */
		uint64_t seen = hsi_live_seen(l);
		uint64_t dropped = hsi_live_dropped(l);
		hsi_live_rec *e = hsi_live_peek(l);
		if (e != NULL) {
			rc = take_buffered(s, e, out);
			continue;
		}
		if (seen == 0) {
			/* The watcher was shown nothing yet: the history is
			 * the log up to from - 1, of which the tail may not
			 * be written yet. */
			uint64_t last = hsi_log_last_gseq(s->rt->log);
			uint64_t to = last < s->from - 1 ? last : s->from - 1;
			if (s->pos < to) {
				rc = hsi_sub_from_log(s, to, out);
				continue;
			}
			w->seen = 0;
			w->poll = s->pos < s->from - 1;
			return 0;
		}
		/* Everything up to seen is written; before from nothing was
		 * buffered, which counts as dropped. */
		if (dropped < s->from - 1)
			dropped = s->from - 1;
		if (dropped > s->pos) {
			rc = hsi_sub_from_log(s, seen > dropped ? seen : dropped,
					      out);
			continue;
		}
		/* The ring is empty and dropped nothing after the position:
		 * no record up to seen is left for us. */
		if (seen > s->pos)
			s->pos = seen;
		w->seen = seen;
		w->poll = false;
		return 0;
	}
	return rc;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

int hs_sub_next(hs_sub *s, hs_record_fn fn, void *udata, size_t max,
		int timeout_ms)
{
	if (s == NULL || fn == NULL || max == 0)
		return HS_EINVAL;
	hsi_sub_out out = {fn, udata, 0, max < INT_MAX ? max : INT_MAX,
			   false};
	struct timespec deadline;
	if (timeout_ms > 0)
		deadline = hsi_deadline_in_ms(CLOCK_MONOTONIC, timeout_ms);
	for (;;) {
		if (hsi_live_cancelled(s->live))
			return out.n != 0 ? (int)out.n : HS_ECLOSED;
		wait_for w = {0, false, false};
		int rc = pump(s, &out, &w);
		if (out.n != 0)
			return (int)out.n; /* an error comes again next time */
		if (rc != 0)
			return rc;
		if (w.end)
			return HS_EEND;
		/* Caught up with a log whose writer stopped: nothing more
		 * will come (what was on its way never will). Relaxed: a
		 * flag; seen late, it is reported on a later call. */
		int failed = s->read_only ? 0
				: atomic_load_explicit(&s->rt->writer.failed,
						       memory_order_relaxed);
		if (failed != 0 && s->pos >= hsi_log_last_gseq(s->rt->log))
			return failed;
		if (timeout_ms == 0)
			return HS_ETIMEDOUT;
		struct timespec now, until;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms > 0 && !before(&now, &deadline))
			return HS_ETIMEDOUT;
		const struct timespec *limit = timeout_ms > 0 ? &deadline
							      : NULL;
		if (w.poll) {
			until = hsi_deadline_in_ms(CLOCK_MONOTONIC,
						   INFLIGHT_POLL_MS);
			if (limit == NULL || before(&until, limit))
				limit = &until;
		}
		hsi_live_wait(s->live, w.seen, limit);
	}
}
