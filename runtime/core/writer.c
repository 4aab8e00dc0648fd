/*
 * The group-commit writer. Workers queue transitions; one thread takes
 * everything queued, gives each record the next gseq in queue order (so
 * gseq follows seq for every agent: an agent's transitions are queued in
 * order by the one worker handling it), writes one batch, syncs per the
 * durability mode, shows the batch to the durable watchers, and only then
 * releases the held effects and waiters.
 */
#include "core/writer.h"

#include <stdlib.h>
#include <string.h>

#include "codec/record.h"
#include "core/activity.h"
#include "core/runtime.h"
#include "core/waiter.h"

static void *writer_main(void *p);

int hsi_writer_start(hs_runtime *rt)
{
	hsi_writer *w = &rt->writer;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->inited = true;
	w->head = NULL;
	w->tail = &w->head;
	w->stop = false;
	w->last_gseq = hsi_log_last_gseq(rt->log);
	w->first_gseq = w->last_gseq + 1;
	atomic_init(&w->queued, 0);
	w->batch = hsi_log_batch_new();
	if (w->batch == NULL)
		return HS_ENOMEM;
	if (pthread_create(&w->thread, NULL, writer_main, rt) != 0)
		return HS_ETHREAD;
	w->started = true;
	return 0;
}

void hsi_writer_stop(hs_runtime *rt)
{
	hsi_writer *w = &rt->writer;
	if (!w->inited)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	hsi_log_batch_free(w->batch);
	w->batch = NULL;
	hs_buf_free(&w->timer_value);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	w->inited = false;
}

bool hsi_writer_push(hs_runtime *rt, hsi_commit *c)
{
	hsi_writer *w = &rt->writer;
	bool record = c->rec.len != 0;
	c->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (record && c->watched == NULL && w->durable != 0) {
		pthread_mutex_unlock(&w->mu);
		return false;
	}
	/* Both released by finish() once the record is written. */
	hsi_activity_begin(rt);
	atomic_fetch_add_explicit(&c->agent->pending, 1, memory_order_relaxed);
	hsi_count(&w->queued, record);
	bool was_empty = w->head == NULL;
	*w->tail = c;
	w->tail = &c->next;
	if (was_empty)
		pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return true;
}

uint64_t hsi_writer_durable_add(hsi_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->durable++;
	/* Records queue in gseq order, and every one queued from now on
	 * carries a copy (see hsi_writer_push). */
	uint64_t from = w->first_gseq + hsi_counter_get(&w->queued);
	pthread_mutex_unlock(&w->mu);
	return from;
}

void hsi_writer_durable_remove(hsi_writer *w)
{
	pthread_mutex_lock(&w->mu);
	w->durable--;
	pthread_mutex_unlock(&w->mu);
}

