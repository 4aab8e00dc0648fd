/* Lookups and scans. Iterator keys and values die on the next move:
 * callbacks get them for the duration of the call only. */
#include "log/log_int.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"

static int bad_addr(hsi_log *log, const char *fn)
{
	return hsi_log_fail(log, HS_EINVAL, "%s: bad agent address", fn);
}

/* An event that is not there: archived by a cut, or missing. */
static int missing(hsi_log *log, uint64_t gseq)
{
	if (gseq <= log->base_gseq)
		return hsi_log_fail(log, HS_EARCHIVED,
				    "gseq %llu is archived: the log holds "
				    "the records after gseq %llu",
				    (unsigned long long)gseq,
				    (unsigned long long)log->base_gseq);
	return hsi_log_fail(log, HS_ENOTFOUND, "events key %016llx: not found",
			    (unsigned long long)gseq);
}

/* A point lookup in events (meta_key NULL) or meta, the value appended
 * to out. The key is put into words only on failure, off the hot path. */
static int get(hsi_log *log, uint64_t gseq, const char *meta_key, hs_buf *out)
{
	int cf = meta_key != NULL ? HSI_CF_META : HSI_CF_EVENTS;
	rocksdb_pinnableslice_t *ps;
	char *err = NULL, what[128];
	uint8_t k[8];
	const char *v;
	size_t n;
	int rc = 0;

	hsi_be64_put(k, gseq);
	if (meta_key != NULL)
		ps = rocksdb_get_pinned_cf(log->db, log->ro, log->cf[cf],
					   meta_key, strlen(meta_key), &err);
	else
		ps = rocksdb_get_pinned_cf(log->db, log->ro, log->cf[cf],
					   (const char *)k, 8, &err);
	if (ps != NULL) {
		v = rocksdb_pinnableslice_value(ps, &n);
		rc = hsi_buf_append(out, v, n);
		rocksdb_pinnableslice_destroy(ps);
		if (rc == 0)
			return 0;
	}
	if (meta_key != NULL)
		snprintf(what, sizeof(what), "meta key \"%.64s\"", meta_key);
	else
		snprintf(what, sizeof(what), "events key %016llx",
			 (unsigned long long)gseq);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err, what);
	if (rc != 0)
		return hsi_log_fail(log, rc, "%s: out of memory", what);
	return meta_key != NULL ? hsi_log_fail(log, HS_ENOTFOUND,
					       "%s: not found", what)
				: missing(log, gseq);
}

int hsi_log_get_event(hsi_log *log, uint64_t gseq, hs_buf *out)
{
	return get(log, gseq, NULL, out);
}

/* Keys per multi-get: enough to share block reads, small enough for the
 * stack. */
#define MULTI_GET 64
/* A scan instead of a multi-get for at least DENSE_MIN records spread
 * over less than DENSE_SPAN times their number of gseqs. */
#define DENSE_MIN 4
#define DENSE_SPAN 4


/* hsi_log_get_events for gseqs that lie close together: one forward scan
 * from the first to the last, skipping the records of other agents, costs
 * a step per record where a multi-get searches every block again. */
static int scan_dense(hsi_log *log, const uint64_t *gseqs, size_t n,
		      hsi_events_fn fn, void *udata)
{
	uint8_t lower[8], upper[8];
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	size_t i = 0;
	int rc = 0;

	hsi_be64_put(lower, gseqs[0]);
	hsi_be64_put(upper, gseqs[n - 1] + 1);
	rocksdb_readoptions_set_verify_checksums(ro, 1);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)upper,
						    8);
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(
		log->db, ro, log->cf[HSI_CF_EVENTS]);
	for (rocksdb_iter_seek(it, (const char *)lower, 8);
	     i < n && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		uint64_t g = kn == 8 ? hsi_be64_get((const uint8_t *)k) : 0;
		if (g < gseqs[i])
			continue; /* another agent's, or a malformed key
				   * (hsi_log_scan_events reports those) */
		if (g > gseqs[i])
			break;
		const char *v = rocksdb_iter_value(it, &vn);
		if ((rc = fn(udata, i, v, vn)) != 0)
			break;
		i++;
	}
	rc = hsi_log_iter_end(log, it, "events: cannot scan", rc);
	rocksdb_readoptions_destroy(ro); /* after the iterator: bound */
	if (rc == 0 && i < n)
		rc = missing(log, gseqs[i]);
	return rc;
}

