/*
 * Reading one agent's index (agents: type \0 id \0 seq -> gseq, time):
 * a cursor that answers several lookups from one iterator, scans, and
 * the sampled times entries that bracket a time.
 * Iterator keys and values die on the next move.
 */
#include "log/log_int.h"

#include <stdlib.h>
#include <string.h>

int hsi_log_index_value(hsi_log *log, const char *key, size_t kn, const char *v,
			size_t vn, uint64_t *gseq, int64_t *time_ns)
{
	char text[HSI_KEY_TEXT_MAX];

	/* A base entry (HSI_BASE_VALUE bytes) stands for an archived
	 * transition. */
	if ((vn == 16 || vn == HSI_BASE_VALUE) &&
	    (*gseq = hsi_be64_get((const uint8_t *)v)) != 0 &&
	    (vn == 16 || *gseq <= log->base_gseq)) {
		*time_ns = (int64_t)hsi_be64_get((const uint8_t *)v + 8);
		return 0;
	}
	hsi_key_any_text((const uint8_t *)key, kn, text, sizeof(text));
	return hsi_log_fail(log, HS_ECORRUPT,
			    "agents key %s: value is not a gseq and a time "
			    "(16 bytes, gseq not 0), nor a base entry at or "
			    "before the log's base",
			    text);
}


struct hsi_index_cursor {
	hsi_log *log;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	size_t pn;
	uint8_t key[HSI_KEY_MAX];      /* the prefix, then a seq */
	uint8_t upper[HSI_PREFIX_MAX]; /* type \0 id \1 */
};

int hsi_log_index_cursor_open(hsi_log *log, const char *type,
			      size_t type_len, const char *id, size_t id_len,
			      hsi_index_cursor **out)
{
	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return hsi_log_fail(log, HS_EINVAL,
				    "index cursor: bad agent address");
	hsi_index_cursor *c = malloc(sizeof(*c));
	if (c == NULL)
		return hsi_log_fail(log, HS_ENOMEM,
				    "index cursor: out of memory");
	c->log = log;
	c->pn = hsi_key_prefix(c->key, type, type_len, id, id_len);
	/* type \0 id \1 sorts after every key of this agent and before any
	 * other agent's: the bound lets RocksDB stop at the agent's end. */
	memcpy(c->upper, c->key, c->pn);
	c->upper[c->pn - 1] = 1;
	c->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_verify_checksums(c->ro, 1);
	rocksdb_readoptions_set_iterate_upper_bound(
		c->ro, (const char *)c->upper, c->pn);
	c->it = rocksdb_create_iterator_cf(log->db, c->ro,
					   log->cf[HSI_CF_AGENTS]);
	*out = c;
	return 0;
}

int hsi_log_index_cursor_close(hsi_index_cursor *c, int rc)
{
	if (c == NULL)
		return rc;
	rc = hsi_log_iter_end(c->log, c->it, "agents: cannot read", rc);
	rocksdb_readoptions_destroy(c->ro); /* after the iterator: upper */
	free(c);
	return rc;
}

/* To the first entry with seq >= from. */
static void seek(hsi_index_cursor *c, uint64_t from)
{
	hsi_be64_put(c->key + c->pn, from);
	rocksdb_iter_seek(c->it, (const char *)c->key, c->pn + HSI_KEY_SEQ);
}

/* The entry under the cursor: 1 with its seq, 0 past the agent's end,
 * HS_ECORRUPT for a malformed key, or the error that stopped the
 * iterator. */
static int current(hsi_index_cursor *c, uint64_t *seq)
{
	if (!rocksdb_iter_valid(c->it)) {
		char *err = NULL;
		rocksdb_iter_get_error(c->it, &err);
		return err != NULL ? hsi_log_fail_rocks(c->log, &err,
							 "agents: cannot read")
				   : 0;
	}
	size_t kn;
	const char *k = rocksdb_iter_key(c->it, &kn);
	if (kn != c->pn + HSI_KEY_SEQ || memcmp(k, c->key, c->pn) != 0) {
		char text[HSI_KEY_TEXT_MAX];
		hsi_key_hex(k, kn, text, sizeof(text));
		return hsi_log_fail(c->log, HS_ECORRUPT,
				    "agents key %s: malformed key", text);
	}
	*seq = hsi_be64_get((const uint8_t *)k + c->pn);
	return 1;
}

static int value(hsi_index_cursor *c, uint64_t *gseq, int64_t *time_ns)
{
	size_t kn, vn;
	const char *k = rocksdb_iter_key(c->it, &kn);
	const char *v = rocksdb_iter_value(c->it, &vn);
	return hsi_log_index_value(c->log, k, kn, v, vn, gseq, time_ns);
}

