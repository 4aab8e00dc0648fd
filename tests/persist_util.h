/*
 * Helpers for the persistence tests (test_persist.c, test_stress_crash.c):
 * temporary directories, reading a log back through the internal log API
 * and the record codec, and raw RocksDB access for planting foreign,
 * corrupt or newer-format data on disk.
 *
 * Include after util.h. Functions here never call cmocka's assert_*() from
 * inside a log scan callback (the callback runs under RocksDB's C++
 * frames, which a longjmp must not cross): they collect what they found
 * and the caller asserts afterwards.
 */
#ifndef HS_TESTS_PERSIST_UTIL_H
#define HS_TESTS_PERSIST_UTIL_H

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include <limits.h>

#include "util_fs.h"
#include "codec/record.h"
#include "common/buf.h"
#include "log/log.h"

/* ------------------------------------------------------------------ */
/* Temporary directories                                                */
/* ------------------------------------------------------------------ */

/* Directories made by pu_mkdtemp, removed by pu_cleanup_dirs (a cmocka
 * teardown) also when a failed assertion skipped the test's own cleanup. */
#define PU_DIRS_MAX 16
static char *pu_dirs[PU_DIRS_MAX];

/* A fresh directory under $TMPDIR (or /tmp); free with pu_rmtree + free. */
static HSU_UNUSED char *pu_mkdtemp(const char *what)
{
	size_t n = PATH_MAX;
	char *p = malloc(n);
	assert_non_null(p);
	if (hsu_mkdtemp(p, n, what) != 0) {
		print_error("mkdtemp(%s): %s\n", what, strerror(errno));
		fail();
	}
	for (int i = 0; i < PU_DIRS_MAX; i++) {
		if (pu_dirs[i] == NULL) {
			pu_dirs[i] = strdup(p);
			break;
		}
	}
	return p;
}

/* Removes a directory tree (or file), not following symlinks. Accepts
 * NULL. */
static HSU_UNUSED void pu_rmtree(const char *path)
{
	if (path != NULL)
		(void)hsu_rm_rf(path);
}

/* Removes every directory pu_mkdtemp made that is still there; usable
 * as a cmocka setup or teardown. */
static HSU_UNUSED int pu_cleanup_dirs(void **state)
{
	(void)state;
	for (int i = 0; i < PU_DIRS_MAX; i++) {
		pu_rmtree(pu_dirs[i]);
		free(pu_dirs[i]);
		pu_dirs[i] = NULL;
	}
	return 0;
}

/* path + "/" + name, malloc'd. */
static HSU_UNUSED char *pu_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Runs this test program again as a child (fork + exec of
 * /proc/self/exe, so that it starts without the parent's RocksDB threads)
 * with the arguments `name flag dir FD`, FD the write end of a pipe whose
 * read end goes to *read_fd. Returns the child's pid. */
static HSU_UNUSED pid_t pu_spawn_self(const char *name, const char *flag,
				      const char *dir, int *read_fd)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		char fd[16];
		snprintf(fd, sizeof fd, "%d", p[1]);
		char *args[] = {(char *)name, (char *)flag, (char *)dir, fd,
				NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	close(p[1]);
	*read_fd = p[0];
	return pid;
}

/* ------------------------------------------------------------------ */
/* Runtimes over a log                                                  */
/* ------------------------------------------------------------------ */

/* Opens a persisted runtime; asserts success (printing the error text). */
static HSU_UNUSED hs_runtime *pu_open_rt(const char *path, hs_durability d,
					 unsigned workers, hs_clock_fn clock,
					 void *clock_udata)
{
	hs_options o;
	hs_options_init(&o);
	o.workers = workers;
	o.path = path;
	o.durability = d;
	o.clock = clock;
	o.clock_udata = clock_udata;
	o.on_drop = hsu_on_drop;
	o.drop_udata = &hsu_drop_log;
	hs_runtime *rt = NULL;
	char err[512] = "";
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != 0)
		print_error("hs_open_err(%s): %d (%s): %s\n", path, rc,
			    hs_strerror(rc), err);
	assert_hs(0, rc);
	assert_non_null(rt);
	return rt;
}

/* hs_open_err on a path expecting failure `want`; returns the error text
 * (static buffer) for further checks. */