int hsi_log_get_events(hsi_log *log, const uint64_t *gseqs, size_t n,
		       hsi_events_fn fn, void *udata)
{
	if (n >= DENSE_MIN && gseqs[n - 1] - gseqs[0] < DENSE_SPAN * n)
		return scan_dense(log, gseqs, n, fn, udata);

	uint8_t keys[MULTI_GET][8];
	const char *kp[MULTI_GET];
	size_t kn[MULTI_GET];
	rocksdb_pinnableslice_t *vals[MULTI_GET];
	char *errs[MULTI_GET];
	int rc = 0;

	for (size_t base = 0; base < n && rc == 0; base += MULTI_GET) {
		size_t m = n - base < MULTI_GET ? n - base : MULTI_GET;
		for (size_t i = 0; i < m; i++) {
			hsi_be64_put(keys[i], gseqs[base + i]);
			kp[i] = (const char *)keys[i];
			kn[i] = 8;
		}
		rocksdb_batched_multi_get_cf(log->db, log->ro,
					     log->cf[HSI_CF_EVENTS], m, kp, kn,
					     vals, errs, true);
		for (size_t i = 0; i < m; i++) {
			char what[64];
			snprintf(what, sizeof(what), "events key %016llx",
				 (unsigned long long)gseqs[base + i]);
			if (rc == 0 && errs[i] != NULL)
				rc = hsi_log_fail_rocks(log, &errs[i], what);
			else if (rc == 0 && vals[i] == NULL)
				rc = missing(log, gseqs[base + i]);
			else if (rc == 0) {
				size_t len;
				const char *v =
					rocksdb_pinnableslice_value(vals[i],
								    &len);
				rc = fn(udata, base + i, v, len);
			}
			if (errs[i] != NULL)
				rocksdb_free(errs[i]);
			if (vals[i] != NULL)
				rocksdb_pinnableslice_destroy(vals[i]);
		}
	}
	return rc;
}

int hsi_log_get_meta(hsi_log *log, const char *key, hs_buf *out)
{
	return get(log, 0, key, out);
}

/*
 * The newest entry of an agent in cf (agents or snapshots) with
 * seq <= max_seq: one SeekForPrev. On success *seq is its seq and
 * *val, *vlen its value, valid until the iterator moves; the caller ends
 * the iterator with iter_end. Returns 0, HS_ENOTFOUND or HS_ECORRUPT.
 */
static int last_at(hsi_log *log, int cf, const uint8_t *prefix, size_t pn,
		   uint64_t max_seq, rocksdb_iterator_t *it, uint64_t *seq,
		   const char **val, size_t *vlen)
{
	uint8_t k[HSI_KEY_MAX];
	const char *kk;
	size_t kn;

	memcpy(k, prefix, pn);
	hsi_be64_put(k + pn, max_seq);
	rocksdb_iter_seek_for_prev(it, (const char *)k, pn + HSI_KEY_SEQ);
	if (!rocksdb_iter_valid(it))
		return HS_ENOTFOUND;
	kk = rocksdb_iter_key(it, &kn);
	if (kn < pn || memcmp(kk, prefix, pn) != 0)
		return HS_ENOTFOUND;
	if (kn != pn + HSI_KEY_SEQ) {
		char text[HSI_KEY_TEXT_MAX];

		hsi_key_hex(kk, kn, text, sizeof(text));
		return hsi_log_fail(log, HS_ECORRUPT,
				    "%s key %s: malformed key",
				    hsi_cf_names[cf], text);
	}
	*seq = hsi_be64_get((const uint8_t *)kk + pn);
	*val = rocksdb_iter_value(it, vlen);
	return 0;
}

