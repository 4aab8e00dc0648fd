#ifndef HS_COMMON_ADDR_MAP_H
#define HS_COMMON_ADDR_MAP_H

/*
 * A map from an agent's address (type bytes, id bytes) to a value whose
 * size the caller chooses: a struct of its own, or a pointer
 * (value_size = sizeof(void *)). Keys are copied into the map. Entries are
 * numbered 0..count-1 in the order they were added, which is the order of
 * iteration; nothing is removed before hsi_addr_map_free. Not thread-safe.
 *
 *	hsi_addr_map m;
 *	hsi_addr_map_init(&m, sizeof(my_agent));
 *	void *v;
 *	if (hsi_addr_map_find_or_add(&m, t, tn, id, idn, &v, NULL) != 0)
 *		... HS_ENOMEM ...
 *	my_agent *a = v;
 *	for (size_t i = 0; i < m.count; i++)
 *		... hsi_addr_map_key(&m, i), hsi_addr_map_value(&m, i) ...
 *	hsi_addr_map_free(&m);
 */

#include <stdbool.h>
#include <stddef.h>

#include "hindsight.h"

typedef struct hsi_addr_entry hsi_addr_entry;

typedef struct hsi_addr_map {
	size_t value_size;
	size_t count; /* entries; read it, never write it */
	/* The rest is the map's own. */
	hsi_addr_entry *entries; /* by number */
	unsigned char *values;   /* value i at i * value_size */
	size_t cap;              /* of entries and values */
	size_t *slots;           /* entry number + 1, or 0: empty */
	size_t nslots;           /* 0 or a power of two */
	hs_buf keys;             /* each entry's type \0 id \0 */
} hsi_addr_map;

/* A key as the map holds it: NUL-terminated copies (an id may hold NUL
 * bytes of its own: use the lengths). */
typedef struct hsi_addr_key {
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
} hsi_addr_key;

/* An empty map of values of value_size (> 0) bytes; allocates nothing. */
void hsi_addr_map_init(hsi_addr_map *m, size_t value_size);

/* The value of (type, id), or NULL when absent. Allocates nothing. */
void *hsi_addr_map_find(const hsi_addr_map *m, const char *type,
			size_t type_len, const char *id, size_t id_len);

/*
 * The value of (type, id) in *value, added (zeroed, the key copied) when
 * absent; *created (may be NULL) says whether it was added. Returns 0, or
 * HS_ENOMEM with the map as it was and *value, *created untouched.
 * Pointers to values and keys stay valid until an entry is added.
 */
int hsi_addr_map_find_or_add(hsi_addr_map *m, const char *type,
			     size_t type_len, const char *id, size_t id_len,
			     void **value, bool *created);

/* Entry i (< m->count): its value and its key, valid as above. */
void *hsi_addr_map_value(const hsi_addr_map *m, size_t i);
hsi_addr_key hsi_addr_map_key(const hsi_addr_map *m, size_t i);

/* Frees everything the map holds and leaves it empty (as after init, with
 * the same value_size). Values are plain bytes: whatever they point to is
 * the caller's to free first. Accepts a map that was only zeroed. */
void hsi_addr_map_free(hsi_addr_map *m);

#endif /* HS_COMMON_ADDR_MAP_H */
