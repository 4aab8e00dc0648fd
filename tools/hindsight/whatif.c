/*
 * hindsight whatif: replays the log with edits (events inserted, dropped
 * or replaced) into a scratch overlay, through hs_whatif, and reports what
 * would have been different. The edits come as JSON Lines, one object an
 * hs_edit:
 *
 *   {"kind":"insert","gseq":9,"type":"counter","id":"a","event":"add","body":{"by":4}}
 *   {"kind":"drop","gseq":8}
 *   {"kind":"replace","gseq":4,"event":"add","body":{"by":50}}
 *
 * kind, gseq, type, id, event (event_type) and body map onto the struct's
 * fields one to one; a key the kind does not use is refused, as is
 * anything else the line gets wrong, named with its line number.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "common/buf.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_whatif = {
	.name = "whatif",
	.synopsis = "DB --edits FILE --types LIB.so [--to GSEQ] [--json]",
	.summary = "Replay the log with events inserted, dropped or "
		   "replaced; what differs.",
	.help = "options:\n"
		"      --edits FILE    the edits, as JSON Lines (`-`: standard "
		"input)\n"
		"      --types LIB.so  a types plugin with the agent types' code "
		"(required)\n"
		CLI_TRUST_TYPES_HELP
		"      --to GSEQ       replay up to this gseq (default: the end "
		"of the log)\n"
		"      --json          JSON Lines: one object a difference, "
		"then a summary\n\n"
		"One edit a line (hs_edit in hindsight.h, field for field):\n"
		"  {\"kind\":\"insert\",\"gseq\":9,\"type\":\"counter\","
		"\"id\":\"a\",\"event\":\"add\",\"body\":{\"by\":4}}\n"
		"      a new event for counter/a just before record 9 (after "
		"the last record\n"
		"      when gseq is past the end); body optional\n"
		"  {\"kind\":\"drop\",\"gseq\":8}\n"
		"      record 8 never happened\n"
		"  {\"kind\":\"replace\",\"gseq\":4,\"event\":\"add\","
		"\"body\":{\"by\":50}}\n"
		"      record 4 had this event instead (same agent); event "
		"absent or null\n"
		"      keeps the recorded one; body absent or null: no body\n"
		"Only records sent from outside can be dropped or replaced "
		"(edit the cause of a\nsent one). Blank lines are skipped; "
		"any other line that is not such an object\nis named with its "
		"line number (exit 2). The log is never written.\n\n"
		"The report lists each transition that differs: changed (same "
		"agent and seq,\nanother event or state), missing (only in "
		"history), extra (only in the\nwhat-if), in the order of the "
		"what-if run, then each agent whose final state\ndiffers "
		"(final).\n",
	.run = run,
};

enum { OPT_EDITS = 1, OPT_TYPES, OPT_TO, OPT_JSON };

/* One edit as read, with the storage its hs_edit points into. */
typedef struct edit_line {
	uint64_t line;
	hs_buf mp; /* the line as msgpack: body points into it */
	hs_edit e;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
} edit_line;

typedef struct reader {
	const cli_cmd *cmd;
	const char *file; /* for messages */
	uint64_t line;
} reader;

static int line_error(reader *r, const char *fmt, ...) HS_PRINTF(2, 3);

static int line_error(reader *r, const char *fmt, ...)
{
	va_list ap;
	char msg[600];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_error(r->cmd, "%s:%" PRIu64 ": %s", r->file, r->line, msg);
	return CLI_EXIT_USAGE;
}

enum { K_KIND, K_GSEQ, K_TYPE, K_ID, K_EVENT, K_BODY, K_COUNT };

static const char *const key_names[K_COUNT] = {"kind", "gseq", "type",
					       "id",   "event", "body"};

/* A string value into out (1..max bytes, no NUL). */
static int get_str(reader *r, const hs_value *v, const char *name,
		   size_t max, char *out)
{
	if (v->kind != HS_STR || v->len == 0 || v->len > max ||
	    memchr(v->as.str, '\0', v->len) != NULL)
		return line_error(r,
				  "\"%s\" must be a string of 1 to %zu bytes "
				  "without NUL",
				  name, max);
	memcpy(out, v->as.str, v->len);
	out[v->len] = '\0';
	return 0;
}

