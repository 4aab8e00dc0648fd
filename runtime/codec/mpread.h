#ifndef HS_CODEC_MPREAD_H
#define HS_CODEC_MPREAD_H

#include "hindsight.h"

/*
 * Reading msgpack in place: no allocation, no recursion. Every function
 * reads only [p, end) and returns HS_EBADMSG for anything malformed there
 * (truncation, the unused byte 0xc1, nesting deeper than the limit).
 */

/* Deepest nesting of arrays and maps accepted. msgpack-c's unpacker refuses
 * more (MSGPACK_EMBED_STACK_SIZE), and what passes hs_msgpack_check() must
 * stay readable by it. */
#define HSI_MP_MAX_DEPTH 32

/* Checks the one value that starts at p and sets *next just past it.
 * Returns 0 or HS_EBADMSG (*next untouched). */
int hsi_mp_skip(const uint8_t *p, const uint8_t *end, const uint8_t **next);

/* hsi_mp_skip() for a value nested inside `depth` open arrays or maps,
 * which count against HSI_MP_MAX_DEPTH. */
int hsi_mp_skip_nested(const uint8_t *p, const uint8_t *end, unsigned depth,
		       const uint8_t **next);

/*
 * Checks the value at p and describes it in *out (raw/raw_len span it).
 * For HS_EXT, as.i is the ext type and len the data length. When `inner`
 * is not NULL it gets the first element of an array or map, or the
 * payload of a str, bin or ext. Returns 0 or HS_EBADMSG; out-parameters
 * are written only on success.
 */
int hsi_mp_read(const uint8_t *p, const uint8_t *end, hs_value *out,
		const uint8_t **inner);

/*
 * Finds the pair with key `key` (compared with str and bin keys) in the map
 * at p and sets *val to its value, which is not checked. Only what the
 * search passes over is checked. Returns 0, HS_ENOTFOUND (no such key, or
 * p is not a map) or HS_EBADMSG.
 */
int hsi_mp_find(const uint8_t *p, const uint8_t *end, const char *key,
		size_t key_len, const uint8_t **val);

#endif /* HS_CODEC_MPREAD_H */
