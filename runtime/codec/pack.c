#include "codec/pack.h"

#include <string.h>

#include "codec/mpread.h"
#include "common/buf.h"

static int buf_write(void *data, const char *p, size_t n)
{
	/* msgpack_pack_* return what this returns: HS_ENOMEM reaches the
	 * caller through every one of them. */
	return hsi_buf_append(data, p, n);
}

void hsi_packer_init(msgpack_packer *pk, hs_buf *buf)
{
	msgpack_packer_init(pk, buf, buf_write);
}

/*
 * A walk over the format. With pack false it only checks the format and
 * counts list items, touching neither arguments nor buffer; with pack true
 * it also takes the arguments and packs them.
 */
struct pf {
	const char *f; /* next format character */
	bool pack;
	hs_buf *buf;
	msgpack_packer pk;
	va_list ap;
};

static bool is_sep(char c)
{
	return c == ' ' || c == ',' || c == '\t' || c == '\n';
}

static const char *skip_sep(const char *f)
{
	while (is_sep(*f))
		f++;
	return f;
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* The ':' after the key that f starts with, or NULL if f starts no key. */
static const char *key_end(const char *f)
{
	const char *e = f;

	if (*e == '*')
		e++;
	else
		while (is_word(*e))
			e++;
	return e > f && *e == ':' ? e : NULL;
}

static int pack_bytes(msgpack_packer *pk, bool bin, const void *p, size_t n)
{
	if (p == NULL && n != 0)
		return HS_EINVAL;
	if (n > UINT32_MAX) /* msgpack-c would truncate the length */
		return HS_ERANGE;
	return bin ? msgpack_pack_bin_with_body(pk, p, n)
		   : msgpack_pack_str_with_body(pk, p, n);
}

/* Copies in an `m` argument nested inside `depth` containers. */
static int pack_raw(struct pf *s, unsigned depth)
{
	const uint8_t *p = va_arg(s->ap, const void *);
	size_t n = va_arg(s->ap, size_t);
	const uint8_t *next;

	if (p == NULL || n == 0)
		return HS_EBADMSG;
	/* The depth counts so that the result as a whole stays acceptable
	 * to hs_msgpack_check. */
	if (hsi_mp_skip_nested(p, p + n, depth, &next) != 0 || next != p + n)
		return HS_EBADMSG;
	return hsi_buf_append(s->buf, p, n);
}

static int conv(struct pf *s, char c, unsigned depth)
{
	msgpack_packer *pk = &s->pk;
	const void *p;
	size_t n;

	switch (c) {
	case 's':
		p = va_arg(s->ap, const char *);
		if (p == NULL)
			return msgpack_pack_nil(pk);
		return pack_bytes(pk, false, p, strlen(p));
	case 'S':
	case 'B':
		p = va_arg(s->ap, const void *);
		n = va_arg(s->ap, size_t);
		return pack_bytes(pk, c == 'B', p, n);
	case 'i':
		return msgpack_pack_int(pk, va_arg(s->ap, int));
	case 'I':
		return msgpack_pack_int64(pk, va_arg(s->ap, int64_t));
	case 'u':
		return msgpack_pack_unsigned_int(pk, va_arg(s->ap, unsigned));
	case 'U':
		return msgpack_pack_uint64(pk, va_arg(s->ap, uint64_t));
	case 'd':
		return msgpack_pack_double(pk, va_arg(s->ap, double));
	case 'b':
		return va_arg(s->ap, int) ? msgpack_pack_true(pk)
					  : msgpack_pack_false(pk);
	case 'n':
		return msgpack_pack_nil(pk);
	default: /* 'm' */
		return pack_raw(s, depth);
	}
}

/* Packs the key at s->f that ends at `colon`: the word itself, or for `*`
 * a string taken from the arguments. */
static int pack_key(struct pf *s, const char *colon)
{
	const char *key = s->f;
	size_t n = (size_t)(colon - s->f);

	if (*key == '*') {
		key = va_arg(s->ap, const char *);
		if (key == NULL)
			return HS_EINVAL;
		n = strlen(key);
	}
	return pack_bytes(&s->pk, false, key, n);
}

static int value(struct pf *s, unsigned depth);

/*
 * The items of a list up to `close` ('\0' for a bare top-level list) of a
 * map or array at nesting `depth` (1 for the outermost); *count gets how
 * many there are.
 */
static int list(struct pf *s, char close, bool map, unsigned depth,
		size_t *count)
{
	size_t n = 0;
	int rc;

	if (depth > HSI_MP_MAX_DEPTH)
		return HS_EFORMAT;
	if (s->pack) {
		/* msgpack puts the count first: walk the list once without
		 * packing to learn it. */
		struct pf scan = {.f = s->f};

		rc = list(&scan, close, map, depth, &n);
		if (rc == 0)
			rc = map ? msgpack_pack_map(&s->pk, n)
				 : msgpack_pack_array(&s->pk, n);
		if (rc != 0)
			return rc;
		n = 0;
	}
	for (;;) {
		const char *colon;

		s->f = skip_sep(s->f);
		if (*s->f == close)
			break;
		colon = key_end(s->f);
		/* Unbalanced, a key outside a map, or a map value without
		 * one. */
		if (*s->f == '\0' || (colon != NULL) != map)
			return HS_EFORMAT;
		if (colon != NULL) {
			rc = s->pack ? pack_key(s, colon) : 0;
			if (rc != 0)
				return rc;
			s->f = colon + 1;
			while (*s->f == ' ')
				s->f++;
		}
		rc = value(s, depth);
		if (rc != 0)
			return rc;
		n++;
		if (!is_sep(*s->f) && *s->f != close && *s->f != '\0')
			return HS_EFORMAT;
	}
	if (close != '\0')
		s->f++;
	*count = n;
	return 0;
}

/* One value nested inside `depth` containers. */
static int value(struct pf *s, unsigned depth)
{
	char c = *s->f;
	size_t n;

	if (c == '\0' || strchr("sSBiIuUdbnm{[", c) == NULL)
		return HS_EFORMAT;
	s->f++;
	if (c == '{')
		return list(s, '}', true, depth + 1, &n);
	if (c == '[')
		return list(s, ']', false, depth + 1, &n);
	return s->pack ? conv(s, c, depth) : 0;
}

static int top(struct pf *s)
{
	size_t n;
	int rc;

	s->f = skip_sep(s->f);
	if (*s->f == '\0' || key_end(s->f) != NULL)
		return list(s, '\0', true, 1, &n);
	rc = value(s, 0);
	if (rc == 0 && *skip_sep(s->f) != '\0')
		rc = HS_EFORMAT;
	return rc;
}

int hs_vpackf(hs_buf *buf, const char *fmt, va_list ap)
{
	struct pf s = {.f = fmt};
	size_t len0;
	int rc;

	if (buf == NULL)
		return HS_EINVAL;
	if (fmt == NULL)
		return HS_EFORMAT;
	/* Check the whole format before taking any argument. */
	rc = top(&s);
	if (rc != 0)
		return rc;

	len0 = buf->len;
	s.f = fmt;
	s.pack = true;
	s.buf = buf;
	hsi_packer_init(&s.pk, buf);
	/* A copy in the struct lets the helpers share one argument cursor. */
	va_copy(s.ap, ap);
	rc = top(&s);
	va_end(s.ap);
	if (rc != 0)
		buf->len = len0;
	return rc;
}

int hs_packf(hs_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = hs_vpackf(buf, fmt, ap);
	va_end(ap);
	return rc;
}
