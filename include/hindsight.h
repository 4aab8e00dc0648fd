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
 *    the apply callback that received the context.
 */
#ifndef HS_HINDSIGHT_H
#define HS_HINDSIGHT_H

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
	X(ENOTSUP, -22, "not supported")

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
	/* With a path: when more agents than this are in memory, idle ones
	 * (nothing queued, everything written) leave it, least recently
	 * used first, to be rebuilt from the log when next needed. 0 = no
	 * limit. Needs a path. */
	size_t resident_limit;
} hs_options;

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
 * has it open for writing), HS_ECORRUPT or HS_EIO. When `errbuf` is not
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
 * Stops the runtime: from now on every send (from outside or from a
 * handler) fails with HS_ECLOSED; every message already queued at a
 * healthy agent is handled; messages held by failed agents are passed to
 * on_drop and discarded. Then joins the workers and frees everything,
 * including `rt`. Must not be called from a handler or watcher. Accepts NULL.
 * Returns 0, or HS_EFAILED when messages were discarded (the runtime is
 * freed all the same).
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

	/* Releases what the state owns (not the state itself). Optional. */
	void (*destroy)(void *state, void *udata);

	hs_on_error on_error;
	/* In a persisted runtime, store the state every this many
	 * transitions of an agent, so that rebuilding it (at activation or
	 * in a query of the past) applies at most this many events; 0 =
	 * never. */
	unsigned snapshot_every;
	void *udata; /* passed to every callback above */
} hs_type;

/*
 * Registers an agent type. The definition is copied. Thread-safe; may be
 * called while agents run. Returns 0, HS_EINVAL (missing callback or zero
 * state size), HS_ETOOLONG, HS_EEXIST or HS_ENOMEM.
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
 * sent. Thread-safe.
 * Returns 0, HS_EINVAL (NULL or empty name or id), HS_ETOOLONG, HS_ENOTYPE,
 * HS_EBADMSG (body not exactly one msgpack value), HS_ECLOSED, HS_ENOMEM,
 * or the error of the type's init() for a new agent.
 */
HS_API int hs_send(hs_runtime *rt, const char *type, const char *id,
		   const char *event_type, const void *body, size_t len);

/* hs_send() with a body built by hs_packf() from fmt:
 *   hs_sendf(rt, "ship", "Gloria", "depart", "port:s cargo:i", "Malmo", 42);
 * Also returns HS_EFORMAT. Thread-safe. */
HS_API int hs_sendf(hs_runtime *rt, const char *type, const char *id,
		    const char *event_type, const char *fmt, ...);

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
 * Blocks until every message sent before the call has been handled and the
 * runtime is idle, or until timeout_ms passes (negative = no limit).
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
 * arguments, copying and errors as hs_send(), checked at the call.
 */
HS_API int hs_ctx_send(hs_ctx *ctx, const char *type, const char *id,
		       const char *event_type, const void *body, size_t len);
HS_API int hs_ctx_sendf(hs_ctx *ctx, const char *type, const char *id,
			const char *event_type, const char *fmt, ...);

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
} hs_transition;

typedef void (*hs_watch_fn)(void *udata, const hs_transition *t);

/*
 * Registers fn to run after every later transition, synchronously on the
 * worker that made it: each transition reaches each watcher exactly once,
 * in seq order per agent; transitions of different agents may be watched
 * concurrently. A watcher must not call hs_watch, hs_unwatch, hs_await or
 * hs_close. On success *id names the watcher for hs_unwatch.
 * Thread-safe. Returns 0, HS_EINVAL or HS_ENOMEM.
 */
HS_API int hs_watch(hs_runtime *rt, hs_watch_fn fn, void *udata, int *id);

/* Removes a watcher; once this returns, fn is not running and will not run
 * again. Thread-safe. Returns 0 or HS_ENOTFOUND. */
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

/* Fills *out with the agent's status. Thread-safe. Returns 0, HS_EINVAL,
 * HS_ENOTYPE or HS_ENOAGENT. */
HS_API int hs_agent_status_get(hs_runtime *rt, const char *type,
			       const char *id, hs_agent_status *out);

/* Restart flags. */
#define HS_RESTART_DROP_PENDING 1u /* discard the messages that waited */

/*
 * Clears a failed agent's error and resumes handling its messages, from the
 * state it had before the failing event. With HS_RESTART_DROP_PENDING the
 * messages that waited are discarded (through on_drop) first.
 * Thread-safe. Returns 0, HS_EINVAL (agent is not failed), HS_ENOTYPE,
 * HS_ENOAGENT.
 */
HS_API int hs_restart(hs_runtime *rt, const char *type, const char *id,
		      unsigned flags);

#ifdef __cplusplus
}
#endif

#endif /* HS_HINDSIGHT_H */
