/* hindsight machine: a machine definition checked, listed, or drawn as
 * Graphviz text. */
#include "cli.h"

#include "machine/def.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_machine = {
	.name = "machine",
	.synopsis = "DEF.json [--dot] | DB TYPE/ID --types LIB.so",
	.summary = "Check a state machine definition; list or draw it; "
		   "an execution's path.",
	.help = "With DEF.json: loads the definition as "
		"hs_machine_load_json does, with every\ncheck except that "
		"the callbacks it names need not exist here; a rejected\n"
		"definition is exit 2 with the state and field named.\n"
		"With DB TYPE/ID: the path of one execution, a line per step "
		"(time, event,\nstate reached, the transition's name, cause), "
		"rebuilt with the machines that\nthe types plugin registers "
		"(hs_machines_register).\n\n"
		"options:\n"
		"      --types LIB.so  (with DB TYPE/ID) a types plugin that "
		"registers the machines\n"
		CLI_TRUST_TYPES_HELP
		"      --dot    Graphviz text (`dot -Tsvg`): states as "
		"boxes, the start in bold,\n"
		"               ends doubled (error ends red); actions solid, "
		"always dashed,\n"
		"               labelled with the name, [guard], "
		"{update}, wait and invoke\n",
	.run = run,
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *text = NULL;
	size_t n = 0, cap = 0, got;
	do {
		if (n == cap) {
			char *p = realloc(text, cap = cap ? cap * 2 : 4096);
			if (p == NULL) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = p;
		}
		got = fread(text + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return text;
}

/* The label of an edge: name [guard] {update} wait ... (the name left
 * out when it is `skip`). */
static void label_of(char *buf, size_t cap, const hsi_medge *e, bool always,
		     const char *skip)
{
	buf[0] = '\0';
	int n = skip && strcmp(skip, e->name) == 0
			? 0
			: snprintf(buf, cap, "%s", e->name);
	if (e->when.name && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - n, " [%s]", e->when.name);
	if (e->update.name && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - n, " {%s}", e->update.name);
	if (e->wait_ns && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - n, " wait %llds",
			      (long long)(e->wait_ns / 1000000000));
	if (always && n >= 0 && (size_t)n < cap && !e->invoke)
		snprintf(buf + n, cap - n, " (always)");
}

static void label(char *buf, size_t cap, const hsi_medge *e, bool always)
{
	label_of(buf, cap, e, always, NULL);
}

/* s with '"' and '\\' escaped for a DOT string (a rotating buffer: up to
 * eight in one printf). */
static const char *q(const char *s)
{
	static char bufs[8][2 * HS_NAME_MAX + 512];
	static int next;
	char *b = bufs[next++ % 8];
	size_t n = 0;
	for (; *s && n + 2 < sizeof bufs[0]; s++) {
		if (*s == '"' || *s == '\\')
			b[n++] = '\\';
		b[n++] = *s;
	}
	b[n] = '\0';
	return b;
}

static void dot_edge(const char *from, const hsi_medge *e, bool always)
{
	char l[256];
	label(l, sizeof l, e, always);
	if (e->invoke == NULL) {
		printf("  \"%s\" -> \"%s\" [label=\"%s\"%s];\n", q(from),
		       q(e->state), q(l), always ? ", style=dashed" : "");
		return;
	}
	const hsi_minvoke *inv = e->invoke;
	char v[16] = "newest";
	if (inv->version)
		snprintf(v, sizeof v, "v%u", (unsigned)inv->version);
	char sl[256], el[256];
	label_of(sl, sizeof sl, inv->success, false, inv->success->state);
	label_of(el, sizeof el, inv->error, false, inv->error->state);
	printf("  \"%s\" -> \"%s\" [label=\"%s: invoke %s %s, "
	       "success%s\", style=dashed];\n",
	       q(from), q(inv->success->state), q(l), q(inv->machine), v,
	       q(sl));
	printf("  \"%s\" -> \"%s\" [label=\"%s: invoke %s %s, error%s\", "
	       "style=dashed, color=red];\n",
	       q(from), q(inv->error->state), q(l), q(inv->machine), v,
	       q(el));
}

static void print_dot(const hs_machine_def *d)
{
	printf("digraph \"%s v%u\" {\n  rankdir=LR;\n"
	       "  node [shape=box, style=rounded];\n",
	       q(d->id), (unsigned)d->version);
	for (size_t i = 0; i < d->nstates; i++) {
		const hsi_mstate *st = &d->states[i];
		const char *extra = (int)i == d->start ? ", style=\"rounded,bold\""
			: st->end == HSI_MEND_ERROR ? ", peripheries=2, color=red"
			: st->end ? ", peripheries=2" : "";
		printf("  \"%s\"%s%s%s;\n", q(st->name), extra[0] ? " [" : "",
		       extra[0] ? extra + 2 : "", extra[0] ? "]" : "");
	}
	for (size_t i = 0; i < d->nstates; i++) {
		const hsi_mstate *st = &d->states[i];
		for (size_t a = 0; a < st->nactions; a++)
			dot_edge(st->name, &st->actions[a].edge, false);
		for (size_t a = 0; a < st->nalways; a++)
			dot_edge(st->name, &st->always[a], true);
	}
	printf("}\n");
}

static void print_text(const hs_machine_def *d)
{
	printf("machine %s version %u: %zu states, start at %s\n", d->id,
	       (unsigned)d->version, d->nstates, d->states[d->start].name);
	for (size_t i = 0; i < d->nstates; i++) {
		const hsi_mstate *st = &d->states[i];
		char l[256];
		if (st->end) {
			printf("  %-16s end (%s)%s\n", st->name,
			       st->end == HSI_MEND_ERROR ? "error" : "success",
			       st->ret.len ? ", returns a value" : "");
			continue;
		}
		for (size_t a = 0; a < st->nactions; a++) {
			const hsi_medge *e = &st->actions[a].edge;
			label_of(l, sizeof l, e, false, st->actions[a].name);
			printf("  %-16s action %-14s -> %s  %s\n", st->name,
			       st->actions[a].name, e->state, l);
		}
		for (size_t a = 0; a < st->nalways; a++) {
			const hsi_medge *e = &st->always[a];
			label(l, sizeof l, e, false);
			if (e->invoke)
				printf("  %-16s always %-14s -> invoke %s: "
				       "success -> %s, error -> %s\n",
				       st->name, l, e->invoke->machine,
				       e->invoke->success->state,
				       e->invoke->error->state);
			else
				printf("  %-16s always %-14s -> %s\n",
				       st->name, l, e->state);
		}
	}
}

/* ---- the path of one execution ------------------------------------ */

static int path_step(void *udata, const hs_record *r)
{
	int *steps = udata;
	char when[64], state[HS_NAME_MAX + 1] = "-", via[HS_NAME_MAX + 1] = "";
	char end[16] = "";
	cli_format_time(r->time_ns, when, sizeof when);
	hs_get_strcpy(r->state, r->state_len, "state", state, sizeof state);
	hs_get_strcpy(r->state, r->state_len, "via", via, sizeof via);
	hs_get_strcpy(r->state, r->state_len, "end", end, sizeof end);
	printf("  #%-3" PRIu64 " %s  %-16s -> %-16s via %-16s", r->seq, when,
	       r->event_type, state, via);
	if (r->cause_seq == 0)
		printf(" from outside");
	else if (strcmp(r->cause.type, r->agent.type) == 0 &&
		 strcmp(r->cause.id, r->agent.id) == 0)
		printf(" after #%" PRIu64, r->cause_seq);
	else
		printf(" from %s/%s #%" PRIu64, r->cause.type, r->cause.id,
		       r->cause_seq);
	printf("%s%s%s\n", end[0] ? " (end: " : "", end, end[0] ? ")" : "");
	(*steps)++;
	return 0;
}

static int path(const cli_cmd *cmd, const char *dbpath, const char *agent,
		const char *types, bool trust)
{
	const char *why;
	cli_addr ag;
	uint64_t last;
	int rc;
	if (cli_parse_addr(agent, &ag, &why) != 0)
		return cli_usage(cmd, "'%s': %s", agent, why);
	if (types == NULL)
		return cli_usage(cmd, "the path of %s needs --types LIB.so (a "
				      "plugin that registers the machines)",
				 agent);
	cli_db db;
	if ((rc = cli_db_open(&db, cmd, dbpath)) != 0)
		return rc;
	if ((rc = cli_db_agent(&db, &ag, &last, NULL)) != 0 ||
	    (rc = cli_db_runtime(&db, types, trust)) != 0) {
		cli_db_close(&db);
		return rc;
	}
	hs_buf cur = HS_BUF_INIT;
	int64_t version = 0;
	rc = hs_deref(db.rt, ag.type, ag.id, &cur);
	if (rc == 0 && hs_get_i64(cur.data, cur.len, "version", &version) != 0)
		rc = HS_ETYPE;
	hs_buf_free(&cur);
	if (rc == 0) {
		printf("%s/%s: machine %s version %" PRId64 ", %" PRIu64
		       " steps\n",
		       ag.type, ag.id, ag.type, version, last);
		hs_filter f = {.type = ag.type,
			       .id = ag.id,
			       .flags = HS_HISTORY_STATES};
		int steps = 0;
		rc = hs_history(db.rt, &f, path_step, &steps);
	}
	if (rc == HS_ETYPE) {
		cli_error(cmd, "%s is not an execution of a machine", agent);
		rc = CLI_EXIT_USAGE;
	} else if (rc != 0) {
		char what[400];
		snprintf(what, sizeof what, "path of %s/%s", ag.type, ag.id);
		rc = cli_db_fail(&db, rc, what);
	}
	cli_db_close(&db);
	return rc;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {{"dot", 0, false, 1},
				       {"types", 't', true, 2},
				       CLI_TRUST_TYPES_OPT,
				       {NULL, 0, 0, 0}};
	const cli_cmd *cmd = &cli_cmd_machine;
	cli_pos pos[] = {{"missing DEF.json (a machine definition), or DB "
			  "TYPE/ID",
			  NULL},
			 {NULL, NULL}};
	const char *val, *types = NULL;
	bool dot = false, trust = false;
	cli_args a;
	int id;

	cli_args_init(&a, cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == 1)
			dot = true;
		else if (id == 2)
			types = val;
		else if (id == CLI_OPT_TRUST_TYPES)
			trust = true;
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	if (pos[1].val != NULL)
		return path(cmd, pos[0].val, pos[1].val, types, trust);
	size_t len = 0;
	char *text = read_file(pos[0].val, &len);
	if (text == NULL) {
		cli_error(cmd, "cannot read %s", pos[0].val);
		return CLI_EXIT_USAGE;
	}
	hs_machines *m = NULL;
	hs_machine_def *d = NULL;
	char err[512] = "";
	int rc = hs_machines_create(&m);
	if (rc == 0) {
		m->any_callback = true;
		rc = hs_machine_load_json(m, text, len, &d, err, sizeof err);
	}
	free(text);
	if (rc != 0) {
		cli_error(cmd, "%s: %s", pos[0].val,
			  err[0] ? err : hs_strerror(rc));
		hs_machines_destroy(m);
		return CLI_EXIT_USAGE;
	}
	if (dot)
		print_dot(d);
	else
		print_text(d);
	hs_machine_def_free(d);
	hs_machines_destroy(m);
	return CLI_EXIT_OK;
}