static HSU_UNUSED const char *pu_open_fails(const char *path, int want)
{
	static char err[1024];
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = path;
	hs_runtime *rt =
		(hs_runtime *)(uintptr_t)0x1; /* must stay untouched */
	err[0] = '\0';
	int rc = hs_open_err(&rt, &o, err, sizeof err);
	if (rc != want)
		print_error("hs_open_err(%s): expected %d (%s), got %d (%s): "
			    "%s\n",
			    path, want, hs_strerror(want), rc, hs_strerror(rc),
			    err);
	if (rc == 0)
		hs_close(rt);
	assert_int_equal(rc, want);
	assert_true(rt == (hs_runtime *)(uintptr_t)0x1);
	return err;
}

/* The encoded state of an agent; asserts hs_deref succeeds. */
static HSU_UNUSED hs_buf pu_deref(hs_runtime *rt, const char *type,
				  const char *id)
{
	hs_buf b = HS_BUF_INIT;
	int rc = hs_deref(rt, type, id, &b);
	if (rc != 0) {
		char err[512];
		hs_last_error(rt, err, sizeof err);
		print_error("hs_deref(%s, %s): %d (%s): %s\n", type, id, rc,
			    hs_strerror(rc), err);
	}
	assert_hs(0, rc);
	return b;
}

/* ------------------------------------------------------------------ */
/* Reading a log back                                                   */
/* ------------------------------------------------------------------ */

/* One decoded record with its own copies of every field. */
typedef struct pu_rec {
	uint64_t key_gseq; /* the events key it was stored under */
	uint32_t version;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq;
	uint64_t gseq;
	int64_t time_ns;
	char event_type[HS_NAME_MAX + 1];
	uint8_t *body; /* malloc'd copy, NULL when body_len 0 */
	size_t body_len;
	bool has_cause;
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
	uint64_t cause_seq;
	uint64_t cause_gseq;
	uint64_t state_hash;
} pu_rec;

typedef struct pu_recs {
	pu_rec *v;
	size_t n, cap;
	/* First problem found by the scan, "" when none. */
	char problem[512];
	uint64_t expect_gseq;
} pu_recs;

static HSU_UNUSED void pu_recs_free(pu_recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].body);
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Copies a counted string into dst[cap], false when it does not fit. */
static HSU_UNUSED bool pu_strn(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	if (n != 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/* Decodes a stored record into *out (fields copied). Returns the decode
 * result, or HS_ERANGE when a string is longer than the API allows. */
static HSU_UNUSED int pu_rec_from(uint64_t key_gseq, const void *data,
				  size_t len, pu_rec *out)
{
	hsi_record r;
	memset(out, 0, sizeof *out);
	int rc = hsi_record_decode(data, len, &r);
	if (rc != 0)
		return rc;
	out->key_gseq = key_gseq;
	out->version = r.version;
	if (!pu_strn(out->type, sizeof out->type, r.type, r.type_len) ||
	    !pu_strn(out->id, sizeof out->id, r.id, r.id_len) ||
	    !pu_strn(out->event_type, sizeof out->event_type, r.event_type,
		     r.event_type_len))
		return HS_ERANGE;
	out->seq = r.seq;
	out->gseq = r.gseq;
	out->time_ns = r.time_ns;
	out->body_len = r.body_len;
	if (r.body_len != 0) {
		out->body = malloc(r.body_len);
		if (out->body == NULL)
			return HS_ENOMEM;
		memcpy(out->body, r.body, r.body_len);
	}
	out->has_cause = r.cause.seq != 0;
	if (out->has_cause) {
		if (!pu_strn(out->cause_type, sizeof out->cause_type,
			     r.cause.type, r.cause.type_len) ||
		    !pu_strn(out->cause_id, sizeof out->cause_id, r.cause.id,
			     r.cause.id_len)) {
			free(out->body);
			out->body = NULL;
			return HS_ERANGE;
		}
		out->cause_seq = r.cause.seq;
		out->cause_gseq = r.cause.gseq;
	}
	out->state_hash = r.state_hash;
	return 0;
}

static HSU_UNUSED int pu_collect_fn(void *udata, uint64_t gseq,
				    const void *rec, size_t len)
{
	pu_recs *rs = udata;
	if (gseq != rs->expect_gseq) {
		snprintf(rs->problem, sizeof rs->problem,
			 "events key gseq %" PRIu64 " where %" PRIu64
			 " was expected (gap or disorder)",
			 gseq, rs->expect_gseq);
		return 1;
	}
	rs->expect_gseq++;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		pu_rec *v = realloc(rs->v, cap * sizeof *v);
		if (v == NULL) {
			snprintf(rs->problem, sizeof rs->problem, "ENOMEM");
			return 1;
		}
		rs->v = v;
		rs->cap = cap;
	}
	int rc = pu_rec_from(gseq, rec, len, &rs->v[rs->n]);
	if (rc != 0) {
		snprintf(rs->problem, sizeof rs->problem,
			 "record at gseq %" PRIu64 " (%zu bytes) does not "
			 "decode: %d (%s)",
			 gseq, len, rc, hs_strerror(rc));
		return 1;
	}
	rs->n++;
	return 0;
}

/*
 * Opens the log read-only and reads every record, asserting that the keys
 * are exactly 1..last_gseq in order, that each record decodes and stores
 * its own gseq, and that hsi_log_last_gseq agrees. The caller frees *out
 * with pu_recs_free.
 */
static HSU_UNUSED void pu_read_log(const char *path, pu_recs *out)
{
	memset(out, 0, sizeof *out);
	out->expect_gseq = 1;
	hsi_log *log = NULL;
	char err[512] = "";
	int rc = hsi_log_open(path, HSI_LOG_READONLY, &log, err, sizeof err);
	if (rc != 0)
		print_error("hsi_log_open(%s, READONLY): %d (%s): %s\n", path,
			    rc, hs_strerror(rc), err);
	assert_hs(0, rc);
	uint64_t last = hsi_log_last_gseq(log);
	rc = hsi_log_scan_events(log, 0, UINT64_MAX, false, pu_collect_fn,
				 out);
	hsi_log_close(log);
	if (out->problem[0] != '\0')
		print_error("%s: %s\n", path, out->problem);
	assert_string_equal(out->problem, "");
	assert_hs(0, rc);
	assert_int_equal(out->n, last);
	for (size_t i = 0; i < out->n; i++) {
		assert_int_equal(out->v[i].key_gseq, i + 1);
		assert_int_equal(out->v[i].gseq, i + 1);
		assert_int_equal(out->v[i].version, 1); /* no type here declares schema versions */
	}
}

/* The record of (type, id, seq), or NULL. */
static HSU_UNUSED const pu_rec *pu_find(const pu_recs *rs, const char *type,
					const char *id, uint64_t seq)
{
	for (size_t i = 0; i < rs->n; i++) {
		const pu_rec *r = &rs->v[i];
		if (r->seq == seq && strcmp(r->type, type) == 0 &&
		    strcmp(r->id, id) == 0)
			return r;
	}
	return NULL;
}

/* Number of records of one agent. */
static HSU_UNUSED uint64_t pu_count(const pu_recs *rs, const char *type,
				    const char *id)
{
	uint64_t n = 0;
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].type, type) == 0 &&
		    strcmp(rs->v[i].id, id) == 0)
			n++;
	return n;
}

