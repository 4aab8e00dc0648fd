/* Tests of runtime/codec/json.c: hs_json and hs_json_diff. */
#include "util.h"

#include <float.h>
#include <math.h>

#include <msgpack.h>

#include "codec/base64.h"
#include "codec/json.h"
#include "common/buf.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Every msgpack_pack_* call must succeed. */
#define PK(call) assert_int_equal((call), 0)

/* A msgpack-c packer writing into its own buffer. Do not move it after
 * mpb_init: the packer points at the buffer. */
typedef struct mpb {
	msgpack_sbuffer sb;
	msgpack_packer pk;
} mpb;

static void mpb_init(mpb *m)
{
	msgpack_sbuffer_init(&m->sb);
	msgpack_packer_init(&m->pk, &m->sb, msgpack_sbuffer_write);
}

static void mpb_destroy(mpb *m)
{
	msgpack_sbuffer_destroy(&m->sb);
}

static void pk_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	PK(msgpack_pack_str(pk, n));
	PK(msgpack_pack_str_body(pk, s, n));
}

static void pk_bin(msgpack_packer *pk, const void *p, size_t n)
{
	PK(msgpack_pack_bin(pk, n));
	PK(msgpack_pack_bin_body(pk, p, n));
}

static void pk_ext(msgpack_packer *pk, int8_t type, const void *p, size_t n)
{
	PK(msgpack_pack_ext(pk, n, type));
	PK(msgpack_pack_ext_body(pk, p, n));
}

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;

	for (const char *h = hex; *h != '\0';) {
		if (*h == ' ') {
			h++;
			continue;
		}
		assert_true(n < cap);
		out[n++] =
			(uint8_t)strtoul((char[]){h[0], h[1], '\0'}, NULL, 16);
		h += 2;
	}
	return n;
}

/* Asserts that b holds exactly `want` from `from` on. */
static void buf_is(const hs_buf *b, size_t from, const char *want)
{
	size_t n = b->len - from;
	char *got = malloc(n + 1);

	assert_non_null(got);
	if (n > 0)
		memcpy(got, b->data + from, n);
	got[n] = '\0';
	assert_int_equal(strlen(got), n); /* no NUL in the output */
	assert_string_equal(got, want);
	free(got);
}

/* hs_json of [mp, mp+n) is `want`, also when appended to other text. */
static void json_is(const void *mp, size_t n, unsigned flags, const char *want)
{
	hs_buf b = HS_BUF_INIT;

	assert_hs(0, hs_json(&b, mp, n, flags));
	buf_is(&b, 0, want);
	hs_buf_reset(&b);
	assert_hs(0, hsi_buf_append(&b, "xy", 2));
	assert_hs(0, hs_json(&b, mp, n, flags));
	assert_memory_equal(b.data, "xy", 2);
	buf_is(&b, 2, want);
	hs_buf_free(&b);
}

static void mpb_json_is(const mpb *m, unsigned flags, const char *want)
{
	json_is(m->sb.data, m->sb.size, flags, want);
}

static void hex_json_is(const char *hex, unsigned flags, const char *want)
{
	uint8_t b[512];

	json_is(b, unhex(hex, b, sizeof(b)), flags, want);
}

/* hs_packf(fmt, ...) then hs_json. */
static void packf_json_is(unsigned flags, const char *want, const char *fmt,
			  ...)
{
	hs_buf in = HS_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hs_vpackf(&in, fmt, ap);
	va_end(ap);
	assert_hs(0, rc);
	json_is(in.data, in.len, flags, want);
	hs_buf_free(&in);
}

/* The JSON of a msgpack str with payload [s, s+n). */
static void str_json_is(const char *s, size_t n, const char *want)
{
	hs_buf in = HS_BUF_INIT;

	assert_hs(0, hs_packf(&in, "S", s, n));
	json_is(in.data, in.len, 0, want);
	hs_buf_free(&in);
}

#define STR_JSON_IS(lit, want) str_json_is((lit), sizeof(lit) - 1, (want))

/* hs_json_diff of two values is `want`. */
static void diff_is(const void *a, size_t an, const void *b, size_t bn,
		    const char *want)
{
	hs_buf out = HS_BUF_INIT;

	assert_hs(0, hs_json_diff(&out, a, an, b, bn));
	buf_is(&out, 0, want);
	hs_buf_reset(&out);
	assert_hs(0, hsi_buf_append(&out, "[", 1));
	assert_hs(0, hs_json_diff(&out, a, an, b, bn));
	buf_is(&out, 1, want);
	hs_buf_free(&out);
}

/* A deterministic generator (xorshift64*) so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ------------------------------------------------------------------ */
/* A small JSON reader for the round-trip checks                        */
/* ------------------------------------------------------------------ */

/*
 * Reads RFC 8259 JSON and packs what it reads with msgpack-c the way the
 * generator below packs its values (integers with the smallest encoding,
 * strings as str), so that a round trip can compare bytes. With `compact`
 * it refuses whitespace outside strings. Returns false on any error.
 */
typedef struct jr {
	const char *s, *end;
	bool compact;
} jr;

static bool jr_value(jr *r, msgpack_packer *pk, int depth);

static void jr_ws(jr *r)
{
	if (r->compact)
		return;
	while (r->s < r->end && (*r->s == ' ' || *r->s == '\n' ||
				 *r->s == '\r' || *r->s == '\t'))
		r->s++;
}

static bool jr_lit(jr *r, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(r->end - r->s) < n || memcmp(r->s, lit, n) != 0)
		return false;
	r->s += n;
	return true;
}

static int jr_hex4(jr *r)
{
	int v = 0;

	if (r->end - r->s < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = *r->s++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(hs_buf *b, uint32_t cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xc0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 63));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xe0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 63));
		u[2] = (uint8_t)(0x80 | (cp & 63));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xf0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 63));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 63));
		u[3] = (uint8_t)(0x80 | (cp & 63));
		n = 4;
	}
	assert_int_equal(hsi_buf_append(b, u, n), 0);
}

/* A string into out (decoded). */
static bool jr_string(jr *r, hs_buf *out)
{
	if (r->s >= r->end || *r->s != '"')
		return false;
	r->s++;
	while (r->s < r->end) {
		uint8_t c = (uint8_t)*r->s++;
		int cp, lo;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false; /* raw control character */
		if (c != '\\') {
			assert_int_equal(hsi_buf_append(out, &c, 1), 0);
			continue;
		}
		if (r->s >= r->end)
			return false;
		c = (uint8_t)*r->s++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			cp = jr_hex4(r);
			if (cp < 0)
				return false;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!jr_lit(r, "\\u"))
					return false;
				lo = jr_hex4(r);
				if (lo < 0xdc00 || lo > 0xdfff)
					return false;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return false;
			}
			put_utf8(out, (uint32_t)cp);
			continue;
		default:
			return false;
		}
		assert_int_equal(hsi_buf_append(out, &c, 1), 0);
	}
	return false;
}

