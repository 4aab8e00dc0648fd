/* hindsight machine: a machine definition checked, listed, or drawn as
 * Graphviz text. */
#include "cli.h"

#include "machine/def.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_machine = {
	.name = "machine",
	.synopsis = "DEF.json [--dot]",
	.summary = "Check a state machine definition; list or draw it.",
	.help = "Loads the definition as hs_machine_load_json does, with "
		"every check except\nthat the callbacks it names need not "
		"exist here; a rejected definition is\nexit 2 with the "
		"state and field named.\n\n"
		"options:\n"
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

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {{"dot", 0, false, 1},
				       {NULL, 0, 0, 0}};
	const cli_cmd *cmd = &cli_cmd_machine;
	cli_pos pos[] = {{"missing DEF.json (a machine definition)", NULL}};
	const char *val;
	bool dot = false;
	cli_args a;
	int id;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0)
		if (id == 1)
			dot = true;
	if (id == CLI_ARG_STOP)
		return a.exit;
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
