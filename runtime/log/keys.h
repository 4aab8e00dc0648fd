#ifndef HS_LOG_KEYS_H
#define HS_LOG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

/*
 * Keys of the log (docs/FORMAT.md): integers are 8 bytes big-endian so that
 * byte order is numeric order; agent keys are type \0 id \0 seq. Names and
 * ids never contain NUL, so the prefix type \0 id \0 holds exactly one
 * agent's keys ("a" and "ab" do not share one).
 */

#define HSI_KEY_SEQ 8
/* type \0 id \0 */
#define HSI_PREFIX_MAX (HS_NAME_MAX + 1 + HS_ID_MAX + 1)
/* prefix + time + seq (a times key; agents keys are shorter), plus room
 * for one byte past the end of a range */
#define HSI_KEY_MAX (HSI_PREFIX_MAX + 2 * HSI_KEY_SEQ + 1)
/* Text forms for messages: hex, or type/id/seq with escapes. */
#define HSI_KEY_TEXT_MAX (4 * HSI_KEY_MAX + 32)

void hsi_be64_put(uint8_t *p, uint64_t v);
uint64_t hsi_be64_get(const uint8_t *p);

/* True when (type, id) can be part of a key: 1..HS_NAME_MAX and
 * 1..HS_ID_MAX bytes, no NUL. */
bool hsi_key_addr_ok(const char *type, size_t type_len, const char *id,
		     size_t id_len);

/* Writes type \0 id \0 to out (HSI_PREFIX_MAX bytes of room) and returns
 * its length. The address must pass hsi_key_addr_ok. */
size_t hsi_key_prefix(uint8_t *out, const char *type, size_t type_len,
		      const char *id, size_t id_len);

/* Writes time, then seq (8 bytes BE each; the time with its sign bit
 * flipped, so that byte order is numeric order for negative times too):
 * the tail of a times key. Returns 16. */
size_t hsi_key_time_seq(uint8_t *out, int64_t time_ns, uint64_t seq);

/* Splits an agents/snapshots key. Returns 0 or HS_ECORRUPT; the pointers
 * point into key. */
int hsi_key_parse(const uint8_t *key, size_t len, const char **type,
		  size_t *type_len, const char **id, size_t *id_len,
		  uint64_t *seq);

/* Hex of a key (shortened with "..." when long) into out[cap]. */
void hsi_key_hex(const void *key, size_t len, char *out, size_t cap);

/* A readable form of an agent key: type/id/seq, with bytes outside
 * printable ASCII and '/' '\' written as \xNN. */
void hsi_key_text(const char *type, size_t type_len, const char *id,
		  size_t id_len, uint64_t seq, char *out, size_t cap);

/* hsi_key_text of a raw agents/snapshots key, or its hex if it does not
 * parse. */
void hsi_key_any_text(const uint8_t *key, size_t len, char *out, size_t cap);

#endif /* HS_LOG_KEYS_H */
