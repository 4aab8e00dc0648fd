/*
 * hindsight import: one line into a record or a snapshot (import.h). The
 * line's JSON becomes msgpack first (integers stay integers, numbers with
 * a fraction or exponent 64-bit floats), then each key is checked: none
 * missing, none unknown, none twice.
 */
#include "import.h"

#include <inttypes.h>
#include <string.h>

#include "codec/base64.h"
#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "common/buf.h"

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
	"gseq",	      "seq",	       "time_ns",	"time",
	"type",	      "id",	       "event",		"body",
	"cause",      "state_hash",    "event_version", "state_version",
};

/* The fields of a map into v[] (kind HS_EXT marks a missing one: JSON
 * has no ext). `names` and `count` describe which keys are allowed. */
static int fields(cli_importer *im, const hs_value *map,
		  const char *const *names, size_t count, hs_value *v,
		  const char *where)
{
	const uint8_t *p, *end = map->raw + map->raw_len;
	hs_value k;

	for (size_t i = 0; i < count; i++)
		v[i].kind = HS_EXT;
	if (hsi_mp_read(map->raw, end, &k, &p) != 0)
		return cli_import_line_error(im, "%s is not valid", where);
	for (size_t n = 0; n < map->len; n++) {
		size_t i;

		if (hsi_mp_read(p, end, &k, NULL) != 0 || k.kind != HS_STR)
			return cli_import_line_error(
				im, "%s: a key is not a string", where);
		p = k.raw + k.raw_len;
		for (i = 0; i < count; i++)
			if (strlen(names[i]) == k.len &&
			    memcmp(names[i], k.as.str, k.len) == 0)
				break;
		if (i == count)
			return cli_import_line_error(
				im, "%s: unknown key \"%.*s\"", where,
				(int)(k.len > 64 ? 64 : k.len), k.as.str);
		if (v[i].kind != HS_EXT)
			return cli_import_line_error(
				im, "%s: key \"%s\" appears twice", where,
				names[i]);
		if (hsi_mp_read(p, end, &v[i], NULL) != 0)
			return cli_import_line_error(
				im,
				"%s: the value of \"%s\" is not "
				"valid",
				where, names[i]);
		p = v[i].raw + v[i].raw_len;
	}
	return 0;
}

static int need(cli_importer *im, const hs_value *v, const char *name,
		const char *where)
{
	if (v->kind == HS_EXT)
		return cli_import_line_error(im, "%s: key \"%s\" is missing",
					     where, name);
	return 0;
}

static int get_u64(cli_importer *im, const hs_value *v, const char *name,
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
		return cli_import_line_error(
			im, "%s: \"%s\" must be an integer >= 1", where, name);
	return 0;
}

static int get_name(cli_importer *im, const hs_value *v, const char *name,
		    size_t max, const char *where, char *out)
{
	int rc = need(im, v, name, where);

	if (rc != 0)
		return rc;
	if (v->kind != HS_STR || v->len == 0 || v->len > max ||
	    memchr(v->as.str, '\0', v->len) != NULL)
		return cli_import_line_error(
			im,
			"%s: \"%s\" must be a string of 1 to %zu "
			"bytes without NUL",
			where, name, max);
	memcpy(out, v->as.str, v->len);
	out[v->len] = '\0';
	return 0;
}

