/*
 * msgpack -> JSON for people: hs_json() and hs_json_diff().
 *
 * Both validate their input whole with hs_msgpack_check() first, so the
 * walks below meet only well-formed data nested at most HSI_MP_MAX_DEPTH
 * deep: that bounds their recursion. Nothing is allocated but the output;
 * every failure puts out->len back where the call found it.
 */
#include "codec/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/base64.h"
#include "codec/mpread.h"
#include "common/buf.h"

#define PUT_LIT(b, lit) hsi_buf_append((b), (lit), sizeof(lit) - 1)

static int put_c(hs_buf *b, char c)
{
	return hsi_buf_append(b, &c, 1);
}

/* A newline and two spaces a level. */
static int put_indent(hs_buf *b, unsigned level)
{
	size_t n = 2 * (size_t)level;
	int rc = hsi_buf_reserve(b, 1 + n);

	if (rc != 0)
		return rc;
	b->data[b->len++] = '\n';
	memset(b->data + b->len, ' ', n);
	b->len += n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */
/* ------------------------------------------------------------------ */

static const char hexdig[] = "0123456789abcdef";


/* The inside of a JSON string: runs that need no escape are copied whole.
 * s must not point into b. */
static int put_str_body(hs_buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0, run = 0; /* run: start of bytes not yet copied */
	int rc = hsi_buf_reserve(b, n);

	while (rc == 0 && i < n) {
		uint8_t c = s[i];
		char esc[6];
		size_t elen;

		if (c >= 0x80) {
			size_t u = hsi_utf8_len(s + i, n - i);

			if (u != 0) {
				i += u;
				continue;
			}
			memcpy(esc, "\\ufffd", 6);
			elen = 6;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hexdig[c >> 4];
			esc[5] = hexdig[c & 15];
			elen = 6;
		} else {
			i++;
			continue;
		}
		rc = hsi_buf_append(b, s + run, i - run);
		if (rc == 0)
			rc = hsi_buf_append(b, esc, elen);
		run = ++i;
	}
	if (rc == 0)
		rc = hsi_buf_append(b, s + run, n - run);
	return rc;
}

static int put_str(hs_buf *b, const uint8_t *s, size_t n)
{
	int rc = put_c(b, '"');

	if (rc == 0)
		rc = put_str_body(b, s, n);
	if (rc == 0)
		rc = put_c(b, '"');
	return rc;
}

int hsi_json_str(hs_buf *out, const void *s, size_t n)
{
	size_t start = out->len;
	int rc = put_str(out, s, n);

	if (rc != 0)
		out->len = start;
	return rc;
}

/*
 * Makes the JSON text that b holds from `from` on the inside of a string,
 * in place: a backslash before each '"' and '\', and quotes around it when
 * `quotes`. The text is our own output, so it has no control characters
 * and only valid UTF-8: nothing else needs escaping.
 */
static int escape_tail(hs_buf *b, size_t from, bool quotes)
{
	size_t len = b->len, extra = quotes ? 2 : 0, w;
	int rc;

	for (size_t i = from; i < len; i++)
		if (b->data[i] == '"' || b->data[i] == '\\')
			extra++;
	rc = hsi_buf_reserve(b, extra);
	if (rc != 0)
		return rc;
	/* From the back, so that each byte moves before it is overwritten. */
	w = len + extra;
	b->len = w;
	if (quotes)
		b->data[--w] = '"';
	for (size_t i = len; i-- > from;) {
		uint8_t c = b->data[i];

		b->data[--w] = c;
		if (c == '"' || c == '\\')
			b->data[--w] = '\\';
	}
	if (quotes)
		b->data[--w] = '"';
	return 0;
}

/* Binary as a quoted base64 string: standard alphabet, with padding. */
static int put_base64(hs_buf *b, const uint8_t *s, size_t n)
{
	if (hsi_buf_append(b, "\"", 1) != 0 || hsi_base64_put(b, s, n) != 0 ||
	    hsi_buf_append(b, "\"", 1) != 0)
		return HS_ENOMEM;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

static int put_i64(hs_buf *b, int64_t v)
{
	char t[24];
	int k = snprintf(t, sizeof(t), "%" PRId64, v);

	return hsi_buf_append(b, t, (size_t)k);
}

static int put_u64(hs_buf *b, uint64_t v)
{
	char t[24];
	int k = snprintf(t, sizeof(t), "%" PRIu64, v);

	return hsi_buf_append(b, t, (size_t)k);
}

/*
 * The shortest of %.15g, %.16g and %.17g that reads back as the same
 * double (%.17g always does); for a float32, the shortest of %.6g to %.9g
 * that reads back as the same float, so 0.1f prints as 0.1. NaN and the
 * infinities have no JSON form: null.
 */
static int put_float(hs_buf *b, double d, bool single)
{
	char t[40], o[40];
	size_t n = 0;
	int k = 0;

	if (!isfinite(d))
		return PUT_LIT(b, "null");
	if (single) {
		for (int prec = 6; prec <= 9; prec++) {
			k = snprintf(t, sizeof(t), "%.*g", prec, d);
			if (strtof(t, NULL) == (float)d)
				break;
		}
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			k = snprintf(t, sizeof(t), "%.*g", prec, d);
			if (strtod(t, NULL) == d)
				break;
		}
	}
	if (k <= 0 || (size_t)k >= sizeof(t))
		return HS_ENOMEM; /* cannot happen: %g of a finite double */
	/* snprintf and strtod agree on the locale's decimal point, which
	 * need not be '.' (nor one byte): JSON wants '.'. */
	for (int i = 0; i < k; i++) {
		char c = t[i];

		if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e')
			o[n++] = c;
		else if (n == 0 || o[n - 1] != '.')
			o[n++] = '.';
	}
	return hsi_buf_append(b, o, n);
}

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

static int put_value(hs_buf *b, const uint8_t *p, const uint8_t *end,
		     bool pretty, unsigned level, bool in_key,
		     const uint8_t **next);

/* Before an element of a container at `level`: the comma, and in pretty
 * form the new line. */
static int put_sep(hs_buf *b, bool first, bool pretty, unsigned level)
{
	int rc = first ? 0 : put_c(b, ',');

	if (rc == 0 && pretty)
		rc = put_indent(b, level + 1);
	return rc;
}

static int put_close(hs_buf *b, char c, bool empty, bool pretty,
		     unsigned level)
{
	int rc = 0;

	if (pretty && !empty)
		rc = put_indent(b, level);
	if (rc == 0)
		rc = put_c(b, c);
	return rc;
}

/*
 * A string key as itself, any other as its compact JSON text quoted. Inside
 * that text (in_key) a key that is not a string is the base64 of its
 * msgpack bytes: quoting JSON text that holds quoted JSON text doubles its
 * backslashes at each level, and keys nested in keys would make the output
 * exponential in the input (a 160-byte value printed as 478 MB).
 */
static int put_key(hs_buf *b, const uint8_t *p, const uint8_t *end,
		   bool in_key, const uint8_t **next)
{
	hs_value v;
	size_t from = b->len;
	int rc = hsi_mp_read(p, end, &v, NULL);

	if (rc != 0)
		return rc;
	if (v.kind == HS_STR) {
		*next = v.raw + v.raw_len;
		return put_str(b, (const uint8_t *)v.as.str, v.len);
	}
	if (in_key) {
		*next = v.raw + v.raw_len;
		return put_base64(b, v.raw, v.raw_len);
	}
	rc = put_value(b, p, end, false, 0, true, next);
	if (rc == 0)
		rc = escape_tail(b, from, true);
	return rc;
}

static int put_colon(hs_buf *b, bool pretty)
{
	return pretty ? PUT_LIT(b, ": ") : put_c(b, ':');
}

static int put_ext(hs_buf *b, int type, const uint8_t *data, size_t n,
		   bool pretty, unsigned level)
{
	int rc = put_c(b, '{');

	if (rc == 0)
		rc = put_sep(b, true, pretty, level);
	if (rc == 0)
		rc = PUT_LIT(b, "\"ext\"");
	if (rc == 0)
		rc = put_colon(b, pretty);
	if (rc == 0)
		rc = put_i64(b, type);
	if (rc == 0)
		rc = put_sep(b, false, pretty, level);
	if (rc == 0)
		rc = PUT_LIT(b, "\"data\"");
	if (rc == 0)
		rc = put_colon(b, pretty);
	if (rc == 0)
		rc = put_base64(b, data, n);
	if (rc == 0)
		rc = put_close(b, '}', false, pretty, level);
	return rc;
}

static int put_array(hs_buf *b, const uint8_t *p, const uint8_t *end, size_t n,
		     bool pretty, unsigned level, bool in_key)
{
	int rc = put_c(b, '[');

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = put_sep(b, i == 0, pretty, level);
		if (rc == 0)
			rc = put_value(b, p, end, pretty, level + 1, in_key,
				       &p);
	}
	if (rc == 0)
		rc = put_close(b, ']', n == 0, pretty, level);
	return rc;
}

