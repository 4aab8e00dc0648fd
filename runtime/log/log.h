#ifndef HS_LOG_LOG_H
#define HS_LOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hindsight.h"

/*
 * The RocksDB log (the only includer of <rocksdb/c.h>). Column families and
 * keys are those of docs/FORMAT.md:
 *   events     gseq (8 bytes BE)                 -> record (codec/record.h)
 *   agents     type \0 id \0 seq (8 bytes BE)    -> gseq, time_ns (8 + 8 BE)
 *   snapshots  type \0 id \0 seq (8 bytes BE)    -> encoded state
 *   meta       text keys                         -> values
 *   timers     type \0 id \0 name                 -> pending timer
 *   times      type \0 id \0 time seq (8 + 8 BE)   -> "" (every
 *              HSI_TIME_SAMPLE_EVERY-th index entry, found by time)
 * Every function returns 0 or a negative HS_E... code; on failure the text
 * of the problem, naming the path or key, is kept for hsi_log_error().
 * A log is safe to use from several threads at once (RocksDB is), except
 * hsi_log_close.
 */
typedef struct hsi_log hsi_log;

/* The format this library writes (meta "format"; docs/FORMAT.md). It
 * reads formats 1 and 2 too, and a writer brings an older log to this
 * one. */
#define HSI_LOG_FORMAT 3
/* The format of a log that has been cut (docs/FORMAT.md, "Cut logs"):
 * only hsi_log_batch_cut raises a log to it, so that a log never cut
 * stays readable by libraries that know format 3. */
#define HSI_LOG_FORMAT_CUT 4

/* hsi_log_batch_put_index of a seq that is a multiple of this also
 * writes a times entry (format 3). */
#define HSI_TIME_SAMPLE_EVERY 32

enum {
	HSI_LOG_CREATE = 1,   /* create the log if the path does not exist or
			       * is an empty directory */
	HSI_LOG_READONLY = 2, /* never write; works while another process
			       * has the log open for writing */
};

/* Opens (or creates) a log. Fails with HS_ENOTLOG for a directory that
 * holds something other than a hindsight log, HS_ECORRUPT for one whose
 * newest events key is not a gseq (changing nothing in either case),
 * HS_EVERSION for a newer format, HS_EIO for RocksDB errors, HS_ENOTFOUND
 * when the path does not exist and HSI_LOG_CREATE is not given. On failure
 * *out is untouched and, if errbuf is not NULL, the reason is copied
 * there. */
int hsi_log_open(const char *path, unsigned flags, hsi_log **out,
		 char *errbuf, size_t errcap);

/* Checks run on a log before it is written: returns 0, or an HS_E...
 * code with the reason in errbuf. */
typedef int (*hsi_log_check_fn)(void *udata, hsi_log *log, char *errbuf,
				size_t errcap);

typedef struct hsi_log_config {
	/* The block cache (for reads: the blocks of records, index entries
	 * and snapshots); 0 = HSI_LOG_CACHE_DEFAULT. */
	size_t cache_bytes;
	/* For a writable open of an existing log: runs, after the log's own
	 * checks, on a read-only handle, before anything in the directory
	 * is written (RocksDB rewrites CURRENT, the MANIFEST and OPTIONS
	 * when it opens for writing). A failure fails the open and leaves
	 * the files as they were. NULL = none. */
	hsi_log_check_fn check;
	void *check_udata;
	/* HS_RECOVERY_STRICT: RocksDB drops only a torn last write of the
	 * WAL, and a log that ends before its durable mark (log/mark.h) is
	 * refused (HS_ECORRUPT, naming the gseqs lost). TRUNCATE: RocksDB
	 * keeps the WAL up to its first damaged write, the loss is accepted
	 * and a writable open lowers the mark to the log's end. */
	hs_recovery recovery;
} hsi_log_config;

#define HSI_LOG_CACHE_DEFAULT HS_CACHE_BYTES_DEFAULT

/* hsi_log_open with a configuration (NULL = hsi_log_open's defaults). */
int hsi_log_open_with(const char *path, unsigned flags,
		      const hsi_log_config *cfg, hsi_log **out, char *errbuf,
		      size_t errcap);

/* Accepts NULL. */
void hsi_log_close(hsi_log *log);

/*
 * Writes a copy of the log into dest, a path that must not exist (its
 * parent must): a RocksDB checkpoint, made through this handle, read-only
 * or not. SST files are hard-linked where dest is on the same file system
 * (they never change once written), copied elsewhere; the MANIFEST and
 * the WAL are copied up to their length at the time of the call, which
 * RocksDB recovers as a prefix of whole write batches. RocksDB builds it
 * in "<dest>.tmp" and renames it into place. A writer in another process
 * may delete files (after a flush or compaction) that a read-only handle
 * still lists: the checkpoint then fails (HS_EIO, HS_ENOTFOUND) and a
 * reopened handle may try again. HS_EEXIST when dest exists.
 */
int hsi_log_checkpoint(hsi_log *log, const char *dest);

/* The newest gseq in the log (0 when empty), found at open in O(1). */
uint64_t hsi_log_last_gseq(const hsi_log *log);


