/* Tests of runtime/codec/json_parse.c: JSON text -> msgpack. */
#include "util.h"

#include <locale.h>
#include <math.h>

#include "codec/json_parse.h"
#include "common/buf.h"

static int append_str(hs_buf *b, const char *s)
{
	return hsi_buf_append(b, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

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

/* Parses `json` (depth 32) and asserts the msgpack bytes are `hex`. */
static void parses_to(const char *json, const char *hex)
{
	uint8_t want[256];
	size_t n = unhex(hex, want, sizeof(want));
	hs_buf b = HS_BUF_INIT;
	hsi_json_error e = {0};
	int rc = hsi_json_to_msgpack(&b, json, strlen(json), 32, &e);

	if (rc != 0)
		fail_msg("%s: %s at %zu:%zu", json, e.what, e.line, e.column);
	if (b.len != n || memcmp(b.data, want, n) != 0) {
		char got[600];
		size_t o = 0;

		for (size_t i = 0; i < b.len && o + 4 < sizeof(got); i++)
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%02x ",
					      b.data[i]);
		fail_msg("%s: got %s, want %s", json, got, hex);
	}
	assert_int_equal(0, hs_msgpack_check(b.data, b.len));
	hs_buf_free(&b);
}

/* Asserts that `json` is refused at line:col with a text containing
 * `what`, and that the buffer is left as it was. */
static void refused(const char *json, size_t len, unsigned depth,
		    size_t line, size_t col, const char *what)
{
	hs_buf b = HS_BUF_INIT;
	hsi_json_error e = {0};

	assert_int_equal(0, append_str(&b, "abc"));
	int rc = hsi_json_to_msgpack(&b, json, len, depth, &e);
	if (rc != HS_EBADMSG)
		fail_msg("%s: accepted (rc %d)", json, rc);
	assert_int_equal(3, b.len);
	assert_memory_equal("abc", b.data, 3);
	assert_non_null(e.what);
	if (e.line != line || e.column != col || strstr(e.what, what) == NULL)
		fail_msg("%s: got \"%s\" at %zu:%zu, want \"%s\" at %zu:%zu",
			 json, e.what, e.line, e.column, what, line, col);
	hs_buf_free(&b);
}

#define REFUSED(json, line, col, what)                                        \
	refused((json), sizeof(json) - 1, 32, (line), (col), (what))

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_scalars(void **state)
{
	(void)state;
	parses_to("null", "c0");
	parses_to("true", "c3");
	parses_to("false", "c2");
	parses_to(" \t\r\n true \n", "c3");
}

static void test_integers(void **state)
{
	(void)state;
	parses_to("0", "00");
	parses_to("127", "7f");
	parses_to("128", "cc 80");
	parses_to("255", "cc ff");
	parses_to("256", "cd 01 00");
	parses_to("65536", "ce 00 01 00 00");
	parses_to("4294967296", "cf 00 00 00 01 00 00 00 00");
	parses_to("18446744073709551615", "cf ff ff ff ff ff ff ff ff");
	parses_to("-1", "ff");
	parses_to("-32", "e0");
	parses_to("-33", "d0 df");
	parses_to("-128", "d0 80");
	parses_to("-129", "d1 ff 7f");
	parses_to("-32769", "d2 ff ff 7f ff");
	parses_to("-2147483649", "d3 ff ff ff ff 7f ff ff ff");
	parses_to("-9223372036854775808", "d3 80 00 00 00 00 00 00 00");
}

static void test_floats(void **state)
{
	(void)state;
	parses_to("1.5", "cb 3f f8 00 00 00 00 00 00");
	parses_to("-2.5e-1", "cb bf d0 00 00 00 00 00 00");
	parses_to("1E2", "cb 40 59 00 00 00 00 00 00");
	parses_to("1e+2", "cb 40 59 00 00 00 00 00 00");
	parses_to("0.0", "cb 00 00 00 00 00 00 00 00");
	/* -0 has no integer form: a float keeps its sign */
	parses_to("-0", "cb 80 00 00 00 00 00 00 00");
	/* integers beyond 64 bits become floats: 2^64 and -(2^63 + 1) */
	parses_to("18446744073709551616", "cb 43 f0 00 00 00 00 00 00");
	parses_to("-9223372036854775809", "cb c3 e0 00 00 00 00 00 00");

	/* 0.1 reads back as the same double */
	hs_buf b = HS_BUF_INIT;
	double d;
	assert_int_equal(0, hsi_json_to_msgpack(&b, "0.1", 3, 32, NULL));
	assert_int_equal(0, hs_get_f64(b.data, b.len, "", &d));
	assert_true(d == 0.1);
	hs_buf_free(&b);
}

static void test_strings(void **state)
{
	(void)state;
	parses_to("\"\"", "a0");
	parses_to("\"ab\"", "a2 61 62");
	parses_to("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		  "a8 22 5c 2f 08 0c 0a 0d 09");
	parses_to("\"\\u0041\\u00e9\\u20AC\"", "a6 41 c3 a9 e2 82 ac");
	parses_to("\"\\u0000\"", "a1 00");
	parses_to("\"\\ud83d\\ude00\"", "a4 f0 9f 98 80");
	parses_to("\"\xc3\xa9\xf0\x9f\x98\x80\"", "a6 c3 a9 f0 9f 98 80");
	parses_to("\"\x7f\"", "a1 7f");

	/* str8, str16, str32 headers */
	size_t lens[] = {31, 32, 255, 256, 65535, 65536};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = lens[k];
		char *json = malloc(n + 3);
		hs_buf b = HS_BUF_INIT;
		size_t hn = n <= 31 ? 1 : n <= 255 ? 2 : n <= 65535 ? 3 : 5;

		assert_non_null(json);
		json[0] = '"';
		memset(json + 1, 'x', n);
		json[n + 1] = '"';
		assert_int_equal(0, hsi_json_to_msgpack(&b, json, n + 2, 32,
							NULL));
		assert_int_equal(hn + n, b.len);
		assert_int_equal(n <= 31    ? 0xa0 | n
				 : n <= 255 ? 0xd9
				 : n <= 65535 ? 0xda
					      : 0xdb,
				 b.data[0]);
		const char *s;
		size_t sn;
		assert_int_equal(0, hs_get_str(b.data, b.len, "", &s, &sn));
		assert_int_equal(n, sn);
		assert_true(s[0] == 'x' && s[n - 1] == 'x');
		hs_buf_free(&b);
		free(json);
	}
}

static void test_containers(void **state)
{
	(void)state;
	parses_to("[]", "90");
	parses_to("{}", "80");
	parses_to("[ ]", "90");
	parses_to("{ }", "80");
	parses_to("[1,[2],{}]", "93 01 91 02 80");
	parses_to("{\"a\":1,\"b\":[true,null]}", "82 a1 61 01 a1 62 92 c3 c0");
	parses_to("{\"a\":1,\"a\":2}", "82 a1 61 01 a1 61 02");
	parses_to(" { \"k\" : \"v\" } ", "81 a1 6b a1 76");
	parses_to("[[[[]]]]", "91 91 91 90");

	/* 16 and 65536 elements: array16/map16 and array32 headers */
	hs_buf b = HS_BUF_INIT;
	hs_buf j = HS_BUF_INIT;
	assert_int_equal(0, hsi_json_to_msgpack(
				    &b, "[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5]",
				    33, 32, NULL));
	assert_int_equal(3 + 16, b.len);
	assert_int_equal(0xdc, b.data[0]);
	hs_buf_reset(&b);
	const char *m16 = "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,"
			  "\"g\":0,\"h\":0,\"i\":0,\"j\":0,\"k\":0,\"l\":0,"
			  "\"m\":0,\"n\":0,\"o\":0,\"p\":0}";
	assert_int_equal(0, hsi_json_to_msgpack(&b, m16, strlen(m16), 32,
						NULL));
	assert_int_equal(3 + 16 * 3, b.len);
	assert_int_equal(0xde, b.data[0]);
	hs_buf_reset(&b);
	assert_int_equal(0, append_str(&j, "["));
	for (int i = 0; i < 65536; i++)
		assert_int_equal(0, append_str(
					    &j, i ? ",0" : "0"));
	assert_int_equal(0, append_str(&j, "]"));
	assert_int_equal(0, hsi_json_to_msgpack(&b, (const char *)j.data,
						j.len, 32, NULL));
	assert_int_equal(5 + 65536, b.len);
	assert_int_equal(0xdd, b.data[0]);
	assert_int_equal(0, hs_msgpack_check(b.data, b.len));
	hs_buf_free(&b);
	hs_buf_free(&j);
}

static void test_depth(void **state)
{
	(void)state;
	hs_buf b = HS_BUF_INIT;

	assert_int_equal(0, hsi_json_to_msgpack(&b, "1", 1, 0, NULL));
	refused("[1]", 3, 0, 1, 1, "nested too deep");
	assert_int_equal(0, hsi_json_to_msgpack(&b, "[[1]]", 5, 2, NULL));
	refused("[[[1]]]", 7, 2, 1, 3, "nested too deep");
	refused("{\"a\":{\"b\":{}}}", 14, 2, 1, 11, "nested too deep");

	/* A deep nest the caller allows is still bounded (no stack
	 * overflow): 100000 brackets. */
	size_t n = 100000;
	char *deep = malloc(n);
	assert_non_null(deep);
	memset(deep, '[', n);
	hsi_json_error e;
	assert_int_equal(HS_EBADMSG,
			 hsi_json_to_msgpack(&b, deep, n, 1000000, &e));
	assert_string_equal("nested too deep", e.what);
	free(deep);
	hs_buf_free(&b);
}

static void test_malformed(void **state)
{
	(void)state;
	REFUSED("", 1, 1, "expected a JSON value");
	REFUSED("   ", 1, 4, "expected a JSON value");
	REFUSED("[1,]", 1, 4, "expected a JSON value");
	REFUSED("[1 2]", 1, 4, "expected ',' or ']'");
	REFUSED("{\"a\":1,}", 1, 8, "expected a string key");
	REFUSED("{\"a\" 1}", 1, 6, "expected ':'");
	REFUSED("{a:1}", 1, 2, "expected a string key");
	REFUSED("{'a':1}", 1, 2, "expected a string key");
	REFUSED("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'");
	REFUSED("[1,2", 1, 5, "unterminated array");
	REFUSED("{\"a\":1", 1, 7, "unterminated object");
	REFUSED("01", 1, 1, "leading zero");
	REFUSED("-01", 1, 1, "leading zero");
	REFUSED("+1", 1, 1, "expected a JSON value");
	REFUSED("1.", 1, 3, "expected a digit after '.'");
	REFUSED(".5", 1, 1, "expected a JSON value");
	REFUSED("1e", 1, 3, "expected a digit in the exponent");
	REFUSED("1e+", 1, 4, "expected a digit in the exponent");
	REFUSED("-", 1, 2, "expected a digit");
	REFUSED("- 1", 1, 2, "expected a digit");
	REFUSED("tru", 1, 1, "expected a JSON value");
	REFUSED("nul", 1, 1, "expected a JSON value");
	REFUSED("NaN", 1, 1, "expected a JSON value");
	REFUSED("Infinity", 1, 1, "expected a JSON value");
	REFUSED("[1] x", 1, 5, "unexpected text after the value");
	REFUSED("1 2", 1, 3, "unexpected text after the value");
	REFUSED("{} {}", 1, 4, "unexpected text after the value");
	REFUSED("[1] // c", 1, 5, "unexpected text after the value");
	REFUSED("\"abc", 1, 5, "unterminated string");
	REFUSED("\"abc\\", 1, 5, "unterminated string");
	REFUSED("\"a\x01\"", 1, 3, "control character");
	REFUSED("\"a\nb\"", 1, 3, "control character");
	REFUSED("\"\\x41\"", 1, 2, "unknown escape");
	REFUSED("\"\\'\"", 1, 2, "unknown escape");
	REFUSED("\"\\u12\"", 1, 6, "four hex digits");
	REFUSED("\"\\u12g4\"", 1, 6, "four hex digits");
	REFUSED("\"\\ud800\"", 1, 2, "high surrogate");
	REFUSED("\"\\ud800\\u0041\"", 1, 2, "high surrogate");
	REFUSED("\"\\udc00\"", 1, 2, "lone low surrogate");
	REFUSED("\"\xff\"", 1, 2, "invalid UTF-8");
	REFUSED("\"\xc0\x80\"", 1, 2, "invalid UTF-8");       /* overlong */
	REFUSED("\"\xed\xa0\x80\"", 1, 2, "invalid UTF-8");   /* surrogate */
	REFUSED("\"\xf4\x90\x80\x80\"", 1, 2, "invalid UTF-8"); /* > 10FFFF */
	REFUSED("\"\xe2\x82\"", 1, 2, "invalid UTF-8");       /* truncated */
	REFUSED("\xef\xbb\xbf{}", 1, 1, "expected a JSON value"); /* BOM */
	REFUSED("[\n  1,\n  x]", 3, 3, "expected a JSON value");
	REFUSED("{\"a\":\n[1,\n2,]}", 3, 3, "expected a JSON value");

	/* An embedded NUL outside a string is not whitespace. */
	refused("[1]\0", 4, 32, 1, 4, "unexpected text after the value");
	refused("\"a\0\"", 4, 32, 1, 3, "control character");

	/* err may be NULL */
	hs_buf b = HS_BUF_INIT;
	assert_int_equal(HS_EBADMSG, hsi_json_to_msgpack(&b, "[", 1, 32, NULL));
	assert_int_equal(0, b.len);
	assert_int_equal(HS_EBADMSG, hsi_json_to_msgpack(&b, NULL, 0, 32, NULL));
	hs_buf_free(&b);
}

/* hs_json of what was parsed gives the text back, for texts in the form
 * hs_json writes. */
static void test_round_trip(void **state)
{
	(void)state;
	static const char *texts[] = {
		"null",
		"[true,false,null]",
		"{\"port\":\"Malmo\",\"cargo\":42,\"pos\":{\"lat\":55.6,\"lon\":"
		"13.0001}}",
		"[0,-1,127,128,-33,65535,65536,-2147483649,"
		"18446744073709551615,-9223372036854775808]",
		"[0.1,-2.5,1e+20,1.5e-07,3.141592653589793,-0]",
		"\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001\\u001f\xf0\x9f\x98\x80\"",
		"{\"\":{\"\":[]},\"x\":[{}]}",
		"{\"a\":1,\"a\":2}",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		hs_buf mp = HS_BUF_INIT, js = HS_BUF_INIT;
		hsi_json_error e = {0};
		size_t n = strlen(texts[i]);

		if (hsi_json_to_msgpack(&mp, texts[i], n, 32, &e) != 0)
			fail_msg("%s: %s at %zu", texts[i], e.what, e.column);
		assert_int_equal(0, hs_json(&js, mp.data, mp.len, 0));
		if (js.len != n || memcmp(js.data, texts[i], n) != 0)
			fail_msg("round trip of %s gave %.*s", texts[i],
				 (int)js.len, (const char *)js.data);
		hs_buf_free(&mp);
		hs_buf_free(&js);
	}
}

/* What hs_packf builds, through hs_json and back, is the same msgpack. */
static void test_packf_round_trip(void **state)
{
	(void)state;
	hs_buf a = HS_BUF_INIT, js = HS_BUF_INIT, b = HS_BUF_INIT;

	assert_int_equal(0, hs_packf(&a,
				     "name:s n:I big:U neg:I f:d ok:b none:n "
				     "list:[i i s] sub:{x:i y:[]}",
				     "Gloria", (int64_t)1234567, UINT64_MAX,
				     (int64_t)-77777, 2.75, 1, 1, 2, "three",
				     -5));
	assert_int_equal(0, hs_json(&js, a.data, a.len, 0));
	assert_int_equal(0, hsi_json_to_msgpack(&b, (const char *)js.data,
						js.len, 32, NULL));
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	hs_buf_free(&a);
	hs_buf_free(&js);
	hs_buf_free(&b);
}

/* A locale whose decimal point is ',' does not change how numbers read. */
static void test_locale(void **state)
{
	(void)state;
	static const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
				      "fr_FR.utf8", "C.UTF-8"};
	const char *set = NULL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !set; i++)
		set = setlocale(LC_NUMERIC, names[i]);
	hs_buf b = HS_BUF_INIT;
	double d = 0;
	assert_int_equal(0, hsi_json_to_msgpack(&b, "1.25", 4, 32, NULL));
	assert_int_equal(0, hs_get_f64(b.data, b.len, "", &d));
	assert_true(d == 1.25);
	hs_buf_free(&b);
	setlocale(LC_NUMERIC, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_packf_round_trip),
		cmocka_unit_test(test_locale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