/*
 * Asserts the per-agent invariants over a whole log: each agent's seqs,
 * in gseq order, are exactly 1, 2, 3, ...; every caused record's cause is
 * a record with that (type, id, seq) at cause_gseq, and cause_gseq < gseq.
 * Returns the number of caused records.
 */
static HSU_UNUSED size_t pu_check_order_and_causes(const pu_recs *rs)
{
	size_t caused = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const pu_rec *r = &rs->v[i];
		/* The previous record of the same agent has seq - 1. */
		uint64_t prev = 0;
		for (size_t j = i; j-- > 0;) {
			const pu_rec *q = &rs->v[j];
			if (strcmp(q->type, r->type) == 0 &&
			    strcmp(q->id, r->id) == 0) {
				prev = q->seq;
				break;
			}
		}
		if (r->seq != prev + 1)
			print_error("gseq %" PRIu64 ": %s/%s seq %" PRIu64
				    " follows seq %" PRIu64 "\n",
				    r->gseq, r->type, r->id, r->seq, prev);
		assert_int_equal(r->seq, prev + 1);
		if (!r->has_cause)
			continue;
		caused++;
		if (!(r->cause_gseq >= 1 && r->cause_gseq < r->gseq))
			print_error("gseq %" PRIu64 " (%s/%s seq %" PRIu64
				    ") has cause gseq %" PRIu64 "\n",
				    r->gseq, r->type, r->id, r->seq,
				    r->cause_gseq);
		assert_true(r->cause_gseq >= 1);
		assert_true(r->cause_gseq < r->gseq);
		const pu_rec *c = &rs->v[r->cause_gseq - 1];
		assert_string_equal(c->type, r->cause_type);
		assert_string_equal(c->id, r->cause_id);
		assert_int_equal(c->seq, r->cause_seq);
	}
	return caused;
}

/* ------------------------------------------------------------------ */
/* Raw RocksDB                                                          */
/* ------------------------------------------------------------------ */

/* Names, sizes and modification times of the files in a directory, one
 * line each: equal before and after, nothing in it was written. */
