#ifndef HS_CODEC_JSON_H
#define HS_CODEC_JSON_H

#include "hindsight.h"

/*
 * Appends the bytes [s, s+n) as a JSON string literal, quotes included,
 * escaped as hs_json() escapes msgpack strings: '"' and '\' with a
 * backslash, control characters as \u00XX, each byte that is not part of
 * valid UTF-8 as \ufffd, everything else as is. Returns 0 or HS_ENOMEM
 * (out->len restored).
 */
int hsi_json_str(hs_buf *out, const void *s, size_t n);

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) that starts with the non-ASCII
 * byte s[0] of [s, s+n), or 0 when there is none. */
size_t hsi_utf8_len(const uint8_t *s, size_t n);

#endif /* HS_CODEC_JSON_H */
