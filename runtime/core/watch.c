#include "core/watch.h"

#include <stdlib.h>
#include <string.h>

#include "core/runtime.h"

void hsi_watchers_init(hsi_watchers *ws, hs_watch_fn sink, void *udata)
{
	pthread_rwlock_init(&ws->lock, NULL);
	ws->sink = (hsi_watcher){sink, udata, 0, 0};
}

void hsi_watchers_destroy(hsi_watchers *ws)
{
	free(ws->before);
	free(ws->durable);
	pthread_rwlock_destroy(&ws->lock);
}

static int add(hsi_watchers *ws, hsi_watcher **list, size_t *n,
	       atomic_size_t *hint, hsi_watcher w, hsi_writer *writer,
	       uint64_t *from)
{
	hsi_watcher *grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (grown == NULL)
		return HS_ENOMEM;
	*list = grown;
	w.id = ++ws->next_id;
	if (writer != NULL)
		w.from_gseq = hsi_writer_durable_add(writer);
	*from = w.from_gseq;
	grown[(*n)++] = w;
	atomic_store_explicit(hint, *n, memory_order_relaxed);
	return w.id;
}

static int watch(hs_runtime *rt, bool durable, hs_watch_fn fn, void *udata,
		 int *id, uint64_t *from)
{
	if (rt == NULL || fn == NULL)
		return HS_EINVAL;
	if (durable && (rt->log == NULL || rt->opts.read_only))
		return HS_ENOTSUP;
	hsi_watchers *ws = &rt->watchers;
	hsi_watcher w = {fn, udata, 0, 0};
	pthread_rwlock_wrlock(&ws->lock);
	uint64_t first = 0;
	int rc = durable ? add(ws, &ws->durable, &ws->ndurable,
			       &ws->ndurable_hint, w, &rt->writer, &first)
			 : add(ws, &ws->before, &ws->nbefore,
			       &ws->nbefore_hint, w, NULL, &first);
	pthread_rwlock_unlock(&ws->lock);
	if (rc < 0)
		return rc;
	if (id != NULL)
		*id = rc;
	if (from != NULL)
		*from = first;
	return 0;
}

int hs_watch(hs_runtime *rt, hs_watch_fn fn, void *udata, int *id)
{
	return watch(rt, false, fn, udata, id, NULL);
}

int hs_watch_durable(hs_runtime *rt, hs_watch_fn fn, void *udata, int *id)
{
	return watch(rt, true, fn, udata, id, NULL);
}

int hsi_watch_durable_from(hs_runtime *rt, hs_watch_fn fn, void *udata,
			   int *id, uint64_t *from)
{
	return watch(rt, true, fn, udata, id, from);
}

static bool remove_id(hsi_watcher *list, size_t *n, atomic_size_t *hint,
		      int id)
{
	for (size_t i = 0; i < *n; i++) {
		if (list[i].id == id) {
			list[i] = list[--*n];
			atomic_store_explicit(hint, *n, memory_order_relaxed);
			return true;
		}
	}
	return false;
}

int hs_unwatch(hs_runtime *rt, int id)
{
	if (rt == NULL)
		return HS_EINVAL;
	hsi_watchers *ws = &rt->watchers;
	int rc = 0;
	pthread_rwlock_wrlock(&ws->lock);
	if (remove_id(ws->durable, &ws->ndurable, &ws->ndurable_hint, id))
		hsi_writer_durable_remove(&rt->writer);
	else if (!remove_id(ws->before, &ws->nbefore, &ws->nbefore_hint, id))
		rc = HS_ENOTFOUND;
	pthread_rwlock_unlock(&ws->lock);
	return rc;
}

void hsi_watchers_run(hsi_watchers *ws, const hs_transition *t)
{
	if (atomic_load_explicit(&ws->nbefore_hint, memory_order_relaxed)) {
		pthread_rwlock_rdlock(&ws->lock);
		for (size_t i = 0; i < ws->nbefore; i++)
			ws->before[i].fn(ws->before[i].udata, t);
		pthread_rwlock_unlock(&ws->lock);
	}
	ws->sink.fn(ws->sink.udata, t);
}

/* Appends a copy of n bytes at *p and returns it. */
static const void *put(char **p, const void *src, size_t n)
{
	char *at = *p;
	if (n != 0)
		memcpy(at, src, n);
	*p += n;
	return at;
}

hsi_watched *hsi_watched_copy(const hs_transition *t)
{
	size_t type_n = strlen(t->agent.type) + 1;
	size_t id_n = strlen(t->agent.id) + 1;
	size_t ev_n = strlen(t->event_type) + 1;
	size_t ctype_n = strlen(t->cause.type) + 1;
	size_t cid_n = strlen(t->cause.id) + 1;
	hsi_watched *w = malloc(sizeof(*w) + type_n + id_n + ev_n + ctype_n +
				cid_n + t->event_len + t->old_len +
				t->new_len);
	if (w == NULL)
		return NULL;
	char *p = w->data;
	w->t = *t;
	w->t.agent.type = put(&p, t->agent.type, type_n);
	w->t.agent.id = put(&p, t->agent.id, id_n);
	w->t.event_type = put(&p, t->event_type, ev_n);
	w->t.cause.type = put(&p, t->cause.type, ctype_n);
	w->t.cause.id = put(&p, t->cause.id, cid_n);
	w->t.event_body = put(&p, t->event_body, t->event_len);
	w->t.old_state = put(&p, t->old_state, t->old_len);
	w->t.new_state = put(&p, t->new_state, t->new_len);
	return w;
}

void hsi_watchers_durable_begin(hsi_watchers *ws)
{
	pthread_rwlock_rdlock(&ws->lock);
}

void hsi_watchers_durable_show(hsi_watchers *ws, const hs_transition *t)
{
	for (size_t i = 0; i < ws->ndurable; i++)
		if (t->gseq >= ws->durable[i].from_gseq)
			ws->durable[i].fn(ws->durable[i].udata, t);
}

void hsi_watchers_durable_end(hsi_watchers *ws)
{
	pthread_rwlock_unlock(&ws->lock);
}