/* A record line: the map `top`. */
static int parse_record(cli_importer *im, const hs_value *top,
			cli_import_record *out)
{
	hs_value f[F_COUNT];
	hsi_record *r = &out->r;
	int rc;

	if ((rc = fields(im, top, field_names, F_COUNT, f, "record")) != 0)
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
		return cli_import_line_error(
			im, "record: \"time_ns\" must be an integer "
			    "(nanoseconds since the Unix epoch)");
	if (have_text) {
		char buf[80];
		const char *why = "not a string";

		if (f[F_TIME].kind != HS_STR || f[F_TIME].len >= sizeof(buf))
			return cli_import_line_error(
				im, "record: \"time\" must be an "
				    "RFC 3339 string");
		memcpy(buf, f[F_TIME].as.str, f[F_TIME].len);
		buf[f[F_TIME].len] = '\0';
		if (cli_parse_time(buf, &t_text, &why) != 0)
			return cli_import_line_error(
				im, "record: malformed time \"%s\": %s", buf,
				why);
	}
	if (!have_ns && !have_text)
		return cli_import_line_error(
			im, "record: key \"time_ns\" is missing");
	r->time_ns = have_ns ? f[F_TIME_NS].as.i : t_text;
	if (have_ns && have_text && t_text != r->time_ns)
		return cli_import_line_error(
			im, "record: \"time\" and \"time_ns\" "
			    "disagree");

	/* body: one msgpack value, or none for null */
	if ((rc = need(im, &f[F_BODY], "body", "record")) != 0)
		return rc;
	if (f[F_BODY].kind != HS_NIL) {
		if (hs_msgpack_check(f[F_BODY].raw, f[F_BODY].raw_len) != 0)
			return cli_import_line_error(
				im,
				"record: \"body\" is nested "
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
		return cli_import_line_error(
			im, "record: \"cause\" must be null or an "
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
			return cli_import_line_error(
				im, "record: \"%s\" must be an integer from "
				    "1 to %u",
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
		return cli_import_line_error(
			im, "record: \"state_hash\" must be a string "
			    "of 16 hex digits");
	for (size_t i = 0; i < 16; i++) {
		char ch = h->as.str[i];
		unsigned d =
			ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
			: ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
			: ch >= 'A' && ch <= 'F' ? (unsigned)(ch - 'A' + 10)
						 : 16;
		if (d == 16)
			return cli_import_line_error(
				im, "record: \"state_hash\" must be "
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

/* A snapshot line: {"snapshot":{"type","id","seq","state"}}, the state
 * the base64 of its exact msgpack bytes, decoded into im->state. */
static int parse_snapshot(cli_importer *im, const hs_value *top,
			  cli_import_snapshot *out)
{
	static const char *const wrap[] = {"snapshot"};
	static const char *const names[] = {"type", "id", "seq", "state"};
	hs_value w, f[4];
	int rc;

	if ((rc = fields(im, top, wrap, 1, &w, "snapshot line")) != 0)
		return rc;
	if (w.kind != HS_MAP)
		return cli_import_line_error(im, "\"snapshot\" must be an "
						 "object {type, id, seq, "
						 "state}");
	memset(out, 0, sizeof(*out));
	if ((rc = fields(im, &w, names, 4, f, "snapshot")) != 0 ||
	    (rc = get_name(im, &f[0], "type", HS_NAME_MAX, "snapshot",
			   out->type)) != 0 ||
	    (rc = get_name(im, &f[1], "id", HS_ID_MAX, "snapshot", out->id)) !=
		    0 ||
	    (rc = get_u64(im, &f[2], "seq", "snapshot", &out->seq)) != 0 ||
	    (rc = need(im, &f[3], "state", "snapshot")) != 0)
		return rc;
	if (f[3].kind != HS_STR)
		return cli_import_line_error(
			im,
			"snapshot of %s/%s seq %" PRIu64 ": \"state\" "
			"must be a string (the base64 of its msgpack bytes)",
			out->type, out->id, out->seq);
	hs_buf_reset(&im->state);
	rc = hsi_base64_decode(&im->state, f[3].as.str, f[3].len);
	if (rc == HS_ENOMEM)
		return cli_import_line_error(im, "out of memory");
	if (rc != 0)
		return cli_import_line_error(
			im,
			"snapshot of %s/%s seq %" PRIu64 ": \"state\" is "
			"not base64 (standard alphabet, with padding)",
			out->type, out->id, out->seq);
	if (hs_msgpack_check(im->state.data, im->state.len) != 0)
		return cli_import_line_error(
			im,
			"snapshot of %s/%s seq %" PRIu64 ": \"state\" is "
			"not one msgpack value (nested at most %d levels)",
			out->type, out->id, out->seq, HSI_MP_MAX_DEPTH);
	return 0;
}

int cli_import_parse(cli_importer *im, const char *text, size_t len,
		     cli_import_line *out)
{
	hsi_json_error e;
	const uint8_t *end, *v;
	hs_value top;
	int rc;

	hs_buf_reset(&im->mp);
	/* The body may nest HSI_MP_MAX_DEPTH deep inside the record. */
	rc = hsi_json_to_msgpack(&im->mp, text, len, HSI_MP_MAX_DEPTH + 1, &e);
	if (rc == HS_ENOMEM)
		return cli_import_line_error(im, "out of memory");
	if (rc != 0) {
		cli_progress_end(&im->progress);
		cli_error(im->cmd, "%s:%" PRIu64 ":%zu: malformed JSON: %s",
			  im->input, im->line, e.column, e.what);
		return CLI_EXIT_USAGE;
	}
	end = im->mp.data + im->mp.len;
	if (hsi_mp_read(im->mp.data, end, &top, NULL) != 0 ||
	    top.kind != HS_MAP)
		return cli_import_line_error(im, "a record is a JSON object");
	/* A line with the key "snapshot" is a snapshot line. */
	out->is_snapshot = hsi_mp_find(top.raw, end, "snapshot", 8, &v) == 0;
	if (out->is_snapshot)
		return parse_snapshot(im, &top, &out->snap);
	return parse_record(im, &top, &out->rec);
}
