/*
 * JSON -> msgpack (codec/json_parse.h). A recursive descent over the
 * RFC 8259 grammar; the recursion is bounded by max_depth (and by
 * PARSE_DEPTH_CAP whatever the caller asks). Containers and strings are
 * written with a 5-byte placeholder header that is shrunk to the shortest
 * form once their size is known, so the output is what a msgpack packer
 * would write for the same value.
 */
#include "codec/json_parse.h"

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "common/buf.h"

/* Deepest nesting accepted whatever max_depth says: bounds the stack. */
#define PARSE_DEPTH_CAP 512

/* Longest number text converted through strtod. */
#define NUMBER_MAX 512

typedef struct parser {
	const uint8_t *s;
	size_t len;
	size_t pos;
	unsigned max_depth;
	hs_buf *out;
	const char *what; /* set with pos at the first error */
	int rc;
} parser;

static int fail(parser *p, size_t at, const char *what)
{
	if (p->rc == 0) {
		p->rc = HS_EBADMSG;
		p->what = what;
		p->pos = at;
	}
	return p->rc;
}

static int oom(parser *p)
{
	if (p->rc == 0)
		p->rc = HS_ENOMEM;
	return p->rc;
}

static int put(parser *p, const void *d, size_t n)
{
	return hsi_buf_append(p->out, d, n) == 0 ? 0 : oom(p);
}

static int put_byte(parser *p, uint8_t b)
{
	return put(p, &b, 1);
}

