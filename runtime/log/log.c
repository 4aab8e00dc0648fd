/* Opening, closing and writing the log; lookups and scans are in read.c. */
#include "log/log_int.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codec/record.h"
#include "log/sstcheck.h"

const char *const hsi_cf_names[HSI_CF_COUNT] = {
	"default", "events", "agents", "snapshots", "meta", "timers", "times",
};

#define BLOCK_BYTES ((size_t)16 << 10)
#define BLOOM_BITS_PER_KEY 10.0

struct hsi_log_batch {
	rocksdb_writebatch_t *wb;
	uint64_t max_gseq; /* newest event in the batch, 0 if none */
	uint64_t cut_base; /* the base a cut in the batch sets, 0 if none */
};

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

int hsi_log_fail(hsi_log *log, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	pthread_mutex_lock(&log->err_mu);
	n = snprintf(log->err, sizeof(log->err), "%s: ", log->path);
	if (n < 0 || (size_t)n >= sizeof(log->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(log->err + n, sizeof(log->err) - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&log->err_mu);
	return rc;
}

int hsi_log_rocks_code(const char *err)
{
	/* Status texts of RocksDB 7.8: another process holds the LOCK file
	 * ("While lock file"), or this process does ("lock hold by current
	 * process"). */
	if (strstr(err, "While lock file") != NULL ||
	    strstr(err, "lock hold by current process") != NULL)
		return HS_EBUSY;
	if (strncmp(err, "Corruption", 10) == 0)
		return HS_ECORRUPT;
	if (strncmp(err, "Not implemented", 15) == 0)
		return HS_ENOTSUP;
	return HS_EIO;
}

int hsi_log_fail_rocks(hsi_log *log, char **err, const char *what)
{
	int rc = hsi_log_rocks_code(*err);

	if (rc == HS_EBUSY)
		hsi_log_fail(log, rc,
			     "%s: the log is in use by another process or "
			     "handle (%s)",
			     what, *err);
	else
		hsi_log_fail(log, rc, "%s: %s", what, *err);
	rocksdb_free(*err);
	*err = NULL;
	return rc;
}

void hsi_log_error(hsi_log *log, char *buf, size_t cap)
{
	if (cap == 0)
		return;
	pthread_mutex_lock(&log->err_mu);
	snprintf(buf, cap, "%s", log->err);
	pthread_mutex_unlock(&log->err_mu);
}

/* Destroys the iterator. An iterator error becomes the result unless rc
 * is already an error of its own: an iterator that stopped on a read
 * error must not pass for one that found nothing (HS_ENOTFOUND). */
int hsi_log_iter_end(hsi_log *log, rocksdb_iterator_t *it, const char *what,
		     int rc)
{
	char *err = NULL;

	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	if (err != NULL) {
		if (rc >= 0 || rc == HS_ENOTFOUND)
			return hsi_log_fail_rocks(log, &err, what);
		rocksdb_free(err);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Options                                                              */
/* ------------------------------------------------------------------ */

/* An append-mostly log: one block cache shared by every column family
 * (index and filter blocks live in it too, so memory stays bounded as the
 * log grows); whole-key bloom filters where point lookups happen (events
 * by gseq, meta, index entries by seq); snapshots are read by seeks, where
 * whole-key filters do not help. */
static void build_options(hsi_log *log, size_t cache_bytes)
{
	rocksdb_options_t *o;

	log->cache = rocksdb_cache_create_lru(
		cache_bytes != 0 ? cache_bytes : HSI_LOG_CACHE_DEFAULT);
	o = log->db_opts = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(o, 0);
	rocksdb_options_set_create_missing_column_families(o, 0);
	rocksdb_options_set_max_background_jobs(o, 2);
	rocksdb_options_set_bytes_per_sync(o, 1 << 20);
	rocksdb_options_set_keep_log_file_num(o, 4);
	rocksdb_options_set_max_log_file_size(o, 4 << 20);
	/* A torn last write is what a crash leaves and is dropped in both
	 * modes; damage before it fails the open unless the caller accepts
	 * losing everything after it (docs/DESIGN.md, "Durable log"). */
	rocksdb_options_set_wal_recovery_mode(
		o, log->recovery == HS_RECOVERY_TRUNCATE
			   ? rocksdb_point_in_time_recovery
			   : rocksdb_tolerate_corrupted_tail_records_recovery);

	for (int i = 0; i < HSI_CF_COUNT; i++) {
		rocksdb_block_based_table_options_t *t =
			rocksdb_block_based_options_create();

		rocksdb_block_based_options_set_block_cache(t, log->cache);
		rocksdb_block_based_options_set_block_size(t, BLOCK_BYTES);
		rocksdb_block_based_options_set_cache_index_and_filter_blocks(
			t, 1);
		rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(
			t, 1);
		if (i == HSI_CF_EVENTS || i == HSI_CF_META || i == HSI_CF_AGENTS)
			/* owned by t, then by the table factory */
			rocksdb_block_based_options_set_filter_policy(
				t, rocksdb_filterpolicy_create_bloom_full(
					   BLOOM_BITS_PER_KEY));
		o = log->cf_opts[i] = rocksdb_options_create();
		rocksdb_options_set_level_compaction_dynamic_level_bytes(o, 1);
		rocksdb_options_set_block_based_table_factory(o, t);
		rocksdb_block_based_options_destroy(t);
	}

	log->wo_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(log->wo_sync, 1);
	log->wo_nosync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(log->wo_nosync, 0);
	log->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_verify_checksums(log->ro, 1);
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

static void close_db(hsi_log *log)
{
	for (int i = 0; i < HSI_CF_COUNT; i++) {
		if (log->cf[i] != NULL)
			rocksdb_column_family_handle_destroy(log->cf[i]);
		log->cf[i] = NULL;
	}
	if (log->db != NULL)
		rocksdb_close(log->db);
	log->db = NULL;
}

/* Opens the first ncf column families. */
static int open_db(hsi_log *log, bool readonly, int ncf)
{
	const rocksdb_options_t *co[HSI_CF_COUNT];
	char *err = NULL;

	for (int i = 0; i < HSI_CF_COUNT; i++)
		co[i] = log->cf_opts[i];
	log->ncf = ncf;
	if (readonly)
		/* Replays the WAL in memory, so the state of a log that a
		 * writer has open is seen as of now. */
		log->db = rocksdb_open_for_read_only_column_families(
			log->db_opts, log->path, ncf, hsi_cf_names, co,
			log->cf, 0, &err);
	else
		log->db = rocksdb_open_column_families(
			log->db_opts, log->path, ncf, hsi_cf_names, co,
			log->cf, &err);
	if (err != NULL) {
		log->db = NULL;
		for (int i = 0; i < HSI_CF_COUNT; i++)
			log->cf[i] = NULL;
		return hsi_log_fail_rocks(log, &err, "cannot open");
	}
	return 0;
}

/* Opens every column family for writing, creating those that are
 * missing (the format-2 "timers" of a format-1 log). */
static int open_writable(hsi_log *log)
{
	rocksdb_options_set_create_missing_column_families(log->db_opts, 1);
	int rc = open_db(log, false, HSI_CF_COUNT);
	rocksdb_options_set_create_missing_column_families(log->db_opts, 0);
	return rc;
}

/* Writes meta "format" (this library's) and syncs it. */
static int put_format(hsi_log *log)
{
	char fmt[16], *err = NULL;
	snprintf(fmt, sizeof(fmt), "%d", HSI_LOG_FORMAT);
	rocksdb_put_cf(log->db, log->wo_sync, log->cf[HSI_CF_META], "format",
		       6, fmt, strlen(fmt), &err);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, "cannot write meta");
	return 0;
}

static int write_initial_meta(hsi_log *log)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	struct timespec ts;
	char fmt[16], created[32];
	char *err = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(fmt, sizeof(fmt), "%d", HSI_LOG_FORMAT);
	snprintf(created, sizeof(created), "%" PRId64,
		 (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
	rocksdb_writebatch_put_cf(wb, log->cf[HSI_CF_META], "format", 6, fmt,
				  strlen(fmt));
	rocksdb_writebatch_put_cf(wb, log->cf[HSI_CF_META], "created_ns", 10,
				  created, strlen(created));
	rocksdb_write(log->db, log->wo_sync, wb, &err);
	rocksdb_writebatch_destroy(wb);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, "cannot write meta");
	return 0;
}

static int create_log(hsi_log *log)
{
	int rc;

	/* error_if_exists: another creator that got here first wins. */
	rocksdb_options_set_create_if_missing(log->db_opts, 1);
	rocksdb_options_set_create_missing_column_families(log->db_opts, 1);
	rocksdb_options_set_error_if_exists(log->db_opts, 1);
	rc = open_db(log, false, HSI_CF_COUNT);
	rocksdb_options_set_create_if_missing(log->db_opts, 0);
	rocksdb_options_set_create_missing_column_families(log->db_opts, 0);
	rocksdb_options_set_error_if_exists(log->db_opts, 0);
	if (rc == 0)
		rc = write_initial_meta(log);
	return rc;
}

/* True when every column family of the open database is empty. */
static bool all_empty(hsi_log *log)
{
	bool empty = true;
	for (int i = 0; i < log->ncf && empty; i++) {
		rocksdb_iterator_t *it =
			rocksdb_create_iterator_cf(log->db, log->ro, log->cf[i]);
		char *err = NULL;
		rocksdb_iter_seek_to_first(it);
		empty = !rocksdb_iter_valid(it);
		rocksdb_iter_get_error(it, &err);
		if (err != NULL) {
			rocksdb_free(err);
			empty = false;
		}
		rocksdb_iter_destroy(it);
	}
	return empty;
}

/* Checks meta "format" of the open database; *version (may be NULL)
 * receives it. */
static int check_format(hsi_log *log, unsigned long *version)
{
	rocksdb_pinnableslice_t *ps;
	const char *v;
	char *err = NULL;
	size_t n;
	unsigned long ver = 0;

	ps = rocksdb_get_pinned_cf(log->db, log->ro, log->cf[HSI_CF_META],
				   "format", 6, &err);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, "meta key \"format\"");
	if (ps == NULL)
		return hsi_log_fail(log, HS_ENOTLOG,
				    "meta key \"format\" is missing: not a "
				    "hindsight log");
	v = rocksdb_pinnableslice_value(ps, &n);
	for (size_t i = 0; i < n && ver <= 999999999; i++) {
		if (v[i] < '0' || v[i] > '9') {
			ver = 0;
			break;
		}
		ver = ver * 10 + (unsigned long)(v[i] - '0');
	}
	rocksdb_pinnableslice_destroy(ps);
	if (ver == 0 || ver > 999999999)
		return hsi_log_fail(log, HS_ENOTLOG,
				    "meta key \"format\" is not a version "
				    "number: not a hindsight log");
	if (ver > HSI_LOG_FORMAT_CUT)
		return hsi_log_fail(log, HS_EVERSION,
				    "log format %lu is newer than this "
				    "library's (%d)",
				    ver, HSI_LOG_FORMAT_CUT);
	if (version != NULL)
		*version = ver;
	return 0;
}

/* Meta "base_gseq" (a cut log) into log->base_gseq; 0 when absent. */
static int read_base(hsi_log *log)
{
	hs_buf v = HS_BUF_INIT;
	uint64_t base = 0;
	int rc = hsi_log_get_meta(log, "base_gseq", &v);

	if (rc == HS_ENOTFOUND) {
		log->base_gseq = 0;
		return 0;
	}
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < v.len && rc == 0; i++) {
		uint8_t c = ((const uint8_t *)v.data)[i];
		if (c < '0' || c > '9' || base > (UINT64_MAX - 9) / 10)
			rc = HS_ECORRUPT;
		else
			base = base * 10 + (c - '0');
	}
	if (v.len == 0 || base == 0)
		rc = HS_ECORRUPT;
	hs_buf_free(&v);
	if (rc != 0)
		return hsi_log_fail(log, rc, "meta key \"base_gseq\" is not "
					     "a gseq");
	log->base_gseq = base;
	return 0;
}

/* The newest gseq: one SeekToLast, whatever the log's size; the base of
 * a cut log that kept no event. Reads the base first. */
static int find_last_gseq(hsi_log *log)
{
	rocksdb_iterator_t *it;
	char *err = NULL;
	int rc = 0;

	if ((rc = read_base(log)) != 0)
		return rc;
	atomic_store_explicit(&log->last_gseq, log->base_gseq,
			      memory_order_relaxed);
	it = rocksdb_create_iterator_cf(log->db, log->ro,
					log->cf[HSI_CF_EVENTS]);
	rocksdb_iter_seek_to_last(it);
	if (rocksdb_iter_valid(it)) {
		size_t kn;
		const char *k = rocksdb_iter_key(it, &kn);
		char hex[HSI_KEY_TEXT_MAX];

		if (kn != 8 || hsi_be64_get((const uint8_t *)k) == 0) {
			hsi_key_hex(k, kn, hex, sizeof(hex));
			rc = hsi_log_fail(
				log, HS_ECORRUPT,
				"events key %s: not a gseq (8 bytes, "
				"not 0)",
				hex);
		} else if (hsi_be64_get((const uint8_t *)k) <=
			   log->base_gseq) {
			hsi_key_hex(k, kn, hex, sizeof(hex));
			rc = hsi_log_fail(log, HS_ECORRUPT,
					  "events key %s: at or before the "
					  "log's base (gseq %llu)",
					  hex,
					  (unsigned long long)log->base_gseq);
		} else {
			/* relaxed: the log is not yet shared */
			atomic_store_explicit(&log->last_gseq,
					      hsi_be64_get((const uint8_t *)k),
					      memory_order_relaxed);
		}
	}
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	if (err != NULL)
		rc = hsi_log_fail_rocks(log, &err, "events: cannot seek");
	return rc;
}

/* 1 when the directory has no entries, 0 when it has, -1 on error. */
static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* Compares the log's end with its durable mark (read before the database
 * was opened: a writer raises it only after the data is in the WAL). */
static int check_mark(hsi_log *log, int mark_rc, uint64_t mark,
		      const char *why)
{
	uint64_t last = hsi_log_last_gseq(log);

	if (log->recovery == HS_RECOVERY_TRUNCATE)
		return 0;
	if (mark_rc != 0)
		return hsi_log_fail(log, mark_rc,
				    "%s (hs_options.recovery = "
				    "HS_RECOVERY_TRUNCATE opens the log as "
				    "it is)",
				    why);
	if (last >= mark)
		return 0;
	return hsi_log_fail(
		log, HS_ECORRUPT,
		"transitions are lost: gseq %" PRIu64 " to %" PRIu64
		" were made durable (%s says %" PRIu64 ") but the log ends "
		"at gseq %" PRIu64 ": a write-ahead log cut short or "
		"damaged, or a file lost. Nothing was changed; "
		"hs_options.recovery = HS_RECOVERY_TRUNCATE opens the log "
		"without them, and a writer then reuses their gseqs",
		last + 1, mark, HSI_MARK_FILE, mark, last);
}

/* The MANIFEST file that CURRENT names, or "MANIFEST". */
static void current_manifest(hsi_log *log, char *buf, size_t cap)
{
	char path[4096];
	snprintf(buf, cap, "MANIFEST");
	snprintf(path, sizeof(path), "%s/CURRENT", log->path);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char line[64];
	if (fgets(line, sizeof(line), f) != NULL &&
	    strncmp(line, "MANIFEST-", 9) == 0) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, cap, "%s", line);
	}
	fclose(f);
}