static bool jr_number(jr *r, msgpack_packer *pk)
{
	const char *start = r->s;
	bool neg = false, frac = false;
	char tmp[64];
	size_t n;

	if (r->s < r->end && *r->s == '-') {
		neg = true;
		r->s++;
	}
	if (r->s >= r->end || *r->s < '0' || *r->s > '9')
		return false;
	if (*r->s == '0')
		r->s++;
	else
		while (r->s < r->end && *r->s >= '0' && *r->s <= '9')
			r->s++;
	if (r->s < r->end && *r->s == '.') {
		frac = true;
		r->s++;
		if (r->s >= r->end || *r->s < '0' || *r->s > '9')
			return false;
		while (r->s < r->end && *r->s >= '0' && *r->s <= '9')
			r->s++;
	}
	if (r->s < r->end && (*r->s == 'e' || *r->s == 'E')) {
		frac = true;
		r->s++;
		if (r->s < r->end && (*r->s == '+' || *r->s == '-'))
			r->s++;
		if (r->s >= r->end || *r->s < '0' || *r->s > '9')
			return false;
		while (r->s < r->end && *r->s >= '0' && *r->s <= '9')
			r->s++;
	}
	n = (size_t)(r->s - start);
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	if (frac)
		PK(msgpack_pack_double(pk, strtod(tmp, NULL)));
	else if (neg)
		PK(msgpack_pack_int64(pk, strtoll(tmp, NULL, 10)));
	else
		PK(msgpack_pack_uint64(pk, strtoull(tmp, NULL, 10)));
	return true;
}

/* An array or object: the elements go to a buffer of their own first,
 * since msgpack wants the count before them. */
static bool jr_container(jr *r, msgpack_packer *pk, int depth, bool obj)
{
	mpb inner;
	size_t count = 0;
	bool ok = false;
	hs_buf key = HS_BUF_INIT;

	mpb_init(&inner);
	r->s++;
	jr_ws(r);
	if (r->s < r->end && *r->s == (obj ? '}' : ']')) {
		r->s++;
		ok = true;
		goto done;
	}
	for (;;) {
		jr_ws(r);
		if (obj) {
			hs_buf_reset(&key);
			if (!jr_string(r, &key))
				goto done;
			PK(msgpack_pack_str(&inner.pk, key.len));
			PK(msgpack_pack_str_body(&inner.pk, key.data,
						 key.len));
			jr_ws(r);
			if (!jr_lit(r, ":"))
				goto done;
			jr_ws(r);
		}
		if (!jr_value(r, &inner.pk, depth + 1))
			goto done;
		count++;
		jr_ws(r);
		if (jr_lit(r, ","))
			continue;
		if (!jr_lit(r, obj ? "}" : "]"))
			goto done;
		ok = true;
		break;
	}
done:
	if (ok) {
		if (obj)
			PK(msgpack_pack_map(pk, count));
		else
			PK(msgpack_pack_array(pk, count));
		PK(msgpack_sbuffer_write(pk->data, inner.sb.data,
					 inner.sb.size));
	}
	hs_buf_free(&key);
	mpb_destroy(&inner);
	return ok;
}

static bool jr_value(jr *r, msgpack_packer *pk, int depth)
{
	hs_buf s = HS_BUF_INIT;
	bool ok;

	if (depth > 64)
		return false;
	jr_ws(r);
	if (r->s >= r->end)
		return false;
	switch (*r->s) {
	case '{':
		return jr_container(r, pk, depth, true);
	case '[':
		return jr_container(r, pk, depth, false);
	case '"':
		ok = jr_string(r, &s);
		if (ok) {
			PK(msgpack_pack_str(pk, s.len));
			PK(msgpack_pack_str_body(pk, s.data, s.len));
		}
		hs_buf_free(&s);
		return ok;
	case 't':
		if (!jr_lit(r, "true"))
			return false;
		PK(msgpack_pack_true(pk));
		return true;
	case 'f':
		if (!jr_lit(r, "false"))
			return false;
		PK(msgpack_pack_false(pk));
		return true;
	case 'n':
		if (!jr_lit(r, "null"))
			return false;
		PK(msgpack_pack_nil(pk));
		return true;
	default:
		return jr_number(r, pk);
	}
}

/* Reads [s, s+n) as exactly one JSON text into m. */
static bool jr_parse(const void *s, size_t n, bool compact, mpb *m)
{
	jr r = {s, (const char *)s + n, compact};

	if (!jr_value(&r, &m->pk, 0))
		return false;
	jr_ws(&r);
	return r.s == r.end;
}

/* msgpack from JSON text in which ' stands for " (to keep the tests
 * readable), via the reader above. */
static void from_json(const char *j, mpb *m)
{
	size_t n = strlen(j);
	char *t = malloc(n + 1);

	assert_non_null(t);
	for (size_t i = 0; i <= n; i++)
		t[i] = j[i] == '\'' ? '"' : j[i];
	if (!jr_parse(t, n, false, m))
		fail_msg("bad test JSON: %s", j);
	free(t);
}

/* hs_json_diff of two values written as JSON (see from_json) is `want`,
 * in which ' stands for " as well. */
static void jdiff_is(const char *old_json, const char *new_json,
		     const char *want)
{
	mpb a, b;
	size_t n = strlen(want);
	char *w = malloc(n + 1);

	assert_non_null(w);
	for (size_t i = 0; i <= n; i++)
		w[i] = want[i] == '\'' ? '"' : want[i];
	mpb_init(&a);
	mpb_init(&b);
	from_json(old_json, &a);
	from_json(new_json, &b);
	diff_is(a.sb.data, a.sb.size, b.sb.data, b.sb.size, w);
	mpb_destroy(&a);
	mpb_destroy(&b);
	free(w);
}

static void test_reader_itself(void **state)
{
	static const char *const good[] = {
		"0",
		"-1",
		"1.5e3",
		"\"a\\u00e9\\ud83d\\ude00\"",
		"[]",
		"{}",
		"[1,{\"a\":[true,false,null]}]",
		" { \"a\" : 1 , \"b\":[ ] } ",
	};
	static const char *const bad[] = {
		"",      "01",         "-",           "1.",
		"[1,]",  "{\"a\"}",    "{a:1}",       "\"\x01\"",
		"[1 2]", "tru",        "\"\\x\"",     "\"abc",
		"1 2",   "{\"a\":1,}", "\"\\udc00\"", "+1",
	};
	mpb m;

	(void)state;
	mpb_init(&m);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		msgpack_sbuffer_clear(&m.sb);
		assert_true(jr_parse(good[i], strlen(good[i]), false, &m));
		assert_hs(0, hs_msgpack_check(m.sb.data, m.sb.size));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msgpack_sbuffer_clear(&m.sb);
		assert_false(jr_parse(bad[i], strlen(bad[i]), false, &m));
	}
	msgpack_sbuffer_clear(&m.sb);
	assert_false(jr_parse("[1, 2]", 6, true, &m));
	mpb_destroy(&m);
}

