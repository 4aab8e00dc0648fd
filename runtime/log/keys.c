#include "log/keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hsi_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t hsi_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool name_ok(const char *s, size_t n, size_t max)
{
	return s != NULL && n > 0 && n <= max && memchr(s, '\0', n) == NULL;
}

bool hsi_key_addr_ok(const char *type, size_t type_len, const char *id,
		     size_t id_len)
{
	return name_ok(type, type_len, HS_NAME_MAX) &&
	       name_ok(id, id_len, HS_ID_MAX);
}

size_t hsi_key_prefix(uint8_t *out, const char *type, size_t type_len,
		      const char *id, size_t id_len)
{
	memcpy(out, type, type_len);
	out[type_len] = '\0';
	memcpy(out + type_len + 1, id, id_len);
	out[type_len + 1 + id_len] = '\0';
	return type_len + id_len + 2;
}

int hsi_key_parse(const uint8_t *key, size_t len, const char **type,
		  size_t *type_len, const char **id, size_t *id_len,
		  uint64_t *seq)
{
	const uint8_t *nul;
	size_t tn, in;

	/* The seq may hold zero bytes: the type ends at the first NUL, the
	 * id at the NUL just before the seq. */
	if (len < 1 + 1 + 1 + 1 + HSI_KEY_SEQ)
		return HS_ECORRUPT;
	nul = memchr(key, '\0', len - HSI_KEY_SEQ);
	if (nul == NULL || key[len - HSI_KEY_SEQ - 1] != '\0')
		return HS_ECORRUPT;
	tn = (size_t)(nul - key);
	if (tn + 1 > len - HSI_KEY_SEQ - 1)
		return HS_ECORRUPT;
	in = len - HSI_KEY_SEQ - 1 - (tn + 1);
	if (!hsi_key_addr_ok((const char *)key, tn, (const char *)key + tn + 1,
			     in))
		return HS_ECORRUPT;
	*type = (const char *)key;
	*type_len = tn;
	*id = (const char *)key + tn + 1;
	*id_len = in;
	*seq = hsi_be64_get(key + len - HSI_KEY_SEQ);
	return 0;
}

void hsi_key_hex(const void *key, size_t len, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *k = key;
	size_t o = 0;

	if (cap < 8) {
		if (cap > 0)
			out[0] = '\0';
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (o + 2 + 4 > cap) { /* two digits, "...", NUL */
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		out[o++] = digits[k[i] >> 4];
		out[o++] = digits[k[i] & 15];
	}
	out[o < cap ? o : cap - 1] = '\0';
}

/* Appends s[0..n) escaped; returns the new offset (kept < cap). */
static size_t put_escaped(char *out, size_t cap, size_t o, const char *s,
			  size_t n)
{
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '/' || c == '\\')
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

void hsi_key_text(const char *type, size_t type_len, const char *id,
		  size_t id_len, uint64_t seq, char *out, size_t cap)
{
	size_t o;

	if (cap < 32) {
		if (cap > 0)
			out[0] = '\0';
		return;
	}
	o = put_escaped(out, cap - 22, 0, type, type_len);
	out[o++] = '/';
	o = put_escaped(out, cap - 22, o, id, id_len);
	snprintf(out + o, cap - o, "/%" PRIu64, seq);
}

void hsi_key_any_text(const uint8_t *key, size_t len, char *out, size_t cap)
{
	const char *t, *i;
	size_t tn, in;
	uint64_t seq;

	if (hsi_key_parse(key, len, &t, &tn, &i, &in, &seq) == 0)
		hsi_key_text(t, tn, i, in, seq, out, cap);
	else
		hsi_key_hex(key, len, out, cap);
}

size_t hsi_key_time_seq(uint8_t *out, int64_t time_ns, uint64_t seq)
{
	hsi_be64_put(out, (uint64_t)time_ns ^ ((uint64_t)1 << 63));
	hsi_be64_put(out + HSI_KEY_SEQ, seq);
	return 2 * HSI_KEY_SEQ;
}
