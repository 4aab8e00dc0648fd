/* Names, records and diffs, for people and as JSON (print.h). */
#include "print.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "common/buf.h"
#include "times.h"

int cli_put(hs_buf *b, const char *s)
{
	return hsi_buf_append(b, s, strlen(s));
}

int cli_putf(hs_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return HS_EINVAL;
	if ((size_t)n < sizeof(small))
		return hsi_buf_append(b, small, (size_t)n);
	if (hsi_buf_reserve(b, (size_t)n + 1) != 0)
		return HS_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int cli_put_json_str(hs_buf *b, const char *s, size_t n)
{
	return hsi_json_str(b, s, n);
}

int cli_put_name(hs_buf *b, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			rc = cli_putf(b, "\\x%02x", c);
		else
			rc = hsi_buf_append(b, &c, 1);
	}
	return rc;
}

int cli_put_addr(hs_buf *b, const char *type, const char *id)
{
	int rc = cli_put_name(b, type, strlen(type));

	if (rc == 0)
		rc = cli_put(b, "/");
	if (rc == 0)
		rc = cli_put_name(b, id, strlen(id));
	return rc;
}

int cli_put_record_line(hs_buf *b, const hs_record *r)
{
	char t[CLI_TIME_MAX];
	int rc;

	cli_format_time(r->time_ns, t, sizeof(t));
	rc = cli_putf(b, "gseq %" PRIu64 "  %s  ", r->gseq, t);
	if (rc == 0)
		rc = cli_put_addr(b, r->agent.type, r->agent.id);
	if (rc == 0)
		rc = cli_putf(b, " #%" PRIu64 "  ", r->seq);
	if (rc == 0)
		rc = cli_put_name(b, r->event_type, strlen(r->event_type));
	if (rc == 0 && r->body_len != 0) {
		rc = cli_put(b, " ");
		if (rc == 0)
			rc = hs_json(b, r->body, r->body_len, 0);
	}
	if (rc == 0 && r->cause_seq != 0) {
		rc = cli_put(b, "  caused by ");
		if (rc == 0)
			rc = cli_put_addr(b, r->cause.type, r->cause.id);
		if (rc == 0)
			rc = cli_putf(b, " #%" PRIu64 " (gseq %" PRIu64 ")",
				      r->cause_seq, r->cause_gseq);
	}
	return rc;
}

int cli_put_record_json(hs_buf *b, const hs_record *r, unsigned flags)
{
	const char *q = (flags & CLI_JSON_TIME_STRING) ? "\"" : "";
	char t[CLI_TIME_MAX];
	int rc;

	cli_format_time(r->time_ns, t, sizeof(t));
	rc = cli_putf(b,
		      "{\"gseq\":%" PRIu64 ",\"seq\":%" PRIu64
		      ",\"time_ns\":%s%" PRId64 "%s,\"time\":\"%s\",\"type\":",
		      r->gseq, r->seq, q, r->time_ns, q, t);
	if (rc == 0)
		rc = cli_put_json_str(b, r->agent.type, strlen(r->agent.type));
	if (rc == 0)
		rc = cli_put(b, ",\"id\":");
	if (rc == 0)
		rc = cli_put_json_str(b, r->agent.id, strlen(r->agent.id));
	if (rc == 0)
		rc = cli_put(b, ",\"event\":");
	if (rc == 0)
		rc = cli_put_json_str(b, r->event_type, strlen(r->event_type));
	if (rc == 0)
		rc = cli_put(b, ",\"body\":");
	if (rc == 0)
		rc = r->body_len != 0 ? hs_json(b, r->body, r->body_len, 0)
				      : cli_put(b, "null");
	if (rc == 0)
		rc = cli_put(b, ",\"cause\":");
	if (rc == 0 && r->cause_seq == 0)
		rc = cli_put(b, "null");
	else if (rc == 0) {
		rc = cli_put(b, "{\"type\":");
		if (rc == 0)
			rc = cli_put_json_str(b, r->cause.type,
					      strlen(r->cause.type));
		if (rc == 0)
			rc = cli_put(b, ",\"id\":");
		if (rc == 0)
			rc = cli_put_json_str(b, r->cause.id,
					      strlen(r->cause.id));
		if (rc == 0)
			rc = cli_putf(b,
				      ",\"seq\":%" PRIu64 ",\"gseq\":%" PRIu64
				      "}",
				      r->cause_seq, r->cause_gseq);
	}
	if (rc == 0)
		rc = cli_putf(b, ",\"state_hash\":\"%016" PRIx64 "\"",
			      r->state_hash);
	/* Schema versions only where a type declared some (docs/FORMAT.md:
	 * a version-2 record), so that older output stays as it was. */
	if (rc == 0 && (r->recorded_event_version > 1 ||
			r->state_version > 1 ||
			r->event_version != r->recorded_event_version))
		rc = cli_putf(b, ",\"event_version\":%u,\"state_version\":%u",
			      r->recorded_event_version, r->state_version);
	if (rc == 0 && r->event_version != r->recorded_event_version)
		rc = cli_putf(b, ",\"upcast_to\":%u", r->event_version);
	if (rc == 0 && !(flags & CLI_JSON_OPEN))
		rc = cli_put(b, "}");
	return rc;
}

