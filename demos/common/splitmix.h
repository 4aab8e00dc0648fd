/*
 * splitmix64, the seeded generator of both demos: the same seed gives the
 * same numbers on every machine, so a run is repeatable from its seed.
 */
#ifndef HS_DEMOS_COMMON_SPLITMIX_H
#define HS_DEMOS_COMMON_SPLITMIX_H

#include <stdint.h>

/* splitmix64's finaliser: a well-mixed function of z. */
static inline uint64_t splitmix_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* The next number of the sequence whose state is *s. */
static inline uint64_t splitmix_next(uint64_t *s)
{
	*s += UINT64_C(0x9e3779b97f4a7c15);
	return splitmix_mix(*s);
}

#endif /* HS_DEMOS_COMMON_SPLITMIX_H */
