#include "codec/mpread.h"

#include <string.h>

static int64_t sign_extend(uint64_t x, unsigned width)
{
	switch (width) {
	case 1:
		return (int8_t)x;
	case 2:
		return (int16_t)x;
	case 4:
		return (int32_t)x;
	default:
		return (int64_t)x;
	}
}

/*
 * Decodes the tag of the value at p and the fixed-size fields after it
 * into *v (everything but raw/raw_len): the scalar, or len = payload bytes
 * or element count. *hdr gets the bytes before the payload or the first
 * element. A str, bin or ext payload is known to fit before end.
 */
static int head(const uint8_t *p, const uint8_t *end, hs_value *v,
		size_t *hdr)
{
	size_t avail = (size_t)(end - p);
	unsigned width = 0; /* bytes of the big-endian field after the tag */
	bool sign = false;
	uint64_t x = 0;
	uint8_t c;

	if (avail == 0)
		return HS_EBADMSG;
	c = p[0];
	v->len = 0;
	*hdr = 1;
	if (c <= 0x7f || c >= 0xe0) {
		v->kind = HS_INT;
		v->as.i = (int8_t)c;
		return 0;
	} else if (c <= 0x8f) {
		v->kind = HS_MAP;
		v->len = c & 0x0f;
		return 0;
	} else if (c <= 0x9f) {
		v->kind = HS_ARRAY;
		v->len = c & 0x0f;
		return 0;
	} else if (c <= 0xbf) {
		v->kind = HS_STR;
		v->len = c & 0x1f;
		goto payload;
	}

	switch (c) {
	case 0xc0:
		v->kind = HS_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		v->kind = HS_BOOL;
		v->as.b = c & 1;
		return 0;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		v->kind = HS_BIN;
		width = 1u << (c - 0xc4);
		break;
	case 0xc7:
	case 0xc8:
	case 0xc9:
		v->kind = HS_EXT;
		width = 1u << (c - 0xc7);
		break;
	case 0xca:
	case 0xcb:
		v->kind = HS_FLOAT;
		width = c == 0xca ? 4 : 8;
		break;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		v->kind = HS_INT;
		width = 1u << (c - 0xcc);
		break;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3:
		v->kind = HS_INT;
		sign = true;
		width = 1u << (c - 0xd0);
		break;
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xd8:
		v->kind = HS_EXT;
		v->len = (size_t)1 << (c - 0xd4);
		goto ext;
	case 0xd9:
	case 0xda:
	case 0xdb:
		v->kind = HS_STR;
		width = 1u << (c - 0xd9);
		break;
	case 0xdc:
	case 0xdd:
		v->kind = HS_ARRAY;
		width = 2u << (c - 0xdc);
		break;
	case 0xde:
	case 0xdf:
		v->kind = HS_MAP;
		width = 2u << (c - 0xde);
		break;
	default: /* 0xc1, never used */
		return HS_EBADMSG;
	}

	if (avail - 1 < width)
		return HS_EBADMSG;
	for (unsigned i = 1; i <= width; i++)
		x = x << 8 | p[i];
	*hdr = 1 + width;

	switch (v->kind) {
	case HS_INT:
		if (sign) {
			v->as.i = sign_extend(x, width);
		} else if (x > INT64_MAX) {
			v->kind = HS_UINT;
			v->as.u = x;
		} else {
			v->as.i = (int64_t)x;
		}
		return 0;
	case HS_FLOAT:
		if (width == 4) {
			uint32_t u = (uint32_t)x;
			float f;

			memcpy(&f, &u, sizeof(f));
			v->as.f = f;
		} else {
			memcpy(&v->as.f, &x, sizeof(v->as.f));
		}
		return 0;
	case HS_ARRAY:
	case HS_MAP:
		v->len = (size_t)x;
		return 0;
	case HS_EXT:
		v->len = (size_t)x;
		break;
	default:
		v->len = (size_t)x;
		goto payload;
	}

ext:
	if (avail - *hdr < 1)
		return HS_EBADMSG;
	v->as.i = (int8_t)p[*hdr];
	*hdr += 1;
payload:
	if (avail - *hdr < v->len)
		return HS_EBADMSG;
	if (v->kind != HS_EXT)
		v->as.str = (const char *)p + *hdr;
	return 0;
}

