#include "codec/record.h"

#include <string.h>

#include "codec/mpread.h"
#include "codec/pack.h"
#include "common/buf.h"
#include "common/hash.h"

/* Fields of a version-1 record, in this order (docs/FORMAT.md); a
 * version-2 record appends event_version and state_version. */
#define RECORD_FIELDS 10
#define RECORD_FIELDS_V2 12
#define CAUSE_FIELDS 4

uint64_t hsi_state_hash(const void *data, size_t len)
{
	return hsi_fnv1a(HSI_FNV_SEED, data, len);
}

static int pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	int rc = msgpack_pack_str(pk, n);
	return rc != 0 ? rc : msgpack_pack_str_body(pk, s, n);
}

static int pack_record(msgpack_packer *pk, hs_buf *out, const hsi_record *r,
		       size_t *gseq_off)
{
	const hsi_cause *c = &r->cause;
	uint32_t ev = r->event_version > 1 ? r->event_version : 1;
	uint32_t sv = r->state_version > 1 ? r->state_version : 1;
	bool v2 = ev > 1 || sv > 1;
	int rc;

	if ((rc = msgpack_pack_array(pk, v2 ? RECORD_FIELDS_V2
					    : RECORD_FIELDS)) != 0 ||
	    (rc = msgpack_pack_uint32(pk, v2 ? 2 : 1)) != 0 ||
	    (rc = pack_str(pk, r->type, r->type_len)) != 0 ||
	    (rc = pack_str(pk, r->id, r->id_len)) != 0 ||
	    (rc = msgpack_pack_uint64(pk, r->seq)) != 0)
		return rc;
	/* 0xcf and 8 bytes: the place stays patchable whatever the value. */
	*gseq_off = out->len + 1;
	if ((rc = msgpack_pack_fix_uint64(pk, r->gseq)) != 0 ||
	    (rc = msgpack_pack_int64(pk, r->time_ns)) != 0 ||
	    (rc = pack_str(pk, r->event_type, r->event_type_len)) != 0)
		return rc;
	if (r->body_len == 0)
		rc = msgpack_pack_nil(pk);
	else /* already one checked msgpack value: embedded as is */
		rc = hsi_buf_append(out, r->body, r->body_len);
	if (rc != 0)
		return rc;
	if (c->seq == 0) {
		rc = msgpack_pack_nil(pk);
	} else if ((rc = msgpack_pack_array(pk, CAUSE_FIELDS)) != 0 ||
		   (rc = pack_str(pk, c->type, c->type_len)) != 0 ||
		   (rc = pack_str(pk, c->id, c->id_len)) != 0 ||
		   (rc = msgpack_pack_uint64(pk, c->seq)) != 0) {
		return rc;
	} else {
		rc = msgpack_pack_uint64(pk, c->gseq);
	}
	if (rc != 0 || (rc = msgpack_pack_fix_uint64(pk, r->state_hash)) != 0)
		return rc;
	if (v2 && ((rc = msgpack_pack_uint32(pk, ev)) != 0 ||
		   (rc = msgpack_pack_uint32(pk, sv)) != 0))
		return rc;
	return 0;
}

int hsi_record_encode(const hsi_record *r, hs_buf *out, size_t *gseq_off)
{
	msgpack_packer pk;
	size_t start = out->len, off = 0;

	hsi_packer_init(&pk, out);
	if (pack_record(&pk, out, r, &off) != 0) {
		out->len = start;
		return HS_ENOMEM;
	}
	if (gseq_off != NULL)
		*gseq_off = off;
	return 0;
}

void hsi_record_patch_gseq(uint8_t *rec, size_t gseq_off, uint64_t gseq)
{
	for (int i = 7; i >= 0; i--) {
		rec[gseq_off + (size_t)i] = (uint8_t)gseq;
		gseq >>= 8;
	}
}

/* ------------------------------------------------------------------ */
/* Decoding: every step checks its bounds and the type it expects.      */
/* ------------------------------------------------------------------ */

typedef struct rd {
	const uint8_t *p;
	const uint8_t *end;
} rd;