static int parse_edit(reader *r, const char *text, size_t len,
		      edit_line *el)
{
	hsi_json_error je;
	hs_value top, k, v[K_COUNT];
	const uint8_t *p, *end;
	int rc;

	/* The body may nest HSI_MP_MAX_DEPTH deep inside the edit. */
	rc = hsi_json_to_msgpack(&el->mp, text, len, HSI_MP_MAX_DEPTH + 1,
				 &je);
	if (rc == HS_ENOMEM)
		return line_error(r, "out of memory");
	if (rc != 0) {
		cli_error(r->cmd, "%s:%" PRIu64 ":%zu: malformed JSON: %s",
			  r->file, r->line, je.column, je.what);
		return CLI_EXIT_USAGE;
	}
	end = el->mp.data + el->mp.len;
	if (hsi_mp_read(el->mp.data, end, &top, &p) != 0 || top.kind != HS_MAP)
		return line_error(r, "an edit is a JSON object {\"kind\", "
				     "\"gseq\", ...}");
	for (int i = 0; i < K_COUNT; i++)
		v[i].kind = HS_EXT; /* absent: JSON has no ext */
	for (size_t n = 0; n < top.len; n++) {
		int i;

		if (hsi_mp_read(p, end, &k, NULL) != 0 || k.kind != HS_STR)
			return line_error(r, "a key is not a string");
		p = k.raw + k.raw_len;
		for (i = 0; i < K_COUNT; i++)
			if (strlen(key_names[i]) == k.len &&
			    memcmp(key_names[i], k.as.str, k.len) == 0)
				break;
		if (i == K_COUNT)
			return line_error(r,
					  "unknown key \"%.*s\" (an edit has "
					  "kind, gseq, type, id, event, body)",
					  (int)(k.len > 64 ? 64 : k.len),
					  k.as.str);
		if (v[i].kind != HS_EXT)
			return line_error(r, "key \"%s\" appears twice",
					  key_names[i]);
		if (hsi_mp_read(p, end, &v[i], NULL) != 0)
			return line_error(r, "the value of \"%s\" is not valid",
					  key_names[i]);
		p = v[i].raw + v[i].raw_len;
	}

	hs_edit *e = &el->e;
	memset(e, 0, sizeof(*e));
	if (v[K_KIND].kind == HS_EXT)
		return line_error(r, "key \"kind\" is missing (\"insert\", "
				     "\"drop\" or \"replace\")");
#define KIND_IS(s)                                                            \
	(v[K_KIND].kind == HS_STR && v[K_KIND].len == strlen(s) &&            \
	 memcmp(v[K_KIND].as.str, s, strlen(s)) == 0)
	const char *kind;
	if (KIND_IS("insert"))
		e->kind = HS_EDIT_INSERT, kind = "an insert";
	else if (KIND_IS("drop"))
		e->kind = HS_EDIT_DROP, kind = "a drop";
	else if (KIND_IS("replace"))
		e->kind = HS_EDIT_REPLACE, kind = "a replace";
	else
		return line_error(r, "\"kind\" must be \"insert\", \"drop\" "
				     "or \"replace\"");
#undef KIND_IS

	if (v[K_GSEQ].kind == HS_EXT)
		return line_error(r, "key \"gseq\" is missing");
	if (v[K_GSEQ].kind == HS_INT && v[K_GSEQ].as.i >= 1)
		e->gseq = (uint64_t)v[K_GSEQ].as.i;
	else if (v[K_GSEQ].kind == HS_UINT && v[K_GSEQ].as.u >= 1)
		e->gseq = v[K_GSEQ].as.u;
	else
		return line_error(r, "\"gseq\" must be an integer >= 1");

	/* The keys each kind takes. */
	static const bool takes[3][K_COUNT] = {
		[HS_EDIT_INSERT] = {1, 1, 1, 1, 1, 1},
		[HS_EDIT_DROP] = {1, 1, 0, 0, 0, 0},
		[HS_EDIT_REPLACE] = {1, 1, 0, 0, 1, 1},
	};
	for (int i = 0; i < K_COUNT; i++)
		if (v[i].kind != HS_EXT && !takes[e->kind][i])
			return line_error(
				r, "%s takes no \"%s\" (%s)", kind,
				key_names[i],
				e->kind == HS_EDIT_DROP
					? "a drop has only kind and gseq"
					: "a replace keeps the record's agent");

	if (e->kind == HS_EDIT_INSERT) {
		if (v[K_TYPE].kind == HS_EXT || v[K_ID].kind == HS_EXT ||
		    v[K_EVENT].kind == HS_EXT)
			return line_error(r, "an insert needs \"type\", \"id\" "
					     "and \"event\"");
		if ((rc = get_str(r, &v[K_TYPE], "type", HS_NAME_MAX,
				  el->type)) != 0 ||
		    (rc = get_str(r, &v[K_ID], "id", HS_ID_MAX, el->id)) != 0)
			return rc;
		e->type = el->type;
		e->id = el->id;
	}
	if (v[K_EVENT].kind != HS_EXT &&
	    !(e->kind == HS_EDIT_REPLACE && v[K_EVENT].kind == HS_NIL)) {
		if ((rc = get_str(r, &v[K_EVENT], "event", HS_NAME_MAX,
				  el->event)) != 0)
			return rc;
		e->event_type = el->event;
	}
	if (v[K_BODY].kind != HS_EXT && v[K_BODY].kind != HS_NIL) {
		if (hs_msgpack_check(v[K_BODY].raw, v[K_BODY].raw_len) != 0)
			return line_error(r, "\"body\" is nested deeper than "
					     "%d levels",
					  HSI_MP_MAX_DEPTH);
		e->body = v[K_BODY].raw;
		e->body_len = v[K_BODY].raw_len;
	}
	return 0;
}

