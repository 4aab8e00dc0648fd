/*
 * hindsight: an agent-based event-sourcing runtime.
 *
 * Conventions that hold for every function below unless its comment says
 * otherwise:
 *
 *  - Errors: fallible calls return 0 on success or a negative HS_E... code;
 *    hs_strerror() names it. A call that fails writes no out-parameter and
 *    calls no callback.
 *  - Ownership: string and buffer arguments are borrowed for the duration of
 *    the call; the runtime copies what it keeps. Buffers the runtime hands to
 *    a callback are valid only during that callback.
 *  - Thread-safety: a function is NOT thread-safe unless its comment says
 *    "Thread-safe". Every hs_ctx_* function may be called only from inside
 *    the apply callback that received the context. No function may be
 *    called on a runtime concurrently with, or after, hs_close() on it,
 *    except hs_send() and its variants, which then fail with HS_ECLOSED
 *    while hs_close() runs (also those already waiting for room in a
 *    full mailbox).
 */
#ifndef HS_HINDSIGHT_H
#define HS_HINDSIGHT_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(HS_BUILDING) && defined(__GNUC__)
#define HS_API __attribute__((visibility("default")))
#else
#define HS_API
#endif

#if defined(__GNUC__)
#define HS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define HS_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

#define HS_ERRNO_MAP(X)                                                       \
	X(EINVAL, -1, "invalid argument")                                     \
	X(ENOMEM, -2, "out of memory")                                        \
	X(ENOTYPE, -3, "unknown agent type")                                  \
	X(EEXIST, -4, "already exists")                                       \
	X(EBADMSG, -5, "malformed msgpack")                                   \
	X(ETOOLONG, -6, "name or id too long")                                \
	X(ECLOSED, -7, "runtime is closing")                                  \
	X(ETIMEDOUT, -8, "timed out")                                         \
	X(EFAILED, -9, "agent has failed")                                    \
	X(ENOAGENT, -10, "unknown agent")                                     \
	X(ENOTFOUND, -11, "no such field")                                    \
	X(ETYPE, -12, "field has another type")                               \
	X(ERANGE, -13, "value out of range")                                  \
	X(EBUSY, -14, "resource busy")                                        \
	X(EHANDLER, -15, "handler reported an error")                         \
	X(ETHREAD, -16, "cannot start thread")                                \
	X(EFORMAT, -17, "bad format string")                                  \
	X(EIO, -18, "storage error")                                          \
	X(ECORRUPT, -19, "corrupt record")                                    \
	X(ENOTLOG, -20, "not a hindsight log")                                \
	X(EVERSION, -21, "log format is newer than this library")            \
	X(ENOTSUP, -22, "not supported")                                      \
	X(EEND, -23, "end of the log")                                        \
	X(ENOREPLY, -24, "handled without a reply")                           \
	X(EAGAIN, -25, "mailbox full")                                        \
	X(ESCHEMA, -26, "recorded schema version not readable by the code")   \
	X(EARCHIVED, -27, "archived: before the log's base")

enum {
	HS_OK = 0,
#define HS_ERRNO_ENUM(name, code, text) HS_##name = (code),
	HS_ERRNO_MAP(HS_ERRNO_ENUM)
#undef HS_ERRNO_ENUM
};

/* The text of an error code; never NULL. Thread-safe. */
HS_API const char *hs_strerror(int err);

/* ------------------------------------------------------------------ */
/* Buffers and msgpack helpers                                          */
/* ------------------------------------------------------------------ */

/* A growable byte buffer. Zero-initialise it (HS_BUF_INIT) before first
 * use; free its memory with hs_buf_free(). The fields may be read freely;
 * write them only through the functions below. */
typedef struct hs_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} hs_buf;

#define HS_BUF_INIT {NULL, 0, 0}

/* Frees buf->data and resets buf to empty. Accepts NULL. */
HS_API void hs_buf_free(hs_buf *buf);

/* Sets buf->len to 0, keeping its memory. */
HS_API void hs_buf_reset(hs_buf *buf);

/*
 * Appends one msgpack value built from a format to buf.
 *
 * The format is a list of values separated by spaces or commas. A value is
 * a conversion letter, or `{` ... `}` for a map, or `[` ... `]` for an
 * array. Inside a map, each value is preceded by a key: a literal word
 * `name:` (letters, digits, `_`, `-`, `.`) or `*:` to take the key (a
 * const char *) from the arguments. When the whole format is a list of
 * `key:value` pairs, the braces may be left out: "port:s cargo:i" packs the
 * map {"port": ..., "cargo": ...}. An empty format packs an empty map.
 *
 * Conversions and the arguments they take:
 *   s  const char * (NUL-terminated; NULL packs nil)
 *   S  const char *, size_t          (string of given length)
 *   B  const void *, size_t          (binary)
 *   i  int            I  int64_t
 *   u  unsigned int   U  uint64_t
 *   d  double         b  int (packed as a boolean)
 *   n  nothing (nil)
 *   m  const void *, size_t          (one complete msgpack value, copied in)
 *
 * Returns 0, HS_EFORMAT for a malformed format, HS_EBADMSG when an `m`
 * argument is not one valid msgpack value, HS_ENOMEM. On failure buf->len is
 * unchanged.
 */
HS_API int hs_packf(hs_buf *buf, const char *fmt, ...);
HS_API int hs_vpackf(hs_buf *buf, const char *fmt, va_list ap);

/* Checks that [data, data+len) is exactly one well-formed msgpack value.
 * Returns 0 or HS_EBADMSG. Thread-safe. */
HS_API int hs_msgpack_check(const void *data, size_t len);

/* Kinds of msgpack values as seen by hs_get(). */
typedef enum hs_kind {
	HS_NIL,
	HS_BOOL,
	HS_INT,    /* signed or unsigned integer that fits int64_t */
	HS_UINT,   /* unsigned integer above INT64_MAX */
	HS_FLOAT,
	HS_STR,
	HS_BIN,
	HS_ARRAY,
	HS_MAP,
	HS_EXT
} hs_kind;

/* A borrowed view of one msgpack value. `raw`/`raw_len` span the whole
 * encoded value; for HS_STR and HS_BIN `str`/`len` is its payload (not
 * NUL-terminated); for HS_ARRAY and HS_MAP `len` is the element or pair
 * count. All pointers point into the buffer that was searched. */
typedef struct hs_value {
	hs_kind kind;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double f;
		const char *str;
	} as;
	size_t len;
	const uint8_t *raw;
	size_t raw_len;
} hs_value;

/*
 * Finds a field by path in a msgpack map and describes its value. The path
 * is a key, or keys joined with '.' to reach into nested maps ("pos.lat").
 * An empty path ("") names the whole value.
 * Returns 0, HS_ENOTFOUND when a key is missing (or the value is not a map
 * where the path needs one), HS_EBADMSG when the data is malformed.
 * Thread-safe.
 */
HS_API int hs_get(const void *mp, size_t len, const char *path, hs_value *out);

/* Typed shortcuts over hs_get(): 0, HS_ENOTFOUND, HS_ETYPE (the field has
 * another kind; an integer is accepted by hs_get_f64), HS_ERANGE, or
 * HS_EBADMSG. hs_get_str gives a pointer into mp and the length. */
HS_API int hs_get_i64(const void *mp, size_t len, const char *path, int64_t *out);
HS_API int hs_get_f64(const void *mp, size_t len, const char *path, double *out);
HS_API int hs_get_bool(const void *mp, size_t len, const char *path, bool *out);
HS_API int hs_get_str(const void *mp, size_t len, const char *path,
		      const char **str, size_t *str_len);

/* Copies a string field into dst (NUL-terminated, at most cap-1 bytes).
 * Returns 0, HS_ERANGE when it does not fit (dst untouched), or as
 * hs_get_str. */
HS_API int hs_get_strcpy(const void *mp, size_t len, const char *path,
			 char *dst, size_t cap);

/* ------------------------------------------------------------------ */
/* Runtime                                                              */
/* ------------------------------------------------------------------ */

typedef struct hs_runtime hs_runtime;
typedef struct hs_ctx hs_ctx;
typedef struct hs_event hs_event;

/* Longest agent type name, event type name and agent id, in bytes. */
#define HS_NAME_MAX 63
#define HS_ID_MAX 255

/* hs_type.snapshot_every: the interval a type gets when it sets none
 * (a query of the past replays 16 events on average), and "never". */
#define HS_SNAPSHOT_EVERY_DEFAULT 32u
#define HS_SNAPSHOT_NEVER UINT_MAX

/* Called for each message that is discarded instead of handled: at
 * hs_close() for messages held by failed agents, and for messages sent
 * from a handler while the runtime is closing. Runs on the thread that
 * discards; `body` is valid during the call only. */
typedef void (*hs_drop_fn)(void *udata, const char *type, const char *id,
			   const char *event_type, const void *body,
			   size_t body_len);

/* A clock in nanoseconds since the Unix epoch. Called from worker threads,
 * so it must be thread-safe. */
typedef int64_t (*hs_clock_fn)(void *udata);

/* How a persisted runtime makes its log durable. */
typedef enum hs_durability {
	HS_DURABILITY_NONE = 0, /* RocksDB's write-ahead log without fsync:
				 * survives a crash of the process */
	HS_DURABILITY_SYNC = 1  /* fsync per group commit: survives power
				 * loss; effects and hs_send_wait() are
				 * released only after the covering fsync */
} hs_durability;

/* What opening a log does when RocksDB's write-ahead log (the newest
 * writes, not yet in table files) is damaged: by a crash in the middle of
 * a write, a disk that lost data it had acknowledged, a bad copy. */
