#ifndef HS_CODEC_RECORD_NAMES_H
#define HS_CODEC_RECORD_NAMES_H

#include <stddef.h>

#include "codec/record.h"

/* A decoded record as an hs_record for a callback or for printing:
 * NUL-terminated copies of its names. */
typedef struct hsi_named_record {
	hs_record pub;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event[HS_NAME_MAX + 1];
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
} hsi_named_record;

/* Copies n bytes of src into dst (cap > 0) and NUL-terminates it,
 * truncated to cap - 1 bytes. */
void hsi_copy_name(char *dst, size_t cap, const char *src, size_t n);

/* Fills nr from r. Without a cause, the cause's names are "" and
 * cause_seq and cause_gseq 0; without a body, body is NULL. nr->pub
 * points into nr (the names) and into r's buffer (the body): it is valid
 * while both are. */
void hsi_name_record(hsi_named_record *nr, const hsi_record *r);

#endif /* HS_CODEC_RECORD_NAMES_H */