static int put_map(hs_buf *b, const uint8_t *p, const uint8_t *end, size_t n,
		   bool pretty, unsigned level, bool in_key)
{
	int rc = put_c(b, '{');

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = put_sep(b, i == 0, pretty, level);
		if (rc == 0)
			rc = put_key(b, p, end, in_key, &p);
		if (rc == 0)
			rc = put_colon(b, pretty);
		if (rc == 0)
			rc = put_value(b, p, end, pretty, level + 1, in_key,
				       &p);
	}
	if (rc == 0)
		rc = put_close(b, '}', n == 0, pretty, level);
	return rc;
}

/* The value at p, which hs_msgpack_check() has passed; *next gets the
 * byte after it. Recurses once a level of nesting. in_key: it is (inside)
 * a key's text. */
static int put_value(hs_buf *b, const uint8_t *p, const uint8_t *end,
		     bool pretty, unsigned level, bool in_key,
		     const uint8_t **next)
{
	const uint8_t *in;
	hs_value v;
	int rc = hsi_mp_read(p, end, &v, &in);

	if (rc != 0)
		return rc;
	*next = v.raw + v.raw_len;
	switch (v.kind) {
	case HS_NIL:
		return PUT_LIT(b, "null");
	case HS_BOOL:
		return v.as.b ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
	case HS_INT:
		return put_i64(b, v.as.i);
	case HS_UINT:
		return put_u64(b, v.as.u);
	case HS_FLOAT:
		return put_float(b, v.as.f, p[0] == 0xca);
	case HS_STR:
		return put_str(b, (const uint8_t *)v.as.str, v.len);
	case HS_BIN:
		return put_base64(b, (const uint8_t *)v.as.str, v.len);
	case HS_EXT:
		return put_ext(b, (int)v.as.i, in, v.len, pretty, level);
	case HS_ARRAY:
		return put_array(b, in, end, v.len, pretty, level, in_key);
	case HS_MAP:
		return put_map(b, in, end, v.len, pretty, level, in_key);
	}
	return HS_EBADMSG;
}

