/*
 * What-if: replays the whole log with edits (insert, drop, replace) into
 * a scratch overlay of agent states that this call owns, then compares the
 * what-if run with history. Neither the log nor the live agents are
 * touched.
 *
 * After the edits are checked (whatif_edits.c), three steps:
 *  1. index (whatif_index.c): one scan of the records up to `to` notes
 *     each agent's transitions and each caused record under its cause.
 *  2. run (whatif_run.c): a second scan replays history with the edits,
 *     taking a caused record from history only where it still holds
 *     (whatif_check.c) and delivering the sends that history lacks.
 *  3. report (whatif_report.c): the differences in the order of the
 *     what-if run, then the final states that differ.
 */
#include <stdlib.h>

#include "replay/whatif.h"

static void whatif_free(hsi_whatif *w)
{
	hsi_whatif_free_agents(w);
	free(w->ins);
	free(w->mods);
	free(w->caused);
	free(w->send_keys);
	free(w->sends);
	free(w->paired);
	free(w->offs);
	free(w->lens);
	free(w->changes);
	hs_buf *bufs[] = {&w->events, &w->states,  &w->chunk,  &w->rec,
			  &w->srec,   &w->crec,    &w->enc,    &w->hbuf,
			  &w->wbuf,   &w->json[0], &w->json[1]};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		hs_buf_free(bufs[i]);
	hsi_upcast_free(&w->up);
	free(w);
}

int hs_whatif(hs_runtime *rt, const hs_edit *edits, size_t nedits,
	      uint64_t to_gseq, hs_whatif_fn fn, void *udata)
{
	if (rt == NULL || (edits == NULL && nedits != 0))
		return HS_EINVAL;
	if (rt->log == NULL)
		return HS_ENOTSUP;
	if (hsi_log_base_gseq(rt->log) != 0) {
		/* The run replays every agent from its first transition. */
		hsi_set_error(rt, "%s: a what-if replays history from its "
				  "start, and this log's history up to gseq "
				  "%llu is archived: run it on the archive "
				  "imported with the log it was cut from",
			      hsi_log_path(rt->log),
			      (unsigned long long)hsi_log_base_gseq(rt->log));
		return HS_EARCHIVED;
	}
	/* The log as far as it was written when the call began. */
	uint64_t end = hsi_log_last_gseq(rt->log);
	if (to_gseq > end) {
		hsi_set_error(rt,
			      "%s: gseq %llu is after the end of the log "
			      "(%llu)",
			      hsi_log_path(rt->log),
			      (unsigned long long)to_gseq,
			      (unsigned long long)end);
		return HS_ERANGE;
	}
	hsi_whatif *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return HS_ENOMEM;
	w->rt = rt;
	hsi_addr_map_init(&w->agents, sizeof(hsi_wagent *));
	w->to = to_gseq != 0 ? to_gseq : end;
	w->fn = fn;
	w->udata = udata;
	int rc = hsi_whatif_read_edits(w, edits, nedits);
	if (rc == 0)
		rc = hsi_whatif_index(w);
	if (rc == 0)
		rc = hsi_whatif_run(w);
	if (rc == 0)
		rc = hsi_whatif_report(w);
	/* One text for running out of memory, whichever step did. */
	if (rc == HS_ENOMEM)
		hsi_set_error(rt, "what-if: out of memory");
	whatif_free(w);
	return rc;
}