typedef enum hs_recovery {
	/* Drops a write cut off at the very end (a crash in the middle of
	 * it); refuses with HS_ECORRUPT a write-ahead log damaged before its
	 * end, and a log that lost transitions it had made durable (written
	 * under HS_DURABILITY_SYNC, or before a clean hs_close), naming the
	 * gseqs lost. Nothing in the directory is changed. */
	HS_RECOVERY_STRICT = 0,
	/* Keeps the log up to its first damaged write and drops the rest,
	 * durable transitions included: the explicit way to go on with a
	 * log that STRICT refuses. A writable runtime then writes from the
	 * gseq after the last one kept. */
	HS_RECOVERY_TRUNCATE = 1
} hs_recovery;

typedef struct hs_options {
	unsigned workers;      /* worker threads; 0 = number of cores */
	unsigned batch;        /* messages per agent turn; 0 = 100 */
	hs_clock_fn clock;     /* record time; NULL = CLOCK_REALTIME */
	void *clock_udata;
	hs_drop_fn on_drop;    /* NULL = discard silently */
	void *drop_udata;

	/* The log's directory: created when missing, reopened when it holds
	 * a hindsight log. NULL keeps everything in memory. Copied. */
	const char *path;
	hs_durability durability;
	/* Most transitions in one group commit; 0 = 4096. */
	unsigned commit_batch;
	/* With a path: open the log read-only, for queries and replay. No
	 * writer is started, every send fails with HS_ENOTSUP, and the log
	 * may be open for writing by another process meanwhile (this
	 * runtime sees it as it was when opened). The directory must hold
	 * a log already. */
	bool read_only;
	/* With a path: when more agents than this are in memory, idle ones
	 * (nothing queued, everything written) leave it, least recently
	 * used first, to be rebuilt from the log when next needed. 0 = no
	 * limit. Needs a path. */
	size_t resident_limit;
	/* With a path: the most memory, in bytes, that blocks read from the
	 * log are cached in (queries of the past and agents rebuilt from the
	 * log read through it); filled only by reads. 0 =
	 * HS_CACHE_BYTES_DEFAULT. */
	size_t cache_bytes;
	/* With a path: what an open does about a damaged write-ahead log
	 * (hs_recovery); 0 = HS_RECOVERY_STRICT. */
	hs_recovery recovery;
} hs_options;

#define HS_CACHE_BYTES_DEFAULT ((size_t)128 << 20)

/* Fills *opts with the defaults. */
HS_API void hs_options_init(hs_options *opts);

/*
 * Creates a runtime and starts its worker threads. `opts` may be NULL for
 * the defaults. With opts->path, every transition is appended to the log
 * in that directory; opening an existing log takes the same time whatever
 * its size, as agents are rebuilt from it only when first needed.
 * On success *out owns the runtime until hs_close().
 * Returns 0, HS_EINVAL, HS_ENOMEM, HS_ETHREAD, or for the log: HS_ENOTLOG
 * (the directory holds something else; nothing in it is changed),
 * HS_EVERSION (written by a newer hindsight), HS_EBUSY (another process
 * has it open for writing), HS_ENOTFOUND (read_only and no log at the
 * path), HS_ECORRUPT (also for a log that lost transitions it had made
 * durable, see hs_recovery) or HS_EIO. A log refused with HS_ENOTLOG,
 * HS_EVERSION or HS_ECORRUPT is left as it was. When `errbuf` is not
 * NULL, a failed open leaves there a sentence naming the problem.
 */
HS_API int hs_open(hs_runtime **out, const hs_options *opts);
HS_API int hs_open_err(hs_runtime **out, const hs_options *opts,
		       char *errbuf, size_t errcap);

/* Copies the text of the runtime's latest storage error (naming the path
 * and key concerned) into buf, NUL-terminated; "" when there was none.
 * Thread-safe. */
HS_API void hs_last_error(hs_runtime *rt, char *buf, size_t cap);

/*
 * Stops the runtime: from now on every send from outside fails with
 * HS_ECLOSED, and messages sent from handlers are passed to on_drop
 * instead of being delivered; every message already queued at a healthy
 * agent is handled and its transition written; messages held by failed
 * agents are passed to on_drop and discarded. Then joins the workers and
 * frees everything, including `rt`. Must not be called from a handler or
 * watcher. Accepts NULL. Returns 0, or HS_EFAILED when messages held by
 * failed agents were discarded (the runtime is freed all the same).
 * Senders waiting in hs_send_timeout() for room in a full mailbox return
 * HS_ECLOSED as soon as hs_close() begins, having queued nothing.
 */
HS_API int hs_close(hs_runtime *rt);

/* ------------------------------------------------------------------ */
/* Agent types                                                          */
/* ------------------------------------------------------------------ */

/* Results of apply() besides negative errors. */
#define HS_UNCHANGED 0
#define HS_CHANGED 1

/* What happens when apply() returns an error. */
typedef enum hs_on_error {
	HS_ON_ERROR_FAIL = 0, /* the agent stops; its messages wait for
			       * hs_restart() */
	HS_ON_ERROR_SKIP = 1  /* the event is dropped, the agent goes on */
} hs_on_error;

/* An agent's identity. Both strings are NUL-terminated. */
typedef struct hs_addr {
	const char *type;
	const char *id;
} hs_addr;

typedef struct hs_type {
	const char *name;  /* 1..HS_NAME_MAX bytes; copied */
	size_t state_size; /* bytes of state the runtime allocates, > 0 */

	/* Sets up a fresh agent's zeroed state. Optional. Returns 0 or a
	 * negative code, which makes the first send to the agent fail. */
	int (*init)(void *state, const hs_addr *self, void *udata);

	/* Handles one event: changes the state in place and returns
	 * HS_CHANGED, HS_UNCHANGED or a negative error. On HS_UNCHANGED or an
	 * error it must have left the state as it found it. Messages sent
	 * through the context are delivered after the transition is done;
	 * those sent before an error are discarded. Time and randomness must
	 * come from hs_ctx_now() and hs_ctx_random() so that replay is
	 * exact. Required. */
	int (*apply)(hs_ctx *ctx, void *state, const hs_event *event);

	/* Appends the state as one msgpack value to `out`. Required. Must be
	 * deterministic: equal states give equal bytes. */
	int (*encode)(const void *state, hs_buf *out, void *udata);

	/* Sets a zeroed (or init'ed) state from msgpack written by encode.
	 * Returns 0 or a negative code (HS_EBADMSG for data it rejects).
	 * Required. */
	int (*decode)(void *state, const void *data, size_t len, void *udata);

	/* Releases what the state owns (not the state itself). Optional.
	 * Also called on a zeroed state, and on a state whose rebuild from
	 * the log stopped part-way. */
	void (*destroy)(void *state, void *udata);

	hs_on_error on_error;
	/* In a persisted runtime, store the state every this many
	 * transitions of an agent, so that rebuilding it (at activation or
	 * in a query of the past) applies fewer than this many events.
	 * 0 = HS_SNAPSHOT_EVERY_DEFAULT; HS_SNAPSHOT_NEVER = never (every
	 * rebuild then replays the agent's whole history). */
	unsigned snapshot_every;
	/*
	 * Back-pressure: the most messages that may wait in one agent's
	 * mailbox (not counting the one being handled); 0 = no limit. While
	 * an agent has this many waiting, sends from outside are held back:
	 * hs_send() and its variants fail at once with HS_EAGAIN (nothing is
	 * queued), hs_send_timeout() waits for room. Senders that waited are
	 * woken when the agent has worked its mailbox down to half the limit.
	 * Messages sent by handlers (hs_ctx_send) are never refused nor
	 * delayed: they belong to a transition already accepted (and, with a
	 * log, written), so they may take a mailbox over its limit, by at
	 * most what handlers send to it; until it is back under the limit,
	 * outside senders wait. Types without a limit pay nothing for it.
	 */
	unsigned mailbox_limit;
	void *udata; /* passed to every callback above */

	/*
	 * Schema versions (README "Changing event and state shapes"). Each
	 * record stores the event_version and state_version of the code
	 * that wrote it; 0 here means 1, and a log written before versions
	 * existed is version 1 throughout. Reading an event recorded at an
	 * older version (activation, replay, verify, what-if) runs it
	 * through event_upcasters, one step at a time (v1->v2->v3), before
	 * apply sees it; the log is never rewritten. An event without a
	 * chain of upcasters up to event_version, or recorded by a newer
	 * version than event_version, cannot be applied: HS_ESCHEMA, with
	 * the type, event and versions named in hs_last_error(). Upcasters
	 * get the type's udata.
	 */
	unsigned event_version;
	const struct hs_upcaster *event_upcasters; /* copied */
	size_t event_upcasters_len;
	/*
	 * A snapshot written by another state_version is either ignored
	 * (HS_OLD_SNAPSHOTS_REBUILD, the default: the state is rebuilt from
	 * the events before it, which costs a longer replay until newer
	 * snapshots exist) or, with HS_OLD_SNAPSHOTS_UPCAST, an older one is
	 * run through state_upcasters (each converts the encoded state of
	 * from_version into that of from_version + 1; `event` unused) and
	 * decoded; a missing step is HS_ESCHEMA. A snapshot newer than the
	 * code is always ignored. Recorded state hashes of another
	 * state_version cannot be compared: hs_verify counts them apart.
	 */
	unsigned state_version;
	int old_snapshots; /* HS_OLD_SNAPSHOTS_* */
	const struct hs_upcaster *state_upcasters; /* copied */
	size_t state_upcasters_len;
} hs_type;