int hs_json(hs_buf *out, const void *mp, size_t len, unsigned flags)
{
	const uint8_t *p = mp, *next;
	size_t start;
	int rc;

	if (out == NULL)
		return HS_EINVAL;
	rc = hs_msgpack_check(mp, len);
	if (rc != 0)
		return rc;
	start = out->len;
	rc = put_value(out, p, p + len, (flags & HS_JSON_PRETTY) != 0, 0,
		       false, &next);
	if (rc != 0)
		out->len = start;
	return rc;
}

/* ------------------------------------------------------------------ */
/* Differences                                                          */
/* ------------------------------------------------------------------ */

struct diff {
	hs_buf *out;
	size_t changes; /* written so far */
	unsigned depth; /* keys in path */
	/* The keys from the top map down to the current one: each spans
	 * [p, end) in the old or the new value. A key per map level, so
	 * the nesting limit bounds them. */
	struct {
		const uint8_t *p, *end;
	} path[HSI_MP_MAX_DEPTH];
};

/* The path of the current change, inside its quotes: the keys joined with
 * '.', a string as its text, any other key as its compact JSON text. */
static int put_path(hs_buf *b, const struct diff *d)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < d->depth; i++) {
		const uint8_t *p = d->path[i].p, *end = d->path[i].end, *next;
		size_t from;
		hs_value k;

		if (i > 0)
			rc = put_c(b, '.');
		if (rc == 0)
			rc = hsi_mp_read(p, end, &k, NULL);
		if (rc != 0)
			break;
		if (k.kind == HS_STR) {
			rc = put_str_body(b, (const uint8_t *)k.as.str, k.len);
			continue;
		}
		from = b->len;
		rc = put_value(b, p, end, false, 0, true, &next);
		if (rc == 0)
			rc = escape_tail(b, from, false);
	}
	return rc;
}