/* HS_EAGAIN from open_existing_as_listed: the column families changed
 * between listing and opening (a writer migrated the log meanwhile). */
static int open_existing_as_listed(hsi_log *log)
{
	bool have[HSI_CF_COUNT] = {false};
	char extra[HS_NAME_MAX + 1] = "";
	char **names, *err = NULL, why[256] = "";
	size_t n = 0;
	uint64_t mark;
	int rc, mark_rc;

	if ((rc = hsi_sst_precheck(log->path, why, sizeof(why))) != 0)
		return hsi_log_fail(log, rc, "%s", why);
	mark_rc = hsi_mark_read(log->path, &mark, why, sizeof(why));

	/* Reads CURRENT and the MANIFEST only: nothing is written, and a
	 * foreign database is recognised before it is opened. */
	names = rocksdb_list_column_families(log->db_opts, log->path, &n,
					     &err);
	if (err != NULL) {
		/* RocksDB 7.8 returns malloc(0) even on failure */
		rocksdb_list_column_families_destroy(names, n);
		char cur[4096];
		struct stat st;

		snprintf(cur, sizeof(cur), "%s/CURRENT", log->path);
		rc = hsi_log_rocks_code(err);
		if (stat(cur, &st) != 0 || rc == HS_ECORRUPT)
			rc = HS_ENOTLOG;
		hsi_log_fail(log, rc, "not a RocksDB database (%s)", err);
		rocksdb_free(err);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		int j = 0;

		while (j < HSI_CF_COUNT && strcmp(names[i], hsi_cf_names[j]))
			j++;
		if (j < HSI_CF_COUNT)
			have[j] = true;
		else if (extra[0] == '\0')
			snprintf(extra, sizeof(extra), "%s", names[i]);
	}
	rocksdb_list_column_families_destroy(names, n);
	for (int j = 0; j < HSI_CF_FORMAT1; j++) {
		if (have[j])
			continue;
		int ours = 1;
		while (ours < HSI_CF_COUNT && !have[ours])
			ours++;
		if (ours == HSI_CF_COUNT)
			return hsi_log_fail(
				log, HS_ENOTLOG,
				"a RocksDB database without column "
				"family \"%s\": not a hindsight log",
				hsi_cf_names[j]);
		/* Some of ours but not all: more likely a MANIFEST cut short
		 * (its newest edits lost) than another program's database. */
		char manifest[64];
		current_manifest(log, manifest, sizeof(manifest));
		return hsi_log_fail(
			log, HS_ENOTLOG,
			"column family \"%s\" is there but \"%s\" is not: a "
			"log whose %s is cut short or damaged, or not a "
			"hindsight log",
			hsi_cf_names[ours], hsi_cf_names[j], manifest);
	}
	/* The column families a format added come in order: the first
	 * missing one ends them. */
	int ncf = HSI_CF_FORMAT1;
	while (ncf < HSI_CF_COUNT && have[ncf])
		ncf++;
	for (int j = ncf; j < HSI_CF_COUNT; j++)
		if (have[j])
			return hsi_log_fail(
				log, HS_ENOTLOG,
				"column family \"%s\" without \"%s\": not "
				"a hindsight log",
				hsi_cf_names[j], hsi_cf_names[ncf]);

	/* Check the format through a read-only handle first: a log that is
	 * newer or not ours is left exactly as it was. */
	unsigned long ver = 0;
	if ((rc = open_db(log, true, ncf)) != 0)
		return rc;
	rc = check_format(log, &ver);
	if (rc == HS_ENOTLOG && extra[0] == '\0' &&
	    (log->flags & HSI_LOG_CREATE) && all_empty(log)) {
		/* Exactly our column families, all empty, and no format:
		 * a creation that was cut off before its first write. */
		close_db(log);
		if ((rc = open_writable(log)) != 0 ||
		    (rc = write_initial_meta(log)) != 0)
			return rc;
		return check_format(log, NULL);
	}
	if (rc != 0)
		return rc;
	if (extra[0] != '\0')
		return hsi_log_fail(log, HS_ENOTLOG,
				    "unexpected column family \"%s\": not a "
				    "hindsight log of format %d",
				    extra, HSI_LOG_FORMAT);
	if (ncf < hsi_cf_count_of_format(ver))
		/* Read-only, this may be a writer's migration between the
		 * listing and the open: HS_EAGAIN lists again. */
		return hsi_log_fail(log,
				    (log->flags & HSI_LOG_READONLY)
					    ? HS_EAGAIN
					    : HS_ENOTLOG,
				    "log format %lu without column family "
				    "\"%s\": not a hindsight log",
				    ver, hsi_cf_names[ncf]);
	if (!(log->flags & HSI_LOG_READONLY)) {
		/* Everything that can refuse the log, while nothing in the
		 * directory has been written. */
		if ((rc = find_last_gseq(log)) != 0 ||
		    (rc = check_mark(log, mark_rc, mark, why)) != 0)
			return rc;
		if (log->cfg->check != NULL &&
		    (rc = log->cfg->check(log->cfg->check_udata, log, why,
					  sizeof(why))) != 0)
			return hsi_log_fail(log, rc, "%s", why);
		close_db(log);
		if ((rc = open_writable(log)) != 0 ||
		    (rc = check_format(log, &ver)) != 0)
			return rc;
		/* An older log becomes this format once it has every column
		 * family (open_writable made them); a writer cut off between
		 * the two steps leaves the old format with them, finished
		 * here. */
		if (ver < HSI_LOG_FORMAT && (rc = put_format(log)) != 0)
			return rc;
		/* The mark goes on from where it was; a loss accepted by
		 * HS_RECOVERY_TRUNCATE brings it down to the log's end. */
		log->mark.gseq = mark_rc == 0 ? mark : 0;
		if ((mark_rc != 0 || mark > hsi_log_last_gseq(log)) &&
		    (rc = hsi_mark_write(&log->mark, log->path,
					 hsi_log_last_gseq(log), true, why,
					 sizeof(why))) != 0)
			return hsi_log_fail(log, rc, "%s", why);
	} else {
		log->mark.gseq = mark;
		log->mark_rc = mark_rc;
		snprintf(log->mark_why, sizeof(log->mark_why), "%s", why);
	}
	return 0;
}