/* Copies the text of the latest error into buf (NUL-terminated). */
void hsi_log_error(hsi_log *log, char *buf, size_t cap);

/* A batch of writes, applied atomically by hsi_log_write. */
typedef struct hsi_log_batch hsi_log_batch;

hsi_log_batch *hsi_log_batch_new(void);
void hsi_log_batch_free(hsi_log_batch *b);
void hsi_log_batch_clear(hsi_log_batch *b);
void hsi_log_batch_put_event(hsi_log *log, hsi_log_batch *b, uint64_t gseq,
			     const void *rec, size_t len);
void hsi_log_batch_put_index(hsi_log *log, hsi_log_batch *b,
			     const char *type, size_t type_len,
			     const char *id, size_t id_len, uint64_t seq,
			     uint64_t gseq, int64_t time_ns);
void hsi_log_batch_put_snapshot(hsi_log *log, hsi_log_batch *b,
				const char *type, size_t type_len,
				const char *id, size_t id_len, uint64_t seq,
				const void *state, size_t len);
void hsi_log_batch_put_meta(hsi_log *log, hsi_log_batch *b, const char *key,
			    const void *val, size_t len);

/* Puts or deletes a pending timer (format 2; a writable log has the
 * column family). */
void hsi_log_batch_put_timer(hsi_log *log, hsi_log_batch *b, const void *key,
			     size_t key_len, const void *val, size_t len);
void hsi_log_batch_delete_timer(hsi_log *log, hsi_log_batch *b,
				const void *key, size_t key_len);

/* Writes the batch; with sync, fsyncs the WAL before returning and then
 * raises the durable mark (log/mark.h) to the batch's newest gseq. */
int hsi_log_write(hsi_log *log, hsi_log_batch *b, bool sync);

/*
 * Cut logs. A cut drops the events before a gseq; each agent with a
 * transition before it keeps a base: the index entry of its last
 * transition before the cut, widened to carry what its archived record
 * carried (state hash and version), and the snapshot of its state there.
 * Its index entries, snapshots and times samples before the base go.
 */

/* The last gseq a cut archived (meta base_gseq), 0 for a log never cut.
 * Reads of events at or before it fail with HS_EARCHIVED. */
uint64_t hsi_log_base_gseq(const hsi_log *log);

typedef struct hsi_log_base {
	uint64_t seq;  /* the agent's first seq in the index */
	uint64_t gseq; /* the archived transition's, <= the log's base */
	int64_t time_ns;
	uint64_t state_hash;    /* FNV-1a 64 of the snapshot at seq */
	uint32_t state_version; /* the snapshot's state version */
} hsi_log_base;

/* The agent's base, when its first index entry is one; HS_ENOTFOUND when
 * it has none (no lookup at all in a log never cut). */
int hsi_log_agent_base(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, hsi_log_base *out);

/* In a cut's batch: makes `base` the agent's base with the encoded state
 * state[0..len), dropping its index entries, snapshots and times samples
 * before base->seq. */
void hsi_log_batch_put_base(hsi_log *log, hsi_log_batch *b, const char *type,
			    size_t type_len, const char *id, size_t id_len,
			    const hsi_log_base *base, const void *state,
			    size_t len);

/* In a cut's batch: drops the events before gseq `before` (> 1) and
 * makes before - 1 the log's base (meta base_gseq; format
 * HSI_LOG_FORMAT_CUT). */
void hsi_log_batch_cut(hsi_log *log, hsi_log_batch *b, uint64_t before);

/* Compacts every column family, so that the space of what a cut dropped
 * is given back. HS_ENOTSUP read-only. */
int hsi_log_compact(hsi_log *log);

/* The record stored under gseq, appended to out. HS_ENOTFOUND if none. */
int hsi_log_get_event(hsi_log *log, uint64_t gseq, hs_buf *out);

/* The records under gseqs[0..n) (ascending), read in one batch: calls
 * fn(udata, i, rec, len) for each in order, the record valid during the
 * call. fn returns 0 to go on, anything else to stop (returned as is).
 * HS_ENOTFOUND (with the key named) when one is missing. */
typedef int (*hsi_events_fn)(void *udata, size_t i, const void *rec,
			     size_t len);
int hsi_log_get_events(hsi_log *log, const uint64_t *gseqs, size_t n,
		       hsi_events_fn fn, void *udata);

/* A meta value appended to out. HS_ENOTFOUND if none. */
int hsi_log_get_meta(hsi_log *log, const char *key, hs_buf *out);

/* The agent's newest seq and its gseq; HS_ENOTFOUND when the agent has no
 * record. */
int hsi_log_agent_last(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, uint64_t *seq,
		       uint64_t *gseq);

/* The newest snapshot with seq <= max_seq: its seq, and the state appended
 * to out. HS_ENOTFOUND when there is none. */
int hsi_log_snapshot_at(hsi_log *log, const char *type, size_t type_len,
			const char *id, size_t id_len, uint64_t max_seq,
			uint64_t *seq, hs_buf *out);