/* One change at the current path; old or new is NULL when the field was
 * added or removed. */
static int emit(struct diff *d, const uint8_t *old, const uint8_t *old_end,
		const uint8_t *new, const uint8_t *new_end)
{
	hs_buf *b = d->out;
	const uint8_t *next;
	int rc = d->changes++ > 0 ? put_c(b, ',') : 0;

	if (rc == 0)
		rc = PUT_LIT(b, "{\"path\":\"");
	if (rc == 0)
		rc = put_path(b, d);
	if (rc == 0)
		rc = put_c(b, '"');
	if (rc == 0 && old != NULL) {
		rc = PUT_LIT(b, ",\"old\":");
		if (rc == 0)
			rc = put_value(b, old, old_end, false, 0, false,
				       &next);
	}
	if (rc == 0 && new != NULL) {
		rc = PUT_LIT(b, ",\"new\":");
		if (rc == 0)
			rc = put_value(b, new, new_end, false, 0, false,
				       &next);
	}
	if (rc == 0)
		rc = put_c(b, '}');
	return rc;
}

static int push_key(struct diff *d, const uint8_t *key, const uint8_t *end)
{
	if (d->depth >= HSI_MP_MAX_DEPTH)
		return HS_EBADMSG; /* deeper than the check lets through */
	d->path[d->depth].p = key;
	d->path[d->depth].end = end;
	d->depth++;
	return 0;
}

/* Whether two keys name the same field: strings by their text (whatever
 * their encoding), other keys by their bytes. */
static bool same_key(const uint8_t *a, const uint8_t *a_end, const uint8_t *b,
		     const uint8_t *b_end)
{
	hs_value x, y;

	if (hsi_mp_read(a, a_end, &x, NULL) != 0 ||
	    hsi_mp_read(b, b_end, &y, NULL) != 0)
		return false;
	if (x.kind == HS_STR && y.kind == HS_STR)
		return x.len == y.len &&
		       memcmp(x.as.str, y.as.str, x.len) == 0;
	return x.raw_len == y.raw_len && memcmp(x.raw, y.raw, x.raw_len) == 0;
}

/* The pair at p: the value starts at *val, the next pair at *next. */
static int map_pair(const uint8_t *p, const uint8_t *end, const uint8_t **val,
		    const uint8_t **next)
{
	int rc = hsi_mp_skip(p, end, val);

	if (rc == 0)
		rc = hsi_mp_skip(*val, end, next);
	return rc;
}

/*
 * Looks keys up in one map. Each search starts at the pair after the last
 * match and wraps around, so maps that list their keys in the same order
 * (the usual case: the same encoder wrote both) cost one step a key.
 */
struct cursor {
	const uint8_t *first, *end; /* the first pair; the end of the data */
	size_t count;               /* pairs */
	const uint8_t *pos;         /* the pair at idx */
	size_t idx;
};

static void cursor_init(struct cursor *c, const uint8_t *first,
			const uint8_t *end, size_t count)
{
	c->first = c->pos = first;
	c->end = end;
	c->count = count;
	c->idx = 0;
}

/* Sets [*val, *val_end) to the value of `key` (ending at key_end), or
 * *val to NULL when the map has no such key. */
static int cursor_find(struct cursor *c, const uint8_t *key,
		       const uint8_t *key_end, const uint8_t **val,
		       const uint8_t **val_end)
{
	*val = NULL;
	for (size_t n = 0; n < c->count; n++) {
		const uint8_t *v, *next;
		bool hit;
		int rc;

		if (c->idx == c->count) {
			c->idx = 0;
			c->pos = c->first;
		}
		rc = map_pair(c->pos, c->end, &v, &next);
		if (rc != 0)
			return rc;
		hit = same_key(c->pos, v, key, key_end);
		c->pos = next;
		c->idx++;
		if (hit) {
			*val = v;
			*val_end = next;
			return 0;
		}
	}
	return 0;
}