int hsi_mp_skip_nested(const uint8_t *p, const uint8_t *end, unsigned depth,
		       const uint8_t **next)
{
	/* Values still to read in each open container: an explicit stack
	 * instead of recursion, so hostile nesting cannot overflow ours. */
	uint64_t left[HSI_MP_MAX_DEPTH];
	unsigned room, top = 0;
	hs_value v;
	size_t hdr;
	int rc;

	room = depth < HSI_MP_MAX_DEPTH ? HSI_MP_MAX_DEPTH - depth : 0;
	for (;;) {
		rc = head(p, end, &v, &hdr);
		if (rc != 0)
			return rc;
		if (v.kind == HS_ARRAY || v.kind == HS_MAP) {
			uint64_t n = v.len;

			if (top >= room)
				return HS_EBADMSG;
			p += hdr;
			if (v.kind == HS_MAP)
				n *= 2;
			/* Each value takes a byte at least: fail a huge
			 * count now rather than at the end of the data. */
			if (n > (size_t)(end - p))
				return HS_EBADMSG;
			if (n > 0) {
				left[top++] = n;
				continue;
			}
		} else {
			p += hdr + v.len; /* len is 0 for other scalars */
		}
		/* One value is done: close the containers it completes. */
		while (top > 0 && --left[top - 1] == 0)
			top--;
		if (top == 0)
			break;
	}
	*next = p;
	return 0;
}

int hsi_mp_skip(const uint8_t *p, const uint8_t *end, const uint8_t **next)
{
	return hsi_mp_skip_nested(p, end, 0, next);
}

/* The end of the value at p whose head() is v and hdr: a scalar's is
 * known (head() checked that its payload fits), only a container needs
 * the walk. */
static inline int value_end(const uint8_t *p, const uint8_t *end,
			    unsigned depth, const hs_value *v, size_t hdr,
			    const uint8_t **next)
{
	if (v->kind == HS_ARRAY || v->kind == HS_MAP)
		return hsi_mp_skip_nested(p, end, depth, next);
	/* len is the payload of a str, bin or ext, 0 for other scalars. */
	*next = p + hdr +
		(v->kind == HS_STR || v->kind == HS_BIN || v->kind == HS_EXT
			 ? v->len
			 : 0);
	return 0;
}

int hsi_mp_read(const uint8_t *p, const uint8_t *end, hs_value *out,
		const uint8_t **inner)
{
	const uint8_t *next;
	hs_value v;
	size_t hdr;
	int rc;

	rc = head(p, end, &v, &hdr);
	if (rc == 0)
		rc = value_end(p, end, 0, &v, hdr, &next);
	if (rc != 0)
		return rc;
	/* Field by field: a struct copy reads v back in 16-byte loads that
	 * span the smaller stores head() just made, and stalls on each
	 * (store forwarding fails): a third of this function's time in W2. */
	out->kind = v.kind;
	out->as = v.as;
	out->len = v.len;
	out->raw = p;
	out->raw_len = (size_t)(next - p);
	if (inner != NULL)
		*inner = p + hdr;
	return 0;
}

int hsi_mp_find(const uint8_t *p, const uint8_t *end, const char *key,
		size_t key_len, const uint8_t **val)
{
	hs_value v, k, x;
	size_t hdr;
	int rc;

	rc = head(p, end, &v, &hdr);
	if (rc != 0)
		return rc;
	if (v.kind != HS_MAP)
		return HS_ENOTFOUND;
	p += hdr;
	for (size_t i = 0; i < v.len; i++) {
		rc = head(p, end, &k, &hdr);
		if (rc != 0)
			return rc;
		if ((k.kind == HS_STR || k.kind == HS_BIN) &&
		    k.len == key_len && memcmp(k.as.str, key, key_len) == 0) {
			*val = p + hdr + key_len;
			return 0;
		}
		/* The key, then its value. */
		rc = value_end(p, end, 1, &k, hdr, &p);
		if (rc == 0)
			rc = head(p, end, &x, &hdr);
		if (rc == 0)
			rc = value_end(p, end, 1, &x, hdr, &p);
		if (rc != 0)
			return rc;
	}
	return HS_ENOTFOUND;
}

int hs_msgpack_check(const void *data, size_t len)
{
	const uint8_t *p = data, *next;

	if (data == NULL || len == 0)
		return HS_EBADMSG;
	if (hsi_mp_skip(p, p + len, &next) != 0 || next != p + len)
		return HS_EBADMSG;
	return 0;
}
