#ifndef HS_COMMON_HASH_H
#define HS_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HSI_FNV_SEED 0xcbf29ce484222325ull

/* FNV-1a, continued from `h`: stable across runs and machines, which
 * replay needs (hs_ctx_random derives from it). */
static inline uint64_t hsi_fnv1a(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static inline uint64_t hsi_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

#endif