int hsi_log_index_cursor_get(hsi_index_cursor *c, uint64_t seq,
			     uint64_t *gseq, int64_t *time_ns)
{
	uint64_t at;
	seek(c, seq);
	int rc = current(c, &at);
	if (rc < 0)
		return rc;
	if (rc == 0 || at != seq)
		return HS_ENOTFOUND;
	return value(c, gseq, time_ns);
}

int hsi_log_index_cursor_scan(hsi_index_cursor *c, uint64_t from_seq,
			      uint64_t to_seq, hsi_index_fn fn, void *udata)
{
	uint64_t seq;
	int rc = 0;
	if (from_seq > to_seq)
		return 0;
	seek(c, from_seq);
	while ((rc = current(c, &seq)) == 1 && seq <= to_seq) {
		uint64_t gseq;
		int64_t time_ns;
		if ((rc = value(c, &gseq, &time_ns)) != 0 ||
		    (rc = fn(udata, seq, gseq, time_ns)) != 0)
			return rc;
		rocksdb_iter_next(c->it);
	}
	return rc < 0 ? rc : 0;
}

int hsi_log_scan_agent(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, uint64_t from_seq,
		       uint64_t to_seq, hsi_index_fn fn, void *udata)
{
	hsi_index_cursor *c;
	if (from_seq > to_seq)
		return 0;
	int rc = hsi_log_index_cursor_open(log, type, type_len, id, id_len,
					   &c);
	if (rc != 0)
		return rc;
	rc = hsi_log_index_cursor_scan(c, from_seq, to_seq, fn, udata);
	return hsi_log_index_cursor_close(c, rc);
}

/* The seq of a times key of the agent with prefix p[0..pn), or 0 when the
 * key is another agent's or malformed. */
static uint64_t sample_seq(const char *k, size_t kn, const uint8_t *p,
			   size_t pn)
{
	if (kn != pn + 2 * HSI_KEY_SEQ || memcmp(k, p, pn) != 0)
		return 0;
	return hsi_be64_get((const uint8_t *)k + pn + HSI_KEY_SEQ);
}

int hsi_log_time_bracket(hsi_log *log, const char *type, size_t type_len,
			 const char *id, size_t id_len, int64_t time_ns,
			 uint64_t *below, uint64_t *above)
{
	uint8_t k[HSI_KEY_MAX];
	const char *kk;
	size_t kn;

	*below = *above = 0;
	if (log->ncf <= HSI_CF_TIMES)
		return HS_ENOTSUP;
	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return hsi_log_fail(log, HS_EINVAL,
				    "time bracket: bad agent address");
	size_t pn = hsi_key_prefix(k, type, type_len, id, id_len);
	size_t n = pn + hsi_key_time_seq(k + pn, time_ns, UINT64_MAX);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(
		log->db, log->ro, log->cf[HSI_CF_TIMES]);
	/* The last entry at or before (time_ns, any seq), then the next. */
	rocksdb_iter_seek_for_prev(it, (const char *)k, n);
	if (rocksdb_iter_valid(it)) {
		kk = rocksdb_iter_key(it, &kn);
		*below = sample_seq(kk, kn, k, pn);
		rocksdb_iter_next(it);
	} else {
		rocksdb_iter_seek(it, (const char *)k, n);
	}
	if (rocksdb_iter_valid(it)) {
		kk = rocksdb_iter_key(it, &kn);
		*above = sample_seq(kk, kn, k, pn);
	}
	return hsi_log_iter_end(log, it, "times: cannot seek", 0);
}

int hsi_log_scan_time_samples(hsi_log *log, hsi_sample_fn fn, void *udata)
{
	if (log->ncf <= HSI_CF_TIMES)
		return 0;
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(
		log->db, log->ro, log->cf[HSI_CF_TIMES]);
	int rc = 0;
	for (rocksdb_iter_seek_to_first(it); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t kn;
		const char *k = rocksdb_iter_key(it, &kn), *t = NULL, *i = NULL;
		size_t tn = 0, in = 0;
		uint64_t tbits = 0, seq = 0;
		/* type \0 id \0 time seq: split as an agents key whose "seq"
		 * is the time. */
		bool ok = kn > 2 * HSI_KEY_SEQ &&
			  hsi_key_parse((const uint8_t *)k, kn - HSI_KEY_SEQ,
					&t, &tn, &i, &in, &tbits) == 0;
		if (ok)
			seq = hsi_be64_get((const uint8_t *)k + kn -
					   HSI_KEY_SEQ);
		rc = fn(udata, ok ? k : NULL, kn, t, tn, i, in,
			(int64_t)(tbits ^ ((uint64_t)1 << 63)), seq);
	}
	return hsi_log_iter_end(log, it, "times: cannot scan", rc);
}
