/* Tests of runtime/codec: hs_packf, hs_msgpack_check, hs_get*. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "hindsight.h"
#include "codec/mpread.h"
#include "codec/pack.h"

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
		out[n++] = (uint8_t)strtoul((char[]){h[0], h[1], '\0'}, NULL,
					    16);
		h += 2;
	}
	return n;
}

/* Asserts that buf holds exactly the bytes spelt in hex, then empties it. */
static void expect_hex(hs_buf *buf, const char *hex)
{
	uint8_t want[256];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(buf->len, n);
	assert_memory_equal(buf->data, want, n);
	hs_buf_reset(buf);
}

/* Whether msgpack-c reads [p, p+n) as exactly one value. */
static bool mpc_whole(const void *p, size_t n)
{
	msgpack_unpacked u;
	size_t off = 0;
	int ret;

	msgpack_unpacked_init(&u);
	ret = msgpack_unpack_next(&u, p, n, &off);
	msgpack_unpacked_destroy(&u);
	return ret == MSGPACK_UNPACK_SUCCESS && off == n;
}

/* hs_msgpack_check, asserting that msgpack-c agrees. */
static int check(const void *p, size_t n)
{
	int rc = hs_msgpack_check(p, n);

	assert_true(rc == 0 || rc == HS_EBADMSG);
	assert_int_equal(rc == 0, mpc_whole(p, n));
	return rc;
}

static int check_hex(const char *hex)
{
	uint8_t b[256];

	return check(b, unhex(hex, b, sizeof(b)));
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
/* hs_packf                                                             */
/* ------------------------------------------------------------------ */

static void test_pack_conversions(void **state)
{
	hs_buf b = HS_BUF_INIT;
	static const uint8_t raw[] = {0x92, 0x01, 0xc0};

	(void)state;
	assert_int_equal(hs_packf(&b, "s", "hi"), 0);
	expect_hex(&b, "a2 68 69");
	assert_int_equal(hs_packf(&b, "s", (const char *)NULL), 0);
	expect_hex(&b, "c0");
	assert_int_equal(hs_packf(&b, "S", "hello", (size_t)2), 0);
	expect_hex(&b, "a2 68 65");
	assert_int_equal(hs_packf(&b, "S", (const char *)NULL, (size_t)0), 0);
	expect_hex(&b, "a0");
	assert_int_equal(hs_packf(&b, "B", "\x00\x01", (size_t)2), 0);
	expect_hex(&b, "c4 02 00 01");
	assert_int_equal(hs_packf(&b, "i", 1), 0);
	expect_hex(&b, "01");
	assert_int_equal(hs_packf(&b, "i", -1), 0);
	expect_hex(&b, "ff");
	assert_int_equal(hs_packf(&b, "i", -33), 0);
	expect_hex(&b, "d0 df");
	assert_int_equal(hs_packf(&b, "I", INT64_MIN), 0);
	expect_hex(&b, "d3 80 00 00 00 00 00 00 00");
	assert_int_equal(hs_packf(&b, "I", INT64_MAX), 0);
	expect_hex(&b, "cf 7f ff ff ff ff ff ff ff");
	assert_int_equal(hs_packf(&b, "u", 300u), 0);
	expect_hex(&b, "cd 01 2c");
	assert_int_equal(hs_packf(&b, "U", UINT64_MAX), 0);
	expect_hex(&b, "cf ff ff ff ff ff ff ff ff");
	assert_int_equal(hs_packf(&b, "d", 1.5), 0);
	expect_hex(&b, "cb 3f f8 00 00 00 00 00 00");
	assert_int_equal(hs_packf(&b, "b", 7), 0);
	expect_hex(&b, "c3");
	assert_int_equal(hs_packf(&b, "b", 0), 0);
	expect_hex(&b, "c2");
	assert_int_equal(hs_packf(&b, "n"), 0);
	expect_hex(&b, "c0");
	assert_int_equal(hs_packf(&b, "m", raw, sizeof(raw)), 0);
	expect_hex(&b, "92 01 c0");
	hs_buf_free(&b);
}

static void test_pack_nesting(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_packf(&b, "{a:i b:[i s {c:n}] d:{} e:[]}", 1, 2,
				  "x"),
			 0);
	expect_hex(&b, "84 a1 61 01 a1 62 93 02 a1 78 81 a1 63 c0"
		       " a1 64 80 a1 65 90");
	assert_int_equal(hs_packf(&b, "[[[i]],{k-1.x_Y:b}]", 5, 1), 0);
	expect_hex(&b, "92 91 91 05 81 a7 6b 2d 31 2e 78 5f 59 c3");
	/* Spaces after a key's colon are allowed. */
	assert_int_equal(hs_packf(&b, "{a: i, b:  n}", 3), 0);
	expect_hex(&b, "82 a1 61 03 a1 62 c0");
	hs_buf_free(&b);
}