#define HS_OLD_SNAPSHOTS_REBUILD 0
#define HS_OLD_SNAPSHOTS_UPCAST 1

/*
 * Converts one recorded event body (or encoded state) from version v to
 * v + 1: reads `len` bytes of msgpack at `data` (NULL, 0 for an event
 * without a body) and appends the new msgpack value to `out` (empty:
 * no body). `event` is the event type (NULL for a state). Returns 0 or a
 * negative code (HS_EBADMSG for data it rejects), which stops the read as
 * apply's error would. Runs on the thread that reads (a worker at
 * activation, the caller of a replay call); must be deterministic and
 * must not call the runtime.
 */
typedef int (*hs_upcast_fn)(const char *event, const void *data,
			    size_t len, hs_buf *out, void *udata);

typedef struct hs_upcaster {
	/* Events: the event type it converts, or NULL for every event of
	 * the type that has no upcaster of its own at this from_version.
	 * States: unused. */
	const char *event;
	unsigned from_version; /* >= 1, below the type's version */
	/* NULL: the shape did not change at this step (the data goes on
	 * as it is); an event still needs an entry (its own or a NULL
	 * `event` one) at every step, so that nothing is read through a
	 * step nobody thought about. */
	hs_upcast_fn fn;
} hs_upcaster;

/*
 * Registers an agent type. The definition is copied (with its upcaster
 * tables and their event names). Thread-safe; may be called while agents
 * run. Returns 0, HS_EINVAL (missing callback, zero state size, an
 * upcaster's from_version not in 1..version-1, two upcasters for the same
 * event and from_version, an unknown old_snapshots), HS_ETOOLONG,
 * HS_EEXIST or HS_ENOMEM.
 */
HS_API int hs_register(hs_runtime *rt, const hs_type *type);

/* ------------------------------------------------------------------ */
/* Sending                                                              */
/* ------------------------------------------------------------------ */

/*
 * Queues an event for agent (type, id), creating the agent on its first
 * message. `body` is one msgpack value (normally a map) of `len` bytes,
 * copied; NULL with len 0 means an event without a body.
 * Messages from one sender thread to one agent are handled in the order
 * sent. Thread-safe. From inside apply(), use hs_ctx_send() instead: a
 * message sent with hs_send() there is neither held until its cause is
 * written nor recorded as caused, so replay cannot re-derive it.
 * Returns 0, HS_EINVAL (NULL or empty name or id), HS_ETOOLONG, HS_ENOTYPE,
 * HS_EBADMSG (body not exactly one msgpack value), HS_ECLOSED, HS_ENOMEM,
 * HS_EAGAIN (the agent's mailbox is full, see hs_type.mailbox_limit;
 * nothing was queued), HS_ENOTSUP (a read_only runtime), the error that
 * stopped the log writer (HS_EIO, HS_ENOMEM), the error of the type's
 * init() for a new agent, or for an agent rebuilt from the log, what
 * hs_deref() returns. hs_send() never waits for room in a full mailbox,
 * nor do hs_sendf(), hs_send_at() and hs_send_wait() (which waits only
 * for the handling): only hs_send_timeout() does. So hs_send() stays safe
 * where waiting could deadlock (in a watcher, which runs on a worker or
 * the log's writer thread).
 */
HS_API int hs_send(hs_runtime *rt, const char *type, const char *id,
		   const char *event_type, const void *body, size_t len);

/*
 * hs_send() that, when the agent's mailbox is full (hs_type.mailbox_limit),
 * waits up to timeout_ms for room instead of failing with HS_EAGAIN:
 * 0 = do not wait (exactly hs_send()), negative = no time limit. For a
 * type without a limit it is hs_send(). Returns what hs_send() returns,
 * with HS_ETIMEDOUT in place of HS_EAGAIN when the mailbox was still full
 * at the deadline, and HS_ECLOSED when hs_close() began while it waited;
 * in both cases nothing was queued. A mailbox stays full while its agent
 * is failed: the wait then ends with hs_restart(), the timeout or
 * hs_close(). Thread-safe; must not be called from a handler or watcher
 * (it could wait for the worker or writer it runs on): hs_ctx_send() is
 * never held back.
 */
HS_API int hs_send_timeout(hs_runtime *rt, const char *type, const char *id,
			   const char *event_type, const void *body,
			   size_t len, int timeout_ms);

/* hs_send() with a body built by hs_packf() from fmt:
 *   hs_sendf(rt, "ship", "Gloria", "depart", "port:s cargo:i", "Malmo", 42);
 * Also returns HS_EFORMAT. Thread-safe. */
HS_API int hs_sendf(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const char *fmt, ...);

/*
 * hs_send() of an event that happened at a known time (ns since the
 * epoch), for sources that carry their own clock: the transition's time
 * (hs_ctx_now(), the record's time) is time_ns instead of the runtime
 * clock's reading, raised to the agent's previous transition time if it
 * is earlier, so that an agent's times never go back. Thread-safe.
 */
HS_API int hs_send_at(hs_runtime *rt, const char *type, const char *id,
		      const char *event_type, const void *body, size_t len,
		      int64_t time_ns);

/*
 * Agent references: a sender that sends one agent many events resolves it
 * once with hs_agent_ref() and sends through the reference, which skips
 * finding the agent (a hash lookup under a lock) on every send.
 */
typedef struct hs_ref hs_ref;

/*
 * Resolves agent (type, id) as a first hs_send() to it would: finds it in
 * memory, rebuilds it from the log, or creates it (running init). While
 * the reference is held the agent stays in memory: with resident_limit it
 * counts as resident but is never passivated, so hold references to at
 * most as many agents as the limit should keep. On success *out owns the
 * reference until hs_ref_release(); a reference still held at hs_close()
 * is freed by it (using or releasing it afterwards is an error, as any
 * use of the runtime). Returns 0, HS_EINVAL, HS_ETOOLONG, HS_ENOTYPE,
 * HS_ECLOSED, HS_ENOTSUP (read-only runtime), HS_ENOMEM, the error that
 * stopped the log writer, init()'s error, or for an agent rebuilt from
 * the log what hs_deref() returns. Thread-safe.
 */
HS_API int hs_agent_ref(hs_runtime *rt, const char *type, const char *id,
			hs_ref **out);

/*
 * hs_send() to the agent of `ref`: the same body rules, copying, ordering
 * (messages from one sender thread to the agent, through references or
 * not, are handled in the order sent), back-pressure (HS_EAGAIN when the
 * mailbox is full) and errors, except that the agent is not looked up.
 * Thread-safe: one reference may be used by several threads at once, but
 * not concurrently with or after its hs_ref_release().
 */
HS_API int hs_send_ref(hs_ref *ref, const char *event_type, const void *body,
		       size_t len);

/* Lets the agent of `ref` leave memory again (under resident_limit) and
 * frees the reference. Accepts NULL. Thread-safe, but not concurrently
 * with a send through the same reference. */
HS_API void hs_ref_release(hs_ref *ref);

/* Where a transition went. seq and gseq are 0 when the event changed
 * nothing; gseq is 0 in an in-memory runtime. */
typedef struct hs_receipt {
	uint64_t seq;
	uint64_t gseq;
} hs_receipt;

/*
 * hs_send() that blocks until the event has been handled and, if it changed
 * the state, its transition is in the log (fsynced under
 * HS_DURABILITY_SYNC): for callers that acknowledge to the outside world.
 * `out` may be NULL. Returns what hs_send() returns, or apply()'s error, or
 * HS_EFAILED (the agent was failed and the message was discarded at
 * hs_restart), HS_ECLOSED (discarded at hs_close), HS_EIO (the log could
 * not be written). Thread-safe; never from a handler or watcher.
 */
HS_API int hs_send_wait(hs_runtime *rt, const char *type, const char *id,
			const char *event_type, const void *body, size_t len,
			hs_receipt *out);

/*
 * Asks an agent: sends the event and waits up to timeout_ms (negative: no
 * limit) for the handler's answer, given with hs_ctx_reply. The answer
 * comes once the event has been handled and, if it changed the state, its
 * transition is in the log (as for hs_send_wait); a handler that changes
 * nothing can answer a question about its state. On success the reply (a
 * msgpack value; nothing for an empty reply) is appended to `reply`.
 * Returns what hs_send() returns, or HS_ETIMEDOUT (the question may still
 * be handled later, its answer then goes nowhere), HS_ENOREPLY (handled
 * without hs_ctx_reply), HS_EFAILED (the agent failed on the question, is
 * failed, or dropped it at hs_restart), apply()'s error (with
 * HS_ON_ERROR_SKIP), HS_ECLOSED, HS_EIO. Thread-safe; never from a handler
 * or watcher.
 */
HS_API int hs_ask(hs_runtime *rt, const char *type, const char *id,
		  const char *event_type, const void *body, size_t len,
		  int timeout_ms, hs_buf *reply);

/* The answer of hs_ask_async: rc as hs_ask's, the reply valid during the
 * call only. */
typedef void (*hs_reply_fn)(void *udata, int rc, const void *reply,
			    size_t len);

/*
 * hs_ask without blocking: fn is called exactly once with the outcome, on
 * a thread of the runtime (a worker or the log's writer), at the latest
 * when hs_close drops the question (HS_ECLOSED). fn must be short and must
 * not call what a watcher must not. There is no timeout: bound the wait
 * with a timer of your own or hs_ask. Returns 0 (fn will be called) or
 * what hs_send() returns (fn is never called). Thread-safe.
 */
HS_API int hs_ask_async(hs_runtime *rt, const char *type, const char *id,
			const char *event_type, const void *body, size_t len,
			hs_reply_fn fn, void *udata);