static int open_existing(hsi_log *log)
{
	int rc = open_existing_as_listed(log);
	if (rc == HS_EAGAIN) {
		/* Listed as an older format, read as a newer one (a writer
		 * migrated it in between): list again. */
		close_db(log);
		rc = open_existing_as_listed(log);
	}
	if (rc == HS_EAGAIN) {
		close_db(log);
		rc = HS_ENOTLOG; /* the text names the missing family */
	}
	return rc;
}

/*
 * A writer's close flushes the column families one at a time, and a
 * read-only open in between can read the MANIFEST with the events of
 * the last batches flushed but not their index entries, then find the
 * write-ahead log that held those gone: a view in which the newest
 * events have no index entry. HS_EAGAIN when the newest event's index
 * entry is missing (the caller opens again); 0 when it is there, or
 * when the event does not decode (check and queries report that).
 */
static int tail_indexed(hsi_log *log)
{
	uint64_t last = hsi_log_last_gseq(log), gseq;
	hs_buf rec = HS_BUF_INIT;
	hsi_record r;
	int64_t t;
	int rc = 0;

	if (last != 0 && hsi_log_get_event(log, last, &rec) == 0 &&
	    hsi_record_decode(rec.data, rec.len, &r) == 0 &&
	    hsi_log_index_get(log, r.type, r.type_len, r.id, r.id_len, r.seq,
			      &gseq, &t) == HS_ENOTFOUND)
		rc = HS_EAGAIN;
	hs_buf_free(&rec);
	return rc;
}