static void test_pack_star_keys(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_packf(&b, "{*:i fix:n *:s}", "k", 1, "z", "v"), 0);
	expect_hex(&b, "83 a1 6b 01 a3 66 69 78 c0 a1 7a a1 76");
	assert_int_equal(hs_packf(&b, "*:i", "a", 2), 0);
	expect_hex(&b, "81 a1 61 02");
	/* A NULL key is a caller error; nothing is left behind. */
	assert_int_equal(hs_packf(&b, "{a:i *:i}", 1, (const char *)NULL, 2),
			 HS_EINVAL);
	assert_int_equal(b.len, 0);
	hs_buf_free(&b);
}

static void test_pack_bare_and_empty(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_packf(&b, "port:s cargo:i", "Malmo", 42), 0);
	expect_hex(&b, "82 a4 70 6f 72 74 a5 4d 61 6c 6d 6f"
		       " a5 63 61 72 67 6f 2a");
	assert_int_equal(hs_packf(&b, " port:s,cargo:i ,", "Malmo", 42), 0);
	expect_hex(&b, "82 a4 70 6f 72 74 a5 4d 61 6c 6d 6f"
		       " a5 63 61 72 67 6f 2a");
	assert_int_equal(hs_packf(&b, "a:[i i] b:{c:i}", 1, 2, 3), 0);
	expect_hex(&b, "82 a1 61 92 01 02 a1 62 81 a1 63 03");
	assert_int_equal(hs_packf(&b, ""), 0);
	expect_hex(&b, "80");
	assert_int_equal(hs_packf(&b, " , "), 0);
	expect_hex(&b, "80");
	assert_int_equal(hs_packf(&b, "{}"), 0);
	expect_hex(&b, "80");
	assert_int_equal(hs_packf(&b, "[]"), 0);
	expect_hex(&b, "90");
	hs_buf_free(&b);
}

/* Appending keeps what the buffer held. */
static void test_pack_appends(void **state)
{
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_packf(&b, "i", 1), 0);
	assert_int_equal(hs_packf(&b, "[n]"), 0);
	expect_hex(&b, "01 91 c0");
	hs_buf_free(&b);
}

static void test_pack_bad_formats(void **state)
{
	static const char *const bad[] = {
		"{", "}", "[", "]", "{a:i", "[i", "a:i}", "{a:i]", "[i}",
		"x", "q", "*", ":i", "{i}", "{a:i b}", "[a:i]", "i a:i",
		"a:i i", "i i", "ii", "[i[i]]", "{a:}", "a:", "{*x:i}",
		"{a:i}{b:i}", "a:ix", "{{}:i}", "[i,,]x", "{a b:i}", "a::i",
		"{a:i,b}", "s:", "\ti\n:", "{a-:{b:[I U] c:y}}",
	};
	hs_buf b = HS_BUF_INIT;
	char deep[80];

	(void)state;
	assert_int_equal(hs_packf(&b, "s", "keep"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* The format is checked before any argument is taken, so
		 * passing none is safe. */
		assert_int_equal(hs_packf(&b, bad[i]), HS_EFORMAT);
		assert_int_equal(b.len, 5);
	}
	assert_int_equal(hs_packf(&b, NULL), HS_EFORMAT);
	expect_hex(&b, "a4 6b 65 65 70");

	/* 32 nested containers are fine, 33 are not. */
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', 32);
	memset(deep + 32, ']', 32);
	assert_int_equal(hs_packf(&b, deep), 0);
	assert_int_equal(check(b.data, b.len), 0);
	hs_buf_reset(&b);
	memset(deep, '[', 33);
	memset(deep + 33, ']', 33);
	assert_int_equal(hs_packf(&b, deep), HS_EFORMAT);
	assert_int_equal(b.len, 0);
	hs_buf_free(&b);
}

static void test_pack_bad_args(void **state)
{
	static const uint8_t trunc[] = {0x92, 0x01};
	static const uint8_t extra[] = {0x01, 0x02};
	static const uint8_t bad[] = {0xc1};
	uint8_t deep[40];
	hs_buf b = HS_BUF_INIT;

	(void)state;
	assert_int_equal(hs_packf(&b, "n"), 0);
	assert_int_equal(hs_packf(&b, "{a:i b:m}", 1, trunc, sizeof(trunc)),
			 HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "[i m]", 1, extra, sizeof(extra)),
			 HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "m", bad, sizeof(bad)), HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "m", extra, (size_t)0), HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "m", NULL, (size_t)0), HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "[s S]", "a", (const char *)NULL,
				  (size_t)3),
			 HS_EINVAL);
	assert_int_equal(hs_packf(&b, "x:B", NULL, (size_t)1), HS_EINVAL);
	assert_int_equal(hs_packf(NULL, "i", 1), HS_EINVAL);
	expect_hex(&b, "c0");

	/* An `m` value counts towards the nesting limit where it lands. */
	memset(deep, 0x91, 31);
	deep[31] = 0x90;
	assert_int_equal(hs_packf(&b, "m", deep, (size_t)32), 0);
	assert_int_equal(check(b.data, b.len), 0);
	hs_buf_reset(&b);
	assert_int_equal(hs_packf(&b, "[m]", deep, (size_t)32), HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "a:m", deep, (size_t)32), HS_EBADMSG);
	assert_int_equal(hs_packf(&b, "a:m", deep + 1, (size_t)31), 0);
	assert_int_equal(check(b.data, b.len), 0);
	hs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* Round trips through hs_get                                           */