int hsi_log_agent_last(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, uint64_t *seq,
		       uint64_t *gseq)
{
	uint8_t p[HSI_PREFIX_MAX];
	rocksdb_iterator_t *it;
	uint64_t s = 0, g = 0;
	const char *v;
	size_t pn, vn;
	int rc;

	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return bad_addr(log, "hsi_log_agent_last");
	pn = hsi_key_prefix(p, type, type_len, id, id_len);
	it = rocksdb_create_iterator_cf(log->db, log->ro,
					log->cf[HSI_CF_AGENTS]);
	rc = last_at(log, HSI_CF_AGENTS, p, pn, UINT64_MAX, it, &s, &v, &vn);
	if (rc == 0) {
		size_t kn;
		const char *k = rocksdb_iter_key(it, &kn);

		int64_t t;
		rc = hsi_log_index_value(log, k, kn, v, vn, &g, &t);
	}
	rc = hsi_log_iter_end(log, it, "agents: cannot seek", rc);
	if (rc != 0)
		return rc;
	*seq = s;
	*gseq = g;
	return 0;
}

int hsi_log_agent_base(hsi_log *log, const char *type, size_t type_len,
		       const char *id, size_t id_len, hsi_log_base *out)
{
	uint8_t p[HSI_PREFIX_MAX];
	rocksdb_iterator_t *it;
	size_t pn, kn, vn;
	int rc = HS_ENOTFOUND;

	if (log->base_gseq == 0)
		return HS_ENOTFOUND;
	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return bad_addr(log, "hsi_log_agent_base");
	pn = hsi_key_prefix(p, type, type_len, id, id_len);
	it = rocksdb_create_iterator_cf(log->db, log->ro,
					log->cf[HSI_CF_AGENTS]);
	rocksdb_iter_seek(it, (const char *)p, pn);
	if (rocksdb_iter_valid(it)) {
		const char *k = rocksdb_iter_key(it, &kn);
		const char *v = rocksdb_iter_value(it, &vn);

		if (kn == pn + HSI_KEY_SEQ && memcmp(k, p, pn) == 0 &&
		    vn == HSI_BASE_VALUE &&
		    (rc = hsi_log_index_value(log, k, kn, v, vn, &out->gseq,
					      &out->time_ns)) == 0) {
			const uint8_t *u = (const uint8_t *)v;
			uint64_t ver = hsi_be64_get(u + 24);

			out->seq = hsi_be64_get((const uint8_t *)k + pn);
			out->state_hash = hsi_be64_get(u + 16);
			out->state_version = (uint32_t)ver;
			if (out->seq == 0 || ver == 0 || ver > UINT32_MAX) {
				char text[HSI_KEY_TEXT_MAX];

				hsi_key_any_text((const uint8_t *)k, kn, text,
						 sizeof(text));
				rc = hsi_log_fail(log, HS_ECORRUPT,
						  "agents key %s: a base entry "
						  "of seq 0 or state "
						  "version 0",
						  text);
			}
		}
	}
	return hsi_log_iter_end(log, it, "agents: cannot seek", rc);
}

/* Reads the entry of agent (type, id) at seq in an agents-keyed column
 * family (agents, snapshots): *out pinned (the caller destroys it), or
 * NULL with HS_ENOTFOUND. The key is left in k, kn. */
static int get_agent_entry(hsi_log *log, int cf, const char *what,
			   const char *type, size_t type_len, const char *id,
			   size_t id_len, uint64_t seq, uint8_t *k, size_t *kn,
			   rocksdb_pinnableslice_t **out)
{
	char *err = NULL;

	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return bad_addr(log, what);
	*kn = hsi_key_prefix(k, type, type_len, id, id_len);
	hsi_be64_put(k + *kn, seq);
	*kn += HSI_KEY_SEQ;
	*out = rocksdb_get_pinned_cf(log->db, log->ro, log->cf[cf],
				     (const char *)k, *kn, &err);
	if (err != NULL)
		return hsi_log_fail_rocks(log, &err,
					  cf == HSI_CF_AGENTS
						  ? "agents: cannot read"
						  : "snapshots: cannot read");
	return *out == NULL ? HS_ENOTFOUND : 0;
}

