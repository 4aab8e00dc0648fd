#ifndef HS_CODEC_BASE64_H
#define HS_CODEC_BASE64_H

/* Base64 (RFC 4648, standard alphabet, with padding): binary values in
 * JSON (json.c), and the exact bytes of a state in the snapshot lines of
 * `hindsight export` and `import`. */

#include <stddef.h>

#include "hindsight.h"

/* Appends the base64 of data[0..n) to b (no quotes). 0 or HS_ENOMEM. */
int hsi_base64_put(hs_buf *b, const void *data, size_t n);

/* Decodes s[0..n) and appends the bytes to out. Strict: only the standard
 * alphabet, a length that is a multiple of 4, `=` only as the padding at
 * the end, no whitespace, and padding bits zero (so that each byte string
 * has one text). Returns 0, HS_EBADMSG (out as it was) or HS_ENOMEM. */
int hsi_base64_decode(hs_buf *out, const char *s, size_t n);

#endif /* HS_CODEC_BASE64_H */
