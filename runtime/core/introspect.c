#include "core/introspect.h"

#include <stdlib.h>

#include "core/runtime.h"
#include "core/types.h"

bool hsi_introspect_has_type(hs_runtime *rt, const char *type)
{
	return rt != NULL && type != NULL && hsi_type_find(rt, type) != NULL;
}

int hsi_introspect_initial_state(hs_runtime *rt, const char *type,
				 const char *id, hs_buf *out)
{
	if (rt == NULL || type == NULL || id == NULL)
		return HS_EINVAL;
	const hsi_type *t = hsi_type_find(rt, type);
	if (t == NULL)
		return HS_ENOTYPE;
	void *state = calloc(1, t->def.state_size);
	if (state == NULL)
		return HS_ENOMEM;
	size_t start = out->len;
	int rc = 0;
	if (t->def.init != NULL) {
		hs_addr self = {t->name, id};
		rc = t->def.init(state, &self, t->def.udata);
		if (rc > 0)
			rc = HS_EHANDLER;
	}
	if (rc == 0) {
		rc = t->def.encode(state, out, t->def.udata);
		if (rc > 0)
			rc = HS_EHANDLER;
		if (rc != 0)
			out->len = start;
	}
	/* destroy runs after a failed init too: init may have allocated
	 * part of the state before it failed. */
	if (t->def.destroy != NULL)
		t->def.destroy(state, t->def.udata);
	free(state);
	return rc;
}
