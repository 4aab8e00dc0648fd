/*
 * hindsight replay: a step-through debugger over one agent's history.
 *
 * On a terminal it shows one transition at a time (the record, the state
 * before and after side by side, the field-level changes) and reads keys:
 * n / space / right arrow the next transition, p / left arrow the
 * previous, Home / End the first / last, g and a seq then Enter, t and a
 * time then Enter, q to quit. Plain ANSI escapes and termios: any terminal
 * emulator of the last decades (and tmux) understands them.
 *
 * Without a terminal (stdin or stdout not a tty) it prints every step, one
 * after the other. This file is the command and the steps; printing and
 * the terminal are replay_print.c and replay_term.c.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "core/introspect.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_replay = {
	.name = "replay",
	.synopsis = "DB TYPE/ID --types LIB.so [--seq N]",
	.summary = "Step through an agent's transitions: states before, "
		   "after, changes.",
	.help = "options:\n"
		"      --types LIB.so  the types plugin with the agent type's "
		"code (required)\n"
		CLI_TRUST_TYPES_HELP
		"      --seq N         start at transition N (default 1)\n\n"
		"keys:\n"
		"  n, space, right arrow   next transition\n"
		"  p, left arrow           previous transition\n"
		"  Home, End               first, last transition\n"
		"  g SEQ Enter             go to transition SEQ\n"
		"  t TIME Enter            go to the transition in force at "
		"TIME (RFC 3339 or ns)\n"
		"  Esc                     cancel a g or t prompt\n"
		"  q, Ctrl-C               quit\n\n"
		"Without a terminal (output piped or redirected) every "
		"transition is printed in\norder: the record, the states "
		"before and after, the changes.\n",
	.run = run,
};

enum { OPT_TYPES = 1, OPT_SEQ };

/* ------------------------------------------------------------------ */
/* The agent's transitions                                              */
/* ------------------------------------------------------------------ */



static int put_effect(void *udata, const hs_effect_info *e)
{
	hs_buf *b = udata;
	if (e->timer != NULL) {
		char t[48];
		cli_format_time(e->due_ns, t, sizeof(t));
		cli_putf(b, "  => timer %s at %s: ", e->timer, t);
	} else {
		cli_put(b, "  => send ");
	}
	cli_putf(b, "%s/%s %s ", e->to.type, e->to.id, e->event_type);
	hs_json(b, e->body, e->body_len, 0);
	cli_put(b, "\n");
	return 0;
}

/* What the handler of step seq sends and which timers it sets, as lines
 * into out ("" when nothing, or when it cannot be run again: the states
 * say why). */
void replay_effects_of(stepper *s, uint64_t seq, hs_buf *out)
{
	hs_buf_reset(out);
	if (hs_replay_effects(s->db->rt, s->ag.type, s->ag.id, seq,
			      put_effect, out) != 0)
		hs_buf_reset(out);
}

static int collect(void *udata, uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	stepper *s = udata;

	if (seq != s->n + 1)
		return HS_ECORRUPT;
	s->gseqs[s->n] = gseq;
	s->times[s->n] = time_ns;
	s->n++;
	return 0;
}

