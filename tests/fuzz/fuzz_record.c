/*
 * The decoders of stored records and pending timers (codec/record.c) on
 * arbitrary bytes. Checked: what decodes points inside the input, keeps
 * the limits of names and ids, and survives encoding and decoding again
 * field for field.
 */
#include <string.h>

#include "codec/record.h"
#include "fuzz.h"
#include "hindsight.h"

static bool inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return q >= data && n <= size && (size_t)(q - data) <= size - n;
}

static bool name_ok(const char *s, size_t n, size_t max, const uint8_t *data,
		    size_t size)
{
	return n >= 1 && n <= max && inside(s, n, data, size) &&
	       memchr(s, '\0', n) == NULL;
}

static bool same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static void record(const uint8_t *data, size_t size)
{
	hsi_record r, r2;
	hs_buf out = HS_BUF_INIT;
	size_t off;
	int rc = hsi_record_decode(data, size, &r);

	FUZZ_CHECK(rc == 0 || rc == HS_ECORRUPT || rc == HS_EVERSION);
	if (rc != 0)
		return;
	FUZZ_CHECK(r.version >= 1 && r.version <= HSI_FORMAT_VERSION);
	FUZZ_CHECK(name_ok(r.type, r.type_len, HS_NAME_MAX, data, size));
	FUZZ_CHECK(name_ok(r.id, r.id_len, HS_ID_MAX, data, size));
	FUZZ_CHECK(name_ok(r.event_type, r.event_type_len, HS_NAME_MAX, data,
			   size));
	FUZZ_CHECK(r.seq >= 1);
	FUZZ_CHECK(r.event_version >= 1 && r.state_version >= 1);
	FUZZ_CHECK((r.body == NULL) == (r.body_len == 0));
	if (r.body != NULL) {
		FUZZ_CHECK(inside(r.body, r.body_len, data, size));
		FUZZ_CHECK(hs_msgpack_check(r.body, r.body_len) == 0);
	}
	if (r.cause.seq != 0) {
		FUZZ_CHECK(name_ok(r.cause.type, r.cause.type_len, HS_NAME_MAX,
				   data, size));
		FUZZ_CHECK(name_ok(r.cause.id, r.cause.id_len, HS_ID_MAX, data,
				   size));
		FUZZ_CHECK(r.cause.gseq != 0);
	}

	/* Encode it as the writer would, patch the gseq in, read it back. */
	FUZZ_CHECK(hsi_record_encode(&r, &out, &off) == 0);
	FUZZ_CHECK(off + 8 <= out.len);
	hsi_record_patch_gseq(out.data, off, r.gseq);
	FUZZ_CHECK(hsi_record_decode(out.data, out.len, &r2) == 0);
	FUZZ_CHECK(r2.version ==
		   (r.event_version > 1 || r.state_version > 1 ? 2u : 1u));
	FUZZ_CHECK(same(r.type, r.type_len, r2.type, r2.type_len));
	FUZZ_CHECK(same(r.id, r.id_len, r2.id, r2.id_len));
	FUZZ_CHECK(r.seq == r2.seq && r.gseq == r2.gseq &&
		   r.time_ns == r2.time_ns);
	FUZZ_CHECK(same(r.event_type, r.event_type_len, r2.event_type,
			r2.event_type_len));
	FUZZ_CHECK(same((const char *)r.body, r.body_len,
			(const char *)r2.body, r2.body_len));
	FUZZ_CHECK(r.cause.seq == r2.cause.seq &&
		   r.cause.gseq == r2.cause.gseq);
	if (r.cause.seq != 0) {
		FUZZ_CHECK(same(r.cause.type, r.cause.type_len, r2.cause.type,
				r2.cause.type_len));
		FUZZ_CHECK(same(r.cause.id, r.cause.id_len, r2.cause.id,
				r2.cause.id_len));
	}
	FUZZ_CHECK(r.state_hash == r2.state_hash &&
		   r.event_version == r2.event_version &&
		   r.state_version == r2.state_version);
	hs_buf_free(&out);
}

static void timer(const uint8_t *data, size_t size)
{
	hsi_timer_value t, t2;
	hs_buf out = HS_BUF_INIT;
	int rc = hsi_timer_value_decode(data, size, &t);

	FUZZ_CHECK(rc == 0 || rc == HS_ECORRUPT);
	if (rc != 0)
		return;
	FUZZ_CHECK(name_ok(t.type, t.type_len, HS_NAME_MAX, data, size));
	FUZZ_CHECK(name_ok(t.id, t.id_len, HS_ID_MAX, data, size));
	FUZZ_CHECK(name_ok(t.event, t.event_len, HS_NAME_MAX, data, size));
	FUZZ_CHECK(t.set_seq != 0 && t.set_gseq != 0);
	FUZZ_CHECK((t.body == NULL) == (t.body_len == 0));
	if (t.body != NULL)
		FUZZ_CHECK(hs_msgpack_check(t.body, t.body_len) == 0);

	FUZZ_CHECK(hsi_timer_value_encode(&t, &out) == 0);
	FUZZ_CHECK(hsi_timer_value_decode(out.data, out.len, &t2) == 0);
	FUZZ_CHECK(t.due_ns == t2.due_ns && t.set_seq == t2.set_seq &&
		   t.set_gseq == t2.set_gseq);
	FUZZ_CHECK(same(t.type, t.type_len, t2.type, t2.type_len));
	FUZZ_CHECK(same(t.id, t.id_len, t2.id, t2.id_len));
	FUZZ_CHECK(same(t.event, t.event_len, t2.event, t2.event_len));
	FUZZ_CHECK(same((const char *)t.body, t.body_len,
			(const char *)t2.body, t2.body_len));
	hs_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	record(data, size);
	timer(data, size);
	return 0;
}
