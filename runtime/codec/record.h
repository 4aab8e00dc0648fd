#ifndef HS_CODEC_RECORD_H
#define HS_CODEC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

/* The newest record version this library reads (docs/FORMAT.md). It
 * writes version 1 (10 elements) for records whose event and state
 * versions are both 1, and version 2 (12 elements: the two versions
 * appended) otherwise, so that a type that never declared versions writes
 * the same bytes as before versions existed. */
#define HSI_FORMAT_VERSION 2

/* The transition that caused another one; seq == 0 means none. */
typedef struct hsi_cause {
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
	uint64_t seq;
	uint64_t gseq;
} hsi_cause;

/* A stored transition. Decoded records point into the decoded buffer;
 * strings are NOT NUL-terminated. */
typedef struct hsi_record {
	uint32_t version;
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
	uint64_t seq;
	uint64_t gseq;
	int64_t time_ns;
	const char *event_type;
	size_t event_type_len;
	const uint8_t *body; /* one msgpack value, or NULL when body_len 0 */
	size_t body_len;
	hsi_cause cause;
	uint64_t state_hash;
	/* The schema versions of the code that wrote it (hs_type
	 * event_version and state_version); 1 in a version-1 record. To
	 * encode, 0 means 1. */
	uint32_t event_version;
	uint32_t state_version;
} hsi_record;

/* Appends the encoded record to out (its version chosen from the schema
 * versions; r->version is ignored). The gseq is written as a fixed-width
 * integer whose 8 bytes start at *gseq_off (relative to out->data), so that
 * the group-commit writer can patch it with hsi_record_patch_gseq once the
 * record's place in the log is known. Returns 0 or HS_ENOMEM (out->len
 * unchanged). */
int hsi_record_encode(const hsi_record *r, hs_buf *out, size_t *gseq_off);

void hsi_record_patch_gseq(uint8_t *rec, size_t gseq_off, uint64_t gseq);

/* Decodes one stored record; all pointers point into `data`. Returns 0,
 * HS_EVERSION (format newer than this library), or HS_ECORRUPT (anything
 * that does not decode: wrong shape, wrong field types, trailing bytes,
 * body that is not one msgpack value). */
int hsi_record_decode(const void *data, size_t len, hsi_record *out);

/* A pending timer as the log's `timers` column family stores it
 * (docs/FORMAT.md); the key holds its owner and name. Decoded values point
 * into the decoded buffer; strings are NOT NUL-terminated. */
typedef struct hsi_timer_value {
	int64_t due_ns;
	const char *type; /* the target */
	size_t type_len;
	const char *id;
	size_t id_len;
	const char *event;
	size_t event_len;
	const uint8_t *body; /* one msgpack value, or NULL when body_len 0 */
	size_t body_len;
	uint64_t set_seq;  /* the owner's transition that set it */
	uint64_t set_gseq;
} hsi_timer_value;

/* Appends the encoded value to out. Returns 0 or HS_ENOMEM (out->len
 * unchanged). */
int hsi_timer_value_encode(const hsi_timer_value *v, hs_buf *out);

/* Decodes one stored value. Returns 0 or HS_ECORRUPT. */
int hsi_timer_value_decode(const void *data, size_t len,
			   hsi_timer_value *out);

/* The 64-bit hash stored with each record: FNV-1a 64 of the encoded state. */
uint64_t hsi_state_hash(const void *data, size_t len);

#endif