int replay_load_index(stepper *s, uint64_t last)
{
	s->gseqs = calloc(last ? last : 1, sizeof(*s->gseqs));
	s->times = calloc(last ? last : 1, sizeof(*s->times));
	if (s->gseqs == NULL || s->times == NULL) {
		cli_error(s->db->cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	int rc = hsi_log_scan_agent(s->db->log, s->ag.type, strlen(s->ag.type),
				    s->ag.id, strlen(s->ag.id), 1, last,
				    collect, s);
	if (rc != 0 || s->n != last) {
		cli_error(s->db->cmd,
			  "%s: the index of %s/%s is not seq 1..%" PRIu64
			  " (hindsight check tells more)",
			  s->db->path, s->ag.type, s->ag.id, last);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The state after `seq` (0: the initial state) into out. */
static int state_after(stepper *s, uint64_t seq, hs_buf *out)
{
	hs_buf_reset(out);
	int rc = seq == 0 ? hsi_introspect_initial_state(s->db->rt, s->ag.type,
							 s->ag.id, out)
			  : hs_state_at(s->db->rt, s->ag.type, s->ag.id,
					hs_at_seq(seq), out, NULL);
	if (rc != 0) {
		char text[500];

		hs_last_error(s->db->rt, text, sizeof(text));
		snprintf(s->error, sizeof(s->error),
			 "cannot rebuild the state %s seq %" PRIu64 ": %s",
			 seq ? "after" : "before", seq ? seq : 1,
			 text[0] ? text : hs_strerror(rc));
	}
	return rc;
}

/* Loads step `seq`: its record, the states around it and their diff. */
int replay_load_step(stepper *s, uint64_t seq)
{
	hsi_record r;
	int rc;

	s->seq = seq;
	s->error[0] = '\0';
	rc = cli_read_record(s->db, s->gseqs[seq - 1], &s->rec_buf, &r);
	if (rc != 0)
		return rc;
	hsi_name_record(&s->rec, &r);
	hs_buf_reset(&s->diff);
	if (state_after(s, seq - 1, &s->before) == 0 &&
	    state_after(s, seq, &s->after) == 0 &&
	    hs_json_diff(&s->diff, s->before.data, s->before.len,
			 s->after.data, s->after.len) != 0)
		snprintf(s->error, sizeof(s->error),
			 "a state is not valid msgpack");
	replay_effects_of(s, seq, &s->effects);
	return 0;
}

/* The seq in force at time t: the last with time <= t; 0 if none. */
uint64_t replay_seq_at_time(const stepper *s, int64_t t)
{
	uint64_t lo = 0, hi = s->n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (s->times[mid - 1] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"seq", 0, true, OPT_SEQ},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_replay;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}, {CLI_MISSING_AGENT, NULL}};
	const char *types = NULL, *val, *why;
	bool trust = false;
	uint64_t start = 1, last;
	stepper s;
	cli_args a;
	int id, rc;

	memset(&s, 0, sizeof(s));
	cli_args_init(&a, cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == OPT_TYPES)
			types = val;
		else if (id == CLI_OPT_TRUST_TYPES)
			trust = true;
		else if (id == OPT_SEQ &&
			 (cli_parse_u64(val, &start) != 0 || start == 0))
			return cli_usage(cmd, "--seq: '%s' is not an integer "
					      ">= 1",
					 val);
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	const char *path = pos[0].val, *agent = pos[1].val;
	if (cli_parse_addr(agent, &s.ag, &why) != 0)
		return cli_usage(cmd, "'%s': %s", agent, why);
	if (types == NULL)
		return cli_usage(cmd, "replay needs --types LIB.so: it runs "
				      "the agent type's code (a types plugin: "
				      "a shared object that exports "
				      "hindsight_register_types(); see "
				      "docs/CLI.md)");

	cli_db db;
	if ((rc = cli_db_open(&db, cmd, path)) != 0)
		return rc;
	s.db = &db;
	if ((rc = cli_db_agent(&db, &s.ag, &last, NULL)) != 0 ||
	    (rc = cli_db_runtime(&db, types, trust)) != 0)
		goto out;
	if (!hsi_introspect_has_type(db.rt, s.ag.type)) {
		cli_error(cmd,
			  "the types plugin %s does not register agent type "
			  "'%s': replay needs its code",
			  types, s.ag.type);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (start > last) {
		cli_error(cmd,
			  "%s/%s has %" PRIu64 " transition%s: seq %" PRIu64
			  " is after the last",
			  s.ag.type, s.ag.id, last, last == 1 ? "" : "s",
			  start);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((rc = replay_load_index(&s, last)) != 0)
		goto out;
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		rc = replay_interactive(&s, start);
	else
		rc = replay_print_all(&s, start);
out:
	free(s.gseqs);
	free(s.times);
	hs_buf_free(&s.rec_buf);
	hs_buf_free(&s.before);
	hs_buf_free(&s.after);
	hs_buf_free(&s.diff);
	hs_buf_free(&s.effects);
	cli_db_close(&db);
	return rc;
}
