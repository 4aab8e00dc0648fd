/* Opening and closing a runtime, and the error text of hs_last_error. */
#include "core/runtime.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/flow.h"
#include "core/ref.h"
#include "core/types.h"
#include "core/send.h"
#include "core/sink.h"
#include "core/timers.h"
#include "core/turn.h"

#define DEFAULT_BATCH 100
#define DEFAULT_COMMIT_BATCH 4096

static int64_t realtime_ns(void *udata)
{
	(void)udata;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hs_options_init(hs_options *opts)
{
	memset(opts, 0, sizeof(*opts));
}

/* calloc for types aligned past max_align_t (cache-line groups). */
static void *zalloc_aligned(size_t align, size_t n)
{
	size_t size = (n + align - 1) / align * align;
	void *p = aligned_alloc(align, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static unsigned cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static void free_runtime(hs_runtime *rt)
{
	if (rt->workers != NULL) {
		for (unsigned i = 0; i < rt->opts.workers; i++) {
			hs_buf_free(&rt->workers[i].old_state);
			hs_buf_free(&rt->workers[i].new_state);
			hsi_blocks_free(&rt->workers[i].blocks);
		}
		free(rt->workers);
	}
	/* Relaxed: every thread that registered types has been joined or
	 * returned before teardown. */
	unsigned ntypes = atomic_load_explicit(&rt->ntypes,
					       memory_order_relaxed);
	for (unsigned i = 0; i < ntypes; i++)
		hsi_type_free((hsi_type *)rt->types[i]);
	hsi_watchers_destroy(&rt->watchers);
	hsi_timers_destroy(rt);
	hsi_log_close(rt->log);
	free(rt->path);
	hsi_refs_free(rt);
	hsi_msgpool_destroy(&rt->msgpool);
	pthread_mutex_destroy(&rt->refs_mu);
	pthread_mutex_destroy(&rt->error_mu);
	pthread_mutex_destroy(&rt->types_mu);
	pthread_mutex_destroy(&rt->idle_mu);
	pthread_cond_destroy(&rt->idle_cv);
	free(rt);
}

static int open_log(hs_runtime *rt, char *errbuf, size_t errcap)
{
	if (rt->opts.path == NULL)
		return 0;
	rt->path = strdup(rt->opts.path);
	if (rt->path == NULL)
		return HS_ENOMEM;
	rt->opts.path = rt->path;
	unsigned flags = rt->opts.read_only ? HSI_LOG_READONLY : HSI_LOG_CREATE;
	hsi_log_config cfg = {.cache_bytes = rt->opts.cache_bytes,
			      .check = hsi_timers_check,
			      .recovery = rt->opts.recovery};
	int rc = hsi_log_open_with(rt->path, flags, &cfg, &rt->log, errbuf,
				   errcap);
	if (rc != 0 || rt->opts.read_only)
		return rc;
	rc = hsi_writer_start(rt);
	if (rc != 0 && errbuf != NULL)
		snprintf(errbuf, errcap, "%s: cannot start the log writer: %s",
			 rt->path, hs_strerror(rc));
	return rc;
}

int hs_open_err(hs_runtime **out, const hs_options *opts, char *errbuf,
		size_t errcap)
{
	if (errbuf != NULL && errcap != 0)
		errbuf[0] = '\0';
	if (out == NULL ||
	    (opts != NULL && opts->durability != HS_DURABILITY_NONE &&
	     opts->durability != HS_DURABILITY_SYNC) ||
	    (opts != NULL && opts->recovery != HS_RECOVERY_STRICT &&
	     opts->recovery != HS_RECOVERY_TRUNCATE) ||
	    (opts != NULL && (opts->resident_limit != 0 || opts->read_only) &&
	     opts->path == NULL))
		return HS_EINVAL;
	hs_runtime *rt = zalloc_aligned(alignof(hs_runtime), sizeof(*rt));
	if (rt == NULL)
		return HS_ENOMEM;
	if (opts != NULL)
		rt->opts = *opts;
	if (rt->opts.workers == 0)
		rt->opts.workers = cores();
	if (rt->opts.batch == 0)
		rt->opts.batch = DEFAULT_BATCH;
	if (rt->opts.commit_batch == 0)
		rt->opts.commit_batch = DEFAULT_COMMIT_BATCH;
	if (rt->opts.clock == NULL)
		rt->opts.clock = realtime_ns;

	pthread_mutex_init(&rt->types_mu, NULL);
	bool logged = rt->opts.path != NULL && !rt->opts.read_only;
	hsi_watchers_init(&rt->watchers,
			  logged ? hsi_sink_log : hsi_sink_memory, rt);
	pthread_mutex_init(&rt->idle_mu, NULL);
	pthread_cond_init(&rt->idle_cv, NULL);
	pthread_mutex_init(&rt->error_mu, NULL);
	pthread_mutex_init(&rt->refs_mu, NULL);

	rt->workers = zalloc_aligned(alignof(hsi_worker),
				     rt->opts.workers * sizeof(*rt->workers));
	int rc = rt->workers == NULL ? HS_ENOMEM : open_log(rt, errbuf, errcap);
	if (rc != 0) {
		hsi_writer_stop(rt);
		free_runtime(rt);
		return rc;
	}
	rc = hsi_registry_init(&rt->registry);
	if (rc != 0) {
		hsi_writer_stop(rt);
		free_runtime(rt);
		return rc;
	}
	rc = hsi_sched_start(&rt->sched, rt->opts.workers, hsi_run_agent, rt);
	if (rc != 0) {
		hsi_writer_stop(rt);
		hsi_registry_destroy(&rt->registry, NULL, NULL);
		free_runtime(rt);
		return rc;
	}
	/* Nothing is registered yet, so nothing can fire before the caller's
	 * hs_register: due timers wait for their target's type. */
	rc = hsi_timers_start(rt, errbuf, errcap);
	if (rc != 0) {
		hsi_timers_stop(rt);
		hsi_sched_stop(&rt->sched);
		hsi_writer_stop(rt);
		hsi_registry_destroy(&rt->registry, NULL, NULL);
		free_runtime(rt);
		return rc;
	}
	*out = rt;
	return 0;
}

int hs_open(hs_runtime **out, const hs_options *opts)
{
	return hs_open_err(out, opts, NULL, 0);
}

void hsi_set_error(hs_runtime *rt, const char *fmt, ...)
{
	pthread_mutex_lock(&rt->error_mu);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rt->last_error, sizeof(rt->last_error), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&rt->error_mu);
}

void hsi_set_log_error(hs_runtime *rt)
{
	char text[sizeof(rt->last_error)];
	hsi_log_error(rt->log, text, sizeof(text));
	hsi_set_error(rt, "%s", text);
}

void hs_last_error(hs_runtime *rt, char *buf, size_t cap)
{
	if (buf == NULL || cap == 0)
		return;
	if (rt == NULL) {
		buf[0] = '\0';
		return;
	}
	pthread_mutex_lock(&rt->error_mu);
	snprintf(buf, cap, "%s", rt->last_error);
	pthread_mutex_unlock(&rt->error_mu);
}

typedef struct teardown {
	hs_runtime *rt;
	long dropped;
} teardown;

/* Messages still queued at teardown belong to failed agents. */
static void free_agent(hsi_agent *a, void *p)
{
	teardown *td = p;
	hsi_node *n;
	while ((n = hsi_mailbox_pop(&a->mbox)) != NULL) {
		hsi_drop(td->rt, a->type, a->id, (hsi_msg *)n, HS_ECLOSED);
		hsi_rare_add(&td->rt->rare.unqueued, 1);
		td->dropped++;
	}
	hsi_agent_free(a);
}

int hs_close(hs_runtime *rt)
{
	if (rt == NULL)
		return 0;
	/* seq_cst, pairs with the increment of `senders` and the load of
	 * `closing` in send_msg: a sender that got in before the flag is
	 * waited for, one after it sees the flag. The load acquires each
	 * sender's release decrement: its message is queued. */
	atomic_store_explicit(&rt->closing, true, memory_order_seq_cst);
	/* Senders waiting for room give up now (HS_ECLOSED). */
	hsi_flow_close(rt);
	while (atomic_load_explicit(&rt->senders, memory_order_seq_cst) != 0)
		sched_yield();
	/* Nothing fires from here on; what fired is handled below. */
	hsi_timers_stop(rt);
	hs_await(rt, -1);
	hsi_sched_stop(&rt->sched);
	hsi_writer_stop(rt);

	teardown td = {rt, 0};
	hsi_registry_destroy(&rt->registry, free_agent, &td);
	free_runtime(rt);
	return td.dropped != 0 ? HS_EFAILED : 0;
}
