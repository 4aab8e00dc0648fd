#include "timer/timer.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

static uint32_t key_hash(const char *key, size_t key_len)
{
	return (uint32_t)hsi_mix64(hsi_fnv1a(HSI_FNV_SEED, key, key_len));
}

hsi_timer *hsi_timer_new(hsi_timer_kind kind, const char *owner_type,
			 size_t owner_type_len, const char *owner_id,
			 size_t owner_id_len, const char *name,
			 size_t name_len, const hsi_timer_target *target)
{
	size_t key_len = owner_type_len + 1 + owner_id_len + 1 + name_len;
	size_t extra = 0;
	if (target != NULL)
		extra = 1 + target->type_len + 1 + target->id_len + 1 +
			target->event_len + 1 + target->body_len;
	hsi_timer *t = calloc(1, sizeof(*t) + key_len + extra);
	if (t == NULL)
		return NULL;
	t->kind = (uint8_t)kind;
	t->key_len = (uint16_t)key_len;
	t->owner_type_len = (uint8_t)owner_type_len;
	t->owner_id_len = (uint8_t)owner_id_len;
	t->name_len = (uint8_t)name_len;
	char *p = t->data;
	memcpy(p, owner_type, owner_type_len);
	p += owner_type_len + 1;
	memcpy(p, owner_id, owner_id_len);
	p += owner_id_len + 1;
	memcpy(p, name, name_len);
	t->hash = key_hash(t->data, key_len);
	if (target != NULL) {
		t->target_type_len = (uint8_t)target->type_len;
		t->target_id_len = (uint8_t)target->id_len;
		t->event_len = (uint8_t)target->event_len;
		t->body_len = (uint32_t)target->body_len;
		memcpy((char *)hsi_timer_target_type(t), target->type,
		       target->type_len);
		memcpy((char *)hsi_timer_target_id(t), target->id,
		       target->id_len);
		memcpy((char *)hsi_timer_event(t), target->event,
		       target->event_len);
		if (target->body_len != 0)
			memcpy((char *)hsi_timer_body(t), target->body,
			       target->body_len);
	}
	return t;
}

bool hsi_timer_key_split(const char *k, size_t n, size_t *type_len,
			 size_t *id_len, size_t *name_len)
{
	const char *z1 = memchr(k, '\0', n);
	if (z1 == NULL)
		return false;
	const char *z2 = memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - k));
	if (z2 == NULL)
		return false;
	*type_len = (size_t)(z1 - k);
	*id_len = (size_t)(z2 - z1 - 1);
	*name_len = n - (size_t)(z2 + 1 - k);
	return *type_len >= 1 && *type_len <= HS_NAME_MAX && *id_len >= 1 &&
	       *id_len <= HS_ID_MAX && *name_len >= 1 &&
	       *name_len <= HS_NAME_MAX &&
	       memchr(z2 + 1, '\0', *name_len) == NULL;
}

void hsi_timers_free(hsi_timer *list)
{
	while (list != NULL) {
		hsi_timer *next = list->next;
		free(list);
		list = next;
	}
}

void hsi_timer_table_init(hsi_timer_table *tt)
{
	memset(tt, 0, sizeof(*tt));
}

void hsi_timer_table_destroy(hsi_timer_table *tt)
{
	for (size_t i = 0; i < tt->nbuckets; i++)
		hsi_timers_free(tt->buckets[i]);
	free(tt->buckets);
	free(tt->heap);
	free(tt->parked);
	memset(tt, 0, sizeof(*tt));
}

/* ------------------------------------------------------------------ */
/* The heap: soonest due first, then the order of setting               */
/* ------------------------------------------------------------------ */

/* Ties fire in the order they were set: by the setting transition's
 * gseq (also for timers loaded at open, whose table order is the key's),
 * then by the order of putting (in memory, where there is no gseq). */
static bool sooner(const hsi_timer *a, const hsi_timer *b)
{
	if (a->due_ns != b->due_ns)
		return a->due_ns < b->due_ns;
	if (a->set_gseq != b->set_gseq)
		return a->set_gseq < b->set_gseq;
	return a->order < b->order;
}

static void heap_place(hsi_timer_table *tt, size_t i, hsi_timer *t)
{
	tt->heap[i] = t;
	t->heap_at = i;
}

static void heap_up(hsi_timer_table *tt, size_t i)
{
	hsi_timer *t = tt->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!sooner(t, tt->heap[parent]))
			break;
		heap_place(tt, i, tt->heap[parent]);
		i = parent;
	}
	heap_place(tt, i, t);
}

static void heap_down(hsi_timer_table *tt, size_t i)
{
	hsi_timer *t = tt->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= tt->nheap)
			break;
		if (child + 1 < tt->nheap &&
		    sooner(tt->heap[child + 1], tt->heap[child]))
			child++;
		if (!sooner(tt->heap[child], t))
			break;
		heap_place(tt, i, tt->heap[child]);
		i = child;
	}
	heap_place(tt, i, t);
}

static void heap_remove(hsi_timer_table *tt, hsi_timer *t)
{
	size_t i = t->heap_at;
	hsi_timer *last = tt->heap[--tt->nheap];
	t->heap_at = HSI_TIMER_FIRED;
	if (last == t)
		return;
	heap_place(tt, i, last);
	heap_up(tt, i);
	heap_down(tt, last->heap_at);
}