/*
 * Blocks until every message sent before the call has been handled and the
 * runtime is idle (with a log: every transition written, and the messages
 * it held delivered), or until timeout_ms passes (negative = no limit).
 * Messages held by failed agents are not waited for.
 * Returns 0, HS_EFAILED (idle, but some agent has failed), HS_ETIMEDOUT.
 * Thread-safe; must not be called from a handler or watcher.
 */
HS_API int hs_await(hs_runtime *rt, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Inside a handler                                                     */
/* ------------------------------------------------------------------ */

/* The event's type name (NUL-terminated) and its body. */
HS_API const char *hs_event_type(const hs_event *ev);
HS_API const void *hs_event_body(const hs_event *ev, size_t *len);

/* True when the event's type equals `name`. */
HS_API bool hs_event_is(const hs_event *ev, const char *name);

/* hs_get*() on the event body. */
HS_API int hs_event_get(const hs_event *ev, const char *path, hs_value *out);
HS_API int hs_event_i64(const hs_event *ev, const char *path, int64_t *out);
HS_API int hs_event_f64(const hs_event *ev, const char *path, double *out);
HS_API int hs_event_bool(const hs_event *ev, const char *path, bool *out);
HS_API int hs_event_str(const hs_event *ev, const char *path,
			const char **str, size_t *len);
HS_API int hs_event_strcpy(const hs_event *ev, const char *path, char *dst,
			   size_t cap);

/* The agent being handled. */
HS_API hs_addr hs_ctx_self(const hs_ctx *ctx);

/* The udata of the agent's type (hs_type.udata). */
HS_API void *hs_ctx_udata(const hs_ctx *ctx);

/* The seq this transition gets if apply returns HS_CHANGED. */
HS_API uint64_t hs_ctx_seq(const hs_ctx *ctx);

/* The transition's time in ns since the epoch (the record's time): the
 * same value for the whole apply call, never less than the agent's
 * previous transition time. */
HS_API int64_t hs_ctx_now(const hs_ctx *ctx);

/* A pseudo-random number determined by the agent, the seq and the number
 * of earlier calls in this apply: replay gets the same sequence. */
HS_API uint64_t hs_ctx_random(hs_ctx *ctx);

/* True when the handler runs in a replay (effects are suppressed). */
HS_API bool hs_ctx_replaying(const hs_ctx *ctx);

/* Attaches a message to the error apply() is about to return (shown by
 * hs_agent_status). */
HS_API void hs_ctx_set_error(hs_ctx *ctx, const char *fmt, ...) HS_PRINTF(2, 3);

/*
 * Sends from inside apply: the message is delivered after the current
 * transition is done, and not at all if apply returns an error. Same
 * arguments, copying and errors as hs_send(), checked at the call, except
 * that a full mailbox neither refuses nor delays it: it is part of a
 * transition already accepted, and its delivery (by the worker, or with a
 * log by the writer thread) must not wait for any agent. It may take the
 * target's mailbox over its hs_type.mailbox_limit; outside senders are
 * then held back until the agent is under the limit again.
 */
HS_API int hs_ctx_send(hs_ctx *ctx, const char *type, const char *id,
		       const char *event_type, const void *body, size_t len);
HS_API int hs_ctx_sendf(hs_ctx *ctx, const char *type, const char *id,
			const char *event_type, const char *fmt, ...);

/*
 * Timers: a message that the runtime sends later, when its clock
 * (hs_options.clock) reaches due_ns. A timer belongs to the agent whose
 * handler set it and is named by that handler (1..HS_NAME_MAX bytes);
 * setting a name again replaces the timer, hs_ctx_timer_cancel removes it.
 * type and id name the agent the message goes to (both NULL: this agent);
 * event and body are checked and copied as by hs_ctx_send.
 *
 * A timer is part of the transition that set it: it takes effect only if
 * apply returns HS_CHANGED (with HS_UNCHANGED or an error, the calls are
 * forgotten), and with a log it is written in the same batch, so it
 * survives a restart. When it fires, its message is delivered with the
 * setting transition as its recorded cause and due_ns as its time (or the
 * target's last transition time, if later); the timer is deleted from the
 * log with the transition that handles the firing, so a firing the runtime
 * did not handle before it stopped is fired again after the next open.
 * Timers due while the runtime was down fire at open, in due order, once
 * their target's type is registered (register every type before the
 * clock passes their dues, or a timer of a type registered later fires
 * after a later-due one of a type registered earlier). Ties fire in the
 * order they were set. A firing that waits in a mailbox while its owner
 * sets the name again or cancels it is stale and not handled: a re-armed
 * timer fires once, at its new time.
 *
 * In a replay these calls do nothing and return 0 (the firing is a
 * recorded event of its own). hs_ctx_timer_after is relative to
 * hs_ctx_now(). Returns 0, HS_EINVAL, HS_ETOOLONG, HS_ENOTYPE, HS_EBADMSG
 * or HS_ENOMEM.
 */
HS_API int hs_ctx_timer_at(hs_ctx *ctx, const char *name, int64_t due_ns,
			   const char *type, const char *id,
			   const char *event_type, const void *body,
			   size_t len);
HS_API int hs_ctx_timer_after(hs_ctx *ctx, const char *name,
			      int64_t delay_ns, const char *type,
			      const char *id, const char *event_type,
			      const void *body, size_t len);
HS_API int hs_ctx_timer_cancel(hs_ctx *ctx, const char *name);

/*
 * Asking from a handler: sends the event to (type, id) as hs_ctx_send
 * does, and the answer comes back later as an ordinary event
 * `reply_event` to this agent (never blocking inside apply), with the body
 * {"ask": ID, "reply": REPLY} (REPLY nil for an empty reply), or
 * {"ask": ID, "error": CODE} when the asked agent's handler failed on it,
 * or, with timeout_ns > 0, {"ask": ID, "timeout": true} if no answer came
 * within that time (a durable timer, so across a restart too). ID is
 * written to *ask_id (may be NULL): unique per agent. A late answer after
 * a timeout still comes; the handler of the answer cancels the timeout
 * when it returns HS_CHANGED (a timeout already on its way is then not
 * handled). Part of the transition, and only of one that
 * is recorded: nothing is asked unless apply returns HS_CHANGED (ask ids
 * come from the transition's seq). Returns 0, hs_ctx_send's errors, or
 * HS_ERANGE (more than 65,535 asks in one transition).
 */
HS_API int hs_ctx_ask(hs_ctx *ctx, const char *type, const char *id,
		      const char *event_type, const void *body, size_t len,
		      const char *reply_event, int64_t timeout_ns,
		      uint64_t *ask_id);

/*
 * Answers the question being handled (from hs_ask, hs_ask_async or
 * hs_ctx_ask) with a msgpack body (copied; NULL, 0 for none). The answer
 * leaves with the transition's other effects. Returns 0, HS_EINVAL (the
 * event is not a question), HS_EEXIST (answered already), HS_EBADMSG,
 * HS_ENOMEM; 0 and nothing done in a replay.
 */
HS_API int hs_ctx_reply(hs_ctx *ctx, const void *body, size_t len);

/* Whether the event being handled is a question that has no answer yet
 * (false in a replay: the state must not depend on it). */
HS_API bool hs_ctx_asked(const hs_ctx *ctx);

/*
 * A thread of the runtime fires timers when the clock reaches them,
 * looking at the clock again at least once a second. With a simulated
 * clock, call this after moving it: it fires every timer due now, in due
 * order, on the calling thread, before it returns (so an hs_await after it
 * sees them handled). *fired (may be NULL) receives how many fired.
 * Thread-safe; not from a handler or watcher. Returns 0, HS_EINVAL or
 * HS_ENOTSUP (read-only runtime).
 */
HS_API int hs_timers_fire_due(hs_runtime *rt, size_t *fired);

/* Timers set and not yet handled (fired ones included until their firing
 * is handled). A read-only runtime loads no timers and fires none: it
 * counts the log's. Thread-safe. */
HS_API size_t hs_timers_pending(hs_runtime *rt);

/* ------------------------------------------------------------------ */
/* Watchers                                                             */
/* ------------------------------------------------------------------ */

/* One state transition as watchers see it. Every pointer is valid only
 * during the watcher call. */
typedef struct hs_transition {
	hs_addr agent;
	uint64_t seq;          /* 1, 2, ... per agent */
	int64_t time_ns;       /* hs_ctx_now() of the transition */
	const char *event_type;
	const void *event_body;
	size_t event_len;
	const void *old_state; /* encoded by the type's encode() */
	size_t old_len;
	const void *new_state;
	size_t new_len;
	/* The transition's place in the log: set for durable watchers, 0
	 * for the others (it is given when the record is written). */
	uint64_t gseq;
	/* The transition whose handler sent the event, as in hs_record:
	 * cause_seq == 0 (and cause names "") when it came from outside. */
	hs_addr cause;
	uint64_t cause_seq;
	uint64_t cause_gseq;
} hs_transition;

typedef void (*hs_watch_fn)(void *udata, const hs_transition *t);

/*
 * Watchers see transitions. There are two kinds, and a third, built in,
 * between them: every transition is shown first to the watchers of
 * hs_watch, then to the runtime's own sink (the log appender, or in memory
 * the release of the handler's messages), then, once it is written, to the
 * watchers of hs_watch_durable.
 *
 * hs_watch: fn runs synchronously on the worker that made the transition,
 * before its record is written: it sees every transition (also in memory),
 * exactly once, in seq order per agent, and transitions of different
 * agents concurrently, with gseq 0. It may see a transition that never
 * reaches the log (the write fails later, or the process dies first): use
 * it for what must happen in the turn (metrics, live views), not for what
 * must agree with the log. While it runs it delays its agent. A watcher
 * registered while an event is being handled may see that transition
 * with an empty old state (old_len 0).
 *
 * A watcher must not call hs_watch, hs_watch_durable, hs_unwatch,
 * hs_send_wait, hs_await or hs_close; it may call hs_send. On success *id
 * (if id is not NULL) names the watcher for hs_unwatch.
 * Thread-safe. Returns 0, HS_EINVAL or HS_ENOMEM.
 */
HS_API int hs_watch(hs_runtime *rt, hs_watch_fn fn, void *udata, int *id);

/*
 * hs_watch_durable: fn runs on the log's writer thread after the write
 * (and fsync under HS_DURABILITY_SYNC) that covers the transition, and
 * before the transition's messages are delivered or its hs_send_wait
 * returns. It sees every transition written from its registration on,
 * exactly once, in gseq order without a gap, with gseq set, and never one
 * whose write failed. Its first transition is the first one queued for
 * writing after this call returns; so reading the log up to (first gseq -
 * 1) with hs_history and then following the watcher misses nothing. When
 * hs_await returns, durable watchers have seen every transition so far.
 * fn delays the next write while it runs: keep it short, or hand the
 * transition to a thread of your own (copy it: its pointers die when fn
 * returns). Same restrictions as hs_watch.
 * Thread-safe. Returns 0, HS_EINVAL, HS_ENOMEM, or HS_ENOTSUP when the
 * runtime has no writable log (in memory, or read-only).
 */
HS_API int hs_watch_durable(hs_runtime *rt, hs_watch_fn fn, void *udata,
			    int *id);

/* Removes a watcher of either kind; once this returns, fn is not running
 * and will not run again. Thread-safe. Returns 0 or HS_ENOTFOUND. */
HS_API int hs_unwatch(hs_runtime *rt, int id);

/* ------------------------------------------------------------------ */
/* Reading agents                                                       */
/* ------------------------------------------------------------------ */

/*
 * Appends the current state of agent (type, id), encoded by the type's
 * encode(), to `out` (owned by the caller). The state read is the one after
 * the agent's latest completed transition, never a half-applied one. In a
 * persisted runtime an agent not in memory is rebuilt from the log.
 * Thread-safe, but not from inside apply(): a handler that read another
 * agent's live state could not be replayed (send it a message instead).
 * Returns 0, HS_EINVAL, HS_ENOTYPE, HS_ENOAGENT, HS_ENOMEM, the error of
 * encode(), or a storage error (see hs_last_error).
 */
HS_API int hs_deref(hs_runtime *rt, const char *type, const char *id,
		    hs_buf *out);

/* The number of agents in memory now. Thread-safe. */
HS_API size_t hs_resident(hs_runtime *rt);

typedef struct hs_agent_status {
	uint64_t seq;            /* transitions so far */
	uint64_t skipped;        /* events dropped under HS_ON_ERROR_SKIP */
	bool failed;             /* stopped until hs_restart() */
	int error;               /* last apply() error, 0 if none */
	char error_event[HS_NAME_MAX + 1]; /* its event type */
	char error_msg[256];     /* hs_ctx_set_error() text, may be empty */
} hs_agent_status;

/* Fills *out with the agent's status. Thread-safe, but not from apply().
 * Returns 0, HS_EINVAL, HS_ETOOLONG, HS_ENOTYPE, HS_ENOAGENT, or for an
 * agent rebuilt from the log what hs_deref() returns. */
HS_API int hs_agent_status_get(hs_runtime *rt, const char *type,
			       const char *id, hs_agent_status *out);

/* Restart flags. */
#define HS_RESTART_DROP_PENDING 1u /* discard the messages that waited */

/*
 * Clears a failed agent's error and resumes handling its messages, from the
 * state it had before the failing event. With HS_RESTART_DROP_PENDING the
 * messages that waited are discarded (through on_drop) first.
 * Thread-safe, but not from apply(). Returns 0, HS_EINVAL (agent is not
 * failed), HS_ETOOLONG, HS_ENOTYPE, HS_ENOAGENT, or what hs_deref()
 * returns for an agent rebuilt from the log.
 */
HS_API int hs_restart(hs_runtime *rt, const char *type, const char *id,
		      unsigned flags);

/* ------------------------------------------------------------------ */
/* Metrics                                                              */
/* ------------------------------------------------------------------ */

/* Buckets of hs_metrics.log_batch_buckets: bucket i (0 <= i < 17) counts
 * batches of at most 2^i transitions (and more than 2^(i-1)); the last
 * counts larger ones. */
#define HS_METRICS_BATCH_BUCKETS 18
/* Buckets of hs_metrics.log_write_buckets: bucket i (0 <= i < 21) counts
 * writes that took at most 2^i microseconds (and more than 2^(i-1));
 * the last counts slower ones (over 2^20 us, about 1.05 s). */
#define HS_METRICS_LATENCY_BUCKETS 22

/*
 * The runtime's numbers, for monitoring. Counters count since hs_open
 * and only grow (a scraper derives rates from them: transitions/s);
 * gauges are the value now. The struct may grow at its end in later
 * versions: set `size` to sizeof(hs_metrics) before the call, and the
 * runtime fills that many bytes (at most its own size) and sets `size`
 * to what it filled. Numbers are read without stopping the runtime, so
 * two of them may be a few events apart; each one alone is exact once the
 * runtime is idle (after hs_await).
 */
typedef struct hs_metrics {
	size_t size; /* in: sizeof(hs_metrics); out: bytes filled */

	/* Counters: agents' work. */
	uint64_t events_queued;    /* messages put into mailboxes: sends from
				    * outside, handlers' sends, answers,
				    * timer firings */
	uint64_t events_handled;   /* messages handled by a worker */
	uint64_t transitions;      /* events that changed a state
				    * (apply returned HS_CHANGED) */
	uint64_t events_unchanged; /* events that changed nothing (also stale
				    * timer firings, which are not applied) */
	uint64_t handler_errors;   /* apply() returned an error */
	uint64_t events_skipped;   /* of those, dropped under
				    * HS_ON_ERROR_SKIP */
	uint64_t agent_failures;   /* of those, agents stopped
				    * (HS_ON_ERROR_FAIL) */
	uint64_t restarts;         /* hs_restart() of a failed agent */
	uint64_t turns;            /* times an agent was given a worker */
	uint64_t sends_refused;    /* outside sends refused or timed out on a
				    * full mailbox (HS_EAGAIN, HS_ETIMEDOUT) */
	uint64_t messages_dropped; /* messages given to on_drop: discarded at
				    * hs_restart (HS_RESTART_DROP_PENDING),
				    * at hs_close, or undeliverable */
	uint64_t timers_fired;

	/* Counters: agents in and out of memory. */
	uint64_t agents_created;   /* new agents (init run) */
	uint64_t activations;      /* agents rebuilt from the log */
	uint64_t activation_ns;    /* total time those rebuilds took */
	uint64_t passivations;     /* agents that left memory under
				    * resident_limit */

	/* Counters: the log's writer (0 in memory and read-only). */
	uint64_t log_batches;      /* group commits written */
	uint64_t log_records;      /* transitions written */
	uint64_t log_snapshots;    /* snapshots written with them */
	uint64_t log_bytes;        /* bytes of records and snapshots */
	uint64_t log_write_ns;     /* total time in the log's write (with the
				    * fsync under HS_DURABILITY_SYNC) */
	uint64_t log_write_ns_max; /* the slowest write */
	uint64_t log_batch_buckets[HS_METRICS_BATCH_BUCKETS];
	uint64_t log_write_buckets[HS_METRICS_LATENCY_BUCKETS];

	/* Gauges. */
	uint64_t agents_resident;  /* agents in memory (hs_resident) */
	uint64_t resident_limit;   /* hs_options.resident_limit, 0 = none */
	uint64_t agents_failed;    /* failed agents waiting for hs_restart */
	uint64_t mailbox_depth;    /* messages queued and not yet handled
				    * (one being handled counts until its
				    * outcome; failed agents' included) */
	uint64_t run_queue_depth;  /* agents waiting for a worker */
	uint64_t log_queue_depth;  /* transitions waiting for the writer */
	uint64_t timers_pending;   /* as hs_timers_pending; 0 read-only */
	uint64_t log_last_gseq;    /* the last gseq written */
	int64_t log_error;         /* the error that stopped the writer, or 0 */
	uint64_t workers;
	uint64_t types;            /* agent types registered */
} hs_metrics;

/*
 * Fills *out with the runtime's metrics (see hs_metrics; set out->size
 * first). Cheap: it sums per-thread counters (a few per worker and per
 * registered type) without stopping anything. Thread-safe; may be called
 * from a watcher or a handler. Returns 0, or HS_EINVAL (rt or out NULL,
 * out->size below the first version's size).
 */
HS_API int hs_metrics_get(hs_runtime *rt, hs_metrics *out);

/*
 * Appends the metrics to `out` in the Prometheus text exposition format
 * (version 0.0.4: a HELP and a TYPE line per metric, names prefixed
 * `hindsight_`, counters ending in `_total`, seconds and bytes as base
 * units), for a program to serve on its own endpoint. Besides the numbers
 * of hs_metrics, events are also counted per agent type (label `type`).
 * Thread-safe, as hs_metrics_get. Returns 0, HS_EINVAL (rt or out NULL)
 * or HS_ENOMEM (out->len then unchanged).
 */
HS_API int hs_metrics_prometheus(hs_runtime *rt, hs_buf *out);


/* ------------------------------------------------------------------ */
/* The past: records, states at a point, replay                         */
/* ------------------------------------------------------------------ */

/*
 * Everything below reads the log of a runtime opened with a path (a
 * running one, or one opened with read_only) and never writes to it. The
 * runtime's registered types give the apply() used to rebuild states:
 * rebuilding an agent of a type that is not registered fails with
 * HS_ENOTYPE. All of it is thread-safe and may run while agents run; it
 * sees the log as far as it was written when the call began. Replayed
 * handlers see hs_ctx_replaying() true and their sends are suppressed.
 * In an in-memory runtime every function here returns HS_ENOTSUP.
 */

/* A point in an agent's or the log's history. */
typedef enum hs_point_kind {
	HS_POINT_SEQ,  /* after the agent's transition `seq` (>= 1) */
	HS_POINT_GSEQ, /* after every transition with gseq <= `gseq` */
	HS_POINT_TIME  /* in force at `time_ns`: after every transition with
			* time <= time_ns */
} hs_point_kind;

typedef struct hs_point {
	hs_point_kind kind;
	uint64_t seq;    /* HS_POINT_SEQ or HS_POINT_GSEQ */
	int64_t time_ns; /* HS_POINT_TIME */
} hs_point;

static inline hs_point hs_at_seq(uint64_t seq)
{
	hs_point p = {HS_POINT_SEQ, seq, 0};
	return p;
}

static inline hs_point hs_at_gseq(uint64_t gseq)
{
	hs_point p = {HS_POINT_GSEQ, gseq, 0};
	return p;
}

static inline hs_point hs_at_time(int64_t time_ns)
{
	hs_point p = {HS_POINT_TIME, 0, time_ns};
	return p;
}

/* One stored transition. Pointers are valid during the callback only. */
typedef struct hs_record {
	hs_addr agent;
	uint64_t seq;
	uint64_t gseq;
	int64_t time_ns;
	const char *event_type;
	const void *body; /* msgpack, NULL when the event had none */
	size_t body_len;
	hs_addr cause;    /* the transition that sent this event; */
	uint64_t cause_seq;  /* cause_seq == 0 when it came from outside */
	uint64_t cause_gseq;
	uint64_t state_hash; /* FNV-1a 64 of the encoded state after it */
	const void *state;   /* with HS_HISTORY_STATES: the state after it, */
	size_t state_len;    /* rebuilt by replay; else NULL */
	/* The schema versions of the code that recorded it (1 for records
	 * of types that never declared any). With HS_HISTORY_UPCAST, body
	 * is the event brought to today's version, and event_version that
	 * version; recorded_event_version is always the recorded one. */
	unsigned event_version;
	unsigned recorded_event_version;
	unsigned state_version;
} hs_record;

/*
 * The state of agent (type, id) at a point, encoded by its type's
 * encode(), appended to `out`. Rebuilt from the newest snapshot at or
 * before the point plus the records after it, so the cost is bounded by
 * the type's snapshot interval, not by the length of history. `at` (may
 * be NULL) receives the seq and gseq of the transition that made that
 * state. Returns 0, HS_ENOTSUP, HS_EINVAL (seq or gseq 0), HS_ENOTYPE,
 * HS_ENOAGENT (no record of this agent, or none yet at that point),
 * HS_ERANGE (a point after the end of the log or in the future),
 * HS_EARCHIVED (a point before the agent's base in a log cut by
 * `hindsight archive`), HS_ECORRUPT, HS_EIO, HS_ESCHEMA (an event recorded at a schema version
 * the type cannot read: see hs_type.event_version), or the error of a
 * replayed apply(); details in hs_last_error().
 */
HS_API int hs_state_at(hs_runtime *rt, const char *type, const char *id,
		       hs_point point, hs_buf *out, hs_receipt *at);

/* Filters for hs_history. Zero fields do not filter. */
typedef struct hs_filter {
	const char *type;       /* agent type */
	const char *id;         /* agent id (with type) */
	const char *event_type;
	int64_t since_ns;       /* time >= since_ns, when has_since */
	int64_t until_ns;       /* time <= until_ns, when has_until */
	bool has_since;
	bool has_until;
	uint64_t from_gseq;     /* gseq >= from_gseq */
	uint64_t to_gseq;       /* gseq <= to_gseq; 0 = to the end */
	bool reverse;           /* newest first */
	uint64_t limit;         /* at most this many records; 0 = all */
	unsigned flags;         /* HS_HISTORY_* */
} hs_filter;

#define HS_HISTORY_STATES 1u /* rebuild and pass the state after each */
/* Pass each event as today's code reads it: run through its registered
 * type's upcasters (records of unregistered types pass as recorded). A
 * record without an upcaster chain stops the call with HS_ESCHEMA. */
#define HS_HISTORY_UPCAST 2u

/* Called for each record; return 0 to go on, anything else to stop (then
 * returned by hs_history). */
typedef int (*hs_record_fn)(void *udata, const hs_record *rec);

/*
 * Calls fn for every record that passes the filter, in gseq order (or
 * reversed). A filter on one agent reads only that agent's records.
 * Returns 0, fn's non-zero result, or an error as hs_state_at.
 */
HS_API int hs_history(hs_runtime *rt, const hs_filter *filter,
		      hs_record_fn fn, void *udata);

/* Called once per agent by hs_system_at with its state at the point. */
typedef int (*hs_state_fn)(void *udata, hs_addr agent, const void *state,
			   size_t len, hs_receipt at);

/*
 * Every agent's state at a point, one call of fn per agent that had a
 * transition by then, in (type, id) order. `type` (may be NULL) limits
 * it to one agent type. At a gseq the states form a consistent cut: the
 * state of the whole system after transition `gseq`. At a time each agent
 * is taken at that time. Returns as hs_history.
 */
HS_API int hs_system_at(hs_runtime *rt, const char *type, hs_point point,
			hs_state_fn fn, void *udata);


/* What verify found at one record. */
typedef enum hs_divergence_kind {
	HS_DIVERGE_STATE,     /* apply now makes another state */
	HS_DIVERGE_REJECTED,  /* apply now returns an error */
	HS_DIVERGE_UNCHANGED, /* apply now returns HS_UNCHANGED */
	HS_DIVERGE_VERSION    /* the event's recorded version cannot be
			       * read by the code: newer than the type's
			       * event_version, or older without a chain of
			       * upcasters (apply_rc HS_ESCHEMA, error_msg
			       * names the event and versions) */
} hs_divergence_kind;

/* The first record of an agent where today's code disagrees with the log.
 * Every pointer is valid during the callback only; JSON is NUL-terminated
 * and NULL where unknown. */
typedef struct hs_divergence {
	hs_divergence_kind kind;
	hs_record record;        /* the event, as recorded (state NULL) */
	int apply_rc;            /* what apply returned now */
	const char *error_msg;   /* its hs_ctx_set_error() text, or "" */
	uint64_t rebuilt_hash;
	const char *before_json; /* the state before, on which both agree */
	const char *rebuilt_json;  /* the state apply makes now */
	const char *recorded_json; /* the recorded state, when a snapshot
				    * at this seq holds it */
	const char *diff_json;   /* hs_json_diff(recorded, rebuilt), or
				  * with no snapshot, (before, rebuilt) */
} hs_divergence;

typedef int (*hs_divergence_fn)(void *udata, const hs_divergence *d);

typedef struct hs_verify_report {
	uint64_t records;     /* records replayed */
	uint64_t agents;      /* agents replayed */
	uint64_t divergences; /* agents that diverged */
	uint64_t upcast;      /* records replayed through upcasters */
	/* Records whose state hash was recorded by another state_version:
	 * replayed, but their hash cannot be compared. */
	uint64_t unhashed;
} hs_verify_report;

/*
 * Replays records through the registered apply() and compares the hash of
 * each rebuilt state with the recorded one. The scope is the filter's
 * type, id and gseq range (other fields ignored; NULL = the whole log);
 * each agent is replayed from its first record (or its newest snapshot
 * before from_gseq). fn (may be NULL) is called at each agent's first
 * divergence, after which that agent is not followed further; fn returns
 * non-zero to stop. Events of older schema versions are replayed through
 * the type's upcasters (counted in report.upcast); one that cannot be is
 * a divergence of kind HS_DIVERGE_VERSION. `report` may be NULL. Returns 0 (whatever was found:
 * see report), fn's non-zero result, or an error as hs_history.
 */
HS_API int hs_verify(hs_runtime *rt, const hs_filter *scope,
		     hs_divergence_fn fn, void *udata,
		     hs_verify_report *report);

/* One message a handler sends, or one timer it sets, as
 * hs_replay_effects shows it. Pointers are valid during the call only. */
typedef struct hs_effect_info {
	hs_addr to;             /* the agent the message goes to */
	const char *event_type;
	const void *body;       /* msgpack, NULL when none */
	size_t body_len;
	const char *timer;      /* a timer: its name; a send: NULL */
	int64_t due_ns;         /* a timer: when it fires */
} hs_effect_info;

typedef int (*hs_effect_fn)(void *udata, const hs_effect_info *e);

/*
 * What the handler of agent (type, id)'s transition `seq` sends and which
 * timers it sets, found by running it again with today's code on the
 * rebuilt state before it (nothing is delivered or set): fn is called for
 * each, in the order the handler made them; it returns non-zero to stop.
 * Firings of timers and answers to questions are records of their own,
 * whose causes name the transition. Returns 0, fn's non-zero result,
 * HS_EINVAL, HS_ENOTSUP (no log), HS_ENOTYPE, HS_ENOAGENT (no such
 * transition), HS_EHANDLER or apply's error (today's code no longer
 * records this transition as a change), or an error as hs_state_at.
 */
HS_API int hs_replay_effects(hs_runtime *rt, const char *type,
			     const char *id, uint64_t seq, hs_effect_fn fn,
			     void *udata);

/* A change to the past for hs_whatif. */
typedef enum hs_edit_kind {
	HS_EDIT_INSERT,  /* a new event for (type, id) just before record
			  * `gseq` (or after the last record when gseq is
			  * past the end) */
	HS_EDIT_DROP,    /* record `gseq` never happened */
	HS_EDIT_REPLACE  /* record `gseq` had this event instead (same
			  * agent; event_type NULL keeps the type) */
} hs_edit_kind;

typedef struct hs_edit {
	hs_edit_kind kind;
	uint64_t gseq;
	const char *type;       /* INSERT */
	const char *id;         /* INSERT */
	const char *event_type; /* INSERT, REPLACE */
	const void *body;       /* msgpack, INSERT and REPLACE */
	size_t body_len;
} hs_edit;

typedef enum hs_whatif_kind {
	HS_WHATIF_CHANGED, /* same agent and seq, another event or state */
	HS_WHATIF_MISSING, /* in history, not in the what-if */
	HS_WHATIF_EXTRA,   /* in the what-if, not in history */
	HS_WHATIF_FINAL    /* an agent's final state, when it differs */
} hs_whatif_kind;

/* One difference between history and the what-if. `history` and `whatif`
 * are NULL where that side has nothing (for FINAL both are NULL and the
 * states are the final ones). */
typedef struct hs_whatif_change {
	hs_whatif_kind kind;
	hs_addr agent;
	uint64_t seq;
	const hs_record *history;
	const hs_record *whatif; /* its gseq is its place in the what-if */
	const char *history_state_json;
	const char *whatif_state_json;
} hs_whatif_change;

typedef int (*hs_whatif_fn)(void *udata, const hs_whatif_change *c);

/*
 * Replays the log up to gseq `to_gseq` (0 = the end) with the edits
 * applied, into a scratch overlay: the log is never touched. The run
 * walks history in gseq order:
 *  - a record from outside (cause_seq 0) is applied at its place, unless
 *    dropped or replaced;
 *  - a record that a handler sent (cause_seq != 0) is taken from history
 *    at its place when its cause ran in the what-if as in history (its
 *    event applied unchanged as the same seq of its agent, giving the
 *    same state) and sent it again: the cause's sends are paired with
 *    the records that name it as cause, per target agent in send order,
 *    by event type and body. Otherwise the record is skipped (MISSING,
 *    unless the what-if derives an equal transition).
 * Messages that a what-if transition sends and that are not so paired
 * are delivered right after it, breadth-first in send order, each a
 * transition caused by its sender's: those of inserted and replaced
 * events, of transitions that differ from history, and all that follow
 * from them. One exception: a transition that ran as in history from the
 * same state as history's sent what history's sent, so a send of it with
 * no record made no transition in history (or was on its way at
 * to_gseq) and is not delivered. Without edits (and with handlers that
 * replay the log exactly: see hs_verify) the what-if is history itself
 * and nothing is reported; with edits, only what follows from them.
 * A timer's firing is paired like a send of the transition that set it
 * (it is taken at its place in history); an unpaired timer of a
 * transition that differs is delivered right after it, not at its due
 * time.
 * Calls fn for every (agent, seq) whose transition differs (another
 * event or state: CHANGED; only in history: MISSING; only in the
 * what-if: EXTRA), in the order of the what-if run, then for every agent
 * whose final state differs. Returns 0, HS_EINVAL (an edit that names no
 * record in range, or an edit of a record that a handler sent: edit its
 * cause instead), fn's non-zero result, or an error as hs_history.
 */
HS_API int hs_whatif(hs_runtime *rt, const hs_edit *edits, size_t nedits,
		     uint64_t to_gseq, hs_whatif_fn fn, void *udata);

/* ------------------------------------------------------------------ */
/* Following the log: subscriptions                                     */
/* ------------------------------------------------------------------ */

/*
 * A subscription delivers the records of a persisted runtime's log, in
 * gseq order, from a position on: first those already written (read from
 * the log), then each new one as soon as it is written (shown to the
 * subscription by a durable watcher, see hs_watch_durable), with no gap
 * and no repeat at the seam between the two or anywhere else. Records are
 * delivered as hs_history gives them (hs_record, state NULL), only once
 * they are in the log.
 *
 * Its position is the gseq of the last record it delivered or looked at
 * and skipped (filtered out): store hs_sub_position() where your own
 * results are kept, and resume later (also in another run of the program
 * over the same log) with after_gseq set to it.
 *
 * A slow reader never holds up the runtime: new records wait for it in a
 * bounded buffer, and when that is full the durable watcher drops them
 * instead of waiting; the subscription notices the gap and reads those
 * records from the log instead. Nothing is lost, only the latency of a
 * reader that falls behind grows.
 *
 * Threads: a subscription is used by one thread at a time (hs_sub_next,
 * hs_sub_position, hs_unsubscribe), except hs_sub_cancel, which any thread
 * may call while the subscription exists. Different subscriptions are
 * independent. A subscription holds a durable watcher on its runtime:
 * end every subscription with hs_unsubscribe before hs_close. Records
 * written while hs_close drains the runtime reach the log but not the
 * subscription; resume from its position to get them.
 */
typedef struct hs_sub hs_sub;

typedef struct hs_sub_options {
	/* Deliver records with gseq > after_gseq: 0 = from the first record;
	 * hs_sub_position() of an earlier subscription to resume there. */
	uint64_t after_gseq;
	/* Filters, NULL = any; copied. `id` alone matches agents of every
	 * type with that id. */
	const char *type;
	const char *id;
	const char *event_type;
	/* How many new records wait for a slow reader before the rest are
	 * read back from the log; 0 = 4096. Each waiting record holds a copy
	 * of its names and event body. */
	size_t buffer;
} hs_sub_options;

/* Fills *opts with the defaults: from the first record, no filter. */
HS_API void hs_sub_options_init(hs_sub_options *opts);

/*
 * Starts a subscription; `opts` may be NULL for the defaults. On success
 * *out owns it until hs_unsubscribe. Thread-safe (on the runtime); may run
 * while agents run.
 * With a runtime opened read_only, the subscription delivers the log as
 * that runtime sees it (as it was when opened) and then ends: hs_sub_next
 * returns HS_EEND. To follow a log that another process writes, reopen it
 * read_only from time to time and resume from the position (this is what
 * `hindsight tail -f` does).
 * Returns 0, HS_EINVAL (NULL rt or out, an empty filter string),
 * HS_ETOOLONG (a filter longer than a name or id can be), HS_ERANGE
 * (after_gseq is past the end of the log: a position from another log?),
 * HS_ENOTSUP (an in-memory runtime: it has no log and no gseq), HS_ENOMEM.
 */
HS_API int hs_subscribe(hs_runtime *rt, const hs_sub_options *opts,
			hs_sub **out);

/*
 * Calls fn for up to `max` records after the position, in gseq order,
 * each that passes the filters, moving the position past each. Waits up
 * to timeout_ms (negative = no limit, 0 = not at all) for the first
 * record, not for more: it delivers what is ready and returns. The record
 * and its strings are valid during fn only. fn runs on the calling thread
 * and may call the runtime (hs_send_wait, hs_history, ...), but not
 * hs_sub_next or hs_unsubscribe on this subscription, nor hs_close. fn
 * returns 0 to go on, anything else to stop after this record (it counts
 * as delivered).
 * Returns the number of records delivered (> 0); or HS_ETIMEDOUT
 * (nothing came in time: the position may still have moved past records
 * the filters skipped), HS_EEND (read_only runtime: its whole log has
 * been delivered), HS_ECLOSED (hs_sub_cancel was called), HS_EINVAL (NULL
 * sub or fn, max 0), or a storage error (HS_EIO, HS_ECORRUPT, see
 * hs_last_error). When an error follows records delivered in the same
 * call, the call returns their number and the next call the error.
 * After a storage error stops the log writer (see hs_send) nothing more
 * is written: once every record written before it has been delivered,
 * hs_sub_next returns the writer's error (HS_EIO, HS_ENOMEM) instead of
 * waiting.
 */
HS_API int hs_sub_next(hs_sub *sub, hs_record_fn fn, void *udata, size_t max,
		       int timeout_ms);

/* The gseq of the last record delivered or skipped by the filters: every
 * record up to it has been dealt with. after_gseq until the first call of
 * hs_sub_next. */
HS_API uint64_t hs_sub_position(const hs_sub *sub);

/* Makes a waiting hs_sub_next return HS_ECLOSED at once, and every later
 * one too. Thread-safe, for stopping the thread that reads; that thread
 * (or another, once it is done) then calls hs_unsubscribe. */
HS_API void hs_sub_cancel(hs_sub *sub);

/* Ends a subscription and frees it, with the records waiting in its
 * buffer. Accepts NULL. Returns 0. */
HS_API int hs_unsubscribe(hs_sub *sub);

/* ------------------------------------------------------------------ */
/* Showing data to people                                               */
/* ------------------------------------------------------------------ */

#define HS_JSON_PRETTY 1u /* indent with two spaces, one field a line */

/*
 * Appends one msgpack value as JSON text (no NUL) to out: strings
 * escaped, binary as a base64 string, ext as {"ext": type, "data":
 * base64}, non-string map keys as their compact JSON text in a string
 * (where such a text holds a non-string key itself, that key is the base64
 * of its msgpack bytes: the output stays linear in the input), NaN and
 * infinities as null. Returns 0, HS_EINVAL (out NULL), HS_EBADMSG (out
 * unchanged) or HS_ENOMEM. `mp` must not point into `out`. Thread-safe.
 */
HS_API int hs_json(hs_buf *out, const void *mp, size_t len, unsigned flags);

/*
 * Appends the field-level difference between two msgpack values as a JSON
 * array of changes: {"path": "a.b", "old": ..., "new": ...}, with "old"
 * or "new" absent for an added or removed field; maps are compared key by
 * key and recursed into, other values whole. "[]" when equal. Returns as
 * hs_json.
 */
HS_API int hs_json_diff(hs_buf *out, const void *old_mp, size_t old_len,
			const void *new_mp, size_t new_len);


/* ------------------------------------------------------------------ */
/* Declarative state machines                                           */
/* ------------------------------------------------------------------ */

/*
 * A machine is a definition, data rather than code, that hindsight runs as
 * an agent type named after the machine's id: each execution is an agent
 * of that type, and every step it takes is a recorded transition. A
 * definition (JSON, or the same shape in msgpack):
 *
 *   {"id": "order", "version": 1, "start-at": "create",
 *    "context": {"items": []},            initial context, a map
 *    "states": {
 *      "create": {"always": [{"name": "created", "state": "cart"}]},
 *      "cart":   {"actions": {"add":   {"state": "cart", "context": "add"},
 *                             "place": {"state": "submitted"}}},
 *      "failed": {"always": [{"name": "retry", "state": "fetching",
 *                             "wait-for": {"seconds": 5}}]},
 *      "released": {"always": [{"name": "ship", "invoke": {
 *                     "machine": "shipment", "version": 1,
 *                     "input": "ship_input",
 *                     "success": {"state": "shipped", "context": "took"},
 *                     "error": {"state": "canceled"}}}]},
 *      "shipped":  {"end": true, "return": {"delivered": true}},
 *      "canceled": {"end": "error"}}}
 *
 * A transition names the state it goes to ("state"), optionally a guard
 * ("when": a guard callback's name; the first `always` transition whose
 * guard passes is taken, none passing leaves the execution waiting for
 * actions), a context update ("context": an update callback's name), a
 * delay ("wait-for": {"seconds": N} or {"ms": N}; a durable timer, so a
 * restart in the middle of the wait resumes it), and a "name" recorded
 * as the way the state was reached (default: the action's name, or the
 * target state's). "invoke" starts a child machine as its own agent
 * (input from the "input" update callback, else an empty map; "version"
 * 0 or absent: the newest) and waits for its end: a success end takes
 * "success" (its update's input is the child's return value), an error
 * end takes "error". An end state ("end": true or "error") returns
 * "return" (any JSON value), or its context when "return" is absent.
 *
 * Steps and the log. An execution starts with the event `$start`
 * (hs_machine_start) and then takes one recorded transition per step: an
 * action is the event of the same name; an automatic step is a `$always`
 * event the execution sends itself when it enters a state with `always`
 * transitions (so its cause is the transition that entered the state);
 * `$wait` is the firing of a wait-for timer, `$child` a child's end. The
 * state of an execution (what hs_deref, hs_state_at and hs_history show)
 * is a map: machine, version, state, via (the name of the step that
 * reached it), entered (entries so far), context, parent, child (pending
 * invoke), end ("success" or "error" once ended) and result. An action
 * that arrives while the current state's automatic step is still due
 * (sent right after `$start`, say) and that this state does not accept
 * is taken after that step, in one transition: the automatic steps run
 * first, inside the action's transition, up to a state that waits (for
 * actions, a wait-for or a child). An action that the state it meets
 * does not accept changes nothing and is not recorded: asked (hs_ask), it is answered {"ok": false, "error": TEXT};
 * sent, it is skipped with HS_EINVAL and TEXT as the agent's error
 * message (hs_agent_status). An accepted action that was asked is
 * answered {"ok": true, "state": NAME, "context": MAP}.
 *
 * Versions: an execution keeps the version it started with (it is in its
 * state and in its `$start` event); new versions apply to new executions;
 * replay uses the recorded version, so every version that has executions
 * in a log must be added before they are rebuilt.
 */
typedef struct hs_machines hs_machines;
typedef struct hs_machine_def hs_machine_def;

/* What a guard or update callback sees. Pointers are valid during the call
 * only. */
typedef struct hs_machine_call {
	const char *machine;  /* the machine's id */
	uint32_t version;
	const char *id;       /* the execution (agent id) */
	const char *state;    /* the state the transition leaves */
	const void *context;  /* msgpack map */
	size_t context_len;
	const void *input;    /* the action's body, the child's return value,
			       * or NULL */
	size_t input_len;
	int64_t now_ns;       /* hs_ctx_now() of the step */
	uint64_t random;      /* hs_ctx_random(): the same in a replay */
} hs_machine_call;

/* A guard: 1 (pass), 0 (fail) or a negative HS_E... error, which fails
 * the step. Must be a function of `call` only (it runs again in a
 * replay). Called on worker threads, concurrently. */
typedef int (*hs_machine_guard_fn)(void *udata, const hs_machine_call *call);

/* A context update: appends the new context (one msgpack map) to `out`,
 * returns 0 or a negative error. Same rules as a guard. Also used to
 * build a child's input ("invoke.input"). */
typedef int (*hs_machine_update_fn)(void *udata, const hs_machine_call *call,
				    hs_buf *out);

/*
 * A set of machine definitions and the callbacks they name. Create it,
 * name the callbacks, load and add definitions, then register it on a
 * runtime (or several, one after another). It must outlive every runtime
 * it is registered on: destroy it after hs_close. Thread-safety: adding a
 * version (hs_machine_add) may run while executions run; everything else
 * is called by one thread at a time. Returns 0 or HS_ENOMEM.
 */
HS_API int hs_machines_create(hs_machines **out);
/* Frees the set with its definitions. Accepts NULL. */
HS_API void hs_machines_destroy(hs_machines *m);

/* Name a guard or update callback (1..HS_NAME_MAX bytes; copied). Naming
 * one again replaces it for definitions loaded afterwards. Returns 0,
 * HS_EINVAL, HS_ETOOLONG or HS_ENOMEM. */
HS_API int hs_machines_guard(hs_machines *m, const char *name,
			     hs_machine_guard_fn fn, void *udata);
HS_API int hs_machines_update(hs_machines *m, const char *name,
			      hs_machine_update_fn fn, void *udata);

/*
 * Parses and checks a definition (JSON text, or one msgpack value), with
 * its callbacks looked up in m. Rejected: malformed input, missing or
 * mistyped fields, a transition to an unknown state, a state that the
 * start cannot reach, a cycle of `always` transitions without a
 * wait-for, a callback that m does not name, an end state with
 * transitions, a state that is neither an end nor has a way out. On
 * failure `err` (may be NULL) gets a sentence naming the state and field,
 * e.g. "state 'cart': actions.place.state: unknown state 'sumbitted'".
 * On success *out is the caller's (hs_machine_add or
 * hs_machine_def_free). Returns 0, HS_EINVAL (rejected), HS_EBADMSG (not
 * JSON / msgpack) or HS_ENOMEM.
 */
HS_API int hs_machine_load_json(const hs_machines *m, const char *text,
				size_t len, hs_machine_def **out, char *err,
				size_t cap);
HS_API int hs_machine_load_msgpack(const hs_machines *m, const void *mp,
				   size_t len, hs_machine_def **out,
				   char *err, size_t cap);
HS_API void hs_machine_def_free(hs_machine_def *def);

/* The id and version of a loaded definition. */
HS_API const char *hs_machine_def_id(const hs_machine_def *def);
HS_API uint32_t hs_machine_def_version(const hs_machine_def *def);

/*
 * Adds a definition to the set: on success m owns it (do not free it),
 * on failure the caller still does. A version of a machine already
 * registered on a runtime applies there at once to new executions.
 * Thread-safe against running executions. Returns 0, HS_EEXIST (that id
 * and version are in the set), HS_EINVAL or HS_ENOMEM.
 */
HS_API int hs_machine_add(hs_machines *m, hs_machine_def *def);

/*
 * Registers one agent type per machine id of the set on rt (type name =
 * machine id; HS_ON_ERROR_SKIP). Ids registered by an earlier call are
 * left as they are, so call it again after adding a new machine. Returns
 * 0, or hs_register's error.
 */
HS_API int hs_machines_register(hs_machines *m, hs_runtime *rt);

/*
 * Starts execution `id` of a machine: sends it `$start` with the version
 * (0: the newest in m now; the event records the number) and an input
 * map (may be NULL, 0) whose keys are set over the initial context.
 * Returns what hs_send returns, or HS_ENOTFOUND (no such machine or
 * version in m). Thread-safe as hs_send. Starting an execution that has
 * started already is refused by its handler (skipped).
 */
HS_API int hs_machine_start(hs_runtime *rt, hs_machines *m,
			    const char *machine, const char *id,
			    uint32_t version, const void *input, size_t len);

/* ------------------------------------------------------------------ */
/* Types plugins                                                        */
/* ------------------------------------------------------------------ */

/*
 * A types plugin is a shared object that lets tools (the `hindsight`
 * command's --types option) replay a program's agents. It exports one
 * function with this name and type, which registers the program's agent
 * types on the runtime it is given (with hs_register) and returns 0 or a
 * negative HS_E... code:
 *
 *   HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt);
 */
#define HS_PLUGIN_SYMBOL "hindsight_register_types"
typedef int (*hs_plugin_fn)(hs_runtime *rt);

#if defined(__GNUC__)
#define HS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define HS_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
}
#endif

#endif /* HS_HINDSIGHT_H */