/* Reads an array header only (its elements are read one by one, so a body
 * nested in the record may use the full depth hs_msgpack_check allows). */
static int rd_array(rd *r, size_t *n)
{
	const uint8_t *p = r->p;
	size_t avail = (size_t)(r->end - p), hdr, len;

	if (avail == 0)
		return HS_ECORRUPT;
	if ((p[0] & 0xf0) == 0x90) {
		len = p[0] & 0x0f;
		hdr = 1;
	} else if (p[0] == 0xdc && avail >= 3) {
		len = (size_t)p[1] << 8 | p[2];
		hdr = 3;
	} else if (p[0] == 0xdd && avail >= 5) {
		len = (size_t)p[1] << 24 | (size_t)p[2] << 16 |
		      (size_t)p[3] << 8 | p[4];
		hdr = 5;
	} else {
		return HS_ECORRUPT;
	}
	r->p = p + hdr;
	*n = len;
	return 0;
}

static int rd_value(rd *r, hs_value *v)
{
	if (hsi_mp_read(r->p, r->end, v, NULL) != 0)
		return HS_ECORRUPT;
	r->p = v->raw + v->raw_len;
	return 0;
}

static int rd_uint(rd *r, uint64_t *out)
{
	hs_value v;

	if (rd_value(r, &v) != 0)
		return HS_ECORRUPT;
	if (v.kind == HS_UINT)
		*out = v.as.u;
	else if (v.kind == HS_INT && v.as.i >= 0)
		*out = (uint64_t)v.as.i;
	else
		return HS_ECORRUPT;
	return 0;
}

/* A name or id: a str of 1..max bytes without NUL (they are C strings
 * at the API and NUL separates them in index keys). */
static int rd_name(rd *r, size_t max, const char **s, size_t *n)
{
	hs_value v;

	if (rd_value(r, &v) != 0 || v.kind != HS_STR || v.len == 0 ||
	    v.len > max || memchr(v.as.str, '\0', v.len) != NULL)
		return HS_ECORRUPT;
	*s = v.as.str;
	*n = v.len;
	return 0;
}

static bool rd_nil(rd *r)
{
	if (r->p < r->end && r->p[0] == 0xc0) {
		r->p++;
		return true;
	}
	return false;
}

static int rd_cause(rd *r, hsi_cause *c)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	if (rd_nil(r))
		return 0;
	if (rd_array(r, &n) != 0 || n != CAUSE_FIELDS ||
	    rd_name(r, HS_NAME_MAX, &c->type, &c->type_len) != 0 ||
	    rd_name(r, HS_ID_MAX, &c->id, &c->id_len) != 0 ||
	    rd_uint(r, &c->seq) != 0 || rd_uint(r, &c->gseq) != 0 ||
	    c->seq == 0 || c->gseq == 0)
		return HS_ECORRUPT;
	return 0;
}

