/* Progress on stderr (progress.h). */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cli_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* When the command's first piece of work began: progress shows once the
 * command as a whole has run for a second, whichever phase it is in. */
static double work_began;

void cli_progress_start(cli_progress *p, const char *what, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	if (work_began == 0)
		work_began = cli_now();
	p->tty = isatty(STDERR_FILENO) == 1;
	p->what = what;
	p->total = total;
	p->start = p->last = cli_now();
}

/* 1234567 as "1,234,567". */
static void grouped(uint64_t v, char *out, size_t cap)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%" PRIu64, v);
	size_t o = 0;

	for (int i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = d[i];
	}
	out[o] = '\0';
}

void cli_progress_tick(cli_progress *p, uint64_t done)
{
	char a[32], b[32], r[32], eta[32] = "";
	double now, rate;

	/* The clock is cheap, but not free: look at it every 256 ticks. */
	if (!p->tty || (++p->ticks & 255) != 0)
		return;
	now = cli_now();
	if (now - work_began < 1.0 || now - p->last < 0.2)
		return;
	p->last = now;
	rate = now > p->start ? (double)done / (now - p->start) : 0;
	grouped(done, a, sizeof(a));
	grouped((uint64_t)rate, r, sizeof(r));
	if (p->total != 0 && done <= p->total) {
		grouped(p->total, b, sizeof(b));
		if (rate > 0)
			snprintf(eta, sizeof(eta), "  ETA %.0fs",
				 (double)(p->total - done) / rate);
		fprintf(stderr, "\r\033[K%s: %s of %s (%.0f%%)  %s/s%s",
			p->what, a, b, 100.0 * (double)done / (double)p->total,
			r, eta);
	} else {
		fprintf(stderr, "\r\033[K%s: %s  %s/s", p->what, a, r);
	}
	p->shown = true;
}

void cli_progress_end(cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
