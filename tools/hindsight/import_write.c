/*
 * hindsight import: the rules between lines and the writes (import.h).
 * Each record must continue the log the lines before made (gseq, the
 * agent's seq and time, a cause before it); a snapshot must come right
 * after its record and hash to its state hash. Records, their index
 * entries, meta type keys and snapshots go to the new log in batches.
 */
#include "import.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"

static int log_error(cli_importer *im, const char *what)
{
	char err[700];

	cli_progress_end(&im->progress);
	hsi_log_error(im->log, err, sizeof(err));
	cli_error(im->cmd, "%s: %s", what, err);
	return CLI_EXIT_USAGE;
}

int cli_import_flush(cli_importer *im, bool sync)
{
	int rc = hsi_log_write(im->log, im->batch, sync);

	hsi_log_batch_clear(im->batch);
	im->in_batch = 0;
	return rc != 0 ? log_error(im, "cannot write the new log") : 0;
}

int cli_import_add_record(cli_importer *im, const cli_import_record *p)
{
	const hsi_record *r = &p->r;
	void *v;
	int rc;

	if (r->gseq != im->gseq + 1)
		return cli_import_line_error(
			im,
			"gseq %" PRIu64 " where %" PRIu64
			" was expected: import needs a whole log "
			"(an unfiltered export), records in gseq "
			"order from 1",
			r->gseq, im->gseq + 1);
	if (hsi_addr_map_find_or_add(&im->agents, r->type, r->type_len, r->id,
				     r->id_len, &v, NULL) != 0)
		return cli_import_line_error(im, "out of memory");
	cli_import_agent *a = v;
	if (r->seq != a->last_seq + 1)
		return cli_import_line_error(
			im,
			"%s/%s seq %" PRIu64 " where %" PRIu64
			" was expected (each agent's seqs go up by "
			"one from 1)",
			p->type, p->id, r->seq, a->last_seq + 1);
	if (a->records != 0 && r->time_ns < a->last_time)
		return cli_import_line_error(im,
					     "%s/%s seq %" PRIu64
					     " has a time before "
					     "its previous transition's",
					     p->type, p->id, r->seq);
	if (r->cause.seq != 0 && r->cause.gseq >= r->gseq)
		return cli_import_line_error(
			im,
			"the cause (gseq %" PRIu64 ") does not "
			"precede the record (gseq %" PRIu64 ")",
			r->cause.gseq, r->gseq);
	a->last_seq = r->seq;
	a->last_time = r->time_ns;
	a->records++;

	/* A new agent type gets its meta key, as the runtime writes it. */
	if (a->records == 1) {
		bool seen = false;

		for (size_t o = 0; o < im->types.len && !seen;) {
			const char *t = (const char *)im->types.data + o;

			seen = strcmp(t, p->type) == 0;
			o += strlen(t) + 1;
		}
		if (!seen) {
			char key[HS_NAME_MAX + 8];

			if (hsi_buf_append(&im->types, p->type,
					   strlen(p->type) + 1) != 0)
				return cli_import_line_error(im,
							     "out of memory");
			snprintf(key, sizeof(key), "type/%s", p->type);
			hsi_log_batch_put_meta(im->log, im->batch, key, "", 0);
		}
	}

	hs_buf_reset(&im->rec);
	if ((rc = hsi_record_encode(r, &im->rec, NULL)) != 0)
		return cli_import_line_error(im, "out of memory");
	hsi_log_batch_put_event(im->log, im->batch, r->gseq, im->rec.data,
				im->rec.len);
	hsi_log_batch_put_index(im->log, im->batch, r->type, r->type_len,
				r->id, r->id_len, r->seq, r->gseq, r->time_ns);
	im->gseq = r->gseq;
	im->prev.record = true;
	memcpy(im->prev.type, p->type, sizeof(p->type));
	memcpy(im->prev.id, p->id, sizeof(p->id));
	im->prev.seq = r->seq;
	im->prev.gseq = r->gseq;
	im->prev.state_hash = r->state_hash;
	if (++im->in_batch == CLI_IMPORT_BATCH)
		return cli_import_flush(im, false);
	return 0;
}

