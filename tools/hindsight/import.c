/*
 * hindsight import: builds a new log from JSON Lines as `hindsight export`
 * writes them. Records keep their gseq, seq, time, cause and state hash;
 * index entries and meta type keys are written with them; there are no
 * snapshots. The input must be a complete log: gseq 1, 2, ... in order,
 * each agent's seq 1, 2, ... with times that never go back, causes that
 * name earlier records.
 *
 * The log is built in a temporary directory beside the target and renamed
 * into place at the end, so that a failed import leaves nothing behind and
 * nobody sees a half-built log.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "common/addr_map.h"
#include "common/buf.h"
#include "log/keys.h"

static int run(int argc, char **argv);

const cli_cmd cli_cmd_import = {
	.name = "import",
	.synopsis = "DB [FILE] < in.jsonl",
	.summary = "Build a new log from JSON Lines made by `hindsight "
		   "export`.",
	.help = "Reads FILE (default: standard input, also `-`) and writes a "
		"new log at DB, which\nmust not exist yet, be an empty "
		"directory, or an empty log. Each line is one\nrecord as "
		"`hindsight export` writes it (see `hindsight export "
		"--help`); `time`\nmay stand in for `time_ns`. Records keep "
		"their gseq, seq, time, cause and state\nhash; the index is "
		"rebuilt; snapshots are not part of an export.\n\n"
		"The input must be a whole log in gseq order. A malformed "
		"line is named with its\nline and column and nothing is "
		"written (exit 2).\n",
	.run = run,
};

/* Records per write batch. */
#define BATCH 4096

/* What the lines so far said of one agent. */
typedef struct agent_seen {
	uint64_t last_seq;
	int64_t last_time;
	uint64_t records;
} agent_seen;

typedef struct importer {
	const cli_cmd *cmd;
	const char *input;  /* for messages */
	const char *target;
	char *tmp;          /* the directory being built, or NULL */
	hsi_log *log;
	hsi_log_batch *batch;
	size_t in_batch;
	uint64_t line;
	uint64_t gseq;      /* the last written */
	hsi_addr_map agents; /* of agent_seen */
	hs_buf types;       /* names of types seen, each \0-terminated */
	hs_buf mp, rec;
	cli_progress progress;
} importer;

static int line_error(importer *im, const char *fmt, ...) HS_PRINTF(2, 3);

