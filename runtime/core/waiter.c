#include "core/waiter.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/buf.h"
#include "common/deadline.h"

struct hsi_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int refs;
	/* Under mu. */
	bool done;
	bool replied;
	int rc;
	hs_receipt receipt;
	hs_buf reply;
	/* Set at creation. */
	bool ask;
	hs_reply_fn fn;
	void *udata;
};

hsi_waiter *hsi_waiter_new(bool ask, hs_reply_fn fn, void *udata)
{
	hsi_waiter *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	atomic_init(&w->refs, fn != NULL ? 1 : 2);
	w->ask = ask;
	w->fn = fn;
	w->udata = udata;
	return w;
}

static void release(hsi_waiter *w)
{
	/* acq_rel: the last one to let go sees every write of the other
	 * before it frees. */
	if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) != 1)
		return;
	hs_buf_free(&w->reply);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

void hsi_waiter_abandon(hsi_waiter *w)
{
	if (w == NULL)
		return;
	if (w->fn == NULL)
		release(w);
	release(w);
}

bool hsi_waiter_asks(const hsi_waiter *w)
{
	return w != NULL && w->ask;
}

bool hsi_waiter_replied(hsi_waiter *w)
{
	pthread_mutex_lock(&w->mu);
	bool r = w->replied;
	pthread_mutex_unlock(&w->mu);
	return r;
}

int hsi_waiter_reply(hsi_waiter *w, const void *body, size_t len)
{
	pthread_mutex_lock(&w->mu);
	int rc = w->replied ? HS_EEXIST : 0;
	if (rc == 0 && len != 0)
		rc = hsi_buf_append(&w->reply, body, len);
	if (rc == 0)
		w->replied = true;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void hsi_waiter_done(hsi_waiter *w, int rc, uint64_t seq, uint64_t gseq)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	bool first = !w->done;
	if (first) {
		if (rc == 0 && w->ask && !w->replied)
			rc = HS_ENOREPLY;
		w->done = true;
		w->rc = rc;
		w->receipt.seq = seq;
		w->receipt.gseq = gseq;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (first && w->fn != NULL)
		w->fn(w->udata, rc, rc == 0 ? w->reply.data : NULL,
		      rc == 0 ? w->reply.len : 0);
	release(w);
}

int hsi_waiter_wait(hsi_waiter *w, int timeout_ms, hs_receipt *receipt,
		    hs_buf *reply)
{
	struct timespec until;
	if (timeout_ms >= 0)
		until = hsi_deadline_in_ms(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&w->mu);
	while (!w->done) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&w->cv, &w->mu);
		} else if (pthread_cond_timedwait(&w->cv, &w->mu, &until) ==
				   ETIMEDOUT &&
			   !w->done) {
			/* The message may still be handled: its outcome goes
			 * nowhere. */
			w->done = true;
			w->rc = HS_ETIMEDOUT;
		}
	}
	int rc = w->rc;
	if (rc == 0 && receipt != NULL)
		*receipt = w->receipt;
	if (rc == 0 && reply != NULL && w->reply.len != 0 &&
	    hsi_buf_append(reply, w->reply.data, w->reply.len) != 0)
		rc = HS_ENOMEM;
	pthread_mutex_unlock(&w->mu);
	release(w);
	return rc;
}
