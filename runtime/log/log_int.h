#ifndef HS_LOG_LOG_INT_H
#define HS_LOG_LOG_INT_H

/* What log.c (open, close, write) and read.c (lookups, scans) share. */

#include <pthread.h>
#include <stdatomic.h>

#include <rocksdb/c.h>

#include "log/keys.h"
#include "log/log.h"
#include "log/mark.h"

/* Column families, in the order they are opened. RocksDB requires
 * "default"; the log keeps it empty. A format-1 log has the first five
 * (HSI_CF_FORMAT1); format 2 added "timers", format 3 "times"; a writer
 * that opens an older log creates those it lacks. */
enum {
	HSI_CF_DEFAULT,
	HSI_CF_EVENTS,
	HSI_CF_AGENTS,
	HSI_CF_SNAPSHOTS,
	HSI_CF_META,
	HSI_CF_TIMERS,
	HSI_CF_TIMES,
	HSI_CF_COUNT,
	HSI_CF_FORMAT1 = HSI_CF_TIMERS
};

/* How many column families a log of format `version` has. */
static inline int hsi_cf_count_of_format(unsigned long version)
{
	return version >= 3 ? HSI_CF_COUNT
	       : version == 2 ? HSI_CF_TIMES
			      : HSI_CF_FORMAT1;
}

extern const char *const hsi_cf_names[HSI_CF_COUNT];

struct hsi_log {
	char *path;
	unsigned flags;
	const hsi_log_config *cfg; /* during hsi_log_open_with only */
	rocksdb_t *db;
	rocksdb_column_family_handle_t *cf[HSI_CF_COUNT];
	int ncf; /* opened: HSI_CF_COUNT, or HSI_CF_FORMAT1 read-only */

	/* Owned here, freed at close (RocksDB copies options at open but
	 * shares the cache). */
	rocksdb_options_t *db_opts;
	rocksdb_options_t *cf_opts[HSI_CF_COUNT];
	rocksdb_cache_t *cache;
	rocksdb_writeoptions_t *wo_sync;
	rocksdb_writeoptions_t *wo_nosync;
	rocksdb_readoptions_t *ro; /* for point lookups, no bounds */

	/* Raised by every successful write that carries events. */
	_Atomic uint64_t last_gseq;
	/* The last gseq archived by a cut (meta base_gseq), 0 if none: read
	 * at open, changed only by this handle's write of a cut. */
	uint64_t base_gseq;

	/* The durable mark: read at open; a writer raises it. */
	pthread_mutex_t mark_mu;
	hsi_mark mark;
	hs_recovery recovery;
	int mark_rc; /* read-only: hsi_mark_read's result at open */
	char mark_why[256];

	pthread_mutex_t err_mu; /* guards err: readers on any thread */
	char err[640];
};

/* Keeps "<path>: <text>" as the log's last error and returns rc. */
int hsi_log_fail(hsi_log *log, int rc, const char *fmt, ...) HS_PRINTF(3, 4);

/* hsi_log_fail for a RocksDB error text (freed, *err reset to NULL):
 * "<path>: <what>: <rocksdb text>", with the code that fits the text. */
int hsi_log_fail_rocks(hsi_log *log, char **err, const char *what);

/* The HS_E... code for a RocksDB error text. */
int hsi_log_rocks_code(const char *err);

/* Destroys the iterator; an iterator error (named with `what`) becomes
 * the result unless rc is already another error: never HS_ENOTFOUND or
 * a callback's stop value over a read error. */
int hsi_log_iter_end(hsi_log *log, rocksdb_iterator_t *it, const char *what,
		     int rc);

/* The length of a base entry's value: gseq, time, state hash and state
 * version, 8 bytes BE each (docs/FORMAT.md, "Cut logs"). */
#define HSI_BASE_VALUE 32

/* Decodes an agents value (gseq, not 0, and time: 8 bytes BE each; or a
 * base entry, whose gseq is at or before the base); HS_ECORRUPT naming
 * the key otherwise. */
int hsi_log_index_value(hsi_log *log, const char *key, size_t kn,
			const char *v, size_t vn, uint64_t *gseq,
			int64_t *time_ns);

#endif /* HS_LOG_LOG_INT_H */