static int line_error(importer *im, const char *fmt, ...)
{
	va_list ap;
	char msg[600];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_progress_end(&im->progress);
	cli_error(im->cmd, "%s:%" PRIu64 ": %s", im->input, im->line, msg);
	return CLI_EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* One line                                                             */
/* ------------------------------------------------------------------ */

enum {
	F_GSEQ,
	F_SEQ,
	F_TIME_NS,
	F_TIME,
	F_TYPE,
	F_ID,
	F_EVENT,
	F_BODY,
	F_CAUSE,
	F_STATE_HASH,
	F_EVENT_VERSION, /* optional: 1 when missing (docs/FORMAT.md) */
	F_STATE_VERSION,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"gseq", "seq",  "time_ns", "time",  "type",
	"id",   "event", "body",   "cause", "state_hash",
	"event_version", "state_version",
};

/* The fields of a map into v[] (kind HS_EXT marks a missing one: JSON
 * has no ext). `names` and `count` describe which keys are allowed. */
static int fields(importer *im, const hs_value *map, const char *const *names,
		  size_t count, hs_value *v, const char *where)
{
	const uint8_t *p, *end = map->raw + map->raw_len;
	hs_value k;

	for (size_t i = 0; i < count; i++)
		v[i].kind = HS_EXT;
	if (hsi_mp_read(map->raw, end, &k, &p) != 0)
		return line_error(im, "%s is not valid", where);
	for (size_t n = 0; n < map->len; n++) {
		size_t i;

		if (hsi_mp_read(p, end, &k, NULL) != 0 || k.kind != HS_STR)
			return line_error(im, "%s: a key is not a string",
					  where);
		p = k.raw + k.raw_len;
		for (i = 0; i < count; i++)
			if (strlen(names[i]) == k.len &&
			    memcmp(names[i], k.as.str, k.len) == 0)
				break;
		if (i == count)
			return line_error(im, "%s: unknown key \"%.*s\"", where,
					  (int)(k.len > 64 ? 64 : k.len),
					  k.as.str);
		if (v[i].kind != HS_EXT)
			return line_error(im, "%s: key \"%s\" appears twice",
					  where, names[i]);
		if (hsi_mp_read(p, end, &v[i], NULL) != 0)
			return line_error(im, "%s: the value of \"%s\" is not "
					      "valid",
					  where, names[i]);
		p = v[i].raw + v[i].raw_len;
	}
	return 0;
}

static int need(importer *im, const hs_value *v, const char *name,
		const char *where)
{
	if (v->kind == HS_EXT)
		return line_error(im, "%s: key \"%s\" is missing", where, name);
	return 0;
}

static int get_u64(importer *im, const hs_value *v, const char *name,
		   const char *where, uint64_t *out)
{
	int rc = need(im, v, name, where);

	if (rc != 0)
		return rc;
	if (v->kind == HS_INT && v->as.i >= 1)
		*out = (uint64_t)v->as.i;
	else if (v->kind == HS_UINT)
		*out = v->as.u;
	else
		return line_error(im, "%s: \"%s\" must be an integer >= 1",
				  where, name);
	return 0;
}

static int get_name(importer *im, const hs_value *v, const char *name,
		    size_t max, const char *where, char *out)
{
	int rc = need(im, v, name, where);

	if (rc != 0)
		return rc;
	if (v->kind != HS_STR || v->len == 0 || v->len > max ||
	    memchr(v->as.str, '\0', v->len) != NULL)
		return line_error(im,
				  "%s: \"%s\" must be a string of 1 to %zu "
				  "bytes without NUL",
				  where, name, max);
	memcpy(out, v->as.str, v->len);
	out[v->len] = '\0';
	return 0;
}

typedef struct parsed {
	hsi_record r;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
} parsed;

static int parse_line(importer *im, const char *text, size_t len, parsed *out)
{
	hsi_json_error e;
	hs_value top, f[F_COUNT];
	hsi_record *r = &out->r;
	int rc;

	hs_buf_reset(&im->mp);
	/* The body may nest HSI_MP_MAX_DEPTH deep inside the record. */
	rc = hsi_json_to_msgpack(&im->mp, text, len, HSI_MP_MAX_DEPTH + 1, &e);
	if (rc == HS_ENOMEM)
		return line_error(im, "out of memory");
	if (rc != 0) {
		cli_progress_end(&im->progress);
		cli_error(im->cmd, "%s:%" PRIu64 ":%zu: malformed JSON: %s",
			  im->input, im->line, e.column, e.what);
		return CLI_EXIT_USAGE;
	}
	if (hsi_mp_read(im->mp.data, im->mp.data + im->mp.len, &top, NULL) !=
		    0 ||
	    top.kind != HS_MAP)
		return line_error(im, "a record is a JSON object");
	if ((rc = fields(im, &top, field_names, F_COUNT, f, "record")) != 0)
		return rc;

	memset(out, 0, sizeof(*out));
	r->version = HSI_FORMAT_VERSION;
	if ((rc = get_u64(im, &f[F_GSEQ], "gseq", "record", &r->gseq)) != 0 ||
	    (rc = get_u64(im, &f[F_SEQ], "seq", "record", &r->seq)) != 0 ||
	    (rc = get_name(im, &f[F_TYPE], "type", HS_NAME_MAX, "record",
			   out->type)) != 0 ||
	    (rc = get_name(im, &f[F_ID], "id", HS_ID_MAX, "record",
			   out->id)) != 0 ||
	    (rc = get_name(im, &f[F_EVENT], "event", HS_NAME_MAX, "record",
			   out->event)) != 0)
		return rc;

	/* time_ns, or time; both must agree when both are given */
	bool have_ns = f[F_TIME_NS].kind != HS_EXT;
	bool have_text = f[F_TIME].kind != HS_EXT;
	int64_t t_text = 0;
	if (have_ns && f[F_TIME_NS].kind != HS_INT)
		return line_error(im, "record: \"time_ns\" must be an integer "
				      "(nanoseconds since the Unix epoch)");
	if (have_text) {
		char buf[80];
		const char *why = "not a string";

		if (f[F_TIME].kind != HS_STR || f[F_TIME].len >= sizeof(buf))
			return line_error(im, "record: \"time\" must be an "
					      "RFC 3339 string");
		memcpy(buf, f[F_TIME].as.str, f[F_TIME].len);
		buf[f[F_TIME].len] = '\0';
		if (cli_parse_time(buf, &t_text, &why) != 0)
			return line_error(im, "record: malformed time \"%s\": %s",
					  buf, why);
	}
	if (!have_ns && !have_text)
		return line_error(im, "record: key \"time_ns\" is missing");
	r->time_ns = have_ns ? f[F_TIME_NS].as.i : t_text;
	if (have_ns && have_text && t_text != r->time_ns)
		return line_error(im, "record: \"time\" and \"time_ns\" "
				      "disagree");

	/* body: one msgpack value, or none for null */
	if ((rc = need(im, &f[F_BODY], "body", "record")) != 0)
		return rc;
	if (f[F_BODY].kind != HS_NIL) {
		if (hs_msgpack_check(f[F_BODY].raw, f[F_BODY].raw_len) != 0)
			return line_error(im, "record: \"body\" is nested "
					      "deeper than %d levels",
					  HSI_MP_MAX_DEPTH);
		r->body = f[F_BODY].raw;
		r->body_len = f[F_BODY].raw_len;
	}

	/* cause: null or {type, id, seq, gseq} */
	if ((rc = need(im, &f[F_CAUSE], "cause", "record")) != 0)
		return rc;
	if (f[F_CAUSE].kind == HS_MAP) {
		static const char *const cn[] = {"type", "id", "seq", "gseq"};
		hs_value c[4];

		if ((rc = fields(im, &f[F_CAUSE], cn, 4, c, "cause")) != 0 ||
		    (rc = get_name(im, &c[0], "type", HS_NAME_MAX, "cause",
				   out->cause_type)) != 0 ||
		    (rc = get_name(im, &c[1], "id", HS_ID_MAX, "cause",
				   out->cause_id)) != 0 ||
		    (rc = get_u64(im, &c[2], "seq", "cause", &r->cause.seq)) !=
			    0 ||
		    (rc = get_u64(im, &c[3], "gseq", "cause",
				  &r->cause.gseq)) != 0)
			return rc;
		r->cause.type = out->cause_type;
		r->cause.type_len = strlen(out->cause_type);
		r->cause.id = out->cause_id;
		r->cause.id_len = strlen(out->cause_id);
	} else if (f[F_CAUSE].kind != HS_NIL) {
		return line_error(im, "record: \"cause\" must be null or an "
				      "object {type, id, seq, gseq}");
	}

	/* schema versions: optional, >= 1 */
	const int vf[2] = {F_EVENT_VERSION, F_STATE_VERSION};
	for (int i = 0; i < 2; i++) {
		uint64_t u = 1;
		if (f[vf[i]].kind != HS_EXT &&
		    (rc = get_u64(im, &f[vf[i]], field_names[vf[i]], "record",
				  &u)) != 0)
			return rc;
		if (u == 0 || u > UINT32_MAX)
			return line_error(im, "record: \"%s\" must be an "
					      "integer from 1 to %u",
					      field_names[vf[i]], UINT32_MAX);
		if (i == 0)
			r->event_version = (uint32_t)u;
		else
			r->state_version = (uint32_t)u;
	}

	/* state_hash: 16 hex digits */
	if ((rc = need(im, &f[F_STATE_HASH], "state_hash", "record")) != 0)
		return rc;
	const hs_value *h = &f[F_STATE_HASH];
	if (h->kind != HS_STR || h->len != 16)
		return line_error(im, "record: \"state_hash\" must be a string "
				      "of 16 hex digits");
	for (size_t i = 0; i < 16; i++) {
		char ch = h->as.str[i];
		unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
			     : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
			     : ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
						      : 16;
		if (d == 16)
			return line_error(im, "record: \"state_hash\" must be "
					      "a string of 16 hex digits");
		r->state_hash = r->state_hash << 4 | d;
	}
	r->type = out->type;
	r->type_len = strlen(out->type);
	r->id = out->id;
	r->id_len = strlen(out->id);
	r->event_type = out->event;
	r->event_type_len = strlen(out->event);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

static int log_error(importer *im, const char *what)
{
	char err[700];

	cli_progress_end(&im->progress);
	hsi_log_error(im->log, err, sizeof(err));
	cli_error(im->cmd, "%s: %s", what, err);
	return CLI_EXIT_USAGE;
}

static int flush(importer *im, bool sync)
{
	int rc = hsi_log_write(im->log, im->batch, sync);

	hsi_log_batch_clear(im->batch);
	im->in_batch = 0;
	return rc != 0 ? log_error(im, "cannot write the new log") : 0;
}

static int add(importer *im, const parsed *p)
{
	const hsi_record *r = &p->r;
	void *v;
	int rc;

	if (r->gseq != im->gseq + 1)
		return line_error(im,
				  "gseq %" PRIu64 " where %" PRIu64
				  " was expected: import needs a whole log "
				  "(an unfiltered export), records in gseq "
				  "order from 1",
				  r->gseq, im->gseq + 1);
	if (hsi_addr_map_find_or_add(&im->agents, r->type, r->type_len, r->id,
				     r->id_len, &v, NULL) != 0)
		return line_error(im, "out of memory");
	agent_seen *a = v;
	if (r->seq != a->last_seq + 1)
		return line_error(im,
				  "%s/%s seq %" PRIu64 " where %" PRIu64
				  " was expected (each agent's seqs go up by "
				  "one from 1)",
				  p->type, p->id, r->seq, a->last_seq + 1);
	if (a->records != 0 && r->time_ns < a->last_time)
		return line_error(im,
				  "%s/%s seq %" PRIu64 " has a time before "
				  "its previous transition's",
				  p->type, p->id, r->seq);
	if (r->cause.seq != 0 && r->cause.gseq >= r->gseq)
		return line_error(im,
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
				return line_error(im, "out of memory");
			snprintf(key, sizeof(key), "type/%s", p->type);
			hsi_log_batch_put_meta(im->log, im->batch, key, "", 0);
		}
	}

	hs_buf_reset(&im->rec);
	if ((rc = hsi_record_encode(r, &im->rec, NULL)) != 0)
		return line_error(im, "out of memory");
	hsi_log_batch_put_event(im->log, im->batch, r->gseq, im->rec.data,
				im->rec.len);
	hsi_log_batch_put_index(im->log, im->batch, r->type, r->type_len,
				r->id, r->id_len, r->seq, r->gseq, r->time_ns);
	im->gseq = r->gseq;
	if (++im->in_batch == BATCH)
		return flush(im, false);
	return 0;
}

/* After everything is written: each cause must name the record at its
 * gseq (same agent and seq). */
typedef struct cause_check {
	importer *im;
	hs_buf buf;
	uint64_t bad, bad_cause;
} cause_check;

static int on_written(void *udata, uint64_t gseq, const void *data,
		      size_t len)
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

/* ------------------------------------------------------------------ */
/* The target directory                                                 */
/* ------------------------------------------------------------------ */

static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char p[4096];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (unlink(p) != 0 && errno == EISDIR)
			remove_dir(p);
	}
	closedir(d);
	rmdir(path);
}

