/*
 * A subscription reading the log: the records written before it started,
 * and those its live buffer had no room for. The log holds every gseq
 * from 1 to its end, so the scan checks that it finds each in turn.
 */
#include "subscribe/sub.h"

#include <inttypes.h>

#include "core/runtime.h"
#include "log/log.h"
#include "replay/report.h"

/* Returned by the scan callback to stop the scan; not an error. */
#define STOP 1

typedef struct scan {
	hs_sub *s;
	hsi_sub_out *out;
	bool failed; /* on_event failed and said why */
} scan;

static int on_event(void *p, uint64_t gseq, const void *data, size_t len)
{
	scan *sc = p;
	hs_sub *s = sc->s;
	hs_runtime *rt = s->rt;
	if (gseq != s->pos + 1) {
		hsi_set_error(rt, "%s: events: gseq %" PRIu64 " is missing "
				  "(the next key is %" PRIu64 ")",
			      hsi_log_path(rt->log), s->pos + 1, gseq);
		sc->failed = true;
		return HS_ECORRUPT;
	}
	hsi_record r;
	int rc = hsi_record_decode(data, len, &r);
	if (rc == 0 && r.gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc != 0) {
		hsi_set_error(rt, "%s: events key %016" PRIx64 ": %s",
			      hsi_log_path(rt->log), gseq,
			      rc == HS_EVERSION ? "record of a newer format"
						: "record does not decode");
		sc->failed = true;
		return rc;
	}
	s->pos = gseq;
	if (!hsi_sub_filter_record(&s->filter, &r))
		return 0;
	hsi_named_record nr;
	hsi_name_record(&nr, &r);
	hsi_sub_out *out = sc->out;
	out->n++;
	s->nlog++;
	if (out->fn(out->udata, &nr.pub) != 0)
		out->stop = true;
	return out->stop || out->n == out->max ? STOP : 0;
}

int hsi_sub_from_log(hs_sub *s, uint64_t to, hsi_sub_out *out)
{
	if (s->pos >= to || out->n >= out->max || out->stop)
		return 0;
	hs_runtime *rt = s->rt;
	scan sc = {s, out, false};
	int rc = hsi_log_scan_events(rt->log, s->pos + 1, to, false, on_event,
				     &sc);
	if (rc == STOP)
		return 0;
	if (rc < 0 && !sc.failed)
		hsi_set_log_error(rt); /* the log's own text */
	if (rc == 0 && s->pos < to) {
		hsi_set_error(rt, "%s: events: gseq %" PRIu64 " is missing "
				  "(the log ends before %" PRIu64 ")",
			      hsi_log_path(rt->log), s->pos + 1, to);
		rc = HS_ECORRUPT;
	}
	return rc;
}
