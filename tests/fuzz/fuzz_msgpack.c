/*
 * The msgpack reader (codec/mpread.c), the hs_get* accessors (codec/get.c)
 * and the JSON printer (codec/json.c) on arbitrary bytes.
 *
 * Input: one byte n, then n bytes of path for hs_get (cut at a NUL), then
 * the data. Checked besides the sanitizers: what hs_msgpack_check passes
 * msgpack-c reads whole; hs_get's value lies inside the data and passes
 * the check itself; the typed getters agree with hs_get; hs_json and
 * hs_json_diff print JSON that the JSON parser reads back.
 */
#include <msgpack.h>
#include <string.h>

#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "fuzz.h"
#include "hindsight.h"

/* Deep enough for anything hs_json prints (an ext adds one level). */
#define JSON_DEPTH (HSI_MP_MAX_DEPTH + 2)

static void json_parses(const hs_buf *text)
{
	hs_buf mp = HS_BUF_INIT;
	hsi_json_error e;

	FUZZ_CHECK(hsi_json_to_msgpack(&mp, (const char *)text->data,
				       text->len, JSON_DEPTH, &e) == 0);
	hs_buf_free(&mp);
}

/* msgpack-c must read what hs_msgpack_check passed: the check promises
 * it (mpread.h), and only then are the counts small enough to hand to
 * its allocating unpacker. */
static void msgpack_c_reads(const uint8_t *p, size_t n)
{
	msgpack_unpacked u;
	size_t off = 0;

	msgpack_unpacked_init(&u);
	FUZZ_CHECK(msgpack_unpack_next(&u, (const char *)p, n, &off) ==
		   MSGPACK_UNPACK_SUCCESS);
	FUZZ_CHECK(off == n);
	msgpack_unpacked_destroy(&u);
}

static void getters(const uint8_t *p, size_t n, const char *path,
		    bool valid)
{
	hs_value v;
	int64_t i;
	double f;
	bool b;
	const char *s;
	size_t sn;
	char small[8];
	int rc = hs_get(p, n, path, &v);

	FUZZ_CHECK(rc == 0 || rc == HS_ENOTFOUND || rc == HS_EBADMSG);
	/* Only what the search passes over is checked: a valid document
	 * never gives HS_EBADMSG. */
	FUZZ_CHECK(!(valid && rc == HS_EBADMSG));
	if (rc == 0) {
		FUZZ_CHECK(v.raw >= p && v.raw_len > 0 &&
			   v.raw_len <= n - (size_t)(v.raw - p));
		FUZZ_CHECK(hs_msgpack_check(v.raw, v.raw_len) == 0);
		if (v.kind == HS_STR || v.kind == HS_BIN)
			FUZZ_CHECK((const uint8_t *)v.as.str >= v.raw &&
				   (const uint8_t *)v.as.str + v.len <=
					   v.raw + v.raw_len);
	}

	int ri = hs_get_i64(p, n, path, &i);
	int rf = hs_get_f64(p, n, path, &f);
	int rb = hs_get_bool(p, n, path, &b);
	int rs = hs_get_str(p, n, path, &s, &sn);
	int rcpy = hs_get_strcpy(p, n, path, small, sizeof(small));
	if (rc != 0) {
		FUZZ_CHECK(ri == rc && rf == rc && rb == rc && rs == rc &&
			   rcpy == rc);
		return;
	}
	FUZZ_CHECK((ri == 0) == (v.kind == HS_INT));
	FUZZ_CHECK((rf == 0) == (v.kind == HS_INT || v.kind == HS_UINT ||
				 v.kind == HS_FLOAT));
	FUZZ_CHECK((rb == 0) == (v.kind == HS_BOOL));
	FUZZ_CHECK((rs == 0) == (v.kind == HS_STR));
	if (rs == 0) {
		FUZZ_CHECK(s == v.as.str && sn == v.len);
		FUZZ_CHECK((rcpy == 0) == (sn < sizeof(small)));
		if (rcpy == 0)
			FUZZ_CHECK(memcmp(small, s, sn) == 0 &&
				   small[sn] == '\0');
	}
}

static void json(const uint8_t *p, size_t n, bool valid)
{
	hs_buf a = HS_BUF_INIT, b = HS_BUF_INIT, pa = HS_BUF_INIT,
	       pb = HS_BUF_INIT;

	FUZZ_CHECK(hs_json(&a, p, n, 0) == (valid ? 0 : HS_EBADMSG));
	FUZZ_CHECK(hs_json(&b, p, n, HS_JSON_PRETTY) ==
		   (valid ? 0 : HS_EBADMSG));
	if (valid) {
		/* Both forms are JSON, of the same value. */
		FUZZ_CHECK(hsi_json_to_msgpack(&pa, (const char *)a.data,
					       a.len, JSON_DEPTH, NULL) == 0);
		FUZZ_CHECK(hsi_json_to_msgpack(&pb, (const char *)b.data,
					       b.len, JSON_DEPTH, NULL) == 0);
		FUZZ_CHECK(pa.len == pb.len &&
			   memcmp(pa.data, pb.data, pa.len) == 0);
	} else {
		FUZZ_CHECK(a.len == 0 && b.len == 0);
	}
	hs_buf_free(&a);
	hs_buf_free(&b);
	hs_buf_free(&pa);
	hs_buf_free(&pb);
}

static void diff(const uint8_t *x, size_t xn, const uint8_t *y, size_t yn)
{
	hs_buf d = HS_BUF_INIT;

	FUZZ_CHECK(hs_json_diff(&d, x, xn, x, xn) == 0);
	FUZZ_CHECK(d.len == 2 && memcmp(d.data, "[]", 2) == 0);
	hs_buf_reset(&d);
	FUZZ_CHECK(hs_json_diff(&d, x, xn, y, yn) == 0);
	json_parses(&d);
	hs_buf_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[256];
	const uint8_t *p, *next;
	size_t n, pn;
	bool valid;

	if (size < 1)
		return 0;
	pn = data[0];
	if (pn > size - 1)
		pn = size - 1;
	memcpy(path, data + 1, pn);
	path[pn] = '\0';
	p = data + 1 + pn;
	n = size - 1 - pn;

	valid = hs_msgpack_check(p, n) == 0;
	if (valid)
		msgpack_c_reads(p, n);
	getters(p, n, path, valid);
	json(p, n, valid);

	/* Two values one after the other: their difference. */
	if (n > 0 && hsi_mp_skip(p, p + n, &next) == 0 && next < p + n &&
	    hs_msgpack_check(next, (size_t)(p + n - next)) == 0)
		diff(p, (size_t)(next - p), next, (size_t)(p + n - next));
	return 0;
}
