/*
 * A subscription (hs_sub): its filters, its position, and where records
 * come from: the log (subscribe/catchup.c) for what was written before
 * it started and for what its buffer dropped, the live ring
 * (subscribe/live.c) for the rest. subscribe/subscribe.c decides, record
 * by record, which of the two delivers next.
 */
#ifndef HS_SUBSCRIBE_SUB_H
#define HS_SUBSCRIBE_SUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"
#include "subscribe/filter.h"
#include "subscribe/live.h"

struct hs_sub {
	hs_runtime *rt;
	hsi_sub_filter filter;
	hsi_live *live;
	int watch_id;
	/* Read-only runtime: no watcher; the log ends at `end`. */
	bool read_only;
	uint64_t end;
	/* The first gseq the watcher is shown: the log up to from - 1 is
	 * written or on its way when the subscription starts. */
	uint64_t from;
	/* The reader's: the last gseq delivered or skipped. */
	uint64_t pos;
	/* Records delivered from each source, for tests. */
	uint64_t nlog;
	uint64_t nlive;
};

/* One hs_sub_next call's delivery: fn, and how many it may still get. */
typedef struct hsi_sub_out {
	hs_record_fn fn;
	void *udata;
	size_t n;
	size_t max;
	bool stop; /* fn asked to stop */
} hsi_sub_out;

/* Delivers the records of the log in (s->pos, to] that pass the filters,
 * moving s->pos past each one read, until `to`, out->max or out->stop.
 * Every record up to `to` must be in the log. Returns 0, HS_ECORRUPT (a
 * record that does not decode, or a gap), HS_EVERSION or HS_EIO, with
 * the text for hs_last_error. */
int hsi_sub_from_log(hs_sub *s, uint64_t to, hsi_sub_out *out);

#endif