static void heap_add(hsi_timer_table *tt, hsi_timer *t)
{
	t->heap_at = tt->nheap++;
	tt->heap[t->heap_at] = t;
	heap_up(tt, t->heap_at);
}

bool hsi_timer_table_park(hsi_timer_table *tt, hsi_timer *t)
{
	if (tt->nparked == tt->parked_cap) {
		size_t cap = tt->parked_cap ? 2 * tt->parked_cap : 16;
		hsi_timer **p = realloc(tt->parked, cap * sizeof(*p));
		if (p == NULL)
			return false;
		tt->parked = p;
		tt->parked_cap = cap;
	}
	tt->parked[tt->nparked++] = t;
	t->heap_at = HSI_TIMER_PARKED;
	return true;
}

size_t hsi_timer_table_unpark(hsi_timer_table *tt,
			      bool (*ready)(void *udata, const hsi_timer *t),
			      void *udata)
{
	size_t kept = 0, n = 0;
	for (size_t i = 0; i < tt->nparked; i++) {
		hsi_timer *t = tt->parked[i];
		if (ready(udata, t)) {
			heap_add(tt, t); /* the heap had room for it */
			n++;
		} else {
			tt->parked[kept++] = t;
		}
	}
	tt->nparked = kept;
	return n;
}

static void unpark(hsi_timer_table *tt, hsi_timer *t)
{
	for (size_t i = 0; i < tt->nparked; i++) {
		if (tt->parked[i] == t) {
			tt->parked[i] = tt->parked[--tt->nparked];
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The hash                                                             */
/* ------------------------------------------------------------------ */

static hsi_timer **chain_of(const hsi_timer_table *tt, const char *key,
			    size_t key_len, uint32_t hash)
{
	hsi_timer **p = &tt->buckets[hash & (tt->nbuckets - 1)];
	while (*p != NULL && ((*p)->hash != hash || (*p)->key_len != key_len ||
			      memcmp((*p)->data, key, key_len) != 0))
		p = &(*p)->next;
	return p;
}

static int grow_buckets(hsi_timer_table *tt, size_t want)
{
	size_t n = tt->nbuckets ? tt->nbuckets : 1024;
	while (n < want)
		n *= 2;
	if (n == tt->nbuckets)
		return 0;
	hsi_timer **b = calloc(n, sizeof(*b));
	if (b == NULL)
		return HS_ENOMEM;
	for (size_t i = 0; i < tt->nbuckets; i++) {
		hsi_timer *t = tt->buckets[i];
		while (t != NULL) {
			hsi_timer *next = t->next;
			t->next = b[t->hash & (n - 1)];
			b[t->hash & (n - 1)] = t;
			t = next;
		}
	}
	free(tt->buckets);
	tt->buckets = b;
	tt->nbuckets = n;
	return 0;
}

int hsi_timer_table_reserve(hsi_timer_table *tt, size_t n)
{
	size_t want = tt->count + n;
	if (want > tt->heap_cap) {
		size_t cap = tt->heap_cap ? tt->heap_cap : 1024;
		while (cap < want)
			cap *= 2;
		hsi_timer **h = realloc(tt->heap, cap * sizeof(*h));
		if (h == NULL)
			return HS_ENOMEM;
		tt->heap = h;
		tt->heap_cap = cap;
	}
	/* Chains stay short: at most one timer per bucket on average. */
	return want > tt->nbuckets ? grow_buckets(tt, want) : 0;
}

hsi_timer *hsi_timer_table_find(const hsi_timer_table *tt, const char *key,
				size_t key_len)
{
	if (tt->nbuckets == 0)
		return NULL;
	return *chain_of(tt, key, key_len, key_hash(key, key_len));
}

/* Unlinks and frees the timer *p points to. */
static void unlink_free(hsi_timer_table *tt, hsi_timer **p)
{
	hsi_timer *t = *p;
	*p = t->next;
	if (t->heap_at == HSI_TIMER_PARKED)
		unpark(tt, t);
	else if (t->heap_at != HSI_TIMER_FIRED)
		heap_remove(tt, t);
	tt->count--;
	free(t);
}

void hsi_timer_table_put(hsi_timer_table *tt, hsi_timer *t)
{
	hsi_timer **p = chain_of(tt, t->data, t->key_len, t->hash);
	if (*p != NULL)
		unlink_free(tt, p);
	t->next = *p;
	*p = t;
	tt->count++;
	t->order = tt->next_order++;
	heap_add(tt, t);
}

bool hsi_timer_table_remove(hsi_timer_table *tt, const char *key,
			    size_t key_len, uint64_t gen)
{
	if (tt->nbuckets == 0)
		return false;
	hsi_timer **p = chain_of(tt, key, key_len, key_hash(key, key_len));
	if (*p == NULL || (gen != 0 && (*p)->set_seq != gen))
		return false;
	unlink_free(tt, p);
	return true;
}

hsi_timer *hsi_timer_table_fire(hsi_timer_table *tt, int64_t now)
{
	hsi_timer *t = hsi_timer_table_next(tt);
	if (t == NULL || t->due_ns > now)
		return NULL;
	heap_remove(tt, t);
	return t;
}