static void be_put(uint8_t *d, uint64_t v, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		d[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void skip_ws(parser *p)
{
	while (p->pos < p->len) {
		uint8_t c = p->s[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* ------------------------------------------------------------------ */
/* Headers: a 5-byte placeholder, shrunk when the size is known          */
/* ------------------------------------------------------------------ */

enum { HDR_MAX = 5 };

static int open_header(parser *p, size_t *at)
{
	static const uint8_t zero[HDR_MAX];

	*at = p->out->len;
	return put(p, zero, HDR_MAX);
}

/* kind: 's' str, 'a' array, 'm' map; n: bytes (str) or elements. */
static int close_header(parser *p, size_t at, char kind, uint64_t n)
{
	uint8_t h[HDR_MAX];
	size_t hn;

	if (kind == 's') {
		if (n <= 31) {
			h[0] = (uint8_t)(0xa0 | n);
			hn = 1;
		} else if (n <= 0xff) {
			h[0] = 0xd9;
			h[1] = (uint8_t)n;
			hn = 2;
		} else if (n <= 0xffff) {
			h[0] = 0xda;
			be_put(h + 1, n, 2);
			hn = 3;
		} else if (n <= 0xffffffffu) {
			h[0] = 0xdb;
			be_put(h + 1, n, 4);
			hn = 5;
		} else {
			return oom(p);
		}
	} else {
		uint8_t fix = kind == 'a' ? 0x90 : 0x80;
		uint8_t b16 = kind == 'a' ? 0xdc : 0xde;

		if (n <= 15) {
			h[0] = (uint8_t)(fix | n);
			hn = 1;
		} else if (n <= 0xffff) {
			h[0] = b16;
			be_put(h + 1, n, 2);
			hn = 3;
		} else if (n <= 0xffffffffu) {
			h[0] = (uint8_t)(b16 + 1);
			be_put(h + 1, n, 4);
			hn = 5;
		} else {
			return oom(p);
		}
	}
	uint8_t *d = p->out->data + at;
	size_t body = p->out->len - at - HDR_MAX;

	if (hn != HDR_MAX)
		memmove(d + hn, d + HDR_MAX, body);
	memcpy(d, h, hn);
	p->out->len = at + hn + body;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */
/* ------------------------------------------------------------------ */


static int hex4(parser *p, size_t at, uint32_t *out)
{
	uint32_t v = 0;

	for (size_t i = 0; i < 4; i++) {
		uint8_t c = at + i < p->len ? p->s[at + i] : 0;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return fail(p, at + i, "\\u needs four hex digits");
	}
	*out = v;
	return 0;
}

static int put_utf8(parser *p, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return put(p, b, n);
}

/* A \u escape at p->pos (just past the backslash and 'u'), joining a
 * surrogate pair. */
static int unicode_escape(parser *p, size_t esc_at)
{
	uint32_t cp, lo;

	if (hex4(p, p->pos, &cp) != 0)
		return p->rc;
	p->pos += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, esc_at, "lone low surrogate in \\u escape");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' ||
		    p->s[p->pos + 1] != 'u')
			return fail(p, esc_at,
				    "high surrogate without its low half");
		if (hex4(p, p->pos + 2, &lo) != 0)
			return p->rc;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, esc_at,
				    "high surrogate without its low half");
		p->pos += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	return put_utf8(p, cp);
}

/* A string at p->pos (on its opening quote), as a msgpack str. */
static int parse_string(parser *p)
{
	size_t hdr, start;

	if (open_header(p, &hdr) != 0)
		return p->rc;
	start = p->out->len;
	p->pos++; /* the quote */
	for (;;) {
		size_t run = p->pos;

		/* Copy runs that need no decoding whole. */
		while (p->pos < p->len) {
			uint8_t c = p->s[p->pos];

			if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
				break;
			p->pos++;
		}
		if (p->pos > run && put(p, p->s + run, p->pos - run) != 0)
			return p->rc;
		if (p->pos >= p->len)
			return fail(p, p->pos, "unterminated string");
		uint8_t c = p->s[p->pos];

		if (c == '"') {
			p->pos++;
			break;
		}
		if (c < 0x20)
			return fail(p, p->pos,
				    "control character in a string (escape "
				    "it)");
		if (c >= 0x80) {
			size_t u = hsi_utf8_len(p->s + p->pos, p->len - p->pos);

			if (u == 0)
				return fail(p, p->pos, "invalid UTF-8");
			if (put(p, p->s + p->pos, u) != 0)
				return p->rc;
			p->pos += u;
			continue;
		}
		/* A backslash. */
		size_t esc_at = p->pos;
		uint8_t e;

		if (p->pos + 1 >= p->len)
			return fail(p, p->pos, "unterminated string");
		e = p->s[p->pos + 1];
		p->pos += 2;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			put_byte(p, e);
			break;
		case 'b':
			put_byte(p, '\b');
			break;
		case 'f':
			put_byte(p, '\f');
			break;
		case 'n':
			put_byte(p, '\n');
			break;
		case 'r':
			put_byte(p, '\r');
			break;
		case 't':
			put_byte(p, '\t');
			break;
		case 'u':
			unicode_escape(p, esc_at);
			break;
		default:
			return fail(p, esc_at, "unknown escape in a string");
		}
		if (p->rc != 0)
			return p->rc;
	}
	return close_header(p, hdr, 's', p->out->len - start);
}

/* ------------------------------------------------------------------ */
/* Numbers                                                              */
/* ------------------------------------------------------------------ */

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int put_double(parser *p, size_t at, size_t n)
{
	char buf[NUMBER_MAX + 16];
	const char *dp = localeconv()->decimal_point;
	size_t dpn = dp != NULL ? strlen(dp) : 0, o = 0;
	uint8_t b[9];
	double d;
	uint64_t bits;

	if (dpn == 0) {
		dp = ".";
		dpn = 1;
	}
	if (n > NUMBER_MAX)
		return fail(p, at, "number too long");
	/* strtod reads the locale's decimal point, which JSON's '.' need
	 * not be. */
	for (size_t i = 0; i < n; i++) {
		if (p->s[at + i] == '.') {
			memcpy(buf + o, dp, dpn);
			o += dpn;
		} else {
			buf[o++] = (char)p->s[at + i];
		}
	}
	buf[o] = '\0';
	d = strtod(buf, NULL);
	memcpy(&bits, &d, sizeof(bits));
	b[0] = 0xcb;
	be_put(b + 1, bits, 8);
	return put(p, b, 9);
}

static int put_uint(parser *p, uint64_t v)
{
	uint8_t b[9];
	size_t n;

	if (v <= 0x7f) {
		b[0] = (uint8_t)v;
		n = 1;
	} else if (v <= 0xff) {
		b[0] = 0xcc;
		b[1] = (uint8_t)v;
		n = 2;
	} else if (v <= 0xffff) {
		b[0] = 0xcd;
		be_put(b + 1, v, 2);
		n = 3;
	} else if (v <= 0xffffffffu) {
		b[0] = 0xce;
		be_put(b + 1, v, 4);
		n = 5;
	} else {
		b[0] = 0xcf;
		be_put(b + 1, v, 8);
		n = 9;
	}
	return put(p, b, n);
}

/* A negative integer -m, 1 <= m <= 2^63. */
static int put_neg(parser *p, uint64_t m)
{
	int64_t v = m == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)m;
	uint8_t b[9];
	size_t n;

	if (v >= -32) {
		b[0] = (uint8_t)(int8_t)v;
		n = 1;
	} else if (v >= INT8_MIN) {
		b[0] = 0xd0;
		b[1] = (uint8_t)(int8_t)v;
		n = 2;
	} else if (v >= INT16_MIN) {
		b[0] = 0xd1;
		be_put(b + 1, (uint64_t)v, 2);
		n = 3;
	} else if (v >= INT32_MIN) {
		b[0] = 0xd2;
		be_put(b + 1, (uint64_t)v, 4);
		n = 5;
	} else {
		b[0] = 0xd3;
		be_put(b + 1, (uint64_t)v, 8);
		n = 9;
	}
	return put(p, b, n);
}

static int parse_number(parser *p)
{
	size_t at = p->pos;
	bool neg = false, integer = true, overflow = false;
	uint64_t m = 0;

	if (p->s[p->pos] == '-') {
		neg = true;
		p->pos++;
	}
	if (p->pos >= p->len || !is_digit(p->s[p->pos]))
		return fail(p, p->pos, "expected a digit");
	if (p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && is_digit(p->s[p->pos]))
			return fail(p, at, "leading zero in a number");
	} else {
		while (p->pos < p->len && is_digit(p->s[p->pos])) {
			unsigned d = (unsigned)(p->s[p->pos] - '0');

			if (m > (UINT64_MAX - d) / 10)
				overflow = true;
			else
				m = m * 10 + d;
			p->pos++;
		}
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		integer = false;
		p->pos++;
		if (p->pos >= p->len || !is_digit(p->s[p->pos]))
			return fail(p, p->pos, "expected a digit after '.'");
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		integer = false;
		p->pos++;
		if (p->pos < p->len &&
		    (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !is_digit(p->s[p->pos]))
			return fail(p, p->pos,
				    "expected a digit in the exponent");
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	}
	/* -0 has no integer form; beyond 64 bits neither. */
	if (!integer || overflow || (neg && m == 0) ||
	    (neg && m > (UINT64_C(1) << 63)))
		return put_double(p, at, p->pos - at);
	return neg ? put_neg(p, m) : put_uint(p, m);
}

/* ------------------------------------------------------------------ */
/* Values                                                               */
/* ------------------------------------------------------------------ */

static int parse_value(parser *p, unsigned depth);

static int word(parser *p, const char *w, uint8_t mp)
{
	size_t n = strlen(w);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0)
		return fail(p, p->pos, "expected a JSON value");
	p->pos += n;
	return put_byte(p, mp);
}

