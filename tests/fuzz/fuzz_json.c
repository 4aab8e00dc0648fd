/*
 * The JSON parser (codec/json_parse.c), with the printer (codec/json.c)
 * as its check: what parses is one valid msgpack value; printed with
 * hs_json it parses again, and printing that gives the same text (the
 * first print normalises numbers and escapes, the second changes
 * nothing). A failure says where, inside the text, and leaves the
 * buffer as it was.
 */
#include <string.h>

#include "codec/json_parse.h"
#include "codec/mpread.h"
#include "fuzz.h"
#include "hindsight.h"

static void parse(const char *text, size_t len, unsigned depth)
{
	static const uint8_t before[] = {0xc0};
	hs_buf mp = HS_BUF_INIT, j1 = HS_BUF_INIT, mp2 = HS_BUF_INIT,
	       j2 = HS_BUF_INIT;
	hsi_json_error e;
	int rc;

	FUZZ_CHECK(hs_packf(&mp, "m", before, sizeof(before)) == 0);
	rc = hsi_json_to_msgpack(&mp, text, len, depth, &e);
	FUZZ_CHECK(mp.len >= 1 && mp.data[0] == 0xc0);
	if (rc != 0) {
		FUZZ_CHECK(rc == HS_EBADMSG);
		FUZZ_CHECK(mp.len == 1);
		FUZZ_CHECK(e.what != NULL && e.offset <= len);
		FUZZ_CHECK(e.line >= 1 && e.column >= 1 &&
			   e.column <= e.offset + 1);
		goto out;
	}
	const uint8_t *v = mp.data + 1;
	size_t vn = mp.len - 1;
	if (depth > HSI_MP_MAX_DEPTH)
		goto out; /* deeper than msgpack values may be */
	FUZZ_CHECK(hs_msgpack_check(v, vn) == 0);
	FUZZ_CHECK(hs_json(&j1, v, vn, 0) == 0);
	FUZZ_CHECK(hsi_json_to_msgpack(&mp2, (const char *)j1.data, j1.len,
				       depth, NULL) == 0);
	FUZZ_CHECK(hs_json(&j2, mp2.data, mp2.len, 0) == 0);
	FUZZ_CHECK(j1.len == j2.len && memcmp(j1.data, j2.data, j1.len) == 0);
out:
	hs_buf_free(&mp);
	hs_buf_free(&j1);
	hs_buf_free(&mp2);
	hs_buf_free(&j2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As `hindsight import` reads a line, and as deep as the parser
	 * goes. */
	parse((const char *)data, size, HSI_MP_MAX_DEPTH);
	parse((const char *)data, size, 100000);
	return 0;
}
