/* Base64 (base64.h). */
#include "codec/base64.h"

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "abcdefghijklmnopqrstuvwxyz0123456789+/";

int hsi_base64_put(hs_buf *b, const void *data, size_t n)
{
	const uint8_t *s = data;
	uint32_t v;
	size_t i;
	char *o;

	if (n == 0) /* b->data may be NULL: no pointer arithmetic on it */
		return 0;
	if (n / 3 >= (SIZE_MAX - 8) / 4 ||
	    hsi_buf_reserve(b, (n + 2) / 3 * 4) != 0)
		return HS_ENOMEM;
	o = (char *)b->data + b->len;
	for (i = 0; n - i >= 3; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (n - i > 0) {
		v = (uint32_t)s[i] << 16;
		if (n - i == 2)
			v |= (uint32_t)s[i + 1] << 8;
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = n - i == 2 ? tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t)(o - (char *)b->data);
	return 0;
}

static int digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int hsi_base64_decode(hs_buf *out, const char *s, size_t n)
{
	size_t pad = 0;

	if (n % 4 != 0)
		return HS_EBADMSG;
	if (n == 0) /* out->data may be NULL: no pointer arithmetic on it */
		return 0;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if (hsi_buf_reserve(out, n / 4 * 3) != 0)
		return HS_ENOMEM;
	uint8_t *o = out->data + out->len;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = last && j >= 4 - pad ? 0 : digit(s[i + j]);

			if (d < 0)
				return HS_EBADMSG;
			v = v << 6 | (uint32_t)d;
		}
		*o++ = (uint8_t)(v >> 16);
		if (!last || pad < 2)
			*o++ = (uint8_t)(v >> 8);
		if (!last || pad < 1)
			*o++ = (uint8_t)v;
		/* the bits that padding leaves over must be zero */
		if (last && ((pad == 1 && (v & 0xff) != 0) ||
			     (pad == 2 && (v & 0xffff) != 0)))
			return HS_EBADMSG;
	}
	out->len = (size_t)(o - out->data);
	return 0;
}