/* ------------------------------------------------------------------ */

static void test_roundtrip_ints(void **state)
{
	static const int64_t vals[] = {
		0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295,
		4294967296, INT64_MAX, -1, -32, -33, -128, -129, -32768,
		-32769, INT32_MIN, (int64_t)INT32_MIN - 1, INT64_MIN,
	};
	static const size_t sizes[] = {
		1, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9, 1, 1, 2, 2, 3, 3, 5, 5, 9, 9,
	};
	hs_buf b = HS_BUF_INIT;
	hs_value v;
	int64_t i;
	double d;

	(void)state;
	for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
		assert_int_equal(hs_packf(&b, "v:I", vals[k]), 0);
		assert_int_equal(check(b.data, b.len), 0);
		assert_int_equal(hs_get(b.data, b.len, "v", &v), 0);
		assert_int_equal(v.kind, HS_INT);
		assert_true(v.as.i == vals[k]);
		assert_int_equal(v.raw_len, sizes[k]);
		assert_ptr_equal(v.raw, b.data + 3);
		assert_int_equal(hs_get_i64(b.data, b.len, "v", &i), 0);
		assert_true(i == vals[k]);
		assert_int_equal(hs_get_f64(b.data, b.len, "v", &d), 0);
		assert_true(d == (double)vals[k]);
		hs_buf_reset(&b);
	}

	/* Signed encodings of small values read back the same. */
	assert_int_equal(hs_packf(&b, "a:u b:i c:U", 7u, 7, (uint64_t)7), 0);
	for (const char *p = "abc"; *p != '\0'; p++) {
		char path[2] = {*p, '\0'};

		assert_int_equal(hs_get_i64(b.data, b.len, path, &i), 0);
		assert_true(i == 7);
	}
	hs_buf_reset(&b);

	assert_int_equal(hs_packf(&b, "v:U", UINT64_MAX), 0);
	assert_int_equal(hs_get(b.data, b.len, "v", &v), 0);
	assert_int_equal(v.kind, HS_UINT);
	assert_true(v.as.u == UINT64_MAX);
	i = 5;
	assert_int_equal(hs_get_i64(b.data, b.len, "v", &i), HS_ERANGE);
	assert_true(i == 5);
	assert_int_equal(hs_get_f64(b.data, b.len, "v", &d), 0);
	assert_true(d == (double)UINT64_MAX);
	hs_buf_reset(&b);

	/* Explicit wide encodings of small numbers, as other packers do. */
	assert_int_equal(check_hex("d3 ff ff ff ff ff ff ff fe"), 0);
	{
		static const uint8_t w[] = {0xd3, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xfe};
		static const uint8_t u[] = {0xcf, 0, 0, 0, 0, 0, 0, 0, 9};
		static const uint8_t s16[] = {0xd1, 0x80, 0x00};

		assert_int_equal(hs_get_i64(w, sizeof(w), "", &i), 0);
		assert_true(i == -2);
		assert_int_equal(hs_get_i64(u, sizeof(u), "", &i), 0);
		assert_true(i == 9);
		assert_int_equal(hs_get_i64(s16, sizeof(s16), "", &i), 0);
		assert_true(i == -32768);
	}
	hs_buf_free(&b);
}

