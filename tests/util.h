/*
 * Shared helpers for the cmocka test programs. Include this first in a
 * test file (it sets the feature macros and includes cmocka the way 1.1.5
 * needs).
 *
 * cmocka's assert_*() may only run on the test's own thread: it longjmps.
 * Callbacks that run on worker threads (apply, watchers, on_drop) record
 * failed checks with CB_CHECK() instead, and the test asserts
 * hsu_assert_no_cb_failures() on its own thread once the runtime is idle or
 * closed.
 */
#ifndef HS_TESTS_UTIL_H
#define HS_TESTS_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hindsight.h"

#if defined(__GNUC__)
#define HSU_UNUSED __attribute__((unused))
#else
#define HSU_UNUSED
#endif

/* ------------------------------------------------------------------ */
/* Checks from callbacks                                                */
/* ------------------------------------------------------------------ */

static atomic_int hsu_cb_failures;
static pthread_mutex_t hsu_cb_mu = PTHREAD_MUTEX_INITIALIZER;
static char hsu_cb_first[512];

static HSU_UNUSED void hsu_cb_fail(const char *file, int line, const char *fmt,
				   ...)
{
	pthread_mutex_lock(&hsu_cb_mu);
	if (atomic_fetch_add(&hsu_cb_failures, 1) == 0) {
		int n = snprintf(hsu_cb_first, sizeof hsu_cb_first,
				 "%s:%d: ", file, line);
		va_list ap;
		va_start(ap, fmt);
		if (n > 0 && (size_t)n < sizeof hsu_cb_first)
			vsnprintf(hsu_cb_first + n, sizeof hsu_cb_first - n,
				  fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&hsu_cb_mu);
}

/* A check usable on any thread. */
#define CB_CHECK(cond)                                                        \
	do {                                                                  \
		if (!(cond))                                                  \
			hsu_cb_fail(__FILE__, __LINE__, "%s", #cond);         \
	} while (0)

/* An integer equality check usable on any thread. */
#define CB_CHECK_EQ(a, b)                                                     \
	do {                                                                  \
		long long hsu_a_ = (long long)(a), hsu_b_ = (long long)(b);   \
		if (hsu_a_ != hsu_b_)                                         \
			hsu_cb_fail(__FILE__, __LINE__,                       \
				    "%s == %s (%lld != %lld)", #a, #b,        \
				    hsu_a_, hsu_b_);                          \
	} while (0)

static HSU_UNUSED void hsu_reset_cb_failures(void)
{
	pthread_mutex_lock(&hsu_cb_mu);
	atomic_store(&hsu_cb_failures, 0);
	hsu_cb_first[0] = '\0';
	pthread_mutex_unlock(&hsu_cb_mu);
}

#define hsu_assert_no_cb_failures()                                           \
	do {                                                                  \
		int hsu_n_ = atomic_load(&hsu_cb_failures);                   \
		if (hsu_n_ != 0) {                                            \
			pthread_mutex_lock(&hsu_cb_mu);                       \
			print_error("%d check(s) failed in callbacks; "       \
				    "first: %s\n",                            \
				    hsu_n_, hsu_cb_first);                    \
			pthread_mutex_unlock(&hsu_cb_mu);                     \
		}                                                             \
		assert_int_equal(hsu_n_, 0);                                  \
	} while (0)

/* Asserts an HS_ call result, printing both codes' names on mismatch. */
#define assert_hs(expected, actual)                                           \
	do {                                                                  \
		int hsu_e_ = (expected), hsu_g_ = (actual);                   \
		if (hsu_e_ != hsu_g_)                                         \
			print_error("%s: expected %d (%s), got %d (%s)\n",    \
				    #actual, hsu_e_, hs_strerror(hsu_e_),     \
				    hsu_g_, hs_strerror(hsu_g_));             \
		assert_int_equal(hsu_e_, hsu_g_);                             \
	} while (0)

/* ------------------------------------------------------------------ */
/* Time                                                                 */
/* ------------------------------------------------------------------ */

static HSU_UNUSED void hsu_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static HSU_UNUSED int64_t hsu_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static HSU_UNUSED int64_t hsu_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Dropped messages                                                     */
/* ------------------------------------------------------------------ */

#define HSU_DROPS_KEPT 256

typedef struct hsu_drop_rec {
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	char event_type[HS_NAME_MAX + 1];
	int64_t n; /* body field "n", or -1 */
} hsu_drop_rec;

typedef struct hsu_drops {
	pthread_mutex_t mu;
	int count;
	hsu_drop_rec recs[HSU_DROPS_KEPT];
} hsu_drops;

static hsu_drops hsu_drop_log = {.mu = PTHREAD_MUTEX_INITIALIZER};

static HSU_UNUSED void hsu_copy(char *dst, size_t cap, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static HSU_UNUSED void hsu_on_drop(void *udata, const char *type,
				   const char *id, const char *event_type,
				   const void *body, size_t body_len)
{
	hsu_drops *d = udata;
	CB_CHECK(d == &hsu_drop_log);
	CB_CHECK(type != NULL && id != NULL && event_type != NULL);
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	if (d->count < HSU_DROPS_KEPT) {
		hsu_drop_rec *r = &d->recs[d->count];
		hsu_copy(r->type, sizeof r->type, type);
		hsu_copy(r->id, sizeof r->id, id);
		hsu_copy(r->event_type, sizeof r->event_type, event_type);
		r->n = -1;
		if (body != NULL && body_len > 0 &&
		    hs_get_i64(body, body_len, "n", &r->n) != 0)
			r->n = -1;
	}
	d->count++;
	pthread_mutex_unlock(&d->mu);
}

static HSU_UNUSED int hsu_drop_count(void)
{
	pthread_mutex_lock(&hsu_drop_log.mu);
	int n = hsu_drop_log.count;
	pthread_mutex_unlock(&hsu_drop_log.mu);
	return n;
}

static HSU_UNUSED void hsu_reset_drops(void)
{
	pthread_mutex_lock(&hsu_drop_log.mu);
	hsu_drop_log.count = 0;
	memset(hsu_drop_log.recs, 0, sizeof hsu_drop_log.recs);
	pthread_mutex_unlock(&hsu_drop_log.mu);
}

/* ------------------------------------------------------------------ */
/* The counter agent type                                               */
/* ------------------------------------------------------------------ */

/*
 * State: one int64, encoded as the map {"n": value}. Events:
 *   inc            +1, CHANGED (body ignored)
 *   add {n}        +n, CHANGED
 *   expect {n}     checks n == value + 1 (per-sender order), sets value = n
 *   noop           UNCHANGED
 *   fail           hs_ctx_set_error("boom 42"), returns HS_ERANGE
 * Every call counts in hsu_applied; CHANGED results in hsu_changed.
 */
static atomic_long hsu_applied;
static atomic_long hsu_changed;

static HSU_UNUSED int hsu_counter_encode(const void *state, hs_buf *out,
					 void *udata)
{
	(void)udata;
	return hs_packf(out, "n:I", *(const int64_t *)state);
}

static HSU_UNUSED int hsu_counter_decode(void *state, const void *data,
					 size_t len, void *udata)
{
	(void)udata;
	int64_t v;
	int rc = hs_get_i64(data, len, "n", &v);
	if (rc != 0)
		return rc;
	*(int64_t *)state = v;
	return 0;
}

static HSU_UNUSED int hsu_counter_apply(hs_ctx *ctx, void *state,
					const hs_event *ev)
{
	int64_t *v = state;
	int64_t n = 0;
	atomic_fetch_add(&hsu_applied, 1);
	if (hs_event_is(ev, "inc")) {
		*v += 1;
	} else if (hs_event_is(ev, "add")) {
		int rc = hs_event_i64(ev, "n", &n);
		CB_CHECK_EQ(rc, 0);
		if (rc != 0)
			return rc;
		*v += n;
	} else if (hs_event_is(ev, "expect")) {
		int rc = hs_event_i64(ev, "n", &n);
		CB_CHECK_EQ(rc, 0);
		if (rc != 0)
			return rc;
		CB_CHECK_EQ(n, *v + 1);
		*v = n;
	} else if (hs_event_is(ev, "noop")) {
		return HS_UNCHANGED;
	} else if (hs_event_is(ev, "fail")) {
		hs_ctx_set_error(ctx, "boom %d", 42);
		return HS_ERANGE;
	} else {
		hsu_cb_fail(__FILE__, __LINE__, "counter: unknown event %s",
			    hs_event_type(ev));
		return HS_EINVAL;
	}
	atomic_fetch_add(&hsu_changed, 1);
	return HS_CHANGED;
}

static HSU_UNUSED hs_type hsu_counter_type(const char *name,
					   hs_on_error on_error)
{
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = name;
	t.state_size = sizeof(int64_t);
	t.apply = hsu_counter_apply;
	t.encode = hsu_counter_encode;
	t.decode = hsu_counter_decode;
	t.on_error = on_error;
	return t;
}

static HSU_UNUSED void hsu_register_counter(hs_runtime *rt, const char *name,
					    hs_on_error on_error)
{
	hs_type t = hsu_counter_type(name, on_error);
	assert_hs(0, hs_register(rt, &t));
}

/* Reads field "n" of an agent's encoded state; returns the hs_deref or
 * hs_get_i64 error. */
static HSU_UNUSED int hsu_deref_n(hs_runtime *rt, const char *type,
				  const char *id, int64_t *out)
{
	hs_buf b = HS_BUF_INIT;
	int rc = hs_deref(rt, type, id, &b);
	if (rc == 0)
		rc = hs_get_i64(b.data, b.len, "n", out);
	hs_buf_free(&b);
	return rc;
}

/* The value of a counter, asserting that it can be read. */
static HSU_UNUSED int64_t hsu_counter_value(hs_runtime *rt, const char *type,
					    const char *id)
{
	int64_t v = -1;
	assert_hs(0, hsu_deref_n(rt, type, id, &v));
	return v;
}

/* ------------------------------------------------------------------ */
/* Runtimes                                                             */
/* ------------------------------------------------------------------ */

/* Opens a runtime whose on_drop records into hsu_drop_log. */
static HSU_UNUSED hs_runtime *hsu_open(unsigned workers, unsigned batch)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = workers;
	o.batch = batch;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	assert_hs(0, hs_open(&rt, &o));
	assert_non_null(rt);
	return rt;
}

/* Resets the shared recorders; use as (part of) a cmocka setup. */
static HSU_UNUSED void hsu_reset(void)
{
	hsu_reset_cb_failures();
	hsu_reset_drops();
	atomic_store(&hsu_applied, 0);
	atomic_store(&hsu_changed, 0);
}

/* Generous limit for hs_await so that a hang fails the test with a clear
 * message instead of running into the ctest timeout. */
#define HSU_AWAIT_MS 60000

#endif /* HS_TESTS_UTIL_H */
