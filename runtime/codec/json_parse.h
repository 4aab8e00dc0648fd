#ifndef HS_CODEC_JSON_PARSE_H
#define HS_CODEC_JSON_PARSE_H

#include <stddef.h>

#include "hindsight.h"

/*
 * JSON text -> msgpack, strictly (RFC 8259): the reverse of hs_json() for
 * the `hindsight import` command and anyone else who takes JSON in.
 *
 *   null, true, false   nil, bool
 *   integer             int (negative) or uint, shortest form; an integer
 *                       beyond 64 bits becomes a float64, and so does -0
 *                       (an integer cannot hold its sign)
 *   number with a fraction or exponent
 *                       float64
 *   string              str (escapes decoded, \uD83D\uDE00 pairs joined)
 *   array, object       array, map (keys are str, kept in their order,
 *                       duplicates kept), headers in their shortest form
 *
 * Refused, with the position of the first offending byte: anything outside
 * the grammar (trailing commas, comments, single quotes, NaN, leading
 * zeros or '+', bare words), raw control characters in strings, bytes
 * that are not UTF-8, lone surrogates, nesting deeper than max_depth
 * arrays and objects, and anything but whitespace after the value.
 */

/* Where a parse failed: 1-based line and column (the column counts bytes
 * from the start of the line), the byte offset, and a static text. */
typedef struct hsi_json_error {
	size_t line;
	size_t column;
	size_t offset;
	const char *what;
} hsi_json_error;

/*
 * Appends the msgpack form of the one JSON value in [text, text+len) to
 * out. max_depth bounds the nesting of arrays and objects (0 = only
 * scalars). Returns 0, HS_EBADMSG (malformed: *err says where and what,
 * out->len unchanged) or HS_ENOMEM (out->len unchanged). err may be NULL.
 * Thread-safe.
 */
int hsi_json_to_msgpack(hs_buf *out, const char *text, size_t len,
			unsigned max_depth, hsi_json_error *err);

#endif /* HS_CODEC_JSON_PARSE_H */
