/* hindsight replay without a terminal: every step, one after the other. */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/buf.h"
#include "core/introspect.h"

/* ------------------------------------------------------------------ */
/* Without a terminal: every step                                       */
/* ------------------------------------------------------------------ */

typedef struct printer {
	stepper *s;
	hs_buf out, prev, diff;
	uint64_t from;
} printer;

static int print_step(void *udata, const hs_record *r)
{
	printer *p = udata;
	stepper *s = p->s;
	int rc = 0;

	if (p->prev.len == 0 &&
	    hsi_introspect_initial_state(s->db->rt, r->agent.type, r->agent.id,
					 &p->prev) != 0)
		cli_put(&p->prev, "\x80");
	if (r->seq >= p->from) {
		hs_buf_reset(&p->diff);
		rc = hs_json_diff(&p->diff, p->prev.data, p->prev.len,
				  r->state, r->state_len);
		cli_putf(&p->out, "== step %" PRIu64 " of %" PRIu64 ": ",
			 r->seq, s->n);
		cli_put_record_line(&p->out, r);
		cli_put(&p->out, "\nbefore: ");
		hs_json(&p->out, p->prev.data, p->prev.len, 0);
		cli_put(&p->out, "\nafter:  ");
		hs_json(&p->out, r->state, r->state_len, 0);
		cli_put(&p->out, "\nchanges:\n");
		if (rc == 0)
			rc = cli_put_diff_lines(&p->out, &p->diff, "  ");
		replay_effects_of(s, r->seq, &s->effects);
		if (rc == 0 && s->effects.len != 0) {
			cli_put(&p->out, "effects:\n");
			hsi_buf_append(&p->out, s->effects.data,
				       s->effects.len);
		}
		if (rc == 0 && cli_flush(&p->out) != 0)
			return 1;
	}
	hs_buf_reset(&p->prev);
	if (rc == 0)
		rc = hsi_buf_append(&p->prev, r->state, r->state_len);
	return rc;
}

int replay_print_all(stepper *s, uint64_t from)
{
	printer p = {.s = s, .from = from};
	hs_filter f = {.type = s->ag.type, .id = s->ag.id,
		       .flags = HS_HISTORY_STATES};
	int rc = hs_history(s->db->rt, &f, print_step, &p);

	hs_buf_free(&p.out);
	hs_buf_free(&p.prev);
	hs_buf_free(&p.diff);
	if (rc == 1)
		return CLI_EXIT_USAGE; /* output failed */
	if (rc != 0) {
		char what[400];

		snprintf(what, sizeof(what), "replaying %s/%s", s->ag.type,
			 s->ag.id);
		return cli_db_fail(s->db, rc, what);
	}
	return CLI_EXIT_OK;
}