int cli_import_add_snapshot(cli_importer *im, const cli_import_snapshot *s)
{
	const cli_import_prev *p = &im->prev;
	size_t tn = strlen(s->type), in = strlen(s->id);

	if (!p->record || p->seq != s->seq || strcmp(p->type, s->type) != 0 ||
	    strcmp(p->id, s->id) != 0) {
		cli_import_agent *a =
			hsi_addr_map_find(&im->agents, s->type, tn, s->id, in);

		if (a == NULL || s->seq > a->last_seq)
			return cli_import_line_error(
				im,
				"snapshot of %s/%s seq %" PRIu64
				": no record of %s/%s seq %" PRIu64
				" precedes it (a snapshot line comes right "
				"after its record's line)",
				s->type, s->id, s->seq, s->type, s->id,
				s->seq);
		return cli_import_line_error(
			im,
			"snapshot of %s/%s seq %" PRIu64
			": the line before is not its record (a snapshot "
			"line comes right after its record's line, at most one "
			"a record)",
			s->type, s->id, s->seq);
	}
	uint64_t h = hsi_state_hash(im->state.data, im->state.len);
	if (h != p->state_hash)
		return cli_import_line_error(
			im,
			"snapshot of %s/%s seq %" PRIu64
			": its FNV-1a 64 %016" PRIx64 " is not the "
			"state_hash %016" PRIx64
			" of its record (gseq %" PRIu64 ")",
			s->type, s->id, s->seq, h, p->state_hash, p->gseq);
	hsi_log_batch_put_snapshot(im->log, im->batch, s->type, tn, s->id, in,
				   s->seq, im->state.data, im->state.len);
	im->prev.record = false; /* one snapshot a record */
	im->snapshots++;
	if (++im->in_batch == CLI_IMPORT_BATCH)
		return cli_import_flush(im, false);
	return 0;
}

/* After everything is written: each cause must name the record at its
 * gseq (same agent and seq). */
typedef struct cause_check {
	cli_importer *im;
	hs_buf buf;
	uint64_t bad, bad_cause;
} cause_check;

static int on_written(void *udata, uint64_t gseq, const void *data, size_t len)
{
	cause_check *cc = udata;
	hsi_record r, c;

	if (hsi_record_decode(data, len, &r) != 0 || r.cause.seq == 0)
		return 0;
	hs_buf_reset(&cc->buf);
	if (hsi_log_get_event(cc->im->log, r.cause.gseq, &cc->buf) != 0 ||
	    hsi_record_decode(cc->buf.data, cc->buf.len, &c) != 0 ||
	    c.seq != r.cause.seq || c.type_len != r.cause.type_len ||
	    c.id_len != r.cause.id_len ||
	    memcmp(c.type, r.cause.type, c.type_len) != 0 ||
	    memcmp(c.id, r.cause.id, c.id_len) != 0) {
		cc->bad = gseq;
		cc->bad_cause = r.cause.gseq;
		return 1;
	}
	return 0;
}
int cli_import_check_causes(cli_importer *im)
{
	cause_check cc = {.im = im};
	int rc = hsi_log_scan_events(im->log, 1, UINT64_MAX, false, on_written,
				     &cc);

	hs_buf_free(&cc.buf);
	if (rc < 0)
		return log_error(im, "cannot read the new log back");
	if (cc.bad != 0) {
		cli_error(im->cmd,
			  "%s: the record with gseq %" PRIu64
			  " names a cause at gseq %" PRIu64
			  " that is not there (another agent or seq)",
			  im->input, cc.bad, cc.bad_cause);
		return CLI_EXIT_USAGE;
	}
	return 0;
}
