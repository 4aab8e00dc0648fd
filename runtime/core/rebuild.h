#ifndef HS_CORE_REBUILD_H
#define HS_CORE_REBUILD_H

#include "codec/record.h"
#include "core/effect.h"
#include "core/runtime.h"

/* A decoded record's event type as a C string. */
typedef struct hsi_event_name {
	char s[HS_NAME_MAX + 1];
} hsi_event_name;

/*
 * Applies one recorded event to `state` as a replay (hs_ctx_replaying()
 * true, time and randomness those of the record). With `capture` NULL the
 * handler's sends are discarded; otherwise they are appended to *capture
 * in order, caused by the record. `errmsg` (may be NULL) receives the
 * handler's hs_ctx_set_error text. An event recorded at another event
 * version goes through the type's upcasters first (core/upcast.h).
 * Returns what apply returned (HS_EHANDLER for its HS_ESCHEMA), HS_ESCHEMA
 * when the event cannot be brought to the type's version (errmsg says
 * why), or HS_ECORRUPT for an event type that is too long.
 */
int hsi_replay_apply(hs_runtime *rt, const hsi_type *t, const char *id,
		     size_t id_len, void *state, const hsi_record *r,
		     hsi_effect **capture, char *errmsg, size_t errcap);

/*
 * Rebuilds the state of agent (t, id) after its transition to_seq into
 * `state` (zeroed, t->def.state_size bytes): the newest snapshot at or
 * before to_seq, then the records after it. On success *gseq and *time_ns
 * (either may be NULL) are those of transition to_seq. On failure the
 * state may be half built: the caller still runs the type's destroy.
 * Returns 0, HS_ENOAGENT (to_seq is not in the log), HS_EARCHIVED (to_seq
 * lies before the agent's base in a cut log), HS_ECORRUPT (the
 * log disagrees with itself), HS_EHANDLER or apply's error (the code
 * disagrees with the log), or a storage error; the text is kept in
 * hs_last_error.
 */
int hsi_rebuild(hs_runtime *rt, const hsi_type *t, const char *id,
		size_t id_len, uint64_t to_seq, void *state, uint64_t *gseq,
		int64_t *time_ns);

/*
 * Sets `state` (zeroed) to where a rebuild of (t, id) up to max_seq
 * starts: the newest snapshot at or before it, decoded, or the type's
 * initial state (*seq 0) when there is none or the snapshot was written by
 * another state version and the type's rule ignores it
 * (HS_OLD_SNAPSHOTS_REBUILD, or a snapshot newer than the code). With
 * HS_OLD_SNAPSHOTS_UPCAST an older snapshot goes through the state
 * upcasters. *seq is the snapshot's seq. Returns 0, HS_ESCHEMA, init's
 * error, HS_ECORRUPT or a storage error, with hs_last_error set.
 */
int hsi_load_start(hs_runtime *rt, const hsi_type *t, const char *id,
		   size_t id_len, uint64_t max_seq, void *state,
		   uint64_t *seq);

/* HS_EARCHIVED, with hs_last_error saying so, when seq of (t, id) lies
 * before the agent's base in a cut log; otherwise rc (or a storage
 * error met while looking). */
int hsi_archived_or(hs_runtime *rt, const hsi_type *t, const char *id,
		    size_t id_len, uint64_t seq, int rc);

/* Decodes the record read under gseq into *r (pointing into data) and
 * checks that it belongs to (t, id, seq); t NULL or seq 0 skip those
 * checks. HS_ECORRUPT or HS_EVERSION with the key named otherwise. */
int hsi_check_record(hs_runtime *rt, uint64_t gseq, const hsi_type *t,
		     const char *id, size_t id_len, uint64_t seq,
		     const void *data, size_t len, hsi_record *r);

/* Reads the record at gseq into buf and checks it as hsi_check_record. */
int hsi_read_record(hs_runtime *rt, uint64_t gseq, const hsi_type *t,
		    const char *id, size_t id_len, uint64_t seq, hs_buf *buf,
		    hsi_record *r);

#endif