static HSU_UNUSED void pu_list_files(const char *dir, hs_buf *out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	assert_true(n >= 0);
	hs_buf_reset(out);
	for (int i = 0; i < n; i++) {
		char p[PATH_MAX + 256], line[PATH_MAX + 512];
		struct stat st;

		/* The parent's mtime moves whenever another test makes a
		 * directory next to this one. */
		if (strcmp(ents[i]->d_name, "..") == 0) {
			free(ents[i]);
			continue;
		}
		snprintf(p, sizeof(p), "%s/%s", dir, ents[i]->d_name);
		assert_int_equal(lstat(p, &st), 0);
		snprintf(line, sizeof(line), "%s %lld %lld.%09ld\n",
			 ents[i]->d_name, (long long)st.st_size,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
		assert_hs(0, hsi_buf_append(out, line, strlen(line)));
		free(ents[i]);
	}
	free(ents);
}

#define PU_CF_MAX 16

/* A RocksDB database opened with all its column families. */
typedef struct pu_db {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	size_t ncf;
	char *names[PU_CF_MAX];
	rocksdb_column_family_handle_t *cf[PU_CF_MAX];
} pu_db;

static HSU_UNUSED void pu_db_open(pu_db *d, const char *path)
{
	char *err = NULL;
	memset(d, 0, sizeof *d);
	d->opts = rocksdb_options_create();
	size_t n = 0;
	char **names = rocksdb_list_column_families(d->opts, path, &n, &err);
	if (err != NULL) {
		print_error("list_column_families(%s): %s\n", path, err);
		rocksdb_free(err);
		fail();
	}
	assert_true(n >= 1 && n <= PU_CF_MAX);
	const rocksdb_options_t *cfo[PU_CF_MAX];
	for (size_t i = 0; i < n; i++) {
		d->names[i] = strdup(names[i]);
		cfo[i] = d->opts;
	}
	rocksdb_list_column_families_destroy(names, n);
	d->ncf = n;
	d->db = rocksdb_open_column_families(d->opts, path, (int)n,
					     (const char *const *)d->names,
					     cfo, d->cf, &err);
	if (err != NULL) {
		print_error("open_column_families(%s): %s\n", path, err);
		rocksdb_free(err);
		fail();
	}
	assert_non_null(d->db);
}

static HSU_UNUSED void pu_db_close(pu_db *d)
{
	for (size_t i = 0; i < d->ncf; i++) {
		rocksdb_column_family_handle_destroy(d->cf[i]);
		free(d->names[i]);
	}
	if (d->db != NULL)
		rocksdb_close(d->db);
	rocksdb_options_destroy(d->opts);
	memset(d, 0, sizeof *d);
}

static HSU_UNUSED rocksdb_column_family_handle_t *pu_db_cf(pu_db *d,
							   const char *name)
{
	for (size_t i = 0; i < d->ncf; i++)
		if (strcmp(d->names[i], name) == 0)
			return d->cf[i];
	print_error("no column family %s\n", name);
	fail();
	return NULL;
}

static HSU_UNUSED void pu_db_put(pu_db *d, const char *cf, const void *key,
				 size_t klen, const void *val, size_t vlen)
{
	char *err = NULL;
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(wo, 1);
	rocksdb_put_cf(d->db, wo, pu_db_cf(d, cf), key, klen, val, vlen, &err);
	rocksdb_writeoptions_destroy(wo);
	if (err != NULL) {
		print_error("put_cf(%s): %s\n", cf, err);
		rocksdb_free(err);
		fail();
	}
}

/* The value under key (malloc'd, *vlen set) or NULL when absent. */
static HSU_UNUSED char *pu_db_get(pu_db *d, const char *cf, const void *key,
				  size_t klen, size_t *vlen)
{
	char *err = NULL;
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *v = rocksdb_get_cf(d->db, ro, pu_db_cf(d, cf), key, klen, vlen,
				 &err);
	rocksdb_readoptions_destroy(ro);
	if (err != NULL) {
		print_error("get_cf(%s): %s\n", cf, err);
		rocksdb_free(err);
		fail();
	}
	return v;
}

static HSU_UNUSED void pu_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* ------------------------------------------------------------------ */
/* Files                                                                */
/* ------------------------------------------------------------------ */

static HSU_UNUSED void pu_write_file(const char *path, const void *data,
				     size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The whole file, malloc'd and NUL-terminated; *len without the NUL. */
static HSU_UNUSED char *pu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t cap = 256, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

#endif /* HS_TESTS_PERSIST_UTIL_H */
