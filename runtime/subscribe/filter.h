/*
 * A subscription's filters: the agent type, agent id and event type it
 * asks for (NULL = any), matched against a transition shown to the
 * durable watcher (NUL-terminated names) and against a record read from
 * the log (counted names). Both must agree: a record is delivered from
 * either source.
 */
#ifndef HS_SUBSCRIBE_FILTER_H
#define HS_SUBSCRIBE_FILTER_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "hindsight.h"

typedef struct hsi_sub_filter {
	char *type; /* owned copies, NULL = any */
	char *id;
	char *event;
} hsi_sub_filter;

/* Copies one filter string into *dst (NULL stays NULL). Returns 0,
 * HS_EINVAL (empty), HS_ETOOLONG (longer than max) or HS_ENOMEM. */
static inline int hsi_sub_filter_put(char **dst, const char *src, size_t max)
{
	*dst = NULL;
	if (src == NULL)
		return 0;
	size_t n = strnlen(src, max + 1);
	if (n == 0)
		return HS_EINVAL;
	if (n > max)
		return HS_ETOOLONG;
	if ((*dst = malloc(n + 1)) == NULL)
		return HS_ENOMEM;
	memcpy(*dst, src, n + 1);
	return 0;
}

/* Fills f from the options' strings; on failure f holds nothing. */
static inline int hsi_sub_filter_init(hsi_sub_filter *f, const char *type,
				      const char *id, const char *event)
{
	memset(f, 0, sizeof(*f));
	int rc = hsi_sub_filter_put(&f->type, type, HS_NAME_MAX);
	if (rc == 0)
		rc = hsi_sub_filter_put(&f->id, id, HS_ID_MAX);
	if (rc == 0)
		rc = hsi_sub_filter_put(&f->event, event, HS_NAME_MAX);
	if (rc != 0) {
		free(f->type);
		free(f->id);
		free(f->event);
		memset(f, 0, sizeof(*f));
	}
	return rc;
}

static inline void hsi_sub_filter_destroy(hsi_sub_filter *f)
{
	free(f->type);
	free(f->id);
	free(f->event);
	memset(f, 0, sizeof(*f));
}

static inline bool hsi_sub_name_is(const char *want, const char *s, size_t n)
{
	return want == NULL ||
	       (strlen(want) == n && (n == 0 || memcmp(want, s, n) == 0));
}

static inline bool hsi_sub_filter_transition(const hsi_sub_filter *f,
					     const hs_transition *t)
{
	return (f->type == NULL || strcmp(f->type, t->agent.type) == 0) &&
	       (f->id == NULL || strcmp(f->id, t->agent.id) == 0) &&
	       (f->event == NULL || strcmp(f->event, t->event_type) == 0);
}

static inline bool hsi_sub_filter_record(const hsi_sub_filter *f,
					 const hsi_record *r)
{
	return hsi_sub_name_is(f->type, r->type, r->type_len) &&
	       hsi_sub_name_is(f->id, r->id, r->id_len) &&
	       hsi_sub_name_is(f->event, r->event_type, r->event_type_len);
}

#endif