int hsi_record_decode(const void *data, size_t len, hsi_record *out)
{
	rd r = {data, (const uint8_t *)data + len};
	hsi_record rec;
	uint64_t u;
	hs_value v;
	size_t n;

	if (data == NULL)
		return HS_ECORRUPT;
	memset(&rec, 0, sizeof(rec));
	/* The version comes first and decides how to read the rest: a newer
	 * writer may have changed the shape after it. */
	if (rd_array(&r, &n) != 0 || n == 0 || rd_uint(&r, &u) != 0 || u == 0)
		return HS_ECORRUPT;
	if (u > HSI_FORMAT_VERSION)
		return HS_EVERSION;
	rec.version = (uint32_t)u;
	if (n != (rec.version == 1 ? RECORD_FIELDS : RECORD_FIELDS_V2) ||
	    rd_name(&r, HS_NAME_MAX, &rec.type, &rec.type_len) != 0 ||
	    rd_name(&r, HS_ID_MAX, &rec.id, &rec.id_len) != 0 ||
	    rd_uint(&r, &rec.seq) != 0 || rec.seq == 0 ||
	    rd_uint(&r, &rec.gseq) != 0)
		return HS_ECORRUPT;
	if (rd_value(&r, &v) != 0 || v.kind != HS_INT)
		return HS_ECORRUPT;
	rec.time_ns = v.as.i;
	if (rd_name(&r, HS_NAME_MAX, &rec.event_type, &rec.event_type_len) !=
	    0)
		return HS_ECORRUPT;
	if (!rd_nil(&r)) {
		const uint8_t *next;

		if (hsi_mp_skip(r.p, r.end, &next) != 0)
			return HS_ECORRUPT;
		rec.body = r.p;
		rec.body_len = (size_t)(next - r.p);
		r.p = next;
	}
	if (rd_cause(&r, &rec.cause) != 0 ||
	    rd_uint(&r, &rec.state_hash) != 0)
		return HS_ECORRUPT;
	rec.event_version = rec.state_version = 1;
	if (rec.version >= 2) {
		uint64_t ev, sv;
		if (rd_uint(&r, &ev) != 0 || rd_uint(&r, &sv) != 0 ||
		    ev == 0 || sv == 0 || ev > UINT32_MAX || sv > UINT32_MAX)
			return HS_ECORRUPT;
		rec.event_version = (uint32_t)ev;
		rec.state_version = (uint32_t)sv;
	}
	if (r.p != r.end)
		return HS_ECORRUPT;
	*out = rec;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pending timers (`timers` values)                                     */
/* ------------------------------------------------------------------ */

#define TIMER_FIELDS 7

int hsi_timer_value_encode(const hsi_timer_value *v, hs_buf *out)
{
	msgpack_packer pk;
	size_t start = out->len;
	int rc;

	hsi_packer_init(&pk, out);
	if ((rc = msgpack_pack_array(&pk, TIMER_FIELDS)) != 0 ||
	    (rc = msgpack_pack_int64(&pk, v->due_ns)) != 0 ||
	    (rc = pack_str(&pk, v->type, v->type_len)) != 0 ||
	    (rc = pack_str(&pk, v->id, v->id_len)) != 0 ||
	    (rc = pack_str(&pk, v->event, v->event_len)) != 0)
		goto fail;
	if (v->body_len == 0)
		rc = msgpack_pack_nil(&pk);
	else
		rc = hsi_buf_append(out, v->body, v->body_len);
	if (rc != 0 || (rc = msgpack_pack_uint64(&pk, v->set_seq)) != 0 ||
	    (rc = msgpack_pack_uint64(&pk, v->set_gseq)) != 0)
		goto fail;
	return 0;
fail:
	out->len = start;
	return HS_ENOMEM;
}

int hsi_timer_value_decode(const void *data, size_t len, hsi_timer_value *out)
{
	rd r = {data, (const uint8_t *)data + len};
	hsi_timer_value tv;
	hs_value v;
	size_t n;

	if (data == NULL)
		return HS_ECORRUPT;
	memset(&tv, 0, sizeof(tv));
	if (rd_array(&r, &n) != 0 || n != TIMER_FIELDS ||
	    rd_value(&r, &v) != 0 || v.kind != HS_INT)
		return HS_ECORRUPT;
	tv.due_ns = v.as.i;
	if (rd_name(&r, HS_NAME_MAX, &tv.type, &tv.type_len) != 0 ||
	    rd_name(&r, HS_ID_MAX, &tv.id, &tv.id_len) != 0 ||
	    rd_name(&r, HS_NAME_MAX, &tv.event, &tv.event_len) != 0)
		return HS_ECORRUPT;
	if (!rd_nil(&r)) {
		const uint8_t *next;

		if (hsi_mp_skip(r.p, r.end, &next) != 0)
			return HS_ECORRUPT;
		tv.body = r.p;
		tv.body_len = (size_t)(next - r.p);
		r.p = next;
	}
	if (rd_uint(&r, &tv.set_seq) != 0 || tv.set_seq == 0 ||
	    rd_uint(&r, &tv.set_gseq) != 0 || tv.set_gseq == 0 ||
	    r.p != r.end)
		return HS_ECORRUPT;
	*out = tv;
	return 0;
}
