/* Deadlines for pthread_cond_timedwait, on the clock the condition
 * variable was made with (CLOCK_REALTIME unless its attributes say
 * otherwise). */
#ifndef HS_COMMON_DEADLINE_H
#define HS_COMMON_DEADLINE_H

#include <stdint.h>
#include <time.h>

/* The moment ns nanoseconds (>= 0) from now on `clock`. */
static inline struct timespec hsi_deadline_in_ns(clockid_t clock, int64_t ns)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	ns += ts.tv_nsec;
	ts.tv_sec += (time_t)(ns / 1000000000);
	ts.tv_nsec = (long)(ns % 1000000000);
	return ts;
}

/* The moment ms milliseconds (>= 0) from now on `clock`. */
static inline struct timespec hsi_deadline_in_ms(clockid_t clock, int ms)
{
	return hsi_deadline_in_ns(clock, (int64_t)ms * 1000000);
}

#endif