/* The snapshot stored at exactly this seq (one point lookup), appended to
 * out. HS_ENOTFOUND when there is none. */
int hsi_log_get_snapshot(hsi_log *log, const char *type, size_t type_len,
			 const char *id, size_t id_len, uint64_t seq,
			 hs_buf *out);

/* The index entry of one transition: its gseq and time. HS_ENOTFOUND if
 * there is none. */
int hsi_log_index_get(hsi_log *log, const char *type, size_t type_len,
		      const char *id, size_t id_len, uint64_t seq,
		      uint64_t *gseq, int64_t *time_ns);

/* The times entries around time_ns: *below the seq of the newest with
 * time <= time_ns, *above that of the oldest after it; 0 when there is
 * none. Entries exist only for seqs written by format 3 (an older log's
 * earlier history has none), so the answer narrows a search and does not
 * replace it. HS_ENOTSUP for a log without the times column family (an
 * older log opened read-only). */
int hsi_log_time_bracket(hsi_log *log, const char *type, size_t type_len,
			 const char *id, size_t id_len, int64_t time_ns,
			 uint64_t *below, uint64_t *above);

/* Calls fn for every times entry, in key order: with the agent, time and
 * seq it names, or with key NULL (and key_len its length) for a key that
 * is not type \0 id \0 time seq. fn returns 0 to go on, anything else to
 * stop (returned as is). A log without the column family has none. */
typedef int (*hsi_sample_fn)(void *udata, const void *key, size_t key_len,
			     const char *type, size_t type_len,
			     const char *id, size_t id_len, int64_t time_ns,
			     uint64_t seq);
int hsi_log_scan_time_samples(hsi_log *log, hsi_sample_fn fn, void *udata);

/* Calls fn(udata, seq, gseq, time_ns) for the agent's index entries with
 * from_seq <= seq <= to_seq in seq order. fn returns 0 to go on, anything
 * else to stop (returned as is). HS_ECORRUPT for a malformed entry. */
typedef int (*hsi_index_fn)(void *udata, uint64_t seq, uint64_t gseq,
			    int64_t time_ns);
int hsi_log_scan_agent(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, uint64_t from_seq,
		       uint64_t to_seq, hsi_index_fn fn, void *udata);

/* Calls fn(udata, gseq, rec, len) for events with from <= gseq <= to,
 * forwards or backwards. The record is valid during the call. fn returns
 * 0 to go on, anything else to stop (returned as is). HS_ECORRUPT for a
 * malformed key. */
typedef int (*hsi_event_fn)(void *udata, uint64_t gseq, const void *rec,
			    size_t len);
int hsi_log_scan_events(hsi_log *log, uint64_t from, uint64_t to,
			bool reverse, hsi_event_fn fn, void *udata);

/* A cursor over one agent's index entries: several lookups and scans
 * from one RocksDB iterator, for searches that probe many entries. Not
 * for use by two threads at once. */
typedef struct hsi_index_cursor hsi_index_cursor;

/* HS_EINVAL for a bad address, HS_ENOMEM. */
int hsi_log_index_cursor_open(hsi_log *log, const char *type,
			      size_t type_len, const char *id, size_t id_len,
			      hsi_index_cursor **out);

/* Frees c (NULL is accepted) and returns rc, or the iterator's error if
 * rc is 0 and it had one. */
int hsi_log_index_cursor_close(hsi_index_cursor *c, int rc);

/* As hsi_log_index_get. */
int hsi_log_index_cursor_get(hsi_index_cursor *c, uint64_t seq,
			     uint64_t *gseq, int64_t *time_ns);

/* As hsi_log_scan_agent. */
int hsi_log_index_cursor_scan(hsi_index_cursor *c, uint64_t from_seq,
			      uint64_t to_seq, hsi_index_fn fn, void *udata);

/* Calls fn(udata, type, type_len, id, id_len, last_seq) once per agent in
 * the log, in key order. */
typedef int (*hsi_agent_fn)(void *udata, const char *type, size_t type_len,
			    const char *id, size_t id_len, uint64_t last_seq);
int hsi_log_scan_agents(hsi_log *log, hsi_agent_fn fn, void *udata);
/* As hsi_log_scan_agents, from the first agent whose agents key is at or
 * after `start` (raw key bytes, e.g. "type\0" or "type\0id-prefix"). */
int hsi_log_scan_agents_from(hsi_log *log, const void *start,
			     size_t start_len, hsi_agent_fn fn, void *udata);

/* Calls fn(udata, key, key_len, value, len) for every pending timer, in
 * key order; both are valid during the call. fn returns 0 to go on,
 * anything else to stop (returned as is). A format-1 log opened
 * read-only has none. */
typedef int (*hsi_timer_fn)(void *udata, const void *key, size_t key_len,
			    const void *val, size_t len);
int hsi_log_scan_timers(hsi_log *log, hsi_timer_fn fn, void *udata);

/* The log's directory. */
const char *hsi_log_path(const hsi_log *log);

/* The capacity of the log's block cache. */
size_t hsi_log_cache_bytes(const hsi_log *log);

#endif