static void test_roundtrip_strings(void **state)
{
	static const struct {
		size_t len;
		uint8_t tag, bin_tag;
	} cases[] = {
		{0, 0xa0, 0xc4},      {31, 0xbf, 0xc4},    {32, 0xd9, 0xc4},
		{255, 0xd9, 0xc4},    {256, 0xda, 0xc5},   {65535, 0xda, 0xc5},
		{65536, 0xdb, 0xc6}, {100000, 0xdb, 0xc6},
	};
	char *text = malloc(100001);
	hs_buf b = HS_BUF_INIT;
	const char *s;
	size_t n;
	hs_value v;

	(void)state;
	assert_non_null(text);
	for (size_t i = 0; i < 100000; i++)
		text[i] = (char)('a' + i % 26);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t len = cases[k].len;

		assert_int_equal(hs_packf(&b, "[S B]", text, len, text, len),
				 0);
		assert_int_equal(check(b.data, b.len), 0);
		assert_int_equal(b.data[1], cases[k].tag);
		hs_buf_reset(&b);

		assert_int_equal(hs_packf(&b, "s:S b:B", text, len, text, len),
				 0);
		assert_int_equal(check(b.data, b.len), 0);
		assert_int_equal(hs_get_str(b.data, b.len, "s", &s, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(s, text, len);
		assert_int_equal(hs_get(b.data, b.len, "b", &v), 0);
		assert_int_equal(v.kind, HS_BIN);
		assert_int_equal(v.raw[0], cases[k].bin_tag);
		assert_int_equal(v.len, len);
		assert_memory_equal(v.as.str, text, len);
		assert_ptr_equal(v.raw + v.raw_len, b.data + b.len);
		assert_int_equal(hs_get_str(b.data, b.len, "b", &s, &n),
				 HS_ETYPE);
		hs_buf_reset(&b);
	}

	/* 's' measures with strlen. */
	text[300] = '\0';
	assert_int_equal(hs_packf(&b, "k:s", text), 0);
	assert_int_equal(hs_get_str(b.data, b.len, "k", &s, &n), 0);
	assert_int_equal(n, 300);
	hs_buf_free(&b);
	free(text);
}

static void test_roundtrip_other(void **state)
{
	hs_buf b = HS_BUF_INIT;
	msgpack_packer pk;
	hs_value v;
	double d;
	bool flag;

	(void)state;
	/* float32 as msgpack-c writes it. */
	hsi_packer_init(&pk, &b);
	assert_int_equal(msgpack_pack_map(&pk, 3), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "f", 1), 0);
	assert_int_equal(msgpack_pack_float(&pk, 1.25f), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "g", 1), 0);
	assert_int_equal(msgpack_pack_float(&pk, -FLT_MAX), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "e", 1), 0);
	assert_int_equal(msgpack_pack_ext_with_body(&pk, "xyz", 3, -7), 0);
	assert_int_equal(check(b.data, b.len), 0);
	assert_int_equal(hs_get(b.data, b.len, "f", &v), 0);
	assert_int_equal(v.kind, HS_FLOAT);
	assert_int_equal(v.raw[0], 0xca);
	assert_true(v.as.f == 1.25);
	assert_int_equal(hs_get_f64(b.data, b.len, "g", &d), 0);
	assert_true(d == -FLT_MAX);
	assert_int_equal(hs_get(b.data, b.len, "e", &v), 0);
	assert_int_equal(v.kind, HS_EXT);
	assert_true(v.as.i == -7);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.raw + v.raw_len - 3, "xyz", 3);
	hs_buf_reset(&b);

	assert_int_equal(hs_packf(&b, "d:d t:b f:b n:n a:[i i i] m:{x:i}",
				  -0.1, 1, 0, 1, 2, 3, 4),
			 0);
	assert_int_equal(hs_get_f64(b.data, b.len, "d", &d), 0);
	assert_true(d == -0.1);
	assert_int_equal(hs_get_bool(b.data, b.len, "t", &flag), 0);
	assert_true(flag);
	assert_int_equal(hs_get_bool(b.data, b.len, "f", &flag), 0);
	assert_false(flag);
	assert_int_equal(hs_get(b.data, b.len, "n", &v), 0);
	assert_int_equal(v.kind, HS_NIL);
	assert_int_equal(hs_get(b.data, b.len, "a", &v), 0);
	assert_int_equal(v.kind, HS_ARRAY);
	assert_int_equal(v.len, 3);
	assert_int_equal(v.raw_len, 4);
	assert_int_equal(hs_get(b.data, b.len, "m", &v), 0);
	assert_int_equal(v.kind, HS_MAP);
	assert_int_equal(v.len, 1);
	assert_int_equal(v.raw_len, 4);
	assert_ptr_equal(v.raw + v.raw_len, b.data + b.len);
	assert_int_equal(hs_get(b.data, b.len, "", &v), 0);
	assert_int_equal(v.kind, HS_MAP);
	assert_int_equal(v.len, 6);
	assert_ptr_equal(v.raw, b.data);
	assert_int_equal(v.raw_len, b.len);
	hs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* hs_get paths and errors                                              */
/* ------------------------------------------------------------------ */

