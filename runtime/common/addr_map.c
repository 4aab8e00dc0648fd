#include "common/addr_map.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/hash.h"

#define FIRST_CAP 8
#define FIRST_SLOTS 16

struct hsi_addr_entry {
	uint64_t hash;
	size_t key; /* offset of type \0 id \0 in keys */
	size_t type_len;
	size_t id_len;
};

static uint64_t addr_hash(const char *type, size_t type_len, const char *id,
			  size_t id_len)
{
	/* The NUL keeps ("ab", "c") and ("a", "bc") apart. */
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, type, type_len);
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, id, id_len));
}

void hsi_addr_map_init(hsi_addr_map *m, size_t value_size)
{
	assert(value_size > 0);
	memset(m, 0, sizeof(*m));
	m->value_size = value_size;
}

/* The slot holding (type, id), or the empty slot where it would go. */
static size_t probe(const hsi_addr_map *m, uint64_t h, const char *type,
		    size_t type_len, const char *id, size_t id_len)
{
	size_t mask = m->nslots - 1;
	for (size_t j = h & mask;; j = (j + 1) & mask) {
		if (m->slots[j] == 0)
			return j;
		const hsi_addr_entry *e = &m->entries[m->slots[j] - 1];
		const char *k = (const char *)m->keys.data + e->key;
		if (e->hash == h && e->type_len == type_len &&
		    e->id_len == id_len && memcmp(k, type, type_len) == 0 &&
		    memcmp(k + type_len + 1, id, id_len) == 0)
			return j;
	}
}

void *hsi_addr_map_find(const hsi_addr_map *m, const char *type,
			size_t type_len, const char *id, size_t id_len)
{
	if (m->count == 0)
		return NULL;
	uint64_t h = addr_hash(type, type_len, id, id_len);
	size_t j = probe(m, h, type, type_len, id, id_len);
	return m->slots[j] != 0 ? hsi_addr_map_value(m, m->slots[j] - 1)
				: NULL;
}

/* Room for one more entry and value. */
static int reserve_entry(hsi_addr_map *m)
{
	if (m->count < m->cap)
		return 0;
	size_t cap = m->cap ? 2 * m->cap : FIRST_CAP;
	if (cap > SIZE_MAX / m->value_size ||
	    cap > SIZE_MAX / sizeof(hsi_addr_entry))
		return HS_ENOMEM;
	hsi_addr_entry *e = realloc(m->entries, cap * sizeof(*e));
	if (e == NULL)
		return HS_ENOMEM;
	m->entries = e;
	unsigned char *v = realloc(m->values, cap * m->value_size);
	if (v == NULL)
		return HS_ENOMEM; /* the larger entries array is kept */
	m->values = v;
	m->cap = cap;
	return 0;
}

/* Keeps the load at most 7/10 with one more entry. */
static int reserve_slot(hsi_addr_map *m)
{
	if ((m->count + 1) * 10 <= m->nslots * 7)
		return 0;
	size_t n = m->nslots ? 2 * m->nslots : FIRST_SLOTS;
	if (n > SIZE_MAX / sizeof(size_t) / 2)
		return HS_ENOMEM;
	size_t *slots = calloc(n, sizeof(*slots));
	if (slots == NULL)
		return HS_ENOMEM;
	for (size_t i = 0; i < m->count; i++) {
		size_t j = m->entries[i].hash & (n - 1);
		while (slots[j] != 0)
			j = (j + 1) & (n - 1);
		slots[j] = i + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = n;
	return 0;
}

int hsi_addr_map_find_or_add(hsi_addr_map *m, const char *type,
			     size_t type_len, const char *id, size_t id_len,
			     void **value, bool *created)
{
	uint64_t h = addr_hash(type, type_len, id, id_len);
	if (m->count != 0) {
		size_t j = probe(m, h, type, type_len, id, id_len);
		if (m->slots[j] != 0) {
			*value = hsi_addr_map_value(m, m->slots[j] - 1);
			if (created != NULL)
				*created = false;
			return 0;
		}
	}
	/* Everything that can fail comes first: a failure leaves the map
	 * as it was (with more room, perhaps). */
	if (type_len > SIZE_MAX / 2 || id_len > SIZE_MAX / 2 - type_len - 2 ||
	    reserve_entry(m) != 0 || reserve_slot(m) != 0 ||
	    hsi_buf_reserve(&m->keys, type_len + id_len + 2) != 0)
		return HS_ENOMEM;
	size_t i = m->count++;
	m->entries[i] = (hsi_addr_entry){h, m->keys.len, type_len, id_len};
	hsi_buf_append(&m->keys, type, type_len);
	hsi_buf_append(&m->keys, "", 1);
	hsi_buf_append(&m->keys, id, id_len);
	hsi_buf_append(&m->keys, "", 1);
	void *v = hsi_addr_map_value(m, i);
	memset(v, 0, m->value_size);
	m->slots[probe(m, h, type, type_len, id, id_len)] = i + 1;
	*value = v;
	if (created != NULL)
		*created = true;
	return 0;
}

void *hsi_addr_map_value(const hsi_addr_map *m, size_t i)
{
	assert(i < m->count);
	return m->values + i * m->value_size;
}

hsi_addr_key hsi_addr_map_key(const hsi_addr_map *m, size_t i)
{
	assert(i < m->count);
	const hsi_addr_entry *e = &m->entries[i];
	const char *k = (const char *)m->keys.data + e->key;
	return (hsi_addr_key){k, e->type_len, k + e->type_len + 1, e->id_len};
}

void hsi_addr_map_free(hsi_addr_map *m)
{
	size_t value_size = m->value_size;
	free(m->entries);
	free(m->values);
	free(m->slots);
	hs_buf_free(&m->keys);
	memset(m, 0, sizeof(*m));
	m->value_size = value_size;
}
