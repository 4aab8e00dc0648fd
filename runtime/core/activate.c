/* Bringing an agent that is not in memory back from its log. */
#include "core/runtime.h"
#include "replay/rebuild.h"

int hsi_agent_load(hs_runtime *rt, const hsi_type *type, const char *id,
		   size_t id_len, uint32_t hash, hsi_agent **out)
{
	if (rt->log == NULL)
		return HS_ENOAGENT;
	uint64_t last_seq, last_gseq;
	int rc = hsi_log_agent_last(rt->log, type->name, type->name_len, id,
				    id_len, &last_seq, &last_gseq);
	if (rc == HS_ENOTFOUND)
		return HS_ENOAGENT;
	if (rc != 0) {
		hsi_set_log_error(rt);
		return rc;
	}
	hsi_agent *a;
	rc = hsi_agent_new(type, id, id_len, hash, false, &a);
	if (rc != 0)
		return rc;
	rc = hsi_rebuild(rt, type, a->id, id_len, last_seq, a->state, NULL,
			 &a->last_time);
	if (rc != 0) {
		hsi_agent_free(a);
		return rc == HS_ENOAGENT ? HS_ECORRUPT : rc;
	}
	a->seq = last_seq;
	*out = a;
	return 0;
}