/* A read-only open that lost a race with a writer: it read a MANIFEST
 * naming files that the writer's compaction has deleted since. */
static bool lost_race(hsi_log *log, int rc)
{
	char err[700];

	if (rc != HS_ECORRUPT && rc != HS_EIO)
		return false;
	hsi_log_error(log, err, sizeof(err));
	return strstr(err, "No such file or directory") != NULL;
}

/* Read-only opens tried before a race with a writer (lost_race, a torn
 * view) is an error, and the pause between them. */
#define RACE_TRIES 20
#define RACE_PAUSE_MS 10

static int open_path(hsi_log *log)
{
	struct stat st;
	int rc;

	if (stat(log->path, &st) != 0) {
		if (errno != ENOENT)
			return hsi_log_fail(log, HS_EIO, "%s",
					    strerror(errno));
		if (!(log->flags & HSI_LOG_CREATE))
			return hsi_log_fail(log, HS_ENOTFOUND,
					    "no such log (the path does not "
					    "exist)");
		rc = create_log(log);
		return rc != 0 ? rc : find_last_gseq(log);
	}
	if (!S_ISDIR(st.st_mode))
		return hsi_log_fail(log, HS_ENOTLOG,
				    "not a directory: not a hindsight log");
	int empty = dir_is_empty(log->path);
	if (empty < 0)
		return hsi_log_fail(log, HS_EIO, "%s", strerror(errno));
	if (empty && !(log->flags & HSI_LOG_CREATE))
		return hsi_log_fail(log, HS_ENOTLOG,
				    "empty directory: not a hindsight log");
	if (empty) {
		rc = create_log(log);
		return rc != 0 ? rc : find_last_gseq(log);
	}
	if (!(log->flags & HSI_LOG_READONLY)) {
		rc = open_existing(log);
		return rc != 0 ? rc : find_last_gseq(log);
	}
	for (int i = 1;; i++) {
		rc = open_existing(log);
		if (rc == 0)
			rc = find_last_gseq(log);
		if (rc == 0)
			rc = tail_indexed(log);
		if (rc == 0) {
			/* A log that ends before its mark may be a view torn
			 * by a writer's flush (as in tail_indexed): look
			 * again before calling it a loss. */
			rc = check_mark(log, log->mark_rc, log->mark.gseq,
					log->mark_why);
			if (rc != 0 && i < RACE_TRIES) {
				close_db(log);
				struct timespec ts = {0, RACE_PAUSE_MS * 1000000L};
				nanosleep(&ts, NULL);
				continue;
			}
		}
		if (rc == 0 || (rc != HS_EAGAIN && !lost_race(log, rc)))
			return rc;
		close_db(log);
		if (i == RACE_TRIES)
			return hsi_log_fail(log, HS_EBUSY,
					    "the log keeps changing under a "
					    "read-only open (a writer is "
					    "flushing or compacting it): try "
					    "again");
		struct timespec ts = {0, RACE_PAUSE_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int hsi_log_open(const char *path, unsigned flags, hsi_log **out, char *errbuf,
		 size_t errcap)
{
	return hsi_log_open_with(path, flags, NULL, out, errbuf, errcap);
}

int hsi_log_open_with(const char *path, unsigned flags,
		      const hsi_log_config *cfg, hsi_log **out, char *errbuf,
		      size_t errcap)
{
	static const hsi_log_config defaults;
	const unsigned known = HSI_LOG_CREATE | HSI_LOG_READONLY;
	hsi_log *log;
	int rc;

	if (errbuf != NULL && errcap > 0)
		errbuf[0] = '\0';
	if (path == NULL || path[0] == '\0' || out == NULL ||
	    (flags & ~known) != 0 || flags == known) {
		if (errbuf != NULL && errcap > 0)
			snprintf(errbuf, errcap,
				 "hsi_log_open: invalid arguments (a path, "
				 "and CREATE and READONLY do not mix)");
		return HS_EINVAL;
	}
	log = calloc(1, sizeof(*log));
	if (log == NULL || pthread_mutex_init(&log->err_mu, NULL) != 0) {
		free(log);
		return HS_ENOMEM;
	}
	pthread_mutex_init(&log->mark_mu, NULL);
	log->mark = (hsi_mark)HSI_MARK_INIT;
	log->flags = flags;
	log->path = strdup(path);
	if (log->path == NULL) {
		hsi_log_close(log);
		return HS_ENOMEM;
	}
	log->cfg = cfg != NULL ? cfg : &defaults;
	log->recovery = log->cfg->recovery;
	build_options(log, log->cfg->cache_bytes);
	rc = open_path(log);
	log->cfg = NULL; /* the caller's, valid during the open only */
	if (rc != 0) {
		if (errbuf != NULL)
			hsi_log_error(log, errbuf, errcap);
		hsi_log_close(log);
		return rc;
	}
	*out = log;
	return 0;
}

/* Writes the memtables out, so that the next open does not replay the
 * whole write-ahead log (seconds for a large log, instead of
 * milliseconds). Best effort: the WAL still holds everything. True when
 * every flush succeeded (everything is then in synced table files). */
static bool flush_all(hsi_log *log)
{
	rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
	bool ok = true;
	rocksdb_flushoptions_set_wait(fo, 1);
	for (int i = 0; i < log->ncf; i++) {
		char *err = NULL;
		rocksdb_flush_cf(log->db, fo, log->cf[i], &err);
		if (err != NULL) {
			rocksdb_free(err);
			ok = false;
		}
	}
	rocksdb_flushoptions_destroy(fo);
	return ok;
}

void hsi_log_close(hsi_log *log)
{
	if (log == NULL)
		return;
	if (log->db != NULL && !(log->flags & HSI_LOG_READONLY) &&
	    flush_all(log)) {
		char why[256];
		/* Best effort, as the flush: a mark left lower only checks
		 * less. */
		(void)hsi_mark_write(&log->mark, log->path,
				     hsi_log_last_gseq(log), false, why,
				     sizeof(why));
	}
	hsi_mark_close(&log->mark);
	close_db(log);
	for (int i = 0; i < HSI_CF_COUNT; i++)
		if (log->cf_opts[i] != NULL)
			rocksdb_options_destroy(log->cf_opts[i]);
	if (log->db_opts != NULL)
		rocksdb_options_destroy(log->db_opts);
	if (log->cache != NULL)
		rocksdb_cache_destroy(log->cache);
	if (log->wo_sync != NULL)
		rocksdb_writeoptions_destroy(log->wo_sync);
	if (log->wo_nosync != NULL)
		rocksdb_writeoptions_destroy(log->wo_nosync);
	if (log->ro != NULL)
		rocksdb_readoptions_destroy(log->ro);
	pthread_mutex_destroy(&log->err_mu);
	pthread_mutex_destroy(&log->mark_mu);
	free(log->path);
	free(log);
}

int hsi_log_checkpoint(hsi_log *log, const char *dest)
{
	rocksdb_checkpoint_t *cp;
	struct stat st;
	char *err = NULL;

	if (lstat(dest, &st) == 0)
		return hsi_log_fail(log, HS_EEXIST, "%s already exists", dest);
	cp = rocksdb_checkpoint_object_create(log->db, &err);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, "cannot make a checkpoint");
	/* log_size_for_flush UINT64_MAX: never flush first (a read-only
	 * handle cannot, and a flush is not needed: the WAL is copied). */
	rocksdb_checkpoint_create(cp, dest, UINT64_MAX, &err);
	rocksdb_checkpoint_object_destroy(cp);
	if (err != NULL) {
		int rc = hsi_log_rocks_code(err);

		/* A file the handle lists that a writer has deleted since. */
		if (rc == HS_EIO && strstr(err, "No such file") != NULL)
			rc = HS_ENOTFOUND;
		hsi_log_fail(log, rc, "cannot make a checkpoint in %s: %s",
			     dest, err);
		rocksdb_free(err);
		return rc;
	}
	return 0;
}

uint64_t hsi_log_last_gseq(const hsi_log *log)
{
	/* Pairs with the release CAS in hsi_log_write: a reader that sees
	 * gseq G here finds event G in RocksDB. */
	return atomic_load_explicit((_Atomic uint64_t *)&log->last_gseq,
				    memory_order_acquire);
}

const char *hsi_log_path(const hsi_log *log)
{
	return log->path;
}

size_t hsi_log_cache_bytes(const hsi_log *log)
{
	return rocksdb_cache_get_capacity(log->cache);
}

/* ------------------------------------------------------------------ */
/* Writing                                                              */
/* ------------------------------------------------------------------ */

hsi_log_batch *hsi_log_batch_new(void)
{
	hsi_log_batch *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->wb = rocksdb_writebatch_create();
	return b;
}

void hsi_log_batch_free(hsi_log_batch *b)
{
	if (b == NULL)
		return;
	rocksdb_writebatch_destroy(b->wb);
	free(b);
}

void hsi_log_batch_clear(hsi_log_batch *b)
{
	rocksdb_writebatch_clear(b->wb);
	b->max_gseq = 0;
	b->cut_base = 0;
}

void hsi_log_batch_put_event(hsi_log *log, hsi_log_batch *b, uint64_t gseq,
			     const void *rec, size_t len)
{
	uint8_t k[8];

	hsi_be64_put(k, gseq);
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_EVENTS],
				  (const char *)k, 8, rec, len);
	if (gseq > b->max_gseq)
		b->max_gseq = gseq;
}

