/*
 * Reads the log's records for the what-if, in gseq order. Records are
 * read in chunks and processed outside the RocksDB iterator, so apply()
 * and the caller's fn never run under RocksDB's frames.
 */
#include <stdlib.h>

#include "replay/whatif.h"

#define CHUNK_RECORDS 1024
#define CHUNK_BYTES ((size_t)4 << 20)

static int chunk_add(void *p, uint64_t gseq, const void *rec, size_t len)
{
	hsi_whatif *w = p;
	if (gseq != w->next) {
		w->chunk_err = HS_ECORRUPT;
		return HS_ECORRUPT;
	}
	size_t off = w->chunk.len;
	if (hsi_buf_append(&w->chunk, rec, len) != 0) {
		w->chunk_err = HS_ENOMEM;
		return HS_ENOMEM;
	}
	w->offs[w->nchunk] = off;
	w->lens[w->nchunk] = len;
	w->nchunk++;
	w->next++;
	return w->nchunk == CHUNK_RECORDS || w->chunk.len >= CHUNK_BYTES ? 1
									 : 0;
}

int hsi_whatif_scan(hsi_whatif *w, hsi_whatif_record_fn fn)
{
	hs_runtime *rt = w->rt;
	const char *path = hsi_log_path(rt->log);
	if (w->offs == NULL) {
		w->offs = malloc(CHUNK_RECORDS * sizeof(*w->offs));
		w->lens = malloc(CHUNK_RECORDS * sizeof(*w->lens));
		if (w->offs == NULL || w->lens == NULL)
			return HS_ENOMEM;
	}
	uint64_t g = 1;
	while (g <= w->to) {
		hs_buf_reset(&w->chunk);
		w->nchunk = 0;
		w->next = g;
		w->chunk_err = 0;
		int rc = hsi_log_scan_events(rt->log, g, w->to, false,
					     chunk_add, w);
		if (rc < 0) {
			if (w->chunk_err == HS_ECORRUPT)
				hsi_set_error(rt,
					      "%s: events key %016llx "
					      "missing: gseq jumps to a "
					      "later key",
					      path,
					      (unsigned long long)w->next);
			else if (w->chunk_err == 0)
				hsi_set_log_error(rt);
			return rc;
		}
		if (w->nchunk == 0) {
			hsi_set_error(rt,
				      "%s: events key %016llx missing: the "
				      "log ends before gseq %llu",
				      path, (unsigned long long)g,
				      (unsigned long long)w->to);
			return HS_ECORRUPT;
		}
		for (size_t i = 0; i < w->nchunk; i++) {
			hsi_record r;
			uint64_t gseq = g + i;
			rc = hsi_record_decode(w->chunk.data + w->offs[i],
					       w->lens[i], &r);
			if (rc == 0 && r.gseq != gseq)
				rc = HS_ECORRUPT;
			if (rc != 0) {
				hsi_set_error(rt, "%s: events key %016llx: %s",
					      path, (unsigned long long)gseq,
					      rc == HS_EVERSION
						      ? "record of a newer "
							"format"
						      : "record does not "
							"decode");
				return rc;
			}
			rc = fn(w, &r);
			if (rc != 0)
				return rc;
		}
		g = w->next;
	}
	return 0;
}

int hsi_whatif_log_changed(hsi_whatif *w, uint64_t gseq)
{
	hsi_set_error(w->rt,
		      "%s: events key %016llx changed while "
		      "the what-if read it",
		      hsi_log_path(w->rt->log), (unsigned long long)gseq);
	return HS_ECORRUPT;
}