/* Reads every edit of the file; 0 or 2 (printed). */
static int read_edits(reader *r, const char *path, edit_line **out,
		      size_t *count)
{
	FILE *in = stdin;
	edit_line *v = NULL;
	size_t n = 0, cap = 0, lcap = 0;
	char *line = NULL;
	ssize_t len;
	int rc = 0;

	if (strcmp(path, "-") != 0 && (in = fopen(path, "r")) == NULL) {
		cli_error(r->cmd, "cannot read %s: %s", path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	while ((len = getline(&line, &lcap, in)) >= 0) {
		r->line++;
		size_t i = 0;
		while (i < (size_t)len && strchr(" \t\r\n", line[i]) != NULL)
			i++;
		if (i == (size_t)len)
			continue; /* blank */
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			edit_line *nv = realloc(v, nc * sizeof(*v));

			if (nv == NULL) {
				rc = line_error(r, "out of memory");
				break;
			}
			v = nv;
			cap = nc;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].line = r->line;
		n++;
		if ((rc = parse_edit(r, line, (size_t)len, &v[n - 1])) != 0)
			break;
	}
	if (rc == 0 && ferror(in)) {
		cli_error(r->cmd, "cannot read %s: %s", path, strerror(errno));
		rc = CLI_EXIT_USAGE;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			hs_buf_free(&v[i].mp);
		free(v);
		return rc;
	}
	*out = v;
	*count = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The report                                                           */
/* ------------------------------------------------------------------ */

typedef struct report {
	bool json;
	hs_buf out, diff, a, b;
	uint64_t n[4]; /* by hs_whatif_kind */
	int err;
} report;

static const char *const kind_names[4] = {"changed", "missing", "extra",
					  "final"};

/* The diff of two states given as JSON text (NULL: none) into r->diff;
 * -1 when there is no diff to show. */
static int state_diff(report *r, const char *hj, const char *wj)
{
	if (hj == NULL || wj == NULL)
		return -1;
	hs_buf_reset(&r->a);
	hs_buf_reset(&r->b);
	hs_buf_reset(&r->diff);
	if (hsi_json_to_msgpack(&r->a, hj, strlen(hj), HSI_MP_MAX_DEPTH + 1,
				NULL) != 0 ||
	    hsi_json_to_msgpack(&r->b, wj, strlen(wj), HSI_MP_MAX_DEPTH + 1,
				NULL) != 0 ||
	    hs_json_diff(&r->diff, r->a.data, r->a.len, r->b.data,
			 r->b.len) != 0)
		return -1;
	return 0;
}

static int on_change(void *udata, const hs_whatif_change *c)
{
	report *r = udata;
	hs_buf *o = &r->out;
	const char *hj = c->history_state_json, *wj = c->whatif_state_json;
	bool diff = state_diff(r, hj, wj) == 0;

	r->n[c->kind]++;
	if (r->json) {
		cli_putf(o, "{\"kind\":\"%s\",\"type\":", kind_names[c->kind]);
		cli_put_json_str(o, c->agent.type, strlen(c->agent.type));
		cli_put(o, ",\"id\":");
		cli_put_json_str(o, c->agent.id, strlen(c->agent.id));
		cli_putf(o, ",\"seq\":%" PRIu64 ",\"history\":", c->seq);
		if (c->history != NULL)
			cli_put_record_json(o, c->history, false);
		else
			cli_put(o, "null");
		cli_put(o, ",\"whatif\":");
		if (c->whatif != NULL)
			cli_put_record_json(o, c->whatif, false);
		else
			cli_put(o, "null");
		cli_put(o, ",\"history_state\":");
		cli_put(o, hj != NULL ? hj : "null");
		cli_put(o, ",\"whatif_state\":");
		cli_put(o, wj != NULL ? wj : "null");
		cli_put(o, ",\"diff\":");
		if (diff)
			hsi_buf_append(o, r->diff.data, r->diff.len);
		else
			cli_put(o, "null");
		cli_put(o, "}\n");
	} else {
		cli_putf(o, "%s ", kind_names[c->kind]);
		cli_put_addr(o, c->agent.type, c->agent.id);
		if (c->kind == HS_WHATIF_FINAL)
			cli_putf(o, " (its final state, after %" PRIu64
				    " transition%s in the what-if)\n",
				 c->seq, c->seq == 1 ? "" : "s");
		else
			cli_putf(o, " #%" PRIu64 "\n", c->seq);
		if (c->history != NULL) {
			cli_put(o, "  history  ");
			cli_put_record_line(o, c->history);
			cli_put(o, "\n");
		}
		if (c->whatif != NULL) {
			cli_put(o, "  what-if  ");
			cli_put_record_line(o, c->whatif);
			cli_put(o, "\n");
		}
		if (diff) {
			cli_putf(o, "  state    %s\n  becomes  %s\n", hj, wj);
			if (cli_put_diff_lines(o, &r->diff, "    ") != 0)
				return HS_ENOMEM;
		} else if (hj != NULL || wj != NULL) {
			cli_putf(o, "  state    %s%s\n", hj != NULL ? hj : wj,
				 c->kind == HS_WHATIF_FINAL
					 ? (hj != NULL ? " (history; none "
							 "in the what-if)"
						       : " (what-if; none in "
							 "history)")
					 : "");
		}
	}
	if (o->len >= 1 << 16 && cli_flush(o) != 0) {
		r->err = CLI_EXIT_USAGE;
		return 1;
	}
	return 0;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"edits", 'e', true, OPT_EDITS},
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"to", 0, true, OPT_TO},
		{"json", 0, false, OPT_JSON},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_whatif;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *types = NULL, *file = NULL, *val;
	bool trust = false;
	uint64_t to = 0;
	bool json = false;
	cli_args a;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		switch (id) {
		case OPT_EDITS:
			file = val;
			break;
		case OPT_TYPES:
			types = val;
			break;
		case CLI_OPT_TRUST_TYPES:
			trust = true;
			break;
		case OPT_TO:
			if (cli_parse_u64(val, &to) != 0 || to == 0)
				return cli_usage(cmd,
						 "--to: '%s' is not a gseq (an "
						 "integer >= 1)",
						 val);
			break;
		case OPT_JSON:
			json = true;
			break;
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	if (file == NULL)
		return cli_usage(cmd, "whatif needs --edits FILE: the edits as "
				      "JSON Lines (see hindsight whatif "
				      "--help)");
	if (types == NULL)
		return cli_usage(cmd, "whatif needs --types LIB.so: the what-if "
				      "runs the agent types' code (a types "
				      "plugin: a shared object that exports "
				      "hindsight_register_types(); see "
				      "docs/CLI.md)");

	reader rd = {cmd, strcmp(file, "-") == 0 ? "<stdin>" : file, 0};
	edit_line *el = NULL;
	hs_edit *edits = NULL;
	size_t n = 0;
	if ((rc = read_edits(&rd, file, &el, &n)) != 0)
		return rc;

	cli_db db;
	report r = {.json = json, .out = HS_BUF_INIT, .diff = HS_BUF_INIT,
		    .a = HS_BUF_INIT, .b = HS_BUF_INIT};
	if ((rc = cli_db_open(&db, cmd, pos[0].val)) != 0)
		goto out;
	uint64_t last = hsi_log_last_gseq(db.log);
	if (to > last) {
		cli_error(cmd, "--to %" PRIu64 " is after the end of the log "
			       "(%" PRIu64 ")",
			  to, last);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	/* The end as this handle sees it: the runtime, opened next, may
	 * see more of a log that a program writes. */
	if (to == 0)
		to = last;
	if ((rc = cli_db_runtime(&db, types, trust)) != 0)
		goto out;
	edits = calloc(n ? n : 1, sizeof(*edits));
	if (edits == NULL) {
		cli_error(cmd, "out of memory");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		edits[i] = el[i].e;

	rc = hs_whatif(db.rt, edits, n, to, on_change, &r);
	if (rc == 1 && r.err != 0) {
		rc = r.err;
		goto out;
	}
	if (rc != 0) {
		char text[700];
		size_t idx;
		int off = -1;

		cli_flush(&r.out);
		hs_last_error(db.rt, text, sizeof(text));
		/* "what-if edit I: ..." names the edit by its index: name
		 * its line instead. */
		if (sscanf(text, "what-if edit %zu: %n", &idx, &off) == 1 &&
		    off > 0 && idx < n) {
			/* ... and "by edit J" (a second edit of a record). */
			char *by = strstr(text + off, "by edit ");
			size_t j;

			if (by != NULL && sscanf(by, "by edit %zu", &j) == 1 &&
			    j < n)
				snprintf(by, sizeof(text) - (size_t)(by - text),
					 "by line %" PRIu64, el[j].line);
			cli_error(cmd, "%s:%" PRIu64 ": %s", rd.file,
				  el[idx].line, text + off);
			rc = CLI_EXIT_USAGE;
		} else {
			rc = cli_db_fail(&db, rc, "the what-if");
		}
		goto out;
	}
	if (json) {
		cli_putf(&r.out,
			 "{\"summary\":{\"edits\":%zu,\"to_gseq\":%" PRIu64
			 ",\"changed\":%" PRIu64 ",\"missing\":%" PRIu64
			 ",\"extra\":%" PRIu64 ",\"final\":%" PRIu64 "}}\n",
			 n, to, r.n[HS_WHATIF_CHANGED], r.n[HS_WHATIF_MISSING],
			 r.n[HS_WHATIF_EXTRA], r.n[HS_WHATIF_FINAL]);
	} else {
		cli_putf(&r.out, "whatif: %zu edit%s, replayed up to gseq %" PRIu64
				 ": ",
			 n, n == 1 ? "" : "s", to);
		if (r.n[0] + r.n[1] + r.n[2] + r.n[3] == 0)
			cli_put(&r.out, "nothing differs from history\n");
		else
			cli_putf(&r.out,
				 "%" PRIu64 " changed, %" PRIu64
				 " missing, %" PRIu64 " extra transition%s; %"
				 PRIu64 " agent%s end%s in another state\n",
				 r.n[HS_WHATIF_CHANGED], r.n[HS_WHATIF_MISSING],
				 r.n[HS_WHATIF_EXTRA],
				 r.n[HS_WHATIF_EXTRA] == 1 ? "" : "s",
				 r.n[HS_WHATIF_FINAL],
				 r.n[HS_WHATIF_FINAL] == 1 ? "" : "s",
				 r.n[HS_WHATIF_FINAL] == 1 ? "s" : "");
	}
	rc = cli_flush(&r.out) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
out:
	for (size_t i = 0; i < n; i++)
		hs_buf_free(&el[i].mp);
	free(el);
	free(edits);
	hs_buf_free(&r.out);
	hs_buf_free(&r.diff);
	hs_buf_free(&r.a);
	hs_buf_free(&r.b);
	cli_db_close(&db);
	return rc;
}