/* Names longer than the limits or holding NUL are programmer errors: the
 * runtime checks addresses at hs_send. */
static size_t agent_key(uint8_t *k, const char *type, size_t type_len,
			const char *id, size_t id_len, uint64_t seq)
{
	size_t n;

	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		abort();
	n = hsi_key_prefix(k, type, type_len, id, id_len);
	hsi_be64_put(k + n, seq);
	return n + HSI_KEY_SEQ;
}

void hsi_log_batch_put_index(hsi_log *log, hsi_log_batch *b, const char *type,
			     size_t type_len, const char *id, size_t id_len,
			     uint64_t seq, uint64_t gseq, int64_t time_ns)
{
	uint8_t k[HSI_KEY_MAX], v[16];
	size_t n = agent_key(k, type, type_len, id, id_len, seq);

	hsi_be64_put(v, gseq);
	hsi_be64_put(v + 8, (uint64_t)time_ns);
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_AGENTS],
				  (const char *)k, n, (const char *)v, 16);
	if (seq % HSI_TIME_SAMPLE_EVERY == 0) {
		n = hsi_key_prefix(k, type, type_len, id, id_len);
		n += hsi_key_time_seq(k + n, time_ns, seq);
		rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_TIMES],
					  (const char *)k, n, "", 0);
	}
}