static void test_get_paths(void **state)
{
	hs_buf b = HS_BUF_INIT;
	msgpack_packer pk;
	hs_value v;
	int64_t i;
	double d;

	(void)state;
	assert_int_equal(hs_packf(&b, "pos:{lat:d lon:d} a:{b:{c:i}} x:i"
				      " arr:[{z:i}] s:s",
				  55.6, 13.0, 9, 1, 2, "str"),
			 0);
	assert_int_equal(hs_get_f64(b.data, b.len, "pos.lat", &d), 0);
	assert_true(d == 55.6);
	assert_int_equal(hs_get_f64(b.data, b.len, "pos.lon", &d), 0);
	assert_true(d == 13.0);
	assert_int_equal(hs_get_i64(b.data, b.len, "a.b.c", &i), 0);
	assert_true(i == 9);
	assert_int_equal(hs_get(b.data, b.len, "a.b", &v), 0);
	assert_int_equal(v.kind, HS_MAP);

	/* Missing keys, and paths through non-maps. */
	assert_int_equal(hs_get(b.data, b.len, "nope", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "pos.alt", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "x.y", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "s.y", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "arr.z", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "arr.0", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "a.b.c.d", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "pos.", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, ".pos", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "po", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "poss", &v), HS_ENOTFOUND);
	hs_buf_reset(&b);

	/* The top value is not a map. */
	assert_int_equal(hs_packf(&b, "[i]", 1), 0);
	assert_int_equal(hs_get(b.data, b.len, "a", &v), HS_ENOTFOUND);
	assert_int_equal(hs_get(b.data, b.len, "", &v), 0);
	assert_int_equal(v.kind, HS_ARRAY);
	hs_buf_reset(&b);

	/* Non-string keys are skipped, bin keys match, an empty key and a
	 * trailing dot work, the first of duplicate keys wins. */
	hsi_packer_init(&pk, &b);
	assert_int_equal(msgpack_pack_map(&pk, 6), 0);
	assert_int_equal(msgpack_pack_int(&pk, 1), 0);
	assert_int_equal(msgpack_pack_int(&pk, 10), 0);
	assert_int_equal(msgpack_pack_array(&pk, 1), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "k", 1), 0);
	assert_int_equal(msgpack_pack_int(&pk, 11), 0);
	assert_int_equal(msgpack_pack_bin_with_body(&pk, "k", 1), 0);
	assert_int_equal(msgpack_pack_int(&pk, 12), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "k", 1), 0);
	assert_int_equal(msgpack_pack_int(&pk, 13), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "", 0), 0);
	assert_int_equal(msgpack_pack_map(&pk, 1), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "", 0), 0);
	assert_int_equal(msgpack_pack_int(&pk, 14), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "e", 1), 0);
	assert_int_equal(msgpack_pack_map(&pk, 1), 0);
	assert_int_equal(msgpack_pack_str_with_body(&pk, "", 0), 0);
	assert_int_equal(msgpack_pack_int(&pk, 15), 0);
	assert_int_equal(check(b.data, b.len), 0);
	assert_int_equal(hs_get_i64(b.data, b.len, "k", &i), 0);
	assert_true(i == 12);
	assert_int_equal(hs_get_i64(b.data, b.len, ".", &i), 0);
	assert_true(i == 14);
	assert_int_equal(hs_get_i64(b.data, b.len, "e.", &i), 0);
	assert_true(i == 15);
	assert_int_equal(hs_get(b.data, b.len, "1", &v), HS_ENOTFOUND);
	hs_buf_free(&b);
}