/* ------------------------------------------------------------------ */
/* hs_json: scalars                                                     */
/* ------------------------------------------------------------------ */

static void test_json_scalars(void **state)
{
	(void)state;
	packf_json_is(0, "null", "n");
	packf_json_is(0, "true", "b", 1);
	packf_json_is(0, "false", "b", 0);
	packf_json_is(0, "0", "i", 0);
	packf_json_is(0, "127", "i", 127);
	packf_json_is(0, "128", "i", 128);
	packf_json_is(0, "-1", "i", -1);
	packf_json_is(0, "-32", "i", -32);
	packf_json_is(0, "-33", "i", -33);
	packf_json_is(0, "65536", "u", 65536u);
	packf_json_is(0, "-9223372036854775808", "I", INT64_MIN);
	packf_json_is(0, "9223372036854775807", "I", INT64_MAX);
	packf_json_is(0, "9223372036854775808", "U", (uint64_t)INT64_MAX + 1);
	packf_json_is(0, "18446744073709551615", "U", UINT64_MAX);
	packf_json_is(0, "\"\"", "s", "");
	packf_json_is(0, "\"hello\"", "s", "hello");
	/* Every encoding of an integer prints the same. */
	hex_json_is("cc 05", 0, "5");
	hex_json_is("cd 00 05", 0, "5");
	hex_json_is("ce 00 00 00 05", 0, "5");
	hex_json_is("cf 00 00 00 00 00 00 00 05", 0, "5");
	hex_json_is("d0 fb", 0, "-5");
	hex_json_is("d1 ff fb", 0, "-5");
	hex_json_is("d2 ff ff ff fb", 0, "-5");
	hex_json_is("d3 ff ff ff ff ff ff ff fb", 0, "-5");
	hex_json_is("d3 80 00 00 00 00 00 00 00", 0, "-9223372036854775808");
	/* str8/16/32 too. */
	hex_json_is("d9 02 68 69", 0, "\"hi\"");
	hex_json_is("da 00 02 68 69", 0, "\"hi\"");
	hex_json_is("db 00 00 00 02 68 69", 0, "\"hi\"");
	/* A scalar looks the same in pretty form. */
	packf_json_is(HS_JSON_PRETTY, "42", "i", 42);
	packf_json_is(HS_JSON_PRETTY, "\"a\"", "s", "a");
}

static void test_json_doubles(void **state)
{
	(void)state;
	packf_json_is(0, "0.1", "d", 0.1);
	packf_json_is(0, "1e+300", "d", 1e300);
	packf_json_is(0, "-0", "d", -0.0);
	packf_json_is(0, "0", "d", 0.0);
	packf_json_is(0, "1.5", "d", 1.5);
	packf_json_is(0, "100", "d", 100.0);
	packf_json_is(0, "-2.5e-07", "d", -2.5e-7);
	packf_json_is(0, "null", "d", (double)NAN);
	packf_json_is(0, "null", "d", (double)INFINITY);
	packf_json_is(0, "null", "d", -(double)INFINITY);
	/* 15 digits are not always enough: 16, then 17. */
	packf_json_is(0, "0.3333333333333333", "d", 1.0 / 3.0);
	packf_json_is(0, "0.30000000000000004", "d", 0.1 + 0.2);
	packf_json_is(0, "1.7976931348623157e+308", "d", DBL_MAX);
	packf_json_is(0, "2.2250738585072014e-308", "d", DBL_MIN);
	packf_json_is(0, "9007199254740992", "d", 9007199254740992.0);
	packf_json_is(0, "1.2345678901234568e+17", "d", 123456789012345678.0);
	packf_json_is(0, "[0.1,null]", "[d d]", 0.1, (double)NAN);
}

/* Every double printed reads back as itself. */
static void test_json_doubles_round_trip(void **state)
{
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = rng();
		double d, back;
		char *s;

		memcpy(&d, &bits, sizeof(d));
		if (i % 2 == 0) /* also ordinary magnitudes */
			d = (double)(int64_t)(bits >> 11) / (double)(1 << 20);
		hs_buf_reset(&in);
		hs_buf_reset(&out);
		assert_hs(0, hs_packf(&in, "d", d));
		assert_hs(0, hs_json(&out, in.data, in.len, 0));
		assert_hs(0, hsi_buf_append(&out, "", 1));
		s = (char *)out.data;
		if (!isfinite(d)) {
			assert_string_equal(s, "null");
			continue;
		}
		back = strtod(s, NULL);
		assert_memory_equal(&back, &d, sizeof(d));
		assert_true(strlen(s) <= 24);
	}
	hs_buf_free(&in);
	hs_buf_free(&out);
}

static void test_json_float32(void **state)
{
	static const struct {
		float f;
		const char *want;
	} cases[] = {
		{0.1f, "0.1"},
		{1.5f, "1.5"},
		{-0.0f, "-0"},
		{16777216.0f, "16777216"},
		{3.14159274f, "3.1415927"},
		{FLT_MAX, "3.4028235e+38"},
		{FLT_MIN, "1.1754944e-38"},
		{1e-45f,
		 "1.4013e-45"}, /* smallest subnormal: 6 digits at least */
	};
	mpb m;

	(void)state;
	mpb_init(&m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		msgpack_sbuffer_clear(&m.sb);
		PK(msgpack_pack_float(&m.pk, cases[i].f));
		assert_int_equal((uint8_t)m.sb.data[0], 0xca);
		mpb_json_is(&m, 0, cases[i].want);
	}
	msgpack_sbuffer_clear(&m.sb);
	PK(msgpack_pack_float(&m.pk, NAN));
	mpb_json_is(&m, 0, "null");
	msgpack_sbuffer_clear(&m.sb);
	PK(msgpack_pack_float(&m.pk, -INFINITY));
	mpb_json_is(&m, 0, "null");
	mpb_destroy(&m);
}

/* ------------------------------------------------------------------ */
/* hs_json: strings                                                     */
/* ------------------------------------------------------------------ */

static void test_json_escapes(void **state)
{
	char s[40], want[256];
	size_t n = 0, w = 0;

	(void)state;
	/* Each control character on its own. */
	for (int c = 0; c < 0x20; c++) {
		char one[1] = {(char)c}, exp[16];

		snprintf(exp, sizeof(exp), "\"\\u%04x\"", c);
		str_json_is(one, 1, exp);
	}
	/* All of them in one string, with quote, backslash and friends. */
	want[w++] = '"';
	for (int c = 0; c < 0x20; c++) {
		s[n++] = (char)c;
		w += (size_t)snprintf(want + w, sizeof(want) - w, "\\u%04x",
				      c);
	}
	memcpy(s + n, "\"\\/ ~\x7f", 6);
	n += 6;
	strcpy(want + w, "\\\"\\\\/ ~\x7f\"");
	str_json_is(s, n, want);
	STR_JSON_IS("\"", "\"\\\"\"");
	STR_JSON_IS("\\", "\"\\\\\"");
	STR_JSON_IS("a\"b\\c", "\"a\\\"b\\\\c\"");
	STR_JSON_IS("line\nnext\ttab\r",
		    "\"line\\u000anext\\u0009tab\\u000d\"");
}