static int dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Decides where to build: a temporary directory beside a new target, or
 * in place in an existing empty log. */
static int prepare(importer *im)
{
	struct stat st;
	char err[1024];
	int rc;

	if (stat(im->target, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			cli_error(im->cmd,
				  "%s exists and is not a directory: import "
				  "builds a new log (give a path that does "
				  "not exist)",
				  im->target);
			return CLI_EXIT_USAGE;
		}
		if (dir_empty(im->target) != 1) {
			hsi_log *old;

			rc = hsi_log_open(im->target, HSI_LOG_READONLY, &old,
					  err, sizeof(err));
			if (rc != 0) {
				cli_error(im->cmd,
					  "%s is not empty and not a "
					  "hindsight log: import builds a new "
					  "log (give a path that does not "
					  "exist)",
					  im->target);
				return CLI_EXIT_USAGE;
			}
			uint64_t n = hsi_log_last_gseq(old);
			hsi_log_close(old);
			if (n != 0) {
				cli_error(im->cmd,
					  "%s already holds a log with %" PRIu64
					  " records: import builds a new log "
					  "(give a path that does not exist)",
					  im->target, n);
				return CLI_EXIT_USAGE;
			}
			/* An empty log: fill it in place. */
			rc = hsi_log_open(im->target, 0, &im->log, err,
					  sizeof(err));
			if (rc != 0) {
				cli_error(im->cmd, "%s", err);
				return CLI_EXIT_USAGE;
			}
			return 0;
		}
	} else if (errno != ENOENT) {
		cli_error(im->cmd, "%s: %s", im->target, strerror(errno));
		return CLI_EXIT_USAGE;
	}

	size_t n = strlen(im->target);
	while (n > 1 && im->target[n - 1] == '/')
		n--;
	im->tmp = malloc(n + 32);
	if (im->tmp == NULL) {
		cli_error(im->cmd, "out of memory");
		return CLI_EXIT_USAGE;
	}
	snprintf(im->tmp, n + 32, "%.*s.import-XXXXXX", (int)n, im->target);
	if (mkdtemp(im->tmp) == NULL) {
		cli_error(im->cmd, "cannot make a directory beside %s: %s",
			  im->target, strerror(errno));
		free(im->tmp);
		im->tmp = NULL;
		return CLI_EXIT_USAGE;
	}
	rc = hsi_log_open(im->tmp, HSI_LOG_CREATE, &im->log, err, sizeof(err));
	if (rc != 0) {
		cli_error(im->cmd, "%s", err);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Moves the finished log into place. */
static int finish(importer *im)
{
	if (im->tmp == NULL)
		return 0;
	if (rename(im->tmp, im->target) != 0) {
		cli_error(im->cmd, "cannot move the new log to %s: %s",
			  im->target, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* Make the rename durable: fsync the directory that holds it. */
	char *dir = strdup(im->tmp), *slash;
	if (dir != NULL) {
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		else
			strcpy(dir, ".");
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
		free(dir);
	}
	free(im->tmp);
	im->tmp = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */
/* ------------------------------------------------------------------ */

static int import_all(importer *im, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	parsed p;
	int rc = 0;

	cli_progress_start(&im->progress, "imported", 0);
	while ((n = getline(&line, &cap, in)) >= 0) {
		im->line++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n == 0) {
			rc = line_error(im, "empty line (each line is one "
					    "record)");
			break;
		}
		if ((rc = parse_line(im, line, (size_t)n, &p)) != 0 ||
		    (rc = add(im, &p)) != 0)
			break;
		cli_progress_tick(&im->progress, im->gseq);
	}
	if (rc == 0 && ferror(in)) {
		cli_error(im->cmd, "%s: read error: %s", im->input,
			  strerror(errno));
		rc = CLI_EXIT_USAGE;
	}
	free(line);
	cli_progress_end(&im->progress);
	if (rc == 0)
		rc = flush(im, true);
	if (rc == 0) {
		cause_check cc = {.im = im};
		int src = hsi_log_scan_events(im->log, 1, UINT64_MAX, false,
					      on_written, &cc);

		hs_buf_free(&cc.buf);
		if (src < 0)
			rc = log_error(im, "cannot read the new log back");
		else if (cc.bad != 0) {
			cli_error(im->cmd,
				  "%s: the record with gseq %" PRIu64
				  " names a cause at gseq %" PRIu64
				  " that is not there (another agent or "
				  "seq)",
				  im->input, cc.bad, cc.bad_cause);
			rc = CLI_EXIT_USAGE;
		}
	}
	return rc;
}

static int run(int argc, char **argv)
{
	const cli_cmd *cmd = &cli_cmd_import;
	cli_pos pos[] = {{"missing DB (the new log's directory)", NULL},
			 {NULL, NULL}}; /* FILE, optional */
	const char *val;
	importer im;
	cli_args a;
	FILE *in = stdin;
	int rc;

	cli_args_init(&a, cmd, NULL, pos, 2, argc, argv);
	if (cli_args_opt(&a, &val) == CLI_ARG_STOP) /* no options */
		return a.exit;
	const char *path = pos[0].val, *file = pos[1].val;
	if (file != NULL && strcmp(file, "-") != 0) {
		in = fopen(file, "r");
		if (in == NULL) {
			cli_error(cmd, "%s: %s", file, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	memset(&im, 0, sizeof(im));
	hsi_addr_map_init(&im.agents, sizeof(agent_seen));
	im.cmd = cmd;
	im.target = path;
	im.input = in == stdin ? "<stdin>" : file;
	rc = prepare(&im);
	if (rc == 0) {
		im.batch = hsi_log_batch_new();
		rc = im.batch != NULL ? import_all(&im, in)
				      : (cli_error(cmd, "out of memory"),
					 CLI_EXIT_USAGE);
	}
	hsi_log_batch_free(im.batch);
	hsi_log_close(im.log);
	im.log = NULL;
	if (rc == 0)
		rc = finish(&im);
	if (im.tmp != NULL) {
		remove_dir(im.tmp);
		free(im.tmp);
	}
	if (rc == 0)
		fprintf(stderr, "hindsight import: %" PRIu64
				" records into %s\n",
			im.gseq, path);
	if (in != stdin)
		fclose(in);
	hsi_addr_map_free(&im.agents);
	hs_buf_free(&im.types);
	hs_buf_free(&im.mp);
	hs_buf_free(&im.rec);
	return rc;
}
