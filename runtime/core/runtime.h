#ifndef HS_CORE_RUNTIME_H
#define HS_CORE_RUNTIME_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "agent/registry.h"
#include "log/log.h"
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

/* A transition on its way to the log. Its effects and waiter are held
 * until it is written (and fsynced under HS_DURABILITY_SYNC). An entry
 * with an empty record only holds the outcome of an event that changed
 * nothing until the agent's earlier transitions are written. */
typedef struct hsi_commit {
	struct hsi_commit *next;
	hsi_agent *agent;
	hsi_effect *effects;
	hsi_waiter *waiter;
	uint64_t seq;
	uint64_t gseq; /* set by the writer */
	int64_t time_ns;
	int result; /* without a record: the outcome for the waiter */
	size_t gseq_off;
	hs_buf rec;
	hs_buf snapshot; /* empty when none is due */
} hsi_commit;

/* The group-commit writer: one thread gives queued transitions their gseq
 * and writes them in one RocksDB batch. */
typedef struct hsi_writer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	hsi_commit *head;
	hsi_commit **tail;
	bool stop;
	bool inited;
	bool started;
	pthread_t thread;
	/* Writer thread only. */
	uint64_t last_gseq;
	hsi_log_batch *batch;
	bool type_logged[HSI_MAX_TYPES];
	/* HS_EIO once a write failed: the log is behind memory from then on,
	 * so nothing more is written or accepted. */
	atomic_int failed;
} hsi_writer;

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

	/* Agents in memory; passivation keeps it near the resident limit.
	 * sweep_hand is touched only by the one thread that won
	 * `sweeping`. */
	atomic_size_t resident;
	atomic_bool sweeping;
	unsigned sweep_hand;

	/* Persistence; log is NULL in memory. */
	hsi_log *log;
	char *path;
	hsi_writer writer;
	pthread_mutex_t error_mu;
	char last_error[512];
};

/* Keeps the text of a storage error for hs_last_error(). */
void hsi_set_error(hs_runtime *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void hsi_set_log_error(hs_runtime *rt);

/* How hsi_agent_acquire treats an agent that is not in memory. */
enum { HSI_ACQUIRE_EXISTING = 0, HSI_ACQUIRE_CREATE = 1 };

/* Finds the agent, rebuilding it from the log or (with CREATE) creating
 * it if needed, and returns with its shard locked (*shard). */
int hsi_agent_acquire(hs_runtime *rt, const hsi_type *type, const char *id,
		      size_t id_len, int mode, hsi_shard **shard,
		      hsi_agent **out);

/* Builds an agent from its newest snapshot and the records after it.
 * HS_ENOAGENT when the log has no record of it (or there is no log). */
int hsi_agent_load(hs_runtime *rt, const hsi_type *type, const char *id,
		   size_t id_len, uint32_t hash, hsi_agent **out);

/* Lets idle agents leave memory until the resident count is below the
 * limit. Call with no shard lock held. */
void hsi_passivate(hs_runtime *rt);

static inline void hsi_check_resident(hs_runtime *rt)
{
	size_t limit = rt->opts.resident_limit;
	if (limit != 0 && atomic_load_explicit(&rt->resident,
					       memory_order_relaxed) > limit)
		hsi_passivate(rt);
}

/* Starts and stops the commit writer. */
int hsi_writer_start(hs_runtime *rt);
void hsi_writer_stop(hs_runtime *rt);
/* Queues a transition (counted in `active` until written). */
void hsi_writer_push(hs_runtime *rt, hsi_commit *c);

/* Delivers a handler's messages in order, each carrying its cause's gseq,
 * or drops them (closing, or rc != 0). Frees the list. */
void hsi_effects_release(hs_runtime *rt, hsi_effect *e, uint64_t gseq,
			 int rc);

/* The registered type with this name, or NULL. Thread-safe. */
const hsi_type *hsi_type_find(hs_runtime *rt, const char *name);

/* Checks an address; on success *type is the type and *id_len the id's
 * length. */
int hsi_check_addr(hs_runtime *rt, const char *type, const char *id,
		   const hsi_type **out_type, size_t *id_len);

/* Validates and copies an event into a new message. */
int hsi_msg_build(const char *event_type, const void *body, size_t len,
		  const hsi_msg_cause *cause, hsi_msg **out);

/* Finds or creates the agent and queues the message (taking ownership of
 * it on success), scheduling the agent if it was idle. */
int hsi_deliver(hs_runtime *rt, const hsi_type *type, const char *id,
		size_t id_len, hsi_msg *m);


/* Scheduling bookkeeping. */
void hsi_activate(hs_runtime *rt, hsi_agent *a);
void hsi_deactivate(hs_runtime *rt);

/* Passes a discarded message to the on_drop callback and wakes its waiter
 * with `why`; the caller still owns it. */
void hsi_drop(hs_runtime *rt, const hsi_type *type, const char *id,
	      hsi_msg *m, int why);

/* Runs one turn of an agent (the scheduler's run function). */
void hsi_run_agent(void *udata, unsigned worker, hsi_agent *a);

/* Runs the watchers on one transition. */
void hsi_watchers_run(hs_runtime *rt, const hs_transition *t);

#endif