static int diff_values(struct diff *d, const uint8_t *old,
		       const uint8_t *old_end, const uint8_t *new,
		       const uint8_t *new_end);

/*
 * Two maps, field by field: the old map's keys in its order (changed or
 * removed), then the keys only the new one has (added). In a map that
 * repeats a key (msgpack allows it; nothing here writes one) which
 * occurrence pairs with which is unspecified.
 */
static int diff_maps(struct diff *d, const uint8_t *old,
		     const uint8_t *old_end, const uint8_t *new,
		     const uint8_t *new_end)
{
	const uint8_t *oi, *ni, *k, *v, *next, *other, *other_end;
	struct cursor c;
	hs_value ov, nv;
	int rc;

	rc = hsi_mp_read(old, old_end, &ov, &oi);
	if (rc == 0)
		rc = hsi_mp_read(new, new_end, &nv, &ni);
	if (rc != 0)
		return rc;

	cursor_init(&c, ni, new_end, nv.len);
	k = oi;
	for (size_t i = 0; i < ov.len; i++, k = next) {
		rc = map_pair(k, old_end, &v, &next);
		if (rc == 0)
			rc = cursor_find(&c, k, v, &other, &other_end);
		if (rc == 0)
			rc = push_key(d, k, v);
		if (rc != 0)
			return rc;
		if (other == NULL)
			rc = emit(d, v, next, NULL, NULL);
		else
			rc = diff_values(d, v, next, other, other_end);
		d->depth--;
		if (rc != 0)
			return rc;
	}

	cursor_init(&c, oi, old_end, ov.len);
	k = ni;
	for (size_t i = 0; i < nv.len; i++, k = next) {
		rc = map_pair(k, new_end, &v, &next);
		if (rc == 0)
			rc = cursor_find(&c, k, v, &other, &other_end);
		if (rc != 0)
			return rc;
		if (other != NULL)
			continue;
		rc = push_key(d, k, v);
		if (rc != 0)
			return rc;
		rc = emit(d, NULL, NULL, v, next);
		d->depth--;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Two values that span exactly [old, old_end) and [new, new_end): two maps
 * are compared field by field, anything else whole, by its bytes. */
static int diff_values(struct diff *d, const uint8_t *old,
		       const uint8_t *old_end, const uint8_t *new,
		       const uint8_t *new_end)
{
	size_t old_len = (size_t)(old_end - old);
	size_t new_len = (size_t)(new_end - new);
	hs_value ov, nv;
	int rc;

	if (old_len == new_len && memcmp(old, new, old_len) == 0)
		return 0;
	rc = hsi_mp_read(old, old_end, &ov, NULL);
	if (rc == 0)
		rc = hsi_mp_read(new, new_end, &nv, NULL);
	if (rc != 0)
		return rc;
	if (ov.kind == HS_MAP && nv.kind == HS_MAP)
		return diff_maps(d, old, old_end, new, new_end);
	return emit(d, old, old_end, new, new_end);
}

int hs_json_diff(hs_buf *out, const void *old_mp, size_t old_len,
		 const void *new_mp, size_t new_len)
{
	const uint8_t *old = old_mp, *new = new_mp;
	struct diff d;
	size_t start;
	int rc;

	if (out == NULL)
		return HS_EINVAL;
	rc = hs_msgpack_check(old_mp, old_len);
	if (rc == 0)
		rc = hs_msgpack_check(new_mp, new_len);
	if (rc != 0)
		return rc;
	start = out->len;
	d.out = out;
	d.changes = 0;
	d.depth = 0;
	rc = put_c(out, '[');
	if (rc == 0)
		rc = diff_values(&d, old, old + old_len, new, new + new_len);
	if (rc == 0)
		rc = put_c(out, ']');
	if (rc != 0)
		out->len = start;
	return rc;
}

size_t hsi_utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}
