#ifndef HS_RETAIN_CUT_H
#define HS_RETAIN_CUT_H

/*
 * Cutting a log: the events before a gseq are dropped, and every agent
 * with a transition before it keeps its state there as its base
 * (log/log.h, "Cut logs"; docs/DESIGN.md, "Retention").
 */

#include <stdint.h>

#include "hindsight.h"
#include "log/log.h"

typedef struct hsi_cut_report {
	uint64_t from_gseq; /* the first event dropped */
	uint64_t events;    /* events dropped */
	uint64_t bases;     /* agents given a new base */
	uint64_t unchecked; /* bases whose hash could not be compared with
			     * the record's (another state version) */
} hsi_cut_report;

/*
 * Cuts the log before gseq `before`: rt (read-only is enough) reads it
 * and rebuilds states with its registered types, wlog is a writable
 * handle of the same log, which the caller holds so that nothing else
 * writes it. Each agent's state at gseq before - 1 is rebuilt with
 * today's code; its hash must equal the recorded one where the record's
 * state version is the type's (else HS_EHANDLER: run verify). Then one
 * synced batch writes the bases and drops the events, and the log is
 * compacted. Returns 0 with *out filled (may be NULL), HS_ERANGE for a
 * `before` that is not after the log's base or is past its end + 1,
 * HS_ENOTYPE for an agent whose type rt lacks, or the error of a read;
 * the text is in hs_last_error(rt). Nothing is written on failure.
 */
int hsi_cut(hs_runtime *rt, hsi_log *wlog, uint64_t before,
	    hsi_cut_report *out);

#endif