int hsi_log_index_get(hsi_log *log, const char *type, size_t type_len,
		      const char *id, size_t id_len, uint64_t seq,
		      uint64_t *gseq, int64_t *time_ns)
{
	uint8_t k[HSI_KEY_MAX];
	size_t kn, vn;
	rocksdb_pinnableslice_t *ps;
	int rc = get_agent_entry(log, HSI_CF_AGENTS, "hsi_log_index_get",
				 type, type_len, id, id_len, seq, k, &kn, &ps);

	if (rc != 0)
		return rc;
	const char *v = rocksdb_pinnableslice_value(ps, &vn);
	rc = hsi_log_index_value(log, (const char *)k, kn, v, vn, gseq,
				 time_ns);
	rocksdb_pinnableslice_destroy(ps);
	return rc;
}

int hsi_log_get_snapshot(hsi_log *log, const char *type, size_t type_len,
			 const char *id, size_t id_len, uint64_t seq,
			 hs_buf *out)
{
	uint8_t k[HSI_KEY_MAX];
	size_t kn, vn;
	rocksdb_pinnableslice_t *ps;
	int rc = get_agent_entry(log, HSI_CF_SNAPSHOTS, "hsi_log_get_snapshot",
				 type, type_len, id, id_len, seq, k, &kn, &ps);

	if (rc != 0)
		return rc;
	const char *v = rocksdb_pinnableslice_value(ps, &vn);
	rc = hsi_buf_append(out, v, vn);
	rocksdb_pinnableslice_destroy(ps);
	if (rc != 0)
		return hsi_log_fail(log, rc, "snapshot: out of memory");
	return 0;
}

int hsi_log_snapshot_at(hsi_log *log, const char *type, size_t type_len,
			const char *id, size_t id_len, uint64_t max_seq,
			uint64_t *seq, hs_buf *out)
{
	uint8_t p[HSI_PREFIX_MAX];
	rocksdb_iterator_t *it;
	size_t pn, vn, start = out->len;
	const char *v;
	uint64_t s = 0;
	int rc;

	if (!hsi_key_addr_ok(type, type_len, id, id_len))
		return bad_addr(log, "hsi_log_snapshot_at");
	pn = hsi_key_prefix(p, type, type_len, id, id_len);
	it = rocksdb_create_iterator_cf(log->db, log->ro,
					log->cf[HSI_CF_SNAPSHOTS]);
	rc = last_at(log, HSI_CF_SNAPSHOTS, p, pn, max_seq, it, &s, &v, &vn);
	if (rc == 0 && (rc = hsi_buf_append(out, v, vn)) != 0)
		rc = hsi_log_fail(log, rc, "snapshot: out of memory");
	rc = hsi_log_iter_end(log, it, "snapshots: cannot seek", rc);
	if (rc != 0) {
		out->len = start;
		return rc;
	}
	*seq = s;
	return 0;
}

int hsi_log_scan_events(hsi_log *log, uint64_t from, uint64_t to, bool reverse,
			hsi_event_fn fn, void *udata)
{
	uint8_t lower[8], upper[8], start[8];
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	int rc = 0;

	if (from > to)
		return 0;
	hsi_be64_put(lower, from);
	hsi_be64_put(start, reverse ? to : from);
	ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_verify_checksums(ro, 1);
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lower,
						    8);
	if (to < UINT64_MAX) {
		hsi_be64_put(upper, to + 1);
		rocksdb_readoptions_set_iterate_upper_bound(
			ro, (const char *)upper, 8);
	}
	it = rocksdb_create_iterator_cf(log->db, ro, log->cf[HSI_CF_EVENTS]);
	if (reverse)
		rocksdb_iter_seek_for_prev(it, (const char *)start, 8);
	else
		rocksdb_iter_seek(it, (const char *)start, 8);
	while (rc == 0 && rocksdb_iter_valid(it)) {
		size_t kn, vn;
		const char *kk = rocksdb_iter_key(it, &kn);
		const char *v = rocksdb_iter_value(it, &vn);
		uint64_t g;

		if (kn != 8) {
			char text[HSI_KEY_TEXT_MAX];

			hsi_key_hex(kk, kn, text, sizeof(text));
			rc = hsi_log_fail(log, HS_ECORRUPT,
					  "events key %s: not an 8-byte gseq",
					  text);
			break;
		}
		g = hsi_be64_get((const uint8_t *)kk);
		if (g < from || g > to)
			break;
		rc = fn(udata, g, v, vn);
		if (reverse)
			rocksdb_iter_prev(it);
		else
			rocksdb_iter_next(it);
	}
	rc = hsi_log_iter_end(log, it, "events: cannot scan", rc);
	rocksdb_readoptions_destroy(ro); /* after the iterator: bounds */
	return rc;
}