void hsi_log_batch_put_snapshot(hsi_log *log, hsi_log_batch *b,
				const char *type, size_t type_len,
				const char *id, size_t id_len, uint64_t seq,
				const void *state, size_t len)
{
	uint8_t k[HSI_KEY_MAX];
	size_t n = agent_key(k, type, type_len, id, id_len, seq);

	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_SNAPSHOTS],
				  (const char *)k, n, state, len);
}

void hsi_log_batch_put_timer(hsi_log *log, hsi_log_batch *b, const void *key,
			     size_t key_len, const void *val, size_t len)
{
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_TIMERS], key, key_len,
				  val, len);
}

void hsi_log_batch_delete_timer(hsi_log *log, hsi_log_batch *b,
				const void *key, size_t key_len)
{
	rocksdb_writebatch_delete_cf(b->wb, log->cf[HSI_CF_TIMERS], key,
				     key_len);
}

void hsi_log_batch_put_meta(hsi_log *log, hsi_log_batch *b, const char *key,
			    const void *val, size_t len)
{
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_META], key,
				  strlen(key), val, len);
}

int hsi_log_write(hsi_log *log, hsi_log_batch *b, bool sync)
{
	char *err = NULL;
	uint64_t last;

	if (log->flags & HSI_LOG_READONLY)
		return hsi_log_fail(log, HS_ENOTSUP,
				    "cannot write: the log is open read-only");
	if (rocksdb_writebatch_count(b->wb) == 0)
		return 0;
	rocksdb_write(log->db, sync ? log->wo_sync : log->wo_nosync, b->wb,
		      &err);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, "cannot write");
	if (sync && b->max_gseq != 0) {
		char why[256];
		pthread_mutex_lock(&log->mark_mu);
		int rc = hsi_mark_write(&log->mark, log->path, b->max_gseq,
					false, why, sizeof(why));
		pthread_mutex_unlock(&log->mark_mu);
		if (rc != 0)
			return hsi_log_fail(log, rc, "%s", why);
	}
	last = atomic_load_explicit(&log->last_gseq, memory_order_relaxed);
	/* Release, after the write is visible: pairs with the acquire load
	 * in hsi_log_last_gseq. */
	while (b->max_gseq > last &&
	       !atomic_compare_exchange_weak_explicit(
		       &log->last_gseq, &last, b->max_gseq,
		       memory_order_release, memory_order_relaxed))
		;
	if (b->cut_base != 0)
		log->base_gseq = b->cut_base;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Cutting                                                              */
