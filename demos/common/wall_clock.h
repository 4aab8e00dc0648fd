/*
 * The wall clock, for the "how long did the run take" lines: everything
 * else in the demos runs on simulated time.
 */
#ifndef HS_DEMOS_COMMON_WALL_CLOCK_H
#define HS_DEMOS_COMMON_WALL_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double wall_clock_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif /* HS_DEMOS_COMMON_WALL_CLOCK_H */