static void test_get_errors(void **state)
{
	hs_buf b = HS_BUF_INIT;
	char dst[8] = "xxxxxxx";
	const char *s = NULL;
	size_t n = 0;
	hs_value v;
	int64_t i = 0;
	double d = 0;
	bool flag = false;

	(void)state;
	assert_int_equal(hs_packf(&b, "i:i s:s b:b n:n f:d m:{} big:U", 1,
				  "seven77", 1, 2.5, UINT64_MAX),
			 0);
	assert_int_equal(hs_get_i64(b.data, b.len, "s", &i), HS_ETYPE);
	assert_int_equal(hs_get_i64(b.data, b.len, "f", &i), HS_ETYPE);
	assert_int_equal(hs_get_i64(b.data, b.len, "b", &i), HS_ETYPE);
	assert_int_equal(hs_get_i64(b.data, b.len, "big", &i), HS_ERANGE);
	assert_int_equal(hs_get_f64(b.data, b.len, "s", &d), HS_ETYPE);
	assert_int_equal(hs_get_f64(b.data, b.len, "n", &d), HS_ETYPE);
	assert_int_equal(hs_get_bool(b.data, b.len, "i", &flag), HS_ETYPE);
	assert_int_equal(hs_get_bool(b.data, b.len, "n", &flag), HS_ETYPE);
	assert_int_equal(hs_get_str(b.data, b.len, "i", &s, &n), HS_ETYPE);
	assert_int_equal(hs_get_str(b.data, b.len, "m", &s, &n), HS_ETYPE);
	assert_int_equal(hs_get_str(b.data, b.len, "zz", &s, &n),
			 HS_ENOTFOUND);
	assert_int_equal(hs_get_strcpy(b.data, b.len, "n", dst, 8), HS_ETYPE);
	/* Nothing was written by the failures. */
	assert_true(i == 0 && d == 0 && !flag && s == NULL && n == 0);

	/* strcpy: "seven77" needs 8 bytes. */
	assert_int_equal(hs_get_strcpy(b.data, b.len, "s", dst, 7), HS_ERANGE);
	assert_string_equal(dst, "xxxxxxx");
	assert_int_equal(hs_get_strcpy(b.data, b.len, "s", dst, 0), HS_ERANGE);
	assert_string_equal(dst, "xxxxxxx");
	assert_int_equal(hs_get_strcpy(b.data, b.len, "s", dst, 8), 0);
	assert_string_equal(dst, "seven77");

	/* Malformed data where the walk goes. */
	assert_int_equal(hs_get(b.data, 0, "", &v), HS_EBADMSG);
	assert_int_equal(hs_get(NULL, 0, "i", &v), HS_EBADMSG);
	assert_int_equal(hs_get(b.data, 3, "zz", &v), HS_EBADMSG);
	assert_int_equal(hs_get(b.data, b.len - 1, "big", &v), HS_EBADMSG);
	assert_int_equal(hs_get(b.data, b.len - 1, "", &v), HS_EBADMSG);
	/* ... but the part after the field is not looked at. */
	assert_int_equal(hs_get_i64(b.data, 4, "i", &i), 0);
	assert_true(i == 1);
	{
		static const uint8_t c1key[] = {0x82, 0xa1, 0x61, 0x01, 0xc1,
						0x02};
		static const uint8_t c1val[] = {0x81, 0xa1, 0x61, 0xc1};

		assert_int_equal(hs_get(c1key, sizeof(c1key), "a", &v), 0);
		assert_int_equal(hs_get(c1key, sizeof(c1key), "b", &v),
				 HS_EBADMSG);
		assert_int_equal(hs_get(c1val, sizeof(c1val), "a", &v),
				 HS_EBADMSG);
		assert_int_equal(hs_get(c1val, 3, "a", &v), HS_EBADMSG);
	}
	assert_int_equal(hs_get(b.data, b.len, NULL, &v), HS_EINVAL);
	hs_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* hs_msgpack_check                                                     */
/* ------------------------------------------------------------------ */

static void test_check_kinds(void **state)
{
	static const char *const good[] = {
		"c0", "c2", "c3", "00", "7f", "e0", "ff",
		"cc ff", "cd ff ff", "ce ff ff ff ff",
		"cf ff ff ff ff ff ff ff ff",
		"d0 80", "d1 80 00", "d2 80 00 00 00",
		"d3 80 00 00 00 00 00 00 00",
		"ca 3f 80 00 00", "cb 3f f0 00 00 00 00 00 00",
		"a0", "a3 61 62 63", "d9 00", "d9 02 61 62", "da 00 01 61",
		"db 00 00 00 01 61", "c4 00", "c4 01 00", "c5 00 02 00 00",
		"c6 00 00 00 00",
		"d4 01 00", "d5 01 00 00", "d6 ff 00 00 00 00",
		"d7 01 00 00 00 00 00 00 00 00",
		"d8 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
		"c7 00 05", "c7 02 05 00 00", "c8 00 01 05 00",
		"c9 00 00 00 00 05",
		"90", "91 c0", "dc 00 00", "dc 00 02 01 02",
		"dd 00 00 00 01 a0", "80", "81 01 02", "de 00 00",
		"de 00 01 a1 61 90", "df 00 00 00 01 c0 c0",
		"82 91 80 81 c0 c0 a0 92 c3 c2",
	};
	static const char *const bad[] = {
		"", "c1", "91 c1", "81 c1 00", "81 00 c1", "92 00",
		"81 00", "cc", "cd ff", "cf 00 00 00 00 00 00 00",
		"ca 00 00 00", "a1", "d9", "d9 02 61", "da 00", "c4 02 00",
		"d4 01", "d8 01 00", "c7 00", "c7 01 05", "c9 00 00 00",
		"dc 00", "dd 00 00 00", "de 00 01 a0", "00 00", "90 c0",
		"c0 c1", "80 80",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (check_hex(good[i]) != 0)
			fail_msg("rejected: %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (check_hex(bad[i]) != HS_EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(hs_msgpack_check(NULL, 0), HS_EBADMSG);
	assert_int_equal(hs_msgpack_check(NULL, 5), HS_EBADMSG);
}

/* A value with one of nearly everything in it. */
static void pack_complex(hs_buf *b)
{
	static const uint8_t ext[] = {0xd6, 0x05, 1, 2, 3, 4};
	char s300[301];

	memset(s300, 's', 300);
	s300[300] = '\0';
	assert_int_equal(hs_packf(b,
				  "a:[i I u U d b n] s:s long:s bin:B"
				  " m:{x:{y:[[]]} *:m} e:{}",
				  -5, INT64_MIN, 200u, UINT64_MAX, 0.5, 1,
				  "str", s300, "\0\1\2", (size_t)3, "k", ext,
				  sizeof(ext)),
			 0);
}

static void test_check_truncated(void **state)
{
	hs_buf b = HS_BUF_INIT;
	hs_value v;
	int64_t i;

	(void)state;
	pack_complex(&b);
	assert_int_equal(check(b.data, b.len), 0);
	for (size_t n = 0; n < b.len; n++) {
		/* A fresh heap copy, so ASan sees any read past n. */
		uint8_t *p = malloc(n ? n : 1);

		assert_non_null(p);
		memcpy(p, b.data, n);
		assert_int_equal(check(p, n), HS_EBADMSG);
		assert_int_not_equal(hs_get(p, n, "", &v), 0);
		(void)hs_get(p, n, "m.k", &v);
		(void)hs_get_i64(p, n, "e", &i);
		free(p);
	}
	hs_buf_free(&b);
}

static void test_check_trailing(void **state)
{
	hs_buf b = HS_BUF_INIT;
	const uint8_t *next = NULL;
	size_t len;

	(void)state;
	pack_complex(&b);
	len = b.len;
	assert_int_equal(hs_packf(&b, "n"), 0);
	assert_int_equal(check(b.data, b.len), HS_EBADMSG);
	assert_int_equal(hsi_mp_skip(b.data, b.data + b.len, &next), 0);
	assert_ptr_equal(next, b.data + len);
	assert_int_equal(hsi_mp_skip(next, b.data + b.len, &next), 0);
	assert_ptr_equal(next, b.data + b.len);
	assert_int_equal(hsi_mp_skip(next, b.data + b.len, &next),
			 HS_EBADMSG);
	hs_buf_free(&b);
}

static void test_check_huge_lengths(void **state)
{
	static const char *const huge[] = {
		"db ff ff ff ff 61", "c6 ff ff ff ff 00", "c9 ff ff ff ff 05",
		"c9 ff ff ff fe 05 00", "c8 ff ff 05 00", "da ff ff 00",
		"dd ff ff ff ff c0 c0", "df ff ff ff ff c0 c0",
		"df 80 00 00 00 c0 c0", "dc ff ff c0", "de ff ff c0 c0",
		"91 dd ff ff ff ff", "81 a0 db ff ff ff ff",
	};
	hs_value v;

	(void)state;
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		uint8_t p[16];
		size_t n = unhex(huge[i], p, sizeof(p));

		assert_int_equal(hs_msgpack_check(p, n), HS_EBADMSG);
		assert_int_equal(hs_get(p, n, "", &v), HS_EBADMSG);
	}
	/* msgpack-c overflows the ext32 length: 0xffffffff + 1 type byte
	 * wraps to 0, which it then rejects (as a zero-length ext). */
	assert_int_equal(check_hex("c9 ff ff ff ff"), HS_EBADMSG);
}

static void test_check_deep(void **state)
{
	const size_t n = 100000;
	uint8_t *p = malloc(2 * n + 1);
	hs_value v;

	(void)state;
	assert_non_null(p);
	memset(p, 0x91, n);
	p[n] = 0xc0;
	assert_int_equal(check(p, n + 1), HS_EBADMSG);
	assert_int_equal(hs_get(p, n + 1, "", &v), HS_EBADMSG);
	/* Exactly at the limit, and one past it, with empty innermost
	 * containers: msgpack-c counts those too. */
	assert_int_equal(check(p + n - 32, 33), 0);
	p[n] = 0x90;
	assert_int_equal(check(p + n - 31, 32), 0);
	assert_int_equal(check(p + n - 32, 33), HS_EBADMSG);
	p[n] = 0x80;
	assert_int_equal(check(p + n - 31, 32), 0);
	assert_int_equal(check(p + n - 32, 33), HS_EBADMSG);

	/* Nested maps, {"": {"": ...}}, walked by hs_get too. */
	for (size_t i = 0; i < n; i++) {
		p[2 * i] = 0x81;
		p[2 * i + 1] = 0xa0;
	}
	p[2 * n] = 0xc0;
	assert_int_equal(check(p, 2 * n + 1), HS_EBADMSG);
	assert_int_equal(hs_get(p, 2 * n + 1, ".", &v), HS_EBADMSG);
	assert_int_equal(check(p + 2 * (n - 32), 65), 0);
	assert_int_equal(check(p + 2 * (n - 33), 67), HS_EBADMSG);
	free(p);
}

/*
 * Random buffers must never crash the checker or hs_get, and the checker
 * must agree with msgpack-c on every one of them.
 *
 * Known disagreements, none reachable here: msgpack-c mis-reads an ext32
 * length of 0xffffffff (see test_check_huge_lengths), and it allocates
 * room for an array's or map's elements as soon as it reads the count, so
 * a 32-bit count of billions costs it gigabytes (ASan aborts). The
 * generator therefore keeps array16/32 and map16/32 counts below 256.
 */
/* Asserts that hs_get saw what msgpack-c decoded. */
static void expect_same(const msgpack_object *o, const hs_value *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		assert_int_equal(v->kind, HS_NIL);
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		assert_int_equal(v->kind, HS_BOOL);
		assert_int_equal(v->as.b, o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		assert_int_equal(v->kind,
				 o->via.u64 > INT64_MAX ? HS_UINT : HS_INT);
		assert_true(v->as.u == o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		assert_int_equal(v->kind, HS_INT);
		assert_true(v->as.i == o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		assert_int_equal(v->kind, HS_FLOAT);
		assert_memory_equal(&v->as.f, &o->via.f64, sizeof(double));
		break;
	case MSGPACK_OBJECT_STR:
		assert_int_equal(v->kind, HS_STR);
		assert_int_equal(v->len, o->via.str.size);
		/* msgpack-c gives NULL for an empty one. */
		if (v->len > 0)
			assert_ptr_equal(v->as.str, o->via.str.ptr);
		break;
	case MSGPACK_OBJECT_BIN:
		assert_int_equal(v->kind, HS_BIN);
		assert_int_equal(v->len, o->via.bin.size);
		/* msgpack-c gives NULL for an empty one. */
		if (v->len > 0)
			assert_ptr_equal(v->as.str, o->via.bin.ptr);
		break;
	case MSGPACK_OBJECT_EXT:
		assert_int_equal(v->kind, HS_EXT);
		assert_true(v->as.i == o->via.ext.type);
		assert_int_equal(v->len, o->via.ext.size);
		break;
	case MSGPACK_OBJECT_ARRAY:
		assert_int_equal(v->kind, HS_ARRAY);
		assert_int_equal(v->len, o->via.array.size);
		break;
	case MSGPACK_OBJECT_MAP:
		assert_int_equal(v->kind, HS_MAP);
		assert_int_equal(v->len, o->via.map.size);
		break;
	}
}

/* A str or bin key's bytes, or NULL. */
static const char *key_bytes(const msgpack_object *k, size_t *n)
{
	if (k->type == MSGPACK_OBJECT_STR) {
		*n = k->via.str.size;
		return k->via.str.ptr;
	}
	if (k->type == MSGPACK_OBJECT_BIN) {
		*n = k->via.bin.size;
		return k->via.bin.ptr;
	}
	return NULL;
}

/* Looks up every key of a valid top-level map that a path can name. */
static void expect_same_fields(const uint8_t *p, size_t n,
			       const msgpack_object *map)
{
	for (uint32_t j = 0; j < map->via.map.size; j++) {
		const msgpack_object_kv *kv = &map->via.map.ptr[j];
		char path[64];
		const char *key;
		size_t len, len2;
		bool first = true;
		hs_value v;

		key = key_bytes(&kv->key, &len);
		/* "" would name the whole value. */
		if (key == NULL || len == 0 || len >= sizeof(path) ||
		    memchr(key, '.', len) || memchr(key, '\0', len))
			continue;
		for (uint32_t i = 0; i < j && first; i++) {
			const char *k2 = key_bytes(&map->via.map.ptr[i].key,
						   &len2);

			first = !(k2 && len2 == len && !memcmp(k2, key, len));
		}
		if (!first)
			continue;
		memcpy(path, key, len);
		path[len] = '\0';
		assert_int_equal(hs_get(p, n, path, &v), 0);
		expect_same(&kv->val, &v);
	}
}

static void fuzz_one(uint8_t *p, size_t n)
{
	msgpack_unpacked u;
	size_t off = 0;
	hs_value v;
	int64_t i;
	int rc;

	for (size_t k = 0; k < n; k++) {
		if (p[k] >= 0xdc && p[k] <= 0xdf) {
			size_t w = p[k] & 1 ? 3 : 1;

			for (size_t j = k + 1; j <= k + w && j < n; j++)
				p[j] = 0;
		}
	}
	rc = check(p, n);
	if (hs_get(p, n, "", &v) == 0) {
		assert_ptr_equal(v.raw, p);
		assert_int_equal(rc == 0, v.raw_len == n);
	} else {
		assert_int_equal(rc, HS_EBADMSG);
	}
	(void)hs_get_i64(p, n, "a.b", &i);
	if (rc != 0)
		return;

	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, (const char *)p, n, &off),
			 MSGPACK_UNPACK_SUCCESS);
	expect_same(&u.data, &v);
	if (u.data.type == MSGPACK_OBJECT_MAP)
		expect_same_fields(p, n, &u.data);
	msgpack_unpacked_destroy(&u);
}

static void test_fuzz(void **state)
{
	hs_buf corpus = HS_BUF_INIT;
	size_t valid = 0;

	(void)state;
	pack_complex(&corpus);
	for (int round = 0; round < 200000; round++) {
		uint8_t buf[600];
		size_t n;

		if (round % 2 == 0) {
			n = 1 + rng() % 24;
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rng();
		} else {
			/* A mutant of a valid value: a few bytes changed,
			 * maybe cut short. */
			n = corpus.len;
			memcpy(buf, corpus.data, n);
			for (int k = (int)(rng() % 4); k >= 0; k--)
				buf[rng() % n] = (uint8_t)rng();
			if (rng() % 4 == 0)
				n = 1 + rng() % n;
		}
		/* A heap copy of exactly n bytes: ASan sees overreads. */
		uint8_t *p = malloc(n);

		assert_non_null(p);
		memcpy(p, buf, n);
		fuzz_one(p, n);
		valid += hs_msgpack_check(p, n) == 0;
		free(p);
	}
	/* The generator reaches both sides. */
	assert_true(valid > 10000);
	assert_true(valid < 190000);
	hs_buf_free(&corpus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_conversions),
		cmocka_unit_test(test_pack_nesting),
		cmocka_unit_test(test_pack_star_keys),
		cmocka_unit_test(test_pack_bare_and_empty),
		cmocka_unit_test(test_pack_appends),
		cmocka_unit_test(test_pack_bad_formats),
		cmocka_unit_test(test_pack_bad_args),
		cmocka_unit_test(test_roundtrip_ints),
		cmocka_unit_test(test_roundtrip_strings),
		cmocka_unit_test(test_roundtrip_other),
		cmocka_unit_test(test_get_paths),
		cmocka_unit_test(test_get_errors),
		cmocka_unit_test(test_check_kinds),
		cmocka_unit_test(test_check_truncated),
		cmocka_unit_test(test_check_trailing),
		cmocka_unit_test(test_check_huge_lengths),
		cmocka_unit_test(test_check_deep),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
