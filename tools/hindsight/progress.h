#ifndef HS_TOOLS_PROGRESS_H
#define HS_TOOLS_PROGRESS_H

/* Progress on stderr, shown only when stderr is a terminal and the
 * command has run for about a second:
 * "what: 12,345 of 100,000 (12%)  45,000/s  ETA 2s". */

#include <stdbool.h>
#include <stdint.h>

typedef struct cli_progress {
	bool tty;
	bool shown;
	const char *what; /* the caller's string: it must outlive p */
	uint64_t total;   /* 0 when unknown */
	double start, last;
	unsigned ticks;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *what, uint64_t total);
void cli_progress_tick(cli_progress *p, uint64_t done);
void cli_progress_end(cli_progress *p);

double cli_now(void); /* CLOCK_MONOTONIC seconds */

#endif /* HS_TOOLS_PROGRESS_H */