/* Takes up to `max` queued commits, or NULL once stopped and drained. */
static hsi_commit *take(hsi_writer *w, unsigned max)
{
	pthread_mutex_lock(&w->mu);
	while (w->head == NULL && !w->stop)
		pthread_cond_wait(&w->cv, &w->mu);
	hsi_commit *list = w->head;
	hsi_commit *last = list;
	uint64_t records = list != NULL && list->rec.len != 0;
	for (unsigned n = 1; last != NULL && n < max && last->next != NULL;
	     n++) {
		last = last->next;
		records += last->rec.len != 0;
	}
	/* No longer waiting for the writer: being written. */
	hsi_count(&w->counts.taken, records);
	if (last != NULL) {
		w->head = last->next;
		if (w->head == NULL)
			w->tail = &w->head;
		last->next = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	return list;
}

static void count_write(hsi_writer_counts *wc, uint64_t records,
			uint64_t snapshots, uint64_t bytes, uint64_t ns)
{
	hsi_count(&wc->records, records);
	hsi_count(&wc->snapshots, snapshots);
	hsi_count(&wc->bytes, bytes);
	hsi_count(&wc->write_ns, ns);
	if (ns > hsi_counter_get(&wc->write_ns_max))
		atomic_store_explicit(&wc->write_ns_max, ns,
				      memory_order_relaxed);
	hsi_count(&wc->batch_buckets[hsi_batch_bucket(records)], 1);
	hsi_count(&wc->write_buckets[hsi_latency_bucket(ns)], 1);
}

static int write_list(hs_runtime *rt, hsi_commit *list)
{
	hsi_writer *w = &rt->writer;
	hsi_log_batch_clear(w->batch);
	/* Ends of fired timers first: a name re-armed later in this batch
	 * keeps its new timer (see hsi_timers_write_done). */
	for (hsi_commit *c = list; c != NULL; c = c->next)
		hsi_timers_write_done(rt, c->timers, w->batch);
	uint64_t gseq = w->last_gseq;
	uint64_t snapshots = 0, bytes = 0;
	for (hsi_commit *c = list; c != NULL; c = c->next) {
		const hsi_type *t = c->agent->type;
		const hsi_agent *a = c->agent;
		if (c->rec.len == 0)
			continue; /* nothing to write, only to release */
		snapshots += c->snapshot.len != 0;
		bytes += c->rec.len + c->snapshot.len;
		c->gseq = ++gseq;
		hsi_record_patch_gseq(c->rec.data, c->gseq_off, gseq);
		hsi_log_batch_put_event(rt->log, w->batch, gseq, c->rec.data,
					c->rec.len);
		hsi_log_batch_put_index(rt->log, w->batch, t->name,
					t->name_len, a->id, a->id_len, c->seq,
					gseq, c->time_ns);
		if (c->snapshot.len != 0)
			hsi_log_batch_put_snapshot(
				rt->log, w->batch, t->name, t->name_len, a->id,
				a->id_len, c->seq, c->snapshot.data,
				c->snapshot.len);
		if (!w->type_logged[t->index]) {
			char key[HS_NAME_MAX + 8];
			memcpy(key, "type/", 5);
			memcpy(key + 5, t->name, t->name_len + 1);
			hsi_log_batch_put_meta(rt->log, w->batch, key, "", 0);
		}
		if (hsi_timers_write_set(rt, c->timers, gseq, w->batch,
					 &w->timer_value) != 0)
			return HS_ENOMEM;
	}
	int64_t t0 = hsi_mono_ns();
	int rc = hsi_log_write(rt->log, w->batch,
			       rt->opts.durability == HS_DURABILITY_SYNC);
	if (rc != 0)
		return rc;
	count_write(&w->counts, gseq - w->last_gseq, snapshots, bytes,
		    (uint64_t)(hsi_mono_ns() - t0));
	for (hsi_commit *c = list; c != NULL; c = c->next)
		if (c->rec.len != 0)
			w->type_logged[c->agent->type->index] = true;
	w->last_gseq = gseq;
	return 0;
}

/* Shows the written transitions that carry a copy to the durable
 * watchers, in gseq order. */
static void show_durable(hs_runtime *rt, hsi_commit *list)
{
	bool begun = false;
	for (hsi_commit *c = list; c != NULL; c = c->next) {
		if (c->watched == NULL)
			continue;
		if (!begun) {
			hsi_watchers_durable_begin(&rt->watchers);
			begun = true;
		}
		c->watched->t.gseq = c->gseq;
		hsi_watchers_durable_show(&rt->watchers, &c->watched->t);
	}
	if (begun)
		hsi_watchers_durable_end(&rt->watchers);
}

static void finish(hs_runtime *rt, hsi_commit *list, int rc)
{
	if (rc == 0)
		show_durable(rt, list);
	while (list != NULL) {
		hsi_commit *c = list;
		list = c->next;
		uint64_t gseq = rc == 0 ? c->gseq : 0;
		if (rc == 0)
			hsi_timers_apply(rt, c->timers);
		else
			hsi_timers_free(c->timers);
		hsi_effects_release(rt, c->effects, gseq, rc);
		if (rc == 0 && c->rec.len == 0)
			hsi_waiter_done(c->waiter, c->result, 0, 0);
		else
			hsi_waiter_done(c->waiter, rc, rc == 0 ? c->seq : 0,
					gseq);
		/* The agent may leave memory once this reaches 0; pairs with
		 * the acquire load of whoever passivates it. */
		atomic_fetch_sub_explicit(&c->agent->pending, 1,
					  memory_order_release);
		hs_buf_free(&c->rec);
		hs_buf_free(&c->snapshot);
		free(c->watched);
		free(c);
		hsi_deactivate(rt);
	}
}

static void *writer_main(void *p)
{
	hs_runtime *rt = p;
	hsi_writer *w = &rt->writer;
	unsigned max = rt->opts.commit_batch;
	hsi_commit *list;
	while ((list = take(w, max)) != NULL) {
		/* Relaxed: a flag (see hsi_sink_log). */
		int rc = atomic_load_explicit(&w->failed,
					      memory_order_relaxed);
		if (rc == 0) {
			rc = write_list(rt, list);
			if (rc != 0) {
				hsi_set_log_error(rt);
				atomic_store_explicit(&w->failed, rc,
						      memory_order_relaxed);
			}
		}
		finish(rt, list, rc);
	}
	return NULL;
}