/*
 * One step per agent, not per record: from an agent's first key, a
 * SeekForPrev to type \0 id \0 ff*8 lands on its last key (its newest
 * seq), and Next from there is the next agent's first key.
 */
int hsi_log_scan_agents(hsi_log *log, hsi_agent_fn fn, void *udata)
{
	return hsi_log_scan_agents_from(log, NULL, 0, fn, udata);
}

int hsi_log_scan_agents_from(hsi_log *log, const void *start,
			     size_t start_len, hsi_agent_fn fn, void *udata)
{
	rocksdb_iterator_t *it;
	int rc = 0;

	it = rocksdb_create_iterator_cf(log->db, log->ro,
					log->cf[HSI_CF_AGENTS]);
	if (start_len != 0)
		rocksdb_iter_seek(it, start, start_len);
	else
		rocksdb_iter_seek_to_first(it);
	while (rc == 0 && rocksdb_iter_valid(it)) {
		uint8_t p[HSI_PREFIX_MAX];
		char text[HSI_KEY_TEXT_MAX];
		const char *kk, *t, *i, *v;
		size_t kn, tn, in, pn, vn;
		uint64_t seq, gseq;
		int64_t time_ns = 0;

		kk = rocksdb_iter_key(it, &kn);
		if (hsi_key_parse((const uint8_t *)kk, kn, &t, &tn, &i, &in,
				  &seq) != 0) {
			hsi_key_hex(kk, kn, text, sizeof(text));
			rc = hsi_log_fail(log, HS_ECORRUPT,
					  "agents key %s: malformed key",
					  text);
			break;
		}
		/* The key dies on the move: keep the address in p. */
		pn = hsi_key_prefix(p, t, tn, i, in);
		rc = last_at(log, HSI_CF_AGENTS, p, pn, UINT64_MAX, it, &seq,
			     &v, &vn);
		if (rc == HS_ENOTFOUND) { /* only if the iterator failed */
			rc = 0;
			break;
		}
		if (rc == 0) {
			kk = rocksdb_iter_key(it, &kn);
			rc = hsi_log_index_value(log, kk, kn, v, vn, &gseq, &time_ns);
		}
		if (rc == 0)
			rc = fn(udata, (const char *)p, tn,
				(const char *)p + tn + 1, in, seq);
		rocksdb_iter_next(it);
	}
	return hsi_log_iter_end(log, it, "agents: cannot scan", rc);
}

int hsi_log_scan_timers(hsi_log *log, hsi_timer_fn fn, void *udata)
{
	if (log->ncf <= HSI_CF_TIMERS)
		return 0;
	rocksdb_iterator_t *it = rocksdb_create_iterator_cf(
		log->db, log->ro, log->cf[HSI_CF_TIMERS]);
	int rc = 0;
	for (rocksdb_iter_seek_to_first(it); rc == 0 && rocksdb_iter_valid(it);
	     rocksdb_iter_next(it)) {
		size_t kn, vn;
		const char *k = rocksdb_iter_key(it, &kn);
		const char *v = rocksdb_iter_value(it, &vn);
		rc = fn(udata, k, kn, v, vn);
	}
	return hsi_log_iter_end(log, it, "timers: cannot scan", rc);
}