/* Appends one msgpack value as compact JSON, or `missing`. */
static int put_value(hs_buf *b, const hs_value *v)
{
	return hs_json(b, v->raw, v->raw_len, 0);
}

int cli_put_diff_lines(hs_buf *b, const hs_buf *diff_json, const char *indent)
{
	hs_buf mp = HS_BUF_INIT;
	const uint8_t *p, *end, *in;
	hs_value arr, item, path, old, new;
	int rc;

	rc = hsi_json_to_msgpack(&mp, (const char *)diff_json->data,
				 diff_json->len, 64, NULL);
	if (rc == 0)
		rc = hsi_mp_read(mp.data, mp.data + mp.len, &arr, &in);
	if (rc == 0 && arr.kind != HS_ARRAY)
		rc = HS_EBADMSG;
	if (rc != 0) {
		hs_buf_free(&mp);
		return rc;
	}
	if (arr.len == 0)
		rc = cli_putf(b, "%s(no change)\n", indent);
	end = mp.data + mp.len;
	p = in;
	for (size_t i = 0; rc == 0 && i < arr.len; i++) {
		if ((rc = hsi_mp_read(p, end, &item, NULL)) != 0)
			break;
		bool has_old = hs_get(item.raw, item.raw_len, "old", &old) == 0;
		bool has_new = hs_get(item.raw, item.raw_len, "new", &new) == 0;

		p = item.raw + item.raw_len;
		rc = cli_put(b, indent);
		if (rc == 0 && hs_get(item.raw, item.raw_len, "path", &path) ==
				       0 &&
		    path.kind == HS_STR && path.len != 0)
			rc = cli_put_name(b, path.as.str, path.len);
		else if (rc == 0)
			rc = cli_put(b, "(the whole state)");
		if (rc == 0)
			rc = cli_put(b, ": ");
		if (rc == 0 && has_old && has_new) {
			rc = put_value(b, &old);
			if (rc == 0)
				rc = cli_put(b, " -> ");
			if (rc == 0)
				rc = put_value(b, &new);
		} else if (rc == 0 && has_new) {
			rc = cli_put(b, "+ ");
			if (rc == 0)
				rc = put_value(b, &new);
		} else if (rc == 0 && has_old) {
			rc = cli_put(b, "- ");
			if (rc == 0)
				rc = put_value(b, &old);
			if (rc == 0)
				rc = cli_put(b, " (removed)");
		}
		if (rc == 0)
			rc = cli_put(b, "\n");
	}
	hs_buf_free(&mp);
	return rc;
}

int cli_flush(hs_buf *b)
{
	return cli_flush_to(b, stdout);
}

int cli_flush_to(hs_buf *b, FILE *f)
{
	size_t n = b->len;

	hs_buf_reset(b);
	if (n != 0 && fwrite(b->data, 1, n, f) != n)
		return -1;
	return 0;
}
