/*
 * The caller's edits, checked before anything runs: inserts name a
 * registered agent type and an id; drops and replaces name a record up to
 * `to` that came from outside (a caused record follows from its cause,
 * which is the one to edit), and no record twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay/whatif.h"

static int cmp_edit(const void *pa, const void *pb)
{
	const hsi_wedit *a = pa, *b = pb;
	if (a->e->gseq != b->e->gseq)
		return a->e->gseq < b->e->gseq ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int bad_edit(hs_runtime *rt, size_t i, const char *why)
{
	hsi_set_error(rt, "what-if edit %zu: %s", i, why);
	return HS_EINVAL;
}

/* Checks an event type and body of edit i into ed. */
static int check_event(hs_runtime *rt, size_t i, const hs_edit *e,
		       hsi_wedit *ed)
{
	if (e->event_type != NULL) {
		size_t n = strnlen(e->event_type, HS_NAME_MAX + 1);
		if (n == 0 || n > HS_NAME_MAX)
			return bad_edit(rt, i,
					"event type empty or longer "
					"than HS_NAME_MAX");
		ed->event_type = e->event_type;
		ed->event_type_len = n;
	}
	if (e->body == NULL && e->body_len != 0)
		return bad_edit(rt, i, "body NULL with a length");
	if (e->body_len > UINT32_MAX)
		return bad_edit(rt, i, "body too long");
	if (e->body_len != 0 && hs_msgpack_check(e->body, e->body_len) != 0)
		return bad_edit(rt, i, "body is not one msgpack value");
	ed->body = e->body;
	ed->body_len = e->body_len;
	/* A nil body is no body, as in hs_send. */
	if (ed->body_len == 1 && *(const uint8_t *)ed->body == 0xc0)
		ed->body_len = 0;
	return 0;
}

int hsi_whatif_read_edits(hsi_whatif *w, const hs_edit *edits, size_t nedits)
{
	hs_runtime *rt = w->rt;
	char why[256];
	if (nedits == 0)
		return 0;
	w->ins = calloc(nedits, sizeof(*w->ins));
	w->mods = calloc(nedits, sizeof(*w->mods));
	if (w->ins == NULL || w->mods == NULL)
		return HS_ENOMEM;
	for (size_t i = 0; i < nedits; i++) {
		const hs_edit *e = &edits[i];
		hsi_wedit ed = {.e = e, .idx = i};
		if (e->gseq == 0)
			return bad_edit(rt, i,
					"gseq 0 names no record; gseqs "
					"start at 1");
		int rc = check_event(rt, i, e, &ed);
		if (rc != 0)
			return rc;
		if (e->kind == HS_EDIT_INSERT) {
			if (e->event_type == NULL)
				return bad_edit(rt, i,
						"insert without an "
						"event type");
			rc = hsi_check_addr(rt, e->type, e->id, &ed.t,
					    &ed.id_len);
			if (rc == HS_ENOTYPE) {
				hsi_set_error(rt,
					      "what-if edit %zu: agent "
					      "type '%s' is not "
					      "registered",
					      i, e->type);
				return rc;
			}
			if (rc != 0)
				return bad_edit(rt, i,
						"insert needs an agent "
						"type and id (1..255 "
						"bytes)");
			w->ins[w->nins++] = ed;
			continue;
		}
		if (e->kind != HS_EDIT_DROP && e->kind != HS_EDIT_REPLACE)
			return bad_edit(rt, i, "unknown kind");
		if (e->gseq > w->to) {
			snprintf(why, sizeof(why),
				 "gseq %llu names no record "
				 "(the what-if covers "
				 "1..%llu)",
				 (unsigned long long)e->gseq,
				 (unsigned long long)w->to);
			return bad_edit(rt, i, why);
		}
		hsi_record r;
		rc = hsi_read_record(rt, e->gseq, NULL, NULL, 0, 0, &w->rec,
				     &r);
		if (rc != 0)
			return rc;
		if (r.cause.seq != 0) {
			snprintf(why, sizeof(why),
				 "record gseq %llu (%.*s/%.*s "
				 "seq %llu) was sent by "
				 "%.*s/%.*s seq %llu; its "
				 "event follows from that "
				 "cause: edit the cause "
				 "instead",
				 (unsigned long long)e->gseq, (int)r.type_len,
				 r.type, (int)r.id_len, r.id,
				 (unsigned long long)r.seq,
				 (int)r.cause.type_len, r.cause.type,
				 (int)r.cause.id_len, r.cause.id,
				 (unsigned long long)r.cause.seq);
			return bad_edit(rt, i, why);
		}
		w->mods[w->nmods++] = ed;
	}
	if (w->nins > 1)
		qsort(w->ins, w->nins, sizeof(*w->ins), cmp_edit);
	if (w->nmods > 1)
		qsort(w->mods, w->nmods, sizeof(*w->mods), cmp_edit);
	for (size_t k = 1; k < w->nmods; k++) {
		if (w->mods[k].e->gseq == w->mods[k - 1].e->gseq) {
			snprintf(why, sizeof(why),
				 "record gseq %llu is "
				 "already dropped or "
				 "replaced by edit %zu",
				 (unsigned long long)w->mods[k].e->gseq,
				 w->mods[k - 1].idx);
			return bad_edit(rt, w->mods[k].idx, why);
		}
	}
	return 0;
}