static void test_json_utf8(void **state)
{
	(void)state;
	/* Multi-byte characters pass through as they are. */
	STR_JSON_IS("\xc3\xa9", "\"\xc3\xa9\"");                 /* é */
	STR_JSON_IS("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* € */
	STR_JSON_IS("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
	STR_JSON_IS("a\xc3\xa9"
		    "b\xe2\x82\xac"
		    "c\xf0\x9f\x98\x80"
		    "d",
		    "\"a\xc3\xa9"
		    "b\xe2\x82\xac"
		    "c\xf0\x9f\x98\x80"
		    "d\"");
	/* The edges of what is valid. */
	STR_JSON_IS("\xc2\x80", "\"\xc2\x80\"");                 /* U+0080 */
	STR_JSON_IS("\xdf\xbf", "\"\xdf\xbf\"");                 /* U+07FF */
	STR_JSON_IS("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");         /* U+0800 */
	STR_JSON_IS("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");         /* U+D7FF */
	STR_JSON_IS("\xee\x80\x80", "\"\xee\x80\x80\"");         /* U+E000 */
	STR_JSON_IS("\xef\xbf\xbf", "\"\xef\xbf\xbf\"");         /* U+FFFF */
	STR_JSON_IS("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""); /* U+10000 */
	STR_JSON_IS("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
}

static void test_json_invalid_utf8(void **state)
{
	(void)state;
	/* Each byte that is not part of a valid sequence: one U+FFFD. */
	STR_JSON_IS("\xff", "\"\\ufffd\"");
	STR_JSON_IS("\xfe", "\"\\ufffd\"");
	STR_JSON_IS("a\x80"
		    "b",
		    "\"a\\ufffdb\"");                  /* stray */
	STR_JSON_IS("\xc0\x80", "\"\\ufffd\\ufffd\""); /* overlong */
	STR_JSON_IS("\xc1\xbf", "\"\\ufffd\\ufffd\""); /* overlong */
	STR_JSON_IS("\xe0\x9f\xbf",
		    "\"\\ufffd\\ufffd\\ufffd\""); /* overlong */
	STR_JSON_IS("\xf0\x8f\xbf\xbf",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* overlong */
	STR_JSON_IS("\xed\xa0\x80",
		    "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
	STR_JSON_IS("\xf4\x90\x80\x80",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
	STR_JSON_IS("\xf8\x88\x80\x80\x80",
		    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	STR_JSON_IS("\xc3", "\"\\ufffd\"");            /* truncated */
	STR_JSON_IS("\xe2\x82", "\"\\ufffd\\ufffd\""); /* truncated */
	STR_JSON_IS("\xe2\x82"
		    "A",
		    "\"\\ufffd\\ufffdA\"");
	STR_JSON_IS("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"");
	/* Valid text around the bad byte survives. */
	STR_JSON_IS("\xc3\xa9\xff\xc3\xa9\"",
		    "\"\xc3\xa9\\ufffd\xc3\xa9\\\"\"");
}

static void test_json_str_helper(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_hs(0, hsi_json_str(&b, "a\"\x01\xff\xc3\xa9", 6));
	buf_is(&b, 0, "\"a\\\"\\u0001\\ufffd\xc3\xa9\"");
	assert_hs(0, hsi_json_str(&b, "", 0));
	buf_is(&b, 0, "\"a\\\"\\u0001\\ufffd\xc3\xa9\"\"\"");
	hs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* hs_json: binary and ext                                              */
/* ------------------------------------------------------------------ */

static void test_json_base64(void **state)
{
	static const char *const want[] = {
		"\"\"",     "\"AA==\"",     "\"AAE=\"",
		"\"AAEC\"", "\"AAECAw==\"", "\"AAECAwQ=\"",
	};
	static const uint8_t bytes[] = {0, 1, 2, 3, 4};
	mpb m;

	(void)state;
	for (size_t n = 0; n <= 5; n++)
		packf_json_is(0, want[n], "B", bytes, n);
	packf_json_is(0, "\"TWFu\"", "B", "Man", (size_t)3);
	packf_json_is(0, "\"TWE=\"", "B", "Ma", (size_t)2);
	packf_json_is(0, "\"+/+/\"", "B", "\xfb\xff\xbf", (size_t)3);
	packf_json_is(0, "\"////\"", "B", "\xff\xff\xff", (size_t)3);

	/* bin16 and a longer payload. */
	mpb_init(&m);
	{
		uint8_t big[300];
		char want_big[2 + 400 + 1];

		memset(big, 0, sizeof(big));
		want_big[0] = '"';
		memset(want_big + 1, 'A', 400);
		want_big[401] = '"';
		want_big[402] = '\0';
		pk_bin(&m.pk, big, sizeof(big));
		assert_int_equal((uint8_t)m.sb.data[0], 0xc5);
		mpb_json_is(&m, 0, want_big);
	}
	mpb_destroy(&m);
}

/* hsi_base64_decode, which `hindsight import` uses for snapshot states. */
static void test_base64_decode(void **state)
{
	static const char *const bad[] = {"A", "AAA", "AA=A", "A===", "AB==",
					  "AAB=", "AA AA", "AA-_", "=AAA"};
	hs_buf b = HS_BUF_INIT, text = HS_BUF_INIT;
	uint8_t bytes[256];

	(void)state;
	/* Nothing, into a buffer that has no memory yet (fuzz_import found
	 * the pointer arithmetic on its NULL data: UB). */
	assert_hs(0, hsi_base64_decode(&b, "", 0));
	assert_int_equal(b.len, 0);
	assert_hs(0, hsi_base64_put(&text, "", 0));
	assert_int_equal(text.len, 0);
	/* Every length round trips. */
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(bytes); n += n < 8 ? 1 : 31) {
		hs_buf_reset(&b);
		hs_buf_reset(&text);
		assert_hs(0, hsi_base64_put(&text, bytes, n));
		assert_hs(0, hsi_base64_decode(&b, (const char *)text.data,
					       text.len));
		assert_int_equal(b.len, n);
		if (n > 0)
			assert_memory_equal(b.data, bytes, n);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hs_buf_reset(&b);
		assert_hs(HS_EBADMSG, hsi_base64_decode(&b, bad[i],
							strlen(bad[i])));
		assert_int_equal(b.len, 0);
	}
	hs_buf_free(&b);
	hs_buf_free(&text);
}

static void test_json_ext(void **state)
{
	mpb m;

	(void)state;
	mpb_init(&m);
	pk_ext(&m.pk, 5, "\x01\x02", 2); /* fixext 2 */
	mpb_json_is(&m, 0, "{\"ext\":5,\"data\":\"AQI=\"}");
	mpb_json_is(&m, HS_JSON_PRETTY,
		    "{\n  \"ext\": 5,\n  \"data\": \"AQI=\"\n}");

	msgpack_sbuffer_clear(&m.sb);
	pk_ext(&m.pk, -1, "\x00\x00\x00\x01", 4); /* fixext 4, timestamp */
	mpb_json_is(&m, 0, "{\"ext\":-1,\"data\":\"AAAAAQ==\"}");

	msgpack_sbuffer_clear(&m.sb);
	pk_ext(&m.pk, 127, "", 0); /* ext 8 of length 0 */
	assert_int_equal((uint8_t)m.sb.data[0], 0xc7);
	mpb_json_is(&m, 0, "{\"ext\":127,\"data\":\"\"}");

	msgpack_sbuffer_clear(&m.sb);
	pk_ext(&m.pk, -128, "abc", 3); /* ext 8 */
	mpb_json_is(&m, 0, "{\"ext\":-128,\"data\":\"YWJj\"}");

	/* Inside containers, pretty. */
	msgpack_sbuffer_clear(&m.sb);
	PK(msgpack_pack_array(&m.pk, 2));
	pk_ext(&m.pk, 1, "\xff", 1);
	PK(msgpack_pack_map(&m.pk, 1));
	pk_str(&m.pk, "e");
	pk_ext(&m.pk, 2, "12345678", 8);
	mpb_json_is(&m, 0,
		    "[{\"ext\":1,\"data\":\"/w==\"},"
		    "{\"e\":{\"ext\":2,\"data\":\"MTIzNDU2Nzg=\"}}]");
	mpb_json_is(&m, HS_JSON_PRETTY,
		    "[\n"
		    "  {\n"
		    "    \"ext\": 1,\n"
		    "    \"data\": \"/w==\"\n"
		    "  },\n"
		    "  {\n"
		    "    \"e\": {\n"
		    "      \"ext\": 2,\n"
		    "      \"data\": \"MTIzNDU2Nzg=\"\n"
		    "    }\n"
		    "  }\n"
		    "]");
	mpb_destroy(&m);
}

/* ------------------------------------------------------------------ */
/* hs_json: containers                                                  */
/* ------------------------------------------------------------------ */

static void test_json_nested(void **state)
{
	static const char fmt[] =
		"{a:i b:[i s {c:n}] d:{} e:[] f:{g:{h:[[]]}}}";

	(void)state;
	packf_json_is(0, "{}", "{}");
	packf_json_is(0, "[]", "[]");
	packf_json_is(HS_JSON_PRETTY, "{}", "{}");
	packf_json_is(HS_JSON_PRETTY, "[]", "[]");
	packf_json_is(0,
		      "{\"a\":1,\"b\":[2,\"x\",{\"c\":null}],\"d\":{},"
		      "\"e\":[],\"f\":{\"g\":{\"h\":[[]]}}}",
		      fmt, 1, 2, "x");
	packf_json_is(HS_JSON_PRETTY,
		      "{\n"
		      "  \"a\": 1,\n"
		      "  \"b\": [\n"
		      "    2,\n"
		      "    \"x\",\n"
		      "    {\n"
		      "      \"c\": null\n"
		      "    }\n"
		      "  ],\n"
		      "  \"d\": {},\n"
		      "  \"e\": [],\n"
		      "  \"f\": {\n"
		      "    \"g\": {\n"
		      "      \"h\": [\n"
		      "        []\n"
		      "      ]\n"
		      "    }\n"
		      "  }\n"
		      "}",
		      fmt, 1, 2, "x");
	packf_json_is(HS_JSON_PRETTY, "[\n  1,\n  true,\n  \"s\"\n]",
		      "[i b s]", 1, 1, "s");
	/* Keys are escaped like any string. */
	packf_json_is(0, "{\"q\\\"\\u000a\":1}", "*:i", "q\"\n", 1);
}

static void test_json_deep(void **state)
{
	uint8_t deep[40];
	char want[80];

	(void)state;
	/* 32 nested arrays are the limit: fine. */
	memset(deep, 0x91, 31);
	deep[31] = 0x90;
	memset(want, '[', 32);
	memset(want + 32, ']', 32);
	want[64] = '\0';
	json_is(deep, 32, 0, want);
	/* 32 nested maps in pretty form. */
	{
		hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT;

		for (int i = 0; i < 31; i++)
			assert_hs(0, hsi_buf_append(&in, "\x81\xa1k", 3));
		assert_hs(0, hsi_buf_append(&in, "\x80", 1));
		assert_hs(0, hs_json(&out, in.data, in.len, HS_JSON_PRETTY));
		/* The innermost map is at level 31: 62 spaces. */
		assert_hs(0, hsi_buf_append(&out, "", 1));
		memset(want, ' ', 62);
		strcpy(want + 62, "\"k\": {}\n");
		assert_non_null(strstr((char *)out.data, want));
		assert_non_null(strstr((char *)out.data, "\n}"));
		hs_buf_free(&in);
		hs_buf_free(&out);
	}
}

static void test_json_nonstring_keys(void **state)
{
	mpb m;

	(void)state;
	mpb_init(&m);
	PK(msgpack_pack_map(&m.pk, 11));
	PK(msgpack_pack_int(&m.pk, 1));
	pk_str(&m.pk, "a");
	PK(msgpack_pack_int(&m.pk, -5));
	PK(msgpack_pack_int(&m.pk, 1));
	PK(msgpack_pack_array(&m.pk, 2));
	PK(msgpack_pack_int(&m.pk, 1));
	PK(msgpack_pack_int(&m.pk, 2));
	PK(msgpack_pack_true(&m.pk));
	PK(msgpack_pack_nil(&m.pk));
	PK(msgpack_pack_int(&m.pk, 0));
	PK(msgpack_pack_true(&m.pk));
	PK(msgpack_pack_int(&m.pk, 0));
	PK(msgpack_pack_double(&m.pk, 1.5));
	PK(msgpack_pack_int(&m.pk, 0));
	PK(msgpack_pack_array(&m.pk, 1));
	pk_str(&m.pk, "a\"b\\");
	PK(msgpack_pack_int(&m.pk, 0));
	PK(msgpack_pack_map(&m.pk, 1));
	pk_str(&m.pk, "k");
	PK(msgpack_pack_int(&m.pk, 1));
	PK(msgpack_pack_int(&m.pk, 0));
	pk_bin(&m.pk, "\x01", 1);
	PK(msgpack_pack_int(&m.pk, 0));
	pk_ext(&m.pk, 3, "\x01", 1);
	PK(msgpack_pack_int(&m.pk, 0));
	PK(msgpack_pack_uint64(&m.pk, UINT64_MAX));
	PK(msgpack_pack_array(&m.pk, 2));
	PK(msgpack_pack_int(&m.pk, 1));
	PK(msgpack_pack_map(&m.pk, 0));

	mpb_json_is(&m, 0,
		    "{\"1\":\"a\","
		    "\"-5\":1,"
		    "\"[1,2]\":true,"
		    "\"null\":0,"
		    "\"true\":0,"
		    "\"1.5\":0,"
		    "\"[\\\"a\\\\\\\"b\\\\\\\\\\\"]\":0,"
		    "\"{\\\"k\\\":1}\":0,"
		    "\"\\\"AQ==\\\"\":0,"
		    "\"{\\\"ext\\\":3,\\\"data\\\":\\\"AQ==\\\"}\":0,"
		    "\"18446744073709551615\":[1,{}]}");
	/* In pretty form the key text stays compact. */
	msgpack_sbuffer_clear(&m.sb);
	PK(msgpack_pack_map(&m.pk, 2));
	PK(msgpack_pack_array(&m.pk, 2));
	PK(msgpack_pack_int(&m.pk, 1));
	PK(msgpack_pack_map(&m.pk, 1));
	pk_str(&m.pk, "x");
	PK(msgpack_pack_nil(&m.pk));
	PK(msgpack_pack_array(&m.pk, 1));
	PK(msgpack_pack_int(&m.pk, 7));
	PK(msgpack_pack_int(&m.pk, 2));
	PK(msgpack_pack_int(&m.pk, 3));
	mpb_json_is(&m, HS_JSON_PRETTY,
		    "{\n"
		    "  \"[1,{\\\"x\\\":null}]\": [\n"
		    "    7\n"
		    "  ],\n"
		    "  \"2\": 3\n"
		    "}");
	/* A bin key, and a str8 key, which is just a string. */
	hex_json_is("82 c4 01 61 01 d9 01 62 02", 0,
		    "{\"\\\"YQ==\\\"\":1,\"b\":2}");
	mpb_destroy(&m);
}

/* A key inside a non-string key's text is its msgpack in base64: quoting
 * quoted text at every level made the output exponential (found by
 * tests/fuzz/fuzz_msgpack: 160 bytes printed as 478 MB). */
static void test_json_keys_in_keys(void **state)
{
	hs_buf in = HS_BUF_INIT, out = HS_BUF_INIT, nil = HS_BUF_INIT;

	(void)state;
	/* {{[1]: 2}: 3}: the inner key [1] is 91 01, "kQE=". */
	hex_json_is("81 81 91 01 02 03", 0, "{\"{\\\"kQE=\\\":2}\":3}");
	hex_json_is("81 81 81 c0 c0 c0 c0", HS_JSON_PRETTY,
		    "{\n  \"{\\\"gcDA\\\":null}\": null\n}");
	/* 31 maps, each the key of the one around it. */
	for (int i = 0; i < 31; i++)
		assert_hs(0, hsi_buf_append(&in, "\x81", 1));
	assert_hs(0, hsi_buf_append(&in, "\xc0\xc0", 2));
	for (int i = 0; i < 30; i++)
		assert_hs(0, hsi_buf_append(&in, "\xc0", 1));
	assert_hs(0, hs_json(&out, in.data, in.len, 0));
	assert_true(out.len < 4 * in.len);
	hs_buf_reset(&out);
	assert_hs(0, hs_json(&out, in.data, in.len, HS_JSON_PRETTY));
	assert_true(out.len < 4 * in.len);
	/* The same key in a diff's path. */
	assert_hs(0, hs_packf(&nil, "{x:n}"));
	hs_buf_reset(&out);
	assert_hs(0, hs_json_diff(&out, nil.data, nil.len, in.data, in.len));
	assert_true(out.len < 8 * in.len);
	hs_buf_free(&in);
	hs_buf_free(&out);
	hs_buf_free(&nil);
}

/* ------------------------------------------------------------------ */
/* hs_json: malformed input                                             */
/* ------------------------------------------------------------------ */

static const char *const malformed[] = {
	"",         /* nothing */
	"c1",       /* never used */
	"92 01",    /* truncated array */
	"01 02",    /* two values */
	"a5 61 62", /* truncated str */
	"81 a1 61", /* key without value */
	"c4 05 00", /* truncated bin */
	"d4 01",    /* truncated fixext */
	"cb 00 00", /* truncated double */
	"dc ff ff", /* huge count */
	("91 91 91 91 91 91 91 91 91 91 91 91 91 91 91 91"
	 " 91 91 91 91 91 91 91 91 91 91 91 91 91 91 91 91 90"), /* 33 deep */
	"82 a1 61 01 c1 02",                                     /* bad key */
};

static void test_json_malformed(void **state)
{
	hs_buf out = HS_BUF_INIT;
	uint8_t b[64];

	(void)state;
	assert_hs(0, hsi_buf_append(&out, "keep", 4));
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		size_t n = unhex(malformed[i], b, sizeof(b));

		assert_hs(HS_EBADMSG, hs_json(&out, b, n, 0));
		assert_hs(HS_EBADMSG, hs_json(&out, b, n, HS_JSON_PRETTY));
		assert_int_equal(out.len, 4);
	}
	assert_hs(HS_EBADMSG, hs_json(&out, NULL, 0, 0));
	assert_hs(HS_EBADMSG, hs_json(&out, NULL, 3, 0));
	assert_hs(HS_EINVAL, hs_json(NULL, "\x01", 1, 0));
	buf_is(&out, 0, "keep");
	hs_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* hs_json: round trip                                                  */
/* ------------------------------------------------------------------ */

/* Random strings from pieces that need every kind of handling. */
static void gen_str(msgpack_packer *pk)
{
	static const char *const pieces[] = {
		"a",
		"Z",
		"0",
		" ",
		"\"",
		"\\",
		"/",
		"\n",
		"\t",
		"\x01",
		"\x1f",
		"\x7f",
		"\xc3\xa9",
		"\xe2\x82\xac",
		"\xf0\x9f\x98\x80",
		"key",
		".",
		"{",
		"]",
		":",
		",",
	};
	char s[64];
	size_t n = 0, k = rng() % 8;

	for (size_t i = 0; i < k; i++) {
		const char *p =
			pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t l = strlen(p);

		memcpy(s + n, p, l);
		n += l;
	}
	PK(msgpack_pack_str(pk, n));
	PK(msgpack_pack_str_body(pk, s, n));
}

static void gen_int(msgpack_packer *pk)
{
	uint64_t r = rng();

	switch (rng() % 6) {
	case 0:
		PK(msgpack_pack_uint64(pk, r % 200));
		return;
	case 1:
		PK(msgpack_pack_int64(pk, -(int64_t)(r % 200) - 1));
		return;
	case 2:
		PK(msgpack_pack_uint64(pk, r));
		return;
	case 3:
		PK(msgpack_pack_int64(pk, (int64_t)(r | 1ull << 63)));
		return;
	case 4:
		PK(msgpack_pack_int64(pk, INT64_MIN));
		return;
	default:
		PK(msgpack_pack_uint64(pk, r >> (rng() % 64)));
		return;
	}
}

static void gen_value(msgpack_packer *pk, int depth)
{
	unsigned kind = (unsigned)(rng() % (depth < 5 ? 8 : 5));
	size_t n;

	switch (kind) {
	case 0:
		PK(msgpack_pack_nil(pk));
		return;
	case 1:
		PK(rng() & 1 ? msgpack_pack_true(pk) : msgpack_pack_false(pk));
		return;
	case 2:
		gen_int(pk);
		return;
	case 3:
	case 4:
		gen_str(pk);
		return;
	case 5:
		n = rng() % 5;
		PK(msgpack_pack_array(pk, n));
		for (size_t i = 0; i < n; i++)
			gen_value(pk, depth + 1);
		return;
	default:
		n = rng() % 5;
		PK(msgpack_pack_map(pk, n));
		for (size_t i = 0; i < n; i++) {
			gen_str(pk);
			gen_value(pk, depth + 1);
		}
		return;
	}
}

static void test_json_round_trip(void **state)
{
	hs_buf out = HS_BUF_INIT;
	mpb in, back;

	(void)state;
	mpb_init(&in);
	mpb_init(&back);
	for (int i = 0; i < 500; i++) {
		msgpack_sbuffer_clear(&in.sb);
		gen_value(&in.pk, 0);
		assert_hs(0, hs_msgpack_check(in.sb.data, in.sb.size));
		for (unsigned flags = 0; flags <= HS_JSON_PRETTY; flags++) {
			hs_buf_reset(&out);
			msgpack_sbuffer_clear(&back.sb);
			assert_hs(0, hs_json(&out, in.sb.data, in.sb.size,
					     flags));
			if (!jr_parse(out.data, out.len, flags == 0, &back))
				fail_msg("not JSON: %.*s", (int)out.len,
					 (const char *)out.data);
			assert_int_equal(back.sb.size, in.sb.size);
			assert_memory_equal(back.sb.data, in.sb.data,
					    in.sb.size);
		}
	}
	mpb_destroy(&in);
	mpb_destroy(&back);
	hs_buf_free(&out);
}

/* ------------------------------------------------------------------ */
/* hs_json_diff                                                         */
/* ------------------------------------------------------------------ */

static void test_diff_equal(void **state)
{
	(void)state;
	jdiff_is("{'a':1}", "{'a':1}", "[]");
	jdiff_is("{}", "{}", "[]");
	jdiff_is("[]", "[]", "[]");
	jdiff_is("1", "1", "[]");
	jdiff_is("'s'", "'s'", "[]");
	/* Same fields in another order. */
	jdiff_is("{'a':1,'b':{'c':2,'d':3}}", "{'b':{'d':3,'c':2},'a':1}",
		 "[]");
	{
		uint8_t a[16], b[16];
		/* A key is a key whatever its string encoding. */
		size_t an = unhex("81 a1 61 01", a, sizeof(a));
		size_t bn = unhex("81 d9 01 61 01", b, sizeof(b));

		diff_is(a, an, b, bn, "[]");
	}
}

static void test_diff_fields(void **state)
{
	(void)state;
	/* A changed scalar. */
	jdiff_is("{'a':1,'b':2}", "{'a':1,'b':3}",
		 "[{'path':'b','old':2,'new':3}]");
	jdiff_is("{'a':'x'}", "{'a':null}",
		 "[{'path':'a','old':'x','new':null}]");
	jdiff_is("{'a':true}", "{'a':false}",
		 "[{'path':'a','old':true,'new':false}]");
	/* A kind change. */
	jdiff_is("{'a':1}", "{'a':[]}", "[{'path':'a','old':1,'new':[]}]");
	/* Removed, then added. */
	jdiff_is("{'a':1,'b':2}", "{'a':1,'c':3}",
		 "[{'path':'b','old':2},{'path':'c','new':3}]");
	jdiff_is("{}", "{'a':{'b':1}}", "[{'path':'a','new':{'b':1}}]");
	jdiff_is("{'a':{'b':1}}", "{}", "[{'path':'a','old':{'b':1}}]");
	/* Nested maps are recursed into. */
	jdiff_is("{'pos':{'lat':1,'lon':2},'n':1}",
		 "{'pos':{'lat':1,'lon':5},'n':1}",
		 "[{'path':'pos.lon','old':2,'new':5}]");
	jdiff_is("{'p':{'q':{'r':1,'s':2}}}", "{'p':{'q':{'r':1,'t':2}}}",
		 "[{'path':'p.q.s','old':2},{'path':'p.q.t','new':2}]");
	jdiff_is("{'p':{'a':1},'q':1}", "{'p':{'a':1,'b':{'c':1}},'q':2}",
		 "[{'path':'p.b','new':{'c':1}},"
		 "{'path':'q','old':1,'new':2}]");
	/* A map that becomes something else is one change. */
	jdiff_is("{'p':{'a':1}}", "{'p':null}",
		 "[{'path':'p','old':{'a':1},'new':null}]");
	/* Arrays change whole. */
	jdiff_is("{'l':[1,2]}", "{'l':[1,3]}",
		 "[{'path':'l','old':[1,2],'new':[1,3]}]");
	jdiff_is("{'l':[{'a':1}]}", "{'l':[{'a':2}]}",
		 "[{'path':'l','old':[{'a':1}],'new':[{'a':2}]}]");
	jdiff_is("{'l':[1,2]}", "{'l':[1,2]}", "[]");
	/* Values show as hs_json shows them. */
	jdiff_is("{'s':'a\\u0001'}", "{'s':'b'}",
		 "[{'path':'s','old':'a\\u0001','new':'b'}]");
}

static void test_diff_top_level(void **state)
{
	(void)state;
	jdiff_is("1", "2", "[{'path':'','old':1,'new':2}]");
	jdiff_is("[1,2]", "[1,3]", "[{'path':'','old':[1,2],'new':[1,3]}]");
	jdiff_is("{'a':1}", "[1]", "[{'path':'','old':{'a':1},'new':[1]}]");
	jdiff_is("null", "{'a':1}", "[{'path':'','old':null,'new':{'a':1}}]");
	jdiff_is("{}", "{'a':1}", "[{'path':'a','new':1}]");
}

static void test_diff_order(void **state)
{
	(void)state;
	/* The old map's order (b removed, c changed, a same), then the
	 * added keys in the new map's order. */
	jdiff_is("{'b':1,'a':1,'c':1}", "{'d':2,'c':2,'a':1,'e':2}",
		 "[{'path':'b','old':1},"
		 "{'path':'c','old':1,'new':2},"
		 "{'path':'d','new':2},"
		 "{'path':'e','new':2}]");
	jdiff_is("{'z':1,'y':1,'x':1}", "{'x':2,'y':2,'z':2}",
		 "[{'path':'z','old':1,'new':2},"
		 "{'path':'y','old':1,'new':2},"
		 "{'path':'x','old':1,'new':2}]");
}

static void test_diff_paths(void **state)
{
	mpb a, b;

	(void)state;
	/* Keys are escaped inside the path string. */
	{
		hs_buf x = HS_BUF_INIT, y = HS_BUF_INIT;

		assert_hs(0, hs_packf(&x, "*:{*:i}", "q\"\n", "\\", 1));
		assert_hs(0, hs_packf(&y, "*:{*:i}", "q\"\n", "\\", 2));
		diff_is(x.data, x.len, y.data, y.len,
			"[{\"path\":\"q\\\"\\u000a.\\\\\",\"old\":1,"
			"\"new\":2}]");
		hs_buf_free(&x);
		hs_buf_free(&y);
	}
	/* Non-string keys use their JSON text. */
	mpb_init(&a);
	mpb_init(&b);
	for (int v = 1; v <= 2; v++) {
		mpb *m = v == 1 ? &a : &b;

		PK(msgpack_pack_map(&m->pk, 3));
		PK(msgpack_pack_int(&m->pk, 1));
		PK(msgpack_pack_map(&m->pk, 1));
		pk_str(&m->pk, "x");
		PK(msgpack_pack_int(&m->pk, v));
		PK(msgpack_pack_array(&m->pk, 1));
		pk_str(&m->pk, "a");
		PK(msgpack_pack_map(&m->pk, 1));
		PK(msgpack_pack_nil(&m->pk));
		PK(msgpack_pack_int(&m->pk, v));
		pk_bin(&m->pk, "\x01", 1);
		PK(msgpack_pack_int(&m->pk, v));
	}
	diff_is(a.sb.data, a.sb.size, b.sb.data, b.sb.size,
		"[{\"path\":\"1.x\",\"old\":1,\"new\":2},"
		"{\"path\":\"[\\\"a\\\"].null\",\"old\":1,\"new\":2},"
		"{\"path\":\"\\\"AQ==\\\"\",\"old\":1,\"new\":2}]");
	mpb_destroy(&a);
	mpb_destroy(&b);
}

static void test_diff_deep(void **state)
{
	hs_buf a = HS_BUF_INIT, b = HS_BUF_INIT;
	char want[256];
	size_t w = 0;

	(void)state;
	/* 32 nested maps (the limit), differing at the bottom. */
	for (int i = 0; i < 32; i++) {
		assert_hs(0, hsi_buf_append(&a, "\x81\xa1k", 3));
		assert_hs(0, hsi_buf_append(&b, "\x81\xa1k", 3));
	}
	assert_hs(0, hsi_buf_append(&a, "\x01", 1));
	assert_hs(0, hsi_buf_append(&b, "\x02", 1));
	w += (size_t)snprintf(want + w, sizeof(want) - w, "[{\"path\":\"k");
	for (int i = 1; i < 32; i++) {
		want[w++] = '.';
		want[w++] = 'k';
	}
	snprintf(want + w, sizeof(want) - w, "\",\"old\":1,\"new\":2}]");
	diff_is(a.data, a.len, b.data, b.len, want);
	hs_buf_free(&a);
	hs_buf_free(&b);
}

static void test_diff_malformed(void **state)
{
	hs_buf out = HS_BUF_INIT, good = HS_BUF_INIT;
	uint8_t b[64];

	(void)state;
	assert_hs(0, hs_packf(&good, "a:i", 1));
	assert_hs(0, hsi_buf_append(&out, "keep", 4));
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		size_t n = unhex(malformed[i], b, sizeof(b));

		assert_hs(HS_EBADMSG,
			  hs_json_diff(&out, b, n, good.data, good.len));
		assert_hs(HS_EBADMSG,
			  hs_json_diff(&out, good.data, good.len, b, n));
		assert_hs(HS_EBADMSG, hs_json_diff(&out, b, n, b, n));
		assert_int_equal(out.len, 4);
	}
	assert_hs(HS_EBADMSG,
		  hs_json_diff(&out, NULL, 0, good.data, good.len));
	assert_hs(HS_EINVAL, hs_json_diff(NULL, good.data, good.len, good.data,
					  good.len));
	buf_is(&out, 0, "keep");
	hs_buf_free(&out);
	hs_buf_free(&good);
}

/* Random pairs: the diff is JSON, a value against itself gives "[]". */
static void test_diff_random(void **state)
{
	hs_buf out = HS_BUF_INIT;
	mpb a, b, back;

	(void)state;
	mpb_init(&a);
	mpb_init(&b);
	mpb_init(&back);
	for (int i = 0; i < 300; i++) {
		msgpack_sbuffer_clear(&a.sb);
		msgpack_sbuffer_clear(&b.sb);
		gen_value(&a.pk, 3);
		gen_value(&b.pk, 3);
		hs_buf_reset(&out);
		assert_hs(0, hs_json_diff(&out, a.sb.data, a.sb.size,
					  b.sb.data, b.sb.size));
		msgpack_sbuffer_clear(&back.sb);
		if (!jr_parse(out.data, out.len, true, &back))
			fail_msg("not JSON: %.*s", (int)out.len,
				 (const char *)out.data);
		hs_buf_reset(&out);
		assert_hs(0, hs_json_diff(&out, a.sb.data, a.sb.size,
					  a.sb.data, a.sb.size));
		buf_is(&out, 0, "[]");
	}
	mpb_destroy(&a);
	mpb_destroy(&b);
	mpb_destroy(&back);
	hs_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_itself),
		cmocka_unit_test(test_json_scalars),
		cmocka_unit_test(test_json_doubles),
		cmocka_unit_test(test_json_doubles_round_trip),
		cmocka_unit_test(test_json_float32),
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_str_helper),
		cmocka_unit_test(test_json_base64),
		cmocka_unit_test(test_base64_decode),
		cmocka_unit_test(test_json_ext),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_deep),
		cmocka_unit_test(test_json_nonstring_keys),
		cmocka_unit_test(test_json_keys_in_keys),
		cmocka_unit_test(test_json_malformed),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_diff_equal),
		cmocka_unit_test(test_diff_fields),
		cmocka_unit_test(test_diff_top_level),
		cmocka_unit_test(test_diff_order),
		cmocka_unit_test(test_diff_paths),
		cmocka_unit_test(test_diff_deep),
		cmocka_unit_test(test_diff_malformed),
		cmocka_unit_test(test_diff_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
