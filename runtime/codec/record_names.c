#include "codec/record_names.h"

#include <string.h>

void hsi_copy_name(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	if (n != 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void hsi_name_record(hsi_named_record *nr, const hsi_record *r)
{
	bool caused = r->cause.seq != 0;

	hsi_copy_name(nr->type, sizeof(nr->type), r->type, r->type_len);
	hsi_copy_name(nr->id, sizeof(nr->id), r->id, r->id_len);
	hsi_copy_name(nr->event, sizeof(nr->event), r->event_type,
		      r->event_type_len);
	hsi_copy_name(nr->cause_type, sizeof(nr->cause_type), r->cause.type,
		      caused ? r->cause.type_len : 0);
	hsi_copy_name(nr->cause_id, sizeof(nr->cause_id), r->cause.id,
		      caused ? r->cause.id_len : 0);
	nr->pub = (hs_record){
		.agent = {nr->type, nr->id},
		.seq = r->seq,
		.gseq = r->gseq,
		.time_ns = r->time_ns,
		.event_type = nr->event,
		.body = r->body_len != 0 ? r->body : NULL,
		.body_len = r->body_len,
		.cause = {nr->cause_type, nr->cause_id},
		.cause_seq = r->cause.seq,
		.cause_gseq = caused ? r->cause.gseq : 0,
		.state_hash = r->state_hash,
		.event_version = r->event_version ? r->event_version : 1,
		.recorded_event_version =
			r->event_version ? r->event_version : 1,
		.state_version = r->state_version ? r->state_version : 1,
	};
}
