#ifndef HS_CORE_RUNTIME_H
#define HS_CORE_RUNTIME_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "agent/registry.h"
#include "sched/sched.h"

#define HSI_MAX_TYPES 256

typedef struct hsi_watcher {
	hs_watch_fn fn;
	void *udata;
	int id;
} hsi_watcher;

/* A message sent from a handler, held until its cause is done. */
typedef struct hsi_effect {
	struct hsi_effect *next;
	const hsi_type *type;
	hsi_msg *msg;
	uint8_t id_len;
	char id[];
} hsi_effect;

/* Per-worker scratch, reused across transitions. */
typedef struct hsi_worker {
	alignas(64) hs_buf old_state;
	hs_buf new_state;
} hsi_worker;

struct hs_runtime {
	hs_options opts;
	hsi_registry registry;
	hsi_sched sched;
	hsi_worker *workers;

	/* Types: appended under types_mu, read without it up to ntypes. */
	pthread_mutex_t types_mu;
	const hsi_type *types[HSI_MAX_TYPES];
	atomic_uint ntypes;

	/* Watchers: workers read under the read lock. */
	pthread_rwlock_t watch_lock;
	hsi_watcher *watchers;
	size_t nwatchers;
	int next_watch_id;
	atomic_size_t nwatchers_hint;

	/* Lifecycle. `active` counts agents scheduled or running; the
	 * runtime is idle when it is 0. */
	alignas(64) atomic_long active;
	atomic_long nfailed;
	atomic_long senders;  /* hs_send calls in progress */
	atomic_bool closing;
	atomic_int idle_waiters;
	pthread_mutex_t idle_mu;
	pthread_cond_t idle_cv;
};

/* The registered type with this name, or NULL. Thread-safe. */
const hsi_type *hsi_type_find(hs_runtime *rt, const char *name);

/* Checks an address; on success *type is the type and *id_len the id's
 * length. */
int hsi_check_addr(hs_runtime *rt, const char *type, const char *id,
		   const hsi_type **out_type, size_t *id_len);

/* Validates and copies an event into a new message. */
int hsi_msg_build(const char *event_type, const void *body, size_t len,
		  hsi_msg **out);

/* Finds or creates the agent and queues the message (taking ownership of
 * it on success), scheduling the agent if it was idle. */
int hsi_deliver(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m);

/* The agent, or NULL. Thread-safe. */
hsi_agent *hsi_agent_find(hs_runtime *rt, const char *type, const char *id,
			  int *err);

/* Scheduling bookkeeping. */
void hsi_activate(hs_runtime *rt, hsi_agent *a);
void hsi_deactivate(hs_runtime *rt);

/* Passes a discarded message to the on_drop callback; the caller still
 * owns it. */
void hsi_drop(hs_runtime *rt, const hsi_type *type, const char *id,
	      hsi_msg *m);

/* Runs one turn of an agent (the scheduler's run function). */
void hsi_run_agent(void *udata, unsigned worker, hsi_agent *a);

/* Runs the watchers on one transition. */
void hsi_watchers_run(hs_runtime *rt, const hs_transition *t);

#endif