/* ------------------------------------------------------------------ */

uint64_t hsi_log_base_gseq(const hsi_log *log)
{
	return log->base_gseq;
}

void hsi_log_batch_put_base(hsi_log *log, hsi_log_batch *b, const char *type,
			    size_t type_len, const char *id, size_t id_len,
			    const hsi_log_base *base, const void *state,
			    size_t len)
{
	uint8_t lo[HSI_KEY_MAX], hi[HSI_KEY_MAX], v[HSI_BASE_VALUE];
	size_t pn = agent_key(lo, type, type_len, id, id_len, 0) - HSI_KEY_SEQ;
	size_t n;

	memcpy(hi, lo, pn);
	hsi_be64_put(hi + pn, base->seq);
	for (int cf = HSI_CF_AGENTS; cf <= HSI_CF_SNAPSHOTS; cf++)
		rocksdb_writebatch_delete_range_cf(
			b->wb, log->cf[cf], (const char *)lo, pn + HSI_KEY_SEQ,
			(const char *)hi, pn + HSI_KEY_SEQ);
	/* The samples of the seqs before the base: times never decrease
	 * with seq, so they sort before the base's own (time, seq). */
	n = pn + hsi_key_time_seq(hi + pn, base->time_ns, base->seq);
	rocksdb_writebatch_delete_range_cf(b->wb, log->cf[HSI_CF_TIMES],
					   (const char *)lo, pn,
					   (const char *)hi, n);
	hsi_be64_put(hi + pn, base->seq);
	hsi_be64_put(v, base->gseq);
	hsi_be64_put(v + 8, (uint64_t)base->time_ns);
	hsi_be64_put(v + 16, base->state_hash);
	hsi_be64_put(v + 24, base->state_version);
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_AGENTS],
				  (const char *)hi, pn + HSI_KEY_SEQ,
				  (const char *)v, sizeof(v));
	rocksdb_writebatch_put_cf(b->wb, log->cf[HSI_CF_SNAPSHOTS],
				  (const char *)hi, pn + HSI_KEY_SEQ, state,
				  len);
}

