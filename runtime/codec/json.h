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

#endif /* HS_CODEC_JSON_H */