static int parse_container(parser *p, unsigned depth, bool map)
{
	char close = map ? '}' : ']';
	uint64_t n = 0;
	size_t hdr;

	if (depth >= p->max_depth)
		return fail(p, p->pos, "nested too deep");
	if (open_header(p, &hdr) != 0)
		return p->rc;
	p->pos++; /* [ or { */
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == (uint8_t)close) {
		p->pos++;
		return close_header(p, hdr, map ? 'm' : 'a', 0);
	}
	for (;;) {
		skip_ws(p);
		if (map) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, p->pos,
					    "expected a string key");
			if (parse_string(p) != 0)
				return p->rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, p->pos,
					    "expected ':' after a key");
			p->pos++;
			skip_ws(p);
		}
		if (parse_value(p, depth + 1) != 0)
			return p->rc;
		n++;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, p->pos,
				    map ? "unterminated object"
					: "unterminated array");
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == (uint8_t)close) {
			p->pos++;
			break;
		}
		return fail(p, p->pos,
			    map ? "expected ',' or '}'" : "expected ',' or ']'");
	}
	return close_header(p, hdr, map ? 'm' : 'a', n);
}

static int parse_value(parser *p, unsigned depth)
{
	if (p->pos >= p->len)
		return fail(p, p->pos, "expected a JSON value");
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		return parse_string(p);
	case 't':
		return word(p, "true", 0xc3);
	case 'f':
		return word(p, "false", 0xc2);
	case 'n':
		return word(p, "null", 0xc0);
	default:
		if (p->s[p->pos] == '-' || is_digit(p->s[p->pos]))
			return parse_number(p);
		return fail(p, p->pos, "expected a JSON value");
	}
}

int hsi_json_to_msgpack(hs_buf *out, const char *text, size_t len,
			unsigned max_depth, hsi_json_error *err)
{
	parser p = {
		.s = (const uint8_t *)text,
		.len = text != NULL ? len : 0,
		.max_depth = max_depth < PARSE_DEPTH_CAP ? max_depth
							 : PARSE_DEPTH_CAP,
		.out = out,
	};
	size_t start = out->len;

	skip_ws(&p);
	if (parse_value(&p, 0) == 0) {
		skip_ws(&p);
		if (p.pos < p.len)
			fail(&p, p.pos, "unexpected text after the value");
	}
	if (p.rc == 0)
		return 0;
	out->len = start;
	if (err != NULL && p.rc == HS_EBADMSG) {
		size_t line = 1, col = 1;

		for (size_t i = 0; i < p.pos && i < p.len; i++) {
			if (p.s[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		err->line = line;
		err->column = col;
		err->offset = p.pos;
		err->what = p.what;
	}
	return p.rc;
}