void hsi_log_batch_cut(hsi_log *log, hsi_log_batch *b, uint64_t before)
{
	uint8_t lo[8], hi[8];
	char fmt[16], base[32];

	hsi_be64_put(lo, 1);
	hsi_be64_put(hi, before);
	rocksdb_writebatch_delete_range_cf(b->wb, log->cf[HSI_CF_EVENTS],
					   (const char *)lo, 8,
					   (const char *)hi, 8);
	snprintf(fmt, sizeof(fmt), "%d", HSI_LOG_FORMAT_CUT);
	snprintf(base, sizeof(base), "%llu", (unsigned long long)before - 1);
	hsi_log_batch_put_meta(log, b, "format", fmt, strlen(fmt));
	hsi_log_batch_put_meta(log, b, "base_gseq", base, strlen(base));
	b->cut_base = before - 1;
}

int hsi_log_compact(hsi_log *log)
{
	if (log->flags & HSI_LOG_READONLY)
		return hsi_log_fail(log, HS_ENOTSUP,
				    "cannot compact: the log is open "
				    "read-only");
	/* The C API reports no error here: a failed compaction leaves the
	 * space to a later one, the data intact. */
	for (int i = 0; i < log->ncf; i++)
		rocksdb_compact_range_cf(log->db, log->cf[i], NULL, 0, NULL, 0);
	return 0;
}
