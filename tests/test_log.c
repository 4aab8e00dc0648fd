/* The record codec (codec/record.c) and the RocksDB log (log/), on real
 * RocksDB databases in a fresh directory per test. */
#include "util.h"
#include "util_fs.h"

#include "persist_util.h"

#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>

#include <rocksdb/c.h>

#include "codec/record.h"
#include "common/buf.h"
#include "log/log.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* Fixtures and helpers                                                 */
/* ------------------------------------------------------------------ */

typedef struct fx {
	char dir[PATH_MAX];       /* removed at teardown */
	char path[PATH_MAX + 16]; /* dir/log, not created */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));

	if (f == NULL || hsu_mkdtemp(f->dir, sizeof(f->dir), "log") != 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/log", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	int rc = hsu_rm_rf(f->dir);

	free(f);
	return rc;
}

static hsi_log *open_ok(const char *path, unsigned flags)
{
	char err[512];
	hsi_log *log = NULL;
	int rc = hsi_log_open(path, flags, &log, err, sizeof(err));

	if (rc != 0)
		print_error("hsi_log_open(%s): %s\n", path, err);
	assert_hs(0, rc);
	assert_non_null(log);
	return log;
}

static void put_str(hs_buf *b, const char *s)
{
	assert_hs(0, hs_packf(b, "s", s));
}

/* A record of (type, id, seq) with body {"n": seq} and no cause. */
static void make_record(hs_buf *out, const char *type, const char *id,
			uint64_t seq, uint64_t gseq)
{
	hs_buf body = HS_BUF_INIT;
	hsi_record r;
	size_t off;

	assert_hs(0, hs_packf(&body, "n:U", seq));
	memset(&r, 0, sizeof(r));
	r.version = HSI_FORMAT_VERSION;
	r.type = type;
	r.type_len = strlen(type);
	r.id = id;
	r.id_len = strlen(id);
	r.seq = seq;
	r.time_ns = (int64_t)gseq * 1000;
	r.event_type = "set";
	r.event_type_len = 3;
	r.body = body.data;
	r.body_len = body.len;
	r.state_hash = hsi_state_hash(body.data, body.len);
	hs_buf_reset(out);
	assert_hs(0, hsi_record_encode(&r, out, &off));
	hsi_record_patch_gseq(out->data, off, gseq);
	hs_buf_free(&body);
}

/* Writes events gseq from..to, each for agent ("t", "x") with seq = gseq,
 * plus its index entry. */
static void write_events(hsi_log *log, uint64_t from, uint64_t to, bool sync)
{
	hsi_log_batch *b = hsi_log_batch_new();
	hs_buf rec = HS_BUF_INIT;

	assert_non_null(b);
	for (uint64_t g = from; g <= to; g++) {
		make_record(&rec, "t", "x", g, g);
		hsi_log_batch_put_event(log, b, g, rec.data, rec.len);
		hsi_log_batch_put_index(log, b, "t", 1, "x", 1, g, g,
					(int64_t)g * 1000);
	}
	assert_hs(0, hsi_log_write(log, b, sync));
	hsi_log_batch_free(b);
	hs_buf_free(&rec);
}

static void assert_event(hsi_log *log, uint64_t gseq, const char *type,
			 const char *id, uint64_t seq)
{
	hs_buf b = HS_BUF_INIT;
	hsi_record r;

	assert_hs(0, hsi_log_get_event(log, gseq, &b));
	assert_hs(0, hsi_record_decode(b.data, b.len, &r));
	assert_int_equal(r.gseq, gseq);
	assert_int_equal(r.seq, seq);
	assert_int_equal(r.type_len, strlen(type));
	assert_memory_equal(r.type, type, r.type_len);
	assert_int_equal(r.id_len, strlen(id));
	assert_memory_equal(r.id, id, r.id_len);
	hs_buf_free(&b);
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ------------------------------------------------------------------ */
/* Record codec                                                         */
/* ------------------------------------------------------------------ */

static void test_record_roundtrip(void **state)
{
	(void)state;
	hs_buf body = HS_BUF_INIT, out = HS_BUF_INIT;
	hsi_record r, d;
	size_t off = 0;

	assert_hs(0, hs_packf(&body, "port:s cargo:[i i] x:{y:d}", "Malmo", 1,
			      2, 1.5));
	memset(&r, 0, sizeof(r));
	r.version = HSI_FORMAT_VERSION;
	r.type = "ship";
	r.type_len = 4;
	r.id = "Gloria\xff";
	r.id_len = 7;
	r.seq = 300;
	r.gseq = 0;
	r.time_ns = -1234567890123;
	r.event_type = "depart";
	r.event_type_len = 6;
	r.body = body.data;
	r.body_len = body.len;
	r.cause.type = "port";
	r.cause.type_len = 4;
	r.cause.id = "Malmo";
	r.cause.id_len = 5;
	r.cause.seq = 17;
	r.cause.gseq = UINT64_MAX;
	r.state_hash = 0x0123456789abcdefull;

	put_str(&out, "prefix"); /* the record is appended after this */
	size_t start = out.len;
	assert_hs(0, hsi_record_encode(&r, &out, &off));
	assert_true(off > start);
	assert_int_equal(out.data[off - 1], 0xcf);
	hsi_record_patch_gseq(out.data, off, 0x0102030405060708ull);
	assert_int_equal(out.data[off], 1);
	assert_int_equal(out.data[off + 7], 8);
	/* the state hash is the last 9 bytes, fixed width as well */
	assert_int_equal(out.data[out.len - 9], 0xcf);

	const uint8_t *rec = out.data + start;
	size_t len = out.len - start;
	assert_hs(0, hs_msgpack_check(rec, len));
	assert_hs(0, hsi_record_decode(rec, len, &d));
	assert_int_equal(d.version, 1);
	assert_int_equal(d.event_version, 1);
	assert_int_equal(d.state_version, 1);
	assert_int_equal(d.type_len, 4);
	assert_memory_equal(d.type, "ship", 4);
	assert_int_equal(d.id_len, 7);
	assert_memory_equal(d.id, "Gloria\xff", 7);
	assert_int_equal(d.seq, 300);
	assert_int_equal(d.gseq, 0x0102030405060708ull);
	assert_true(d.time_ns == -1234567890123);
	assert_int_equal(d.event_type_len, 6);
	assert_memory_equal(d.event_type, "depart", 6);
	assert_int_equal(d.body_len, body.len);
	assert_memory_equal(d.body, body.data, body.len);
	assert_true(d.body >= rec && d.body + d.body_len <= rec + len);
	assert_int_equal(d.cause.type_len, 4);
	assert_memory_equal(d.cause.type, "port", 4);
	assert_int_equal(d.cause.id_len, 5);
	assert_memory_equal(d.cause.id, "Malmo", 5);
	assert_int_equal(d.cause.seq, 17);
	assert_true(d.cause.gseq == UINT64_MAX);
	assert_true(d.state_hash == 0x0123456789abcdefull);

	/* patching again changes only the gseq */
	hsi_record_patch_gseq(out.data, off, 42);
	assert_hs(0, hsi_record_decode(rec, len, &d));
	assert_int_equal(d.gseq, 42);
	assert_int_equal(d.seq, 300);

	/* no body, no cause */
	r.body = NULL;
	r.body_len = 0;
	memset(&r.cause, 0, sizeof(r.cause));
	r.time_ns = INT64_MAX;
	hs_buf_reset(&out);
	assert_hs(0, hsi_record_encode(&r, &out, &off));
	assert_hs(0, hsi_record_decode(out.data, out.len, &d));
	assert_null(d.body);
	assert_int_equal(d.body_len, 0);
	assert_int_equal(d.cause.seq, 0);
	assert_null(d.cause.type);
	assert_true(d.time_ns == INT64_MAX);
	assert_true(d.state_hash == 0x0123456789abcdefull);

	hs_buf_free(&body);
	hs_buf_free(&out);
}

/* The exact bytes of version 1 (docs/FORMAT.md): changing them is a format
 * change. */
static void test_record_golden(void **state)
{
	(void)state;
	static const uint8_t want[] =
		{
			0x9a, 0x01, 0xa1, 't',  0xa1, 'i',  0x01, 0xcf,
			0,    0,    0,    0,    0,    0,    0,    7, /* gseq */
			0x05, 0xa1, 'e',  0xc0, /* time, event, no body */
			0x94, 0xa1, 'x',  0xa1, 'y',  0x03, 0x09, /* cause */
			0xcf, 0,    0,    0,    0,    0,    0,    0x01,
			0x02, /* state hash */
		};
	hs_buf out = HS_BUF_INIT;
	hsi_record r;
	size_t off;

	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.type = "t";
	r.type_len = 1;
	r.id = "i";
	r.id_len = 1;
	r.seq = 1;
	r.gseq = 7;
	r.time_ns = 5;
	r.event_type = "e";
	r.event_type_len = 1;
	r.cause = (hsi_cause){"x", 1, "y", 1, 3, 9};
	r.state_hash = 0x102;
	assert_hs(0, hsi_record_encode(&r, &out, &off));
	assert_int_equal(out.len, sizeof(want));
	assert_memory_equal(out.data, want, sizeof(want));
	assert_int_equal(off, 8);

	/* FNV-1a 64 */
	assert_true(hsi_state_hash("", 0) == 0xcbf29ce484222325ull);
	assert_true(hsi_state_hash("a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(hsi_state_hash("foobar", 6) == 0x85944171f73967e8ull);
	hs_buf_free(&out);
}

/* Starts a hand-built record: array header of `count` (< 16) and the first
 * seven fields of a valid version-1 record. */
static void head7(hs_buf *b, unsigned count)
{
	uint8_t h = (uint8_t)(0x90 | count);

	hs_buf_reset(b);
	assert_hs(0, hsi_buf_append(b, &h, 1));
	assert_hs(0, hs_packf(b, "u", 1u));
	assert_hs(0, hs_packf(b, "s", "t"));
	assert_hs(0, hs_packf(b, "s", "i"));
	assert_hs(0, hs_packf(b, "U", (uint64_t)1));
	assert_hs(0, hs_packf(b, "U", (uint64_t)1));
	assert_hs(0, hs_packf(b, "I", (int64_t)0));
	assert_hs(0, hs_packf(b, "s", "e"));
}

static void raw(hs_buf *b, const void *p, size_t n)
{
	assert_hs(0, hsi_buf_append(b, p, n));
}

/* Decodes a copy of exactly b->len bytes (ASan sees any overread). */
static int decode_exact(const hs_buf *b)
{
	uint8_t *p = malloc(b->len ? b->len : 1);
	hsi_record d;
	int rc;

	assert_non_null(p);
	if (b->len)
		memcpy(p, b->data, b->len);
	rc = hsi_record_decode(p, b->len, &d);
	if (rc == 0) {
		const uint8_t *end = p + b->len;
		assert_true((const uint8_t *)d.type >= p &&
			    (const uint8_t *)d.type + d.type_len <= end);
		assert_true((const uint8_t *)d.id >= p &&
			    (const uint8_t *)d.id + d.id_len <= end);
		assert_true((const uint8_t *)d.event_type >= p &&
			    (const uint8_t *)d.event_type + d.event_type_len <=
				    end);
		assert_true(d.body_len == 0 ||
			    (d.body >= p && d.body + d.body_len <= end));
		assert_true(
			d.cause.seq == 0 ||
			((const uint8_t *)d.cause.id >= p &&
			 (const uint8_t *)d.cause.id + d.cause.id_len <= end));
	}
	free(p);
	return rc;
}

/* A complete record: head7, body (raw, or nil), cause nil, hash. */
static int decode_with_body(const void *body, size_t n)
{
	hs_buf b = HS_BUF_INIT;
	int rc;

	head7(&b, 10);
	if (n == 0)
		assert_hs(0, hs_packf(&b, "n"));
	else
		raw(&b, body, n);
	assert_hs(0, hs_packf(&b, "n"));
	assert_hs(0, hs_packf(&b, "U", (uint64_t)5));
	rc = decode_exact(&b);
	hs_buf_free(&b);
	return rc;
}

static void test_record_truncated(void **state)
{
	(void)state;
	hs_buf rec = HS_BUF_INIT, part = HS_BUF_INIT;
	hsi_record d;

	make_record(&rec, "ship", "Gloria", 3, 99);
	assert_hs(0, decode_exact(&rec));
	for (size_t n = 0; n < rec.len; n++) {
		hs_buf_reset(&part);
		raw(&part, rec.data, n);
		assert_hs(HS_ECORRUPT, decode_exact(&part));
	}
	assert_hs(HS_ECORRUPT, hsi_record_decode(NULL, 0, &d));
	/* trailing bytes */
	hs_buf_reset(&part);
	raw(&part, rec.data, rec.len);
	raw(&part, "\xc0", 1);
	assert_hs(HS_ECORRUPT, decode_exact(&part));
	hs_buf_free(&rec);
	hs_buf_free(&part);
}

static void test_record_fields(void **state)
{
	(void)state;
	hs_buf b = HS_BUF_INIT;
	char name[300];

	/* the valid base, built the same way as the broken ones below */
	head7(&b, 10);
	assert_hs(0, hs_packf(&b, "n"));
	assert_hs(0, hs_packf(&b, "n"));
	assert_hs(0, hs_packf(&b, "U", (uint64_t)5));
	assert_hs(0, decode_exact(&b));

#define EXPECT(rc, fmt, ...)                                                  \
	do {                                                                  \
		hs_buf_reset(&b);                                             \
		assert_hs(0, hs_packf(&b, fmt, __VA_ARGS__));                 \
		assert_hs(rc, decode_exact(&b));                              \
	} while (0)
	/* version */
	EXPECT(0, "[u s s U U I s n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U]", 0u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[i s s U U I s n n U]", -1, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[s s s U U I s n n U]", "1", "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	/* shape */
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e");
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U n]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "{v:u}", 1u);
	EXPECT(HS_ECORRUPT, "[u]", 1u);
	EXPECT(HS_ECORRUPT, "s", "hello");
	/* names: str of 1..max bytes without NUL */
	EXPECT(HS_ECORRUPT, "[u i s U U I s n n U]", 1u, 7, "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u B s U U I s n n U]", 1u, "t", (size_t)1, "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U]", 1u, "", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u S s U U I s n n U]", 1u, "a\0b", (size_t)3,
	       "i", (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I n n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, (uint64_t)0);
	memset(name, 'n', sizeof(name));
	EXPECT(0, "[u S S U U I S n n U]", 1u, name, (size_t)HS_NAME_MAX, name,
	       (size_t)HS_ID_MAX, (uint64_t)1, (uint64_t)1, (int64_t)0, name,
	       (size_t)HS_NAME_MAX, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u S s U U I s n n U]", 1u, name,
	       (size_t)HS_NAME_MAX + 1, "i", (uint64_t)1, (uint64_t)1,
	       (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s S U U I s n n U]", 1u, "t", name,
	       (size_t)HS_ID_MAX + 1, (uint64_t)1, (uint64_t)1, (int64_t)0,
	       "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I S n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, name, (size_t)HS_NAME_MAX + 1,
	       (uint64_t)0);
	/* seq >= 1, integers where integers belong */
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U]", 1u, "t", "i", (uint64_t)0,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s I U I s n n U]", 1u, "t", "i", (int64_t)-1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U s I s n n U]", 1u, "t", "i", (uint64_t)1,
	       "1", (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U U s n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, UINT64_MAX, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U d s n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, 1.0, "e", (uint64_t)0);
	EXPECT(0, "[u s s U U I s n n U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, INT64_MIN, "e", UINT64_MAX);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n I]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (int64_t)-5);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n n]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e");
	/* cause: nil or [type, id, seq >= 1, gseq >= 1] */
	EXPECT(0, "[u s s U U I s n [s s U U] U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", "c", "d", (uint64_t)1,
	       (uint64_t)1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n [s s U] U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", "c", "d",
	       (uint64_t)1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n [s s U U n] U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", "c", "d",
	       (uint64_t)1, (uint64_t)1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n [s s U U] U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", "c", "d",
	       (uint64_t)0, (uint64_t)1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n [s s U U] U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", "", "d", (uint64_t)1,
	       (uint64_t)1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n {s:i} U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", 1, (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n s U]", 1u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", "c", (uint64_t)0);
	/* version 2: the schema versions appended, both >= 1 */
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U]", 2u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U U U]", 2u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0,
	       (uint64_t)0, (uint64_t)1);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U U U]", 2u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0,
	       (uint64_t)1, (uint64_t)1ull << 32);
	EXPECT(HS_ECORRUPT, "[u s s U U I s n n U U U]", 1u, "t", "i",
	       (uint64_t)1, (uint64_t)1, (int64_t)0, "e", (uint64_t)0,
	       (uint64_t)2, (uint64_t)1);
	EXPECT(0, "[u s s U U I s n n U U U]", 2u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0, (uint64_t)3,
	       (uint64_t)1);
	/* a future version decides its own shape */
	EXPECT(HS_EVERSION, "[u s s U U I s n n U]", 3u, "t", "i", (uint64_t)1,
	       (uint64_t)1, (int64_t)0, "e", (uint64_t)0);
	EXPECT(HS_EVERSION, "[u]", 3u);
	EXPECT(HS_EVERSION, "[U i i]", UINT64_MAX, 1, 2);
#undef EXPECT

	/* bodies: any one msgpack value as deep as hs_msgpack_check allows */
	assert_hs(0, decode_with_body("\x81\xa1k\x92\x01\xc3", 6));
	assert_hs(HS_ECORRUPT, decode_with_body("\xc1", 1));
	assert_hs(HS_ECORRUPT, decode_with_body("\x92\x01", 2));
	uint8_t deep[40];
	memset(deep, 0x91, sizeof(deep));
	deep[32] = 0xc0;
	assert_hs(0, hs_msgpack_check(deep, 33));
	assert_hs(0, decode_with_body(deep, 33));
	memset(deep, 0x91, sizeof(deep));
	deep[33] = 0xc0;
	assert_hs(HS_EBADMSG, hs_msgpack_check(deep, 34));
	assert_hs(HS_ECORRUPT, decode_with_body(deep, 34));
	/* huge counts in headers do not make the decoder read past the end */
	assert_hs(HS_ECORRUPT, decode_with_body("\xdd\xff\xff\xff\xff", 5));
	assert_hs(HS_ECORRUPT, decode_with_body("\xdb\xff\xff\xff\xff", 5));
	hs_buf_reset(&b);
	raw(&b, "\xdd\xff\xff\xff\xff\x01", 6);
	assert_hs(HS_ECORRUPT, decode_exact(&b));
	hs_buf_reset(&b);
	raw(&b, "\xdc\x00\x0a\x01", 4);
	assert_hs(HS_ECORRUPT, decode_exact(&b));
	hs_buf_free(&b);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t x = rnd_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rnd_state = x;
}

static void test_record_garbage(void **state)
{
	(void)state;
	static const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0x90, 0x91,
					0x9a, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
					0xc4, 0xcc, 0xcf, 0xd0, 0xd3, 0xd9,
					0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff};
	hs_buf b = HS_BUF_INIT, rec = HS_BUF_INIT, body = HS_BUF_INIT;
	hsi_record r;
	size_t off;

	/* random buffers */
	for (int n = 0; n < 200000; n++) {
		size_t len = rnd() % 48;
		hs_buf_reset(&b);
		for (size_t i = 0; i < len; i++) {
			uint8_t c = (uint8_t)rnd();
			raw(&b, &c, 1);
		}
		int rc = decode_exact(&b);
		uint8_t c0 = len ? b.data[0] : 0;
		bool array = (c0 & 0xf0) == 0x90 || c0 == 0xdc || c0 == 0xdd;
		if (array)
			assert_true(rc == HS_ECORRUPT || rc == HS_EVERSION);
		else
			assert_hs(HS_ECORRUPT, rc);
	}

	/* every byte of a full record replaced by interesting values */
	assert_hs(0, hs_packf(&body, "a:[i {b:s} d] c:B", 1, "x", 2.5, "zz",
			      (size_t)2));
	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.type = "type";
	r.type_len = 4;
	r.id = "id";
	r.id_len = 2;
	r.seq = 1000;
	r.time_ns = 77;
	r.event_type = "ev";
	r.event_type_len = 2;
	r.body = body.data;
	r.body_len = body.len;
	r.cause = (hsi_cause){"ct", 2, "ci", 2, 5, 6};
	assert_hs(0, hsi_record_encode(&r, &rec, &off));
	for (size_t i = 0; i < rec.len; i++) {
		for (size_t j = 0; j < sizeof(bytes); j++) {
			hs_buf_reset(&b);
			raw(&b, rec.data, rec.len);
			b.data[i] = bytes[j];
			int rc = decode_exact(&b);
			assert_true(rc == 0 || rc == HS_ECORRUPT ||
				    rc == HS_EVERSION);
		}
	}
	hs_buf_free(&b);
	hs_buf_free(&rec);
	hs_buf_free(&body);
}

/* ------------------------------------------------------------------ */
/* Raw RocksDB access, to make foreign or damaged databases             */
/* ------------------------------------------------------------------ */

#define NCF 7
static const char *const cf_names[NCF] = {
	"default", "events", "agents", "snapshots", "meta", "timers", "times"};

/* Opens a hindsight log directly with RocksDB (all seven CFs). */
static rocksdb_t *raw_open(const char *path,
			   rocksdb_column_family_handle_t *cf[NCF],
			   rocksdb_options_t **opts)
{
	const rocksdb_options_t *co[NCF];
	char *err = NULL;
	rocksdb_t *db;

	*opts = rocksdb_options_create();
	for (int i = 0; i < NCF; i++)
		co[i] = *opts;
	db = rocksdb_open_column_families(*opts, path, NCF, cf_names, co, cf,
					  &err);
	if (err != NULL)
		print_error("raw_open(%s): %s\n", path, err);
	assert_null(err);
	return db;
}

static void raw_close(rocksdb_t *db, rocksdb_column_family_handle_t *cf[NCF],
		      rocksdb_options_t *opts)
{
	for (int i = 0; i < NCF; i++)
		rocksdb_column_family_handle_destroy(cf[i]);
	rocksdb_close(db);
	rocksdb_options_destroy(opts);
}

static void raw_put(const char *path, int cf, const void *k, size_t kn,
		    const void *v, size_t vn)
{
	rocksdb_column_family_handle_t *h[NCF];
	rocksdb_options_t *o;
	rocksdb_t *db = raw_open(path, h, &o);
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;

	rocksdb_put_cf(db, wo, h[cf], k, kn, v, vn, &err);
	assert_null(err);
	rocksdb_writeoptions_destroy(wo);
	raw_close(db, h, o);
}

/* Makes a RocksDB database at path with the given column families (the
 * first must be "default") and a few keys in each. */
static void make_foreign(const char *path, const char *const *names, int n)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	const rocksdb_options_t *co[8];
	rocksdb_column_family_handle_t *h[8];
	char *err = NULL;
	rocksdb_t *db;

	assert_true(n <= 8);
	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	for (int i = 0; i < n; i++)
		co[i] = o;
	db = rocksdb_open_column_families(o, path, n, names, co, h, &err);
	assert_null(err);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 5; k++) {
			char key[32], val[32];
			snprintf(key, sizeof(key), "key-%d", k);
			snprintf(val, sizeof(val), "%s-value-%d", names[i], k);
			rocksdb_put_cf(db, wo, h[i], key, strlen(key), val,
				       strlen(val), &err);
			assert_null(err);
		}
	}
	for (int i = 0; i < n; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);
}

/* Every column family's keys and values, read through a read-only
 * handle. */
static void dump_db(const char *path, hs_buf *out)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	const rocksdb_options_t *co[8];
	rocksdb_column_family_handle_t *h[8];
	char *err = NULL;
	size_t n;
	char **names = rocksdb_list_column_families(o, path, &n, &err);
	rocksdb_t *db;

	assert_null(err);
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		co[i] = o;
	db = rocksdb_open_for_read_only_column_families(
		o, path, (int)n, (const char *const *)names, co, h, 0, &err);
	assert_null(err);
	hs_buf_reset(out);
	for (size_t i = 0; i < n; i++) {
		rocksdb_iterator_t *it =
			rocksdb_create_iterator_cf(db, ro, h[i]);
		raw(out, names[i], strlen(names[i]) + 1);
		for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
		     rocksdb_iter_next(it)) {
			size_t kn, vn;
			const char *k = rocksdb_iter_key(it, &kn);
			const char *v = rocksdb_iter_value(it, &vn);
			raw(out, &kn, sizeof(kn));
			raw(out, k, kn);
			raw(out, &vn, sizeof(vn));
			raw(out, v, vn);
		}
		rocksdb_iter_get_error(it, &err);
		assert_null(err);
		rocksdb_iter_destroy(it);
		rocksdb_column_family_handle_destroy(h[i]);
	}
	rocksdb_close(db);
	rocksdb_list_column_families_destroy(names, n);
	rocksdb_readoptions_destroy(ro);
	rocksdb_options_destroy(o);
	assert_true(out->len > 0);
}

static void assert_same_buf(const hs_buf *a, const hs_buf *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
}

/* Opening path fails with rc (with each flag, CREATE only if `create`),
 * and neither the files nor, for a RocksDB, the keys changed. */
static void assert_open_fails_with(const char *path, int rc, bool rocks,
				   const char *text, bool create)
{
	static const unsigned flags[] = {0, HSI_LOG_READONLY, HSI_LOG_CREATE};
	hs_buf files0 = HS_BUF_INIT, files1 = HS_BUF_INIT;
	hs_buf keys0 = HS_BUF_INIT, keys1 = HS_BUF_INIT;
	struct stat st;
	bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);

	if (dir)
		pu_list_files(path, &files0);
	if (rocks)
		dump_db(path, &keys0);
	for (size_t i = 0; i < (create ? 3u : 2u); i++) {
		char err[512] = "untouched";
		hsi_log *log = (hsi_log *)&err; /* must stay as it is */

		assert_hs(rc, hsi_log_open(path, flags[i], &log, err,
					   sizeof(err)));
		assert_ptr_equal(log, (hsi_log *)&err);
		if (!contains(err, path) || !contains(err, text)) {
			print_error("error text \"%s\" lacks \"%s\"\n", err,
				    text);
			fail();
		}
	}
	if (dir) {
		pu_list_files(path, &files1);
		assert_same_buf(&files0, &files1);
	}
	if (rocks) {
		dump_db(path, &keys1);
		assert_same_buf(&keys0, &keys1);
	}
	hs_buf_free(&files0);
	hs_buf_free(&files1);
	hs_buf_free(&keys0);
	hs_buf_free(&keys1);
}

static void assert_open_fails(const char *path, int rc, bool rocks,
			      const char *text)
{
	assert_open_fails_with(path, rc, rocks, text, true);
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */
/* ------------------------------------------------------------------ */

static void test_create_reopen(void **state)
{
	fx *f = *state;
	hs_buf b = HS_BUF_INIT;
	char err[512];
	hsi_log *log = NULL;

	/* missing without CREATE: nothing is made */
	assert_hs(HS_ENOTFOUND,
		  hsi_log_open(f->path, 0, &log, err, sizeof(err)));
	assert_null(log);
	assert_true(contains(err, f->path));
	assert_hs(HS_ENOTFOUND,
		  hsi_log_open(f->path, HSI_LOG_READONLY, &log, NULL, 0));
	assert_true(access(f->path, F_OK) != 0);
	assert_hs(HS_EINVAL,
		  hsi_log_open(f->path, HSI_LOG_CREATE | HSI_LOG_READONLY,
			       &log, err, sizeof(err)));
	assert_hs(HS_EINVAL, hsi_log_open(NULL, 0, &log, NULL, 0));
	assert_hs(HS_EINVAL, hsi_log_open(f->path, 8, &log, NULL, 0));
	assert_null(log);

	log = open_ok(f->path, HSI_LOG_CREATE);
	assert_int_equal(hsi_log_last_gseq(log), 0);
	assert_string_equal(hsi_log_path(log), f->path);
	assert_hs(0, hsi_log_get_meta(log, "format", &b));
	assert_int_equal(b.len, 1);
	assert_memory_equal(b.data, "3", 1);
	hs_buf_reset(&b);
	assert_hs(0, hsi_log_get_meta(log, "created_ns", &b));
	assert_true(b.len >= 19);
	for (size_t i = 0; i < b.len; i++)
		assert_true(b.data[i] >= '0' && b.data[i] <= '9');
	hs_buf_reset(&b);
	assert_hs(HS_ENOTFOUND, hsi_log_get_meta(log, "nope", &b));
	assert_hs(HS_ENOTFOUND, hsi_log_get_event(log, 1, &b));
	hsi_log_error(log, err, sizeof(err));
	assert_true(contains(err, "events key 0000000000000001"));

	write_events(log, 1, 5, true);
	assert_int_equal(hsi_log_last_gseq(log), 5);
	write_events(log, 6, 9, false);
	assert_int_equal(hsi_log_last_gseq(log), 9);
	hsi_log_close(log);

	log = open_ok(f->path, 0);
	assert_int_equal(hsi_log_last_gseq(log), 9);
	for (uint64_t g = 1; g <= 9; g++)
		assert_event(log, g, "t", "x", g);
	write_events(log, 10, 10, true);
	hsi_log_close(log);

	log = open_ok(f->path, HSI_LOG_CREATE); /* CREATE on a log: opens */
	assert_int_equal(hsi_log_last_gseq(log), 10);
	hsi_log_close(log);
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(log), 10);
	assert_event(log, 10, "t", "x", 10);
	hsi_log_close(log);
	hsi_log_close(NULL);

	/* an empty directory: a log only with CREATE */
	char empty[PATH_MAX + 16];
	snprintf(empty, sizeof(empty), "%s/empty", f->dir);
	assert_int_equal(mkdir(empty, 0700), 0);
	assert_open_fails_with(empty, HS_ENOTLOG, false, "empty directory",
			       false);
	log = open_ok(empty, HSI_LOG_CREATE);
	hsi_log_close(log);
	log = open_ok(empty, 0);
	hsi_log_close(log);
	hs_buf_free(&b);
}

static void test_open_foreign(void **state)
{
	fx *f = *state;
	char p[PATH_MAX + 32];
	FILE *fp;

	/* a directory with an unrelated file */
	snprintf(p, sizeof(p), "%s/files", f->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/files/notes.txt", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("hello\n", fp);
	fclose(fp);
	snprintf(p, sizeof(p), "%s/files", f->dir);
	assert_open_fails(p, HS_ENOTLOG, false, "not a RocksDB");

	/* a regular file */
	snprintf(p, sizeof(p), "%s/files/notes.txt", f->dir);
	assert_open_fails(p, HS_ENOTLOG, false, "not a directory");

	/* an unrelated RocksDB */
	static const char *const theirs[] = {"default", "users"};
	snprintf(p, sizeof(p), "%s/foreign", f->dir);
	make_foreign(p, theirs, 2);
	assert_open_fails(p, HS_ENOTLOG, true, "column family \"events\"");

	/* a RocksDB with our column families but no meta "format" */
	snprintf(p, sizeof(p), "%s/lookalike", f->dir);
	make_foreign(p, cf_names, 5);
	assert_open_fails(p, HS_ENOTLOG, true, "\"format\" is missing");
}

/* A creation cut off after RocksDB made the column families but before
 * meta "format" was written leaves exactly our column families, empty:
 * a writable open finishes it, a read-only one changes nothing. */
static void test_open_interrupted_creation(void **state)
{
	fx *f = *state;
	rocksdb_options_t *o = rocksdb_options_create();
	const rocksdb_options_t *co[5];
	rocksdb_column_family_handle_t *h[5];
	char *err = NULL;

	rocksdb_options_set_create_if_missing(o, 1);
	rocksdb_options_set_create_missing_column_families(o, 1);
	for (int i = 0; i < 5; i++)
		co[i] = o;
	rocksdb_t *db = rocksdb_open_column_families(o, f->path, 5, cf_names,
						     co, h, &err);
	assert_null(err);
	for (int i = 0; i < 5; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_options_destroy(o);

	hsi_log *log = NULL;
	char text[512];
	assert_hs(HS_ENOTLOG, hsi_log_open(f->path, HSI_LOG_READONLY, &log,
					   text, sizeof(text)));
	assert_null(log);
	log = open_ok(f->path, HSI_LOG_CREATE);
	assert_int_equal(hsi_log_last_gseq(log), 0);
	write_events(log, 1, 3, true);
	hsi_log_close(log);
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(log), 3);
	hsi_log_close(log);
}

/* Turns the log at path into what a format-1 writer left: no "timers"
 * column family, meta format "1". */
/* Drops the column families after the first `keep` and writes meta
 * format `version`: a log as an older library left it. */
static void make_older(const char *path, int keep, const char *version)
{
	rocksdb_column_family_handle_t *h[NCF];
	rocksdb_options_t *o;
	rocksdb_t *db = raw_open(path, h, &o);
	char *err = NULL;
	for (int i = NCF - 1; i >= keep; i--) {
		rocksdb_drop_column_family(db, h[i], &err);
		assert_null(err);
	}
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_put_cf(db, wo, h[4], "format", 6, version, strlen(version),
		       &err);
	assert_null(err);
	rocksdb_writeoptions_destroy(wo);
	raw_close(db, h, o);
}

static void make_format1(const char *path)
{
	make_older(path, 5, "1");
}

/* A meta put into a log of its first n column families. */
static void raw_put_n(const char *path, int n, const char *key,
		      const char *val)
{
	rocksdb_options_t *o = rocksdb_options_create();
	const rocksdb_options_t *co[NCF];
	rocksdb_column_family_handle_t *h[NCF];
	char *err = NULL;
	for (int i = 0; i < n; i++)
		co[i] = o;
	rocksdb_t *db = rocksdb_open_column_families(o, path, n, cf_names, co,
						     h, &err);
	assert_null(err);
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_put_cf(db, wo, h[4], key, strlen(key), val, strlen(val), &err);
	assert_null(err);
	rocksdb_writeoptions_destroy(wo);
	for (int i = 0; i < n; i++)
		rocksdb_column_family_handle_destroy(h[i]);
	rocksdb_close(db);
	rocksdb_options_destroy(o);
}

static void assert_format(hsi_log *log, const char *want)
{
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hsi_log_get_meta(log, "format", &b));
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.data, want, b.len);
	hs_buf_free(&b);
}

static int count_timer(void *udata, const void *k, size_t kn, const void *v,
		       size_t vn)
{
	(void)k, (void)kn, (void)v, (void)vn;
	++*(int *)udata;
	return 0;
}

/* A format-1 log (five column families) opens read-only as it is, with
 * no timers, and a writable open makes it format 2 (the "timers" column
 * family, then meta format): its records stay readable. A writer cut off
 * between those two steps leaves format 1 with "timers", finished on the
 * next writable open; format 2 without "timers" is not a log. */
static void test_open_format1(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	write_events(log, 1, 5, true);
	hsi_log_close(log);
	make_format1(f->path);

	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(log), 5);
	assert_format(log, "1");
	int n = 0;
	assert_hs(0, hsi_log_scan_timers(log, count_timer, &n));
	assert_int_equal(n, 0);
	hsi_log_close(log);

	log = open_ok(f->path, 0);
	assert_format(log, "3");
	hsi_log_batch *b = hsi_log_batch_new();
	hsi_log_batch_put_timer(log, b, "t\0i\0n", 5, "v", 1);
	assert_hs(0, hsi_log_write(log, b, true));
	hsi_log_batch_free(b);
	hsi_log_close(log);
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(log), 5);
	assert_hs(0, hsi_log_scan_timers(log, count_timer, &n));
	assert_int_equal(n, 1);
	hsi_log_close(log);

	/* Cut off after the column family, before meta format. */
	raw_put(f->path, 4, "format", 6, "1", 1);
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_format(log, "1");
	hsi_log_close(log);
	log = open_ok(f->path, 0);
	assert_format(log, "3");
	hsi_log_close(log);

	/* Format 2 must have "timers". */
	make_format1(f->path);
	raw_put_n(f->path, 5, "format", "2");
	assert_open_fails_with(f->path, HS_ENOTLOG, false,
			       "without column family \"timers\"", false);
}

/* A format-2 log (no "times") opens read-only as it is, with no time
 * samples; a writer makes it format 3, and from then on every 32nd index
 * entry of an agent is sampled by time. A format-3 log must have
 * "times". */
static void test_open_format2(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	write_events(log, 1, 40, true);
	hsi_log_close(log);
	make_older(f->path, 6, "2");

	uint64_t below = 9, above = 9;
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_format(log, "2");
	assert_int_equal(hsi_log_last_gseq(log), 40);
	assert_hs(HS_ENOTSUP, hsi_log_time_bracket(log, "t", 1, "x", 1, 35000,
						   &below, &above));
	hsi_log_close(log);

	log = open_ok(f->path, 0);
	assert_format(log, "3");
	/* The history written before has no samples. */
	assert_hs(0, hsi_log_time_bracket(log, "t", 1, "x", 1, 35000, &below,
					  &above));
	assert_int_equal(below, 0);
	assert_int_equal(above, 0);
	write_events(log, 41, 100, true); /* seq = gseq, time = 1000 gseq */
	static const struct {
		int64_t t;
		uint64_t below, above;
	} cases[] = {{35000, 0, 64},     {64000, 64, 96}, {64999, 64, 96},
		     {95999, 64, 96},    {96000, 96, 0},  {INT64_MAX, 96, 0},
		     {INT64_MIN, 0, 64}, {-5, 0, 64}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		assert_hs(0, hsi_log_time_bracket(log, "t", 1, "x", 1,
						  cases[c].t, &below, &above));
		assert_int_equal(below, cases[c].below);
		assert_int_equal(above, cases[c].above);
	}
	/* Another agent's samples are not this one's. */
	assert_hs(0, hsi_log_time_bracket(log, "t", 1, "y", 1, 64000, &below,
					  &above));
	assert_int_equal(below + above, 0);
	assert_hs(0, hsi_log_time_bracket(log, "s", 1, "x", 1, 64000, &below,
					  &above));
	assert_int_equal(below + above, 0);
	hsi_log_close(log);

	make_older(f->path, 6, "3");
	assert_open_fails_with(f->path, HS_ENOTLOG, false,
			       "log format 3 without column family \"times\"",
			       false);
}

/* Closing a writable log writes its memtables to table files, so that
 * the next open need not replay the write-ahead log. */
static void test_close_flushes(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	write_events(log, 1, 50, false);
	hsi_log_close(log);
	DIR *d = opendir(f->path);
	assert_non_null(d);
	int tables = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".sst") == 0)
			tables++;
	}
	closedir(d);
	assert_true(tables >= 2); /* events and agents at least */
	log = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(log), 50);
	hsi_log_close(log);
}

/* A log whose newest events key is not a gseq is refused, by a writable
 * open too, before anything in the directory is written. */
static void test_open_bad_last_key(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	write_events(log, 1, 3, true);
	hsi_log_close(log);
	raw_put(f->path, 1, "bad", 3, "x", 1);
	assert_open_fails(f->path, HS_ECORRUPT, true, "not a gseq");
}

static void test_open_versions(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	hsi_log_batch *b = hsi_log_batch_new();

	write_events(log, 1, 3, true);
	hsi_log_batch_put_meta(log, b, "format", "999", 3);
	assert_hs(0, hsi_log_write(log, b, true));
	hsi_log_close(log);
	assert_open_fails(f->path, HS_EVERSION, true, "999");

	raw_put(f->path, 4, "format", 6, "1x", 2);
	assert_open_fails(f->path, HS_ENOTLOG, true, "not a version");
	raw_put(f->path, 4, "format", 6, "", 0);
	assert_open_fails(f->path, HS_ENOTLOG, true, "not a version");
	raw_put(f->path, 4, "format", 6, "99999999999999999999", 20);
	assert_open_fails(f->path, HS_ENOTLOG, true, "not a version");

	raw_put(f->path, 4, "format", 6, "1", 1);
	log = open_ok(f->path, 0);
	assert_int_equal(hsi_log_last_gseq(log), 3);
	hsi_log_close(log);
	hsi_log_batch_free(b);
}

/* ------------------------------------------------------------------ */
/* Writing and reading                                                  */
/* ------------------------------------------------------------------ */

typedef struct agent_def {
	const char *type;
	const char *id;
	uint64_t n; /* records */
} agent_def;

/* In index key order: type \0 id \0 sorts "a" < "ab" < "a\xff". */
static const agent_def agents[] = {
	{"s", "hip", 2},  {"sh", "x", 1},          {"ship", "Z", 1},
	{"ship", "a", 7}, {"ship", "ab", 3},       {"ship", "a\xff", 2},
	{"ship", "b", 2}, {"ship", "\xff\xff", 1}, {"stock", "a", 4},
};
#define NAGENTS (sizeof(agents) / sizeof(agents[0]))

typedef struct world {
	hsi_log *log;
	uint64_t gseq[NAGENTS][8]; /* gseq of (agent, seq) */
	uint64_t last;
} world;

/* Writes the agents' records round-robin (so their gseqs interleave) with
 * index entries, snapshots for ship/a at 2 and 5, ship/ab and ship/Z at 1,
 * and a meta key, in one batch. */
static void build_world(world *w, const char *path)
{
	hsi_log_batch *b = hsi_log_batch_new();
	hs_buf rec = HS_BUF_INIT, st = HS_BUF_INIT;
	uint64_t g = 0;

	memset(w, 0, sizeof(*w));
	w->log = open_ok(path, HSI_LOG_CREATE);
	for (uint64_t seq = 1; seq <= 7; seq++) {
		for (size_t a = 0; a < NAGENTS; a++) {
			const agent_def *d = &agents[a];
			if (seq > d->n)
				continue;
			w->gseq[a][seq] = ++g;
			make_record(&rec, d->type, d->id, seq, g);
			hsi_log_batch_put_event(w->log, b, g, rec.data,
						rec.len);
			hsi_log_batch_put_index(w->log, b, d->type,
						strlen(d->type), d->id,
						strlen(d->id), seq, g,
						(int64_t)g * 1000);
		}
	}
	w->last = g;
	for (uint64_t s = 2; s <= 5; s += 3) {
		hs_buf_reset(&st);
		assert_hs(0, hs_packf(&st, "n:U", s * 10));
		hsi_log_batch_put_snapshot(w->log, b, "ship", 4, "a", 1, s,
					   st.data, st.len);
	}
	hsi_log_batch_put_snapshot(w->log, b, "ship", 4, "ab", 2, 1, "ab", 2);
	hsi_log_batch_put_snapshot(w->log, b, "ship", 4, "Z", 1, 1, "Z", 1);
	hsi_log_batch_put_meta(w->log, b, "sub.x", "42", 2);
	assert_hs(0, hsi_log_write(w->log, b, true));
	assert_int_equal(hsi_log_last_gseq(w->log), w->last);

	/* a cleared batch writes nothing */
	hsi_log_batch_clear(b);
	hsi_log_batch_put_meta(w->log, b, "sub.x", "0", 1);
	hsi_log_batch_clear(b);
	assert_hs(0, hsi_log_write(w->log, b, false));
	hsi_log_batch_free(b);
	hsi_log_batch_free(NULL);
	hs_buf_free(&rec);
	hs_buf_free(&st);
}

static void test_point_reads(void **state)
{
	fx *f = *state;
	hs_buf b = HS_BUF_INIT;
	uint64_t seq, gseq;
	world w;

	build_world(&w, f->path);
	for (int pass = 0; pass < 2; pass++) {
		hsi_log *log = w.log;
		for (size_t a = 0; a < NAGENTS; a++) {
			const agent_def *d = &agents[a];
			for (uint64_t s = 1; s <= d->n; s++)
				assert_event(log, w.gseq[a][s], d->type, d->id,
					     s);
			assert_hs(0, hsi_log_agent_last(log, d->type,
							strlen(d->type), d->id,
							strlen(d->id), &seq,
							&gseq));
			assert_int_equal(seq, d->n);
			assert_int_equal(gseq, w.gseq[a][d->n]);
		}
		seq = gseq = 12345;
		assert_hs(HS_ENOTFOUND,
			  hsi_log_agent_last(log, "ship", 4, "abc", 3, &seq,
					     &gseq));
		assert_hs(HS_ENOTFOUND, hsi_log_agent_last(log, "shi", 3, "a",
							   1, &seq, &gseq));
		assert_hs(HS_ENOTFOUND,
			  hsi_log_agent_last(log, "ship", 4, "\xff", 1, &seq,
					     &gseq));
		assert_int_equal(seq, 12345);
		assert_hs(HS_EINVAL, hsi_log_agent_last(log, "ship", 4, "a\0b",
							3, &seq, &gseq));
		assert_hs(HS_EINVAL,
			  hsi_log_agent_last(log, "", 0, "a", 1, &seq, &gseq));

		/* snapshots of ship/a at 2 and 5 */
		static const struct {
			uint64_t max;
			int rc;
			uint64_t seq;
		} snaps[] = {{0, HS_ENOTFOUND, 0},
			     {1, HS_ENOTFOUND, 0},
			     {2, 0, 2},
			     {3, 0, 2},
			     {4, 0, 2},
			     {5, 0, 5},
			     {7, 0, 5},
			     {UINT64_MAX, 0, 5}};
		for (size_t i = 0; i < sizeof(snaps) / sizeof(snaps[0]); i++) {
			int64_t n;
			seq = 999;
			hs_buf_reset(&b);
			assert_hs(snaps[i].rc,
				  hsi_log_snapshot_at(log, "ship", 4, "a", 1,
						      snaps[i].max, &seq, &b));
			if (snaps[i].rc != 0) {
				assert_int_equal(seq, 999);
				assert_int_equal(b.len, 0);
				continue;
			}
			assert_int_equal(seq, snaps[i].seq);
			assert_hs(0, hs_get_i64(b.data, b.len, "n", &n));
			assert_int_equal(n, snaps[i].seq * 10);
		}
		hs_buf_reset(&b);
		assert_hs(0, hsi_log_snapshot_at(log, "ship", 4, "ab", 2, 3,
						 &seq, &b));
		assert_int_equal(seq, 1);
		assert_int_equal(b.len, 2);
		assert_memory_equal(b.data, "ab", 2);
		hs_buf_reset(&b);
		assert_hs(HS_ENOTFOUND,
			  hsi_log_snapshot_at(log, "ship", 4, "b", 1, 9, &seq,
					      &b));
		assert_hs(HS_ENOTFOUND,
			  hsi_log_snapshot_at(log, "stock", 5, "a", 1,
					      UINT64_MAX, &seq, &b));
		hs_buf_reset(&b);
		assert_hs(0, hsi_log_get_meta(log, "sub.x", &b));
		assert_int_equal(b.len, 2);
		assert_memory_equal(b.data, "42", 2);

		/* the same after reopening read-only */
		hsi_log_close(log);
		w.log = open_ok(f->path, HSI_LOG_READONLY);
		assert_int_equal(hsi_log_last_gseq(w.log), w.last);
	}
	hsi_log_close(w.log);
	hs_buf_free(&b);
}

typedef struct seen {
	int n;
	int stop_after; /* stop with 77 after this many, 0 = never */
	uint64_t a[64], b[64];
	char type[64][HS_NAME_MAX + 1];
	char id[64][HS_ID_MAX + 1];
} seen;

static int on_index(void *udata, uint64_t seq, uint64_t gseq,
		    int64_t time_ns)
{
	seen *s = udata;
	if (s->n >= 64)
		return -1;
	assert_int_equal(time_ns, (int64_t)gseq * 1000);
	s->a[s->n] = seq;
	s->b[s->n++] = gseq;
	return s->stop_after && s->n == s->stop_after ? 77 : 0;
}

static int on_event(void *udata, uint64_t gseq, const void *rec, size_t len)
{
	seen *s = udata;
	hsi_record r;
	if (s->n >= 64 || hsi_record_decode(rec, len, &r) != 0 ||
	    r.gseq != gseq)
		return -1;
	s->a[s->n] = gseq;
	s->b[s->n++] = r.seq;
	return s->stop_after && s->n == s->stop_after ? 77 : 0;
}

static int on_agent(void *udata, const char *type, size_t type_len,
		    const char *id, size_t id_len, uint64_t last_seq)
{
	seen *s = udata;
	if (s->n >= 64 || type_len > HS_NAME_MAX || id_len > HS_ID_MAX)
		return -1;
	memcpy(s->type[s->n], type, type_len);
	s->type[s->n][type_len] = '\0';
	memcpy(s->id[s->n], id, id_len);
	s->id[s->n][id_len] = '\0';
	s->a[s->n++] = last_seq;
	return s->stop_after && s->n == s->stop_after ? 77 : 0;
}

static void test_scans(void **state)
{
	fx *f = *state;
	seen s;
	world w;

	build_world(&w, f->path);
	hsi_log *log = w.log;
	const size_t A = 3; /* ship/a */

	/* one agent's index */
	static const struct {
		uint64_t from, to;
		uint64_t first, count;
	} ranges[] = {{1, UINT64_MAX, 1, 7}, {0, 3, 1, 3},   {2, 4, 2, 3},
		      {5, 5, 5, 1},          {7, 100, 7, 1}, {8, 10, 0, 0},
		      {4, 3, 0, 0}};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		memset(&s, 0, sizeof(s));
		assert_hs(0, hsi_log_scan_agent(log, "ship", 4, "a", 1,
						ranges[i].from, ranges[i].to,
						on_index, &s));
		assert_int_equal(s.n, ranges[i].count);
		for (int k = 0; k < s.n; k++) {
			assert_int_equal(s.a[k],
					 ranges[i].first + (uint64_t)k);
			assert_int_equal(s.b[k], w.gseq[A][s.a[k]]);
		}
	}
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(
		hsi_log_scan_agent(log, "ship", 4, "a", 1, 1, 7, on_index, &s),
		77);
	assert_int_equal(s.n, 2);
	/* "a" does not reach into "ab" or "a\xff", nor they into "a" */
	memset(&s, 0, sizeof(s));
	assert_hs(0, hsi_log_scan_agent(log, "ship", 4, "ab", 2, 0, UINT64_MAX,
					on_index, &s));
	assert_int_equal(s.n, 3);
	memset(&s, 0, sizeof(s));
	assert_hs(0, hsi_log_scan_agent(log, "ship", 4, "a\xff", 2, 0,
					UINT64_MAX, on_index, &s));
	assert_int_equal(s.n, 2);
	assert_int_equal(s.b[1], w.gseq[5][2]);
	memset(&s, 0, sizeof(s));
	assert_hs(0, hsi_log_scan_agent(log, "ship", 4, "\xff", 1, 0,
					UINT64_MAX, on_index, &s));
	assert_int_equal(s.n, 0);

	/* events, forwards and backwards */
	static const struct {
		uint64_t from, to;
	} ev[] = {{0, UINT64_MAX}, {1, 23},  {3, 7}, {23, 23},
		  {20, 40},        {24, 30}, {7, 3}, {0, 0}};
	assert_int_equal(w.last, 23);
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
		uint64_t lo = ev[i].from ? ev[i].from : 1;
		uint64_t hi = ev[i].to < w.last ? ev[i].to : w.last;
		int want = hi >= lo ? (int)(hi - lo + 1) : 0;
		for (int rev = 0; rev < 2; rev++) {
			memset(&s, 0, sizeof(s));
			assert_hs(0, hsi_log_scan_events(log, ev[i].from,
							 ev[i].to, rev,
							 on_event, &s));
			assert_int_equal(s.n, want);
			for (int k = 0; k < s.n; k++)
				assert_int_equal(s.a[k],
						 rev ? hi - (uint64_t)k
						     : lo + (uint64_t)k);
		}
	}
	memset(&s, 0, sizeof(s));
	s.stop_after = 3;
	assert_int_equal(hsi_log_scan_events(log, 5, 20, true, on_event, &s),
			 77);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.a[2], 18);

	/* every agent once, in key order, with its last seq */
	memset(&s, 0, sizeof(s));
	assert_hs(0, hsi_log_scan_agents(log, on_agent, &s));
	assert_int_equal(s.n, NAGENTS);
	for (size_t a = 0; a < NAGENTS; a++) {
		assert_string_equal(s.type[a], agents[a].type);
		assert_string_equal(s.id[a], agents[a].id);
		assert_int_equal(s.a[a], agents[a].n);
	}
	memset(&s, 0, sizeof(s));
	s.stop_after = 4;
	assert_int_equal(hsi_log_scan_agents(log, on_agent, &s), 77);
	assert_int_equal(s.n, 4);
	hsi_log_close(log);

	/* an empty log scans nothing */
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/empty", f->dir);
	log = open_ok(p, HSI_LOG_CREATE);
	memset(&s, 0, sizeof(s));
	assert_hs(0, hsi_log_scan_agents(log, on_agent, &s));
	assert_hs(0, hsi_log_scan_events(log, 0, UINT64_MAX, false, on_event,
					 &s));
	assert_hs(0, hsi_log_scan_agent(log, "t", 1, "x", 1, 0, UINT64_MAX,
					on_index, &s));
	assert_int_equal(s.n, 0);
	hsi_log_close(log);
}

/* ------------------------------------------------------------------ */
/* Sharing                                                              */
/* ------------------------------------------------------------------ */

typedef struct got {
	size_t n;
	size_t i[64];
	uint64_t gseq[64];
	size_t stop_at; /* returns 7 at this i, when not 0 */
} got;

static int on_got(void *p, size_t i, const void *rec, size_t len)
{
	got *g = p;
	hsi_record r;
	assert_hs(0, hsi_record_decode(rec, len, &r));
	g->i[g->n] = i;
	g->gseq[g->n++] = r.gseq;
	return g->stop_at != 0 && i == g->stop_at ? 7 : 0;
}

/* hsi_log_get_events reads records close together with one scan and
 * scattered ones with multi-gets: both give each asked record in order
 * and name the first missing one. */
static void test_get_events(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	write_events(log, 1, 60, false);
	write_events(log, 100, 120, false);
	char err[256];
	static const struct {
		uint64_t g[8];
		size_t n;
		int rc;
		const char *missing;
	} cases[] = {
		/* dense: consecutive, and with gaps */
		{{10, 11, 12, 13, 14, 15}, 6, 0, NULL},
		{{10, 12, 13, 17, 20}, 5, 0, NULL},
		/* dense, crossing the hole 61..99 */
		{{57, 58, 59, 60, 61}, 5, HS_ENOTFOUND, "000000000000003d"},
		{{5, 6, 7, 8}, 4, 0, NULL},
		/* scattered: a multi-get */
		{{1, 50, 110}, 3, 0, NULL},
		{{1, 30, 70, 110, 200}, 5, HS_ENOTFOUND, "0000000000000046"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		got g = {0};
		int rc = hsi_log_get_events(log, cases[c].g, cases[c].n, on_got,
					    &g);
		assert_hs(cases[c].rc, rc);
		if (rc == 0) {
			assert_int_equal(g.n, cases[c].n);
			for (size_t k = 0; k < g.n; k++) {
				assert_int_equal(g.i[k], k);
				assert_int_equal(g.gseq[k], cases[c].g[k]);
			}
		} else {
			hsi_log_error(log, err, sizeof err);
			assert_true(contains(err, cases[c].missing));
		}
	}
	/* The callback's own result stops both kinds of read. */
	uint64_t dense[] = {20, 21, 22, 23, 24}, sparse[] = {1, 40, 110};
	got g = {.stop_at = 2};
	assert_int_equal(hsi_log_get_events(log, dense, 5, on_got, &g), 7);
	assert_int_equal(g.n, 3);
	g = (got){.stop_at = 1};
	assert_int_equal(hsi_log_get_events(log, sparse, 3, on_got, &g), 7);
	assert_int_equal(g.n, 2);
	hsi_log_close(log);
}

static void test_readonly_and_busy(void **state)
{
	fx *f = *state;
	hsi_log *w = open_ok(f->path, HSI_LOG_CREATE), *r, *other = NULL;
	hsi_log_batch *b = hsi_log_batch_new();
	hs_buf buf = HS_BUF_INIT;
	char err[512];

	write_events(w, 1, 3, true);
	r = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(r), 3);
	assert_event(r, 2, "t", "x", 2);

	/* the reader sees the log as of its open */
	write_events(w, 4, 5, true);
	assert_hs(HS_ENOTFOUND, hsi_log_get_event(r, 4, &buf));
	assert_int_equal(hsi_log_last_gseq(r), 3);
	hsi_log_batch_put_meta(r, b, "k", "v", 1);
	assert_hs(HS_ENOTSUP, hsi_log_write(r, b, true));
	hsi_log_error(r, err, sizeof(err));
	assert_true(contains(err, "read-only"));

	/* a second writer is refused while the first has the log */
	assert_hs(HS_EBUSY,
		  hsi_log_open(f->path, 0, &other, err, sizeof(err)));
	assert_null(other);
	assert_true(contains(err, f->path));
	assert_true(contains(err, "in use"));

	hsi_log *r2 = open_ok(f->path, HSI_LOG_READONLY);
	assert_int_equal(hsi_log_last_gseq(r2), 5);
	assert_event(r2, 5, "t", "x", 5);
	hsi_log_close(r2);
	hsi_log_close(r);
	hsi_log_close(w);
	w = open_ok(f->path, 0);
	assert_int_equal(hsi_log_last_gseq(w), 5);
	hsi_log_close(w);
	hsi_log_batch_free(b);
	hs_buf_free(&buf);
}

/* Readers on several threads while one thread writes: every gseq a reader
 * sees through hsi_log_last_gseq is readable, and error texts (kept under
 * a lock) are always whole. Meant for the TSan build as well. */
typedef struct reader_arg {
	hsi_log *log;
	atomic_bool *stop;
	int failures;
	atomic_long reads;
} reader_arg;

static void *reader_main(void *p)
{
	reader_arg *ra = p;
	hs_buf b = HS_BUF_INIT;
	char err[512];
	uint64_t x = (uint64_t)(uintptr_t)p | 1;

	while (!atomic_load(ra->stop)) {
		uint64_t last = hsi_log_last_gseq(ra->log);
		hsi_record r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (last > 0) {
			uint64_t g = 1 + x % last;
			hs_buf_reset(&b);
			if (hsi_log_get_event(ra->log, g, &b) != 0 ||
			    hsi_record_decode(b.data, b.len, &r) != 0 ||
			    r.gseq != g)
				ra->failures++;
		}
		hs_buf_reset(&b);
		if (hsi_log_get_event(ra->log, last + 1000000, &b) !=
		    HS_ENOTFOUND)
			ra->failures++;
		hsi_log_error(ra->log, err, sizeof(err));
		if (strstr(err, ": not found") == NULL)
			ra->failures++;
		atomic_fetch_add(&ra->reads, 1);
	}
	hs_buf_free(&b);
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	atomic_bool stop = false;
	reader_arg ra[4];
	pthread_t th[4];
	hs_buf b = HS_BUF_INIT;

	/* a first miss, so that every error text read is a whole one */
	assert_hs(HS_ENOTFOUND, hsi_log_get_event(log, 1, &b));
	for (int i = 0; i < 4; i++) {
		ra[i].log = log;
		ra[i].stop = &stop;
		ra[i].failures = 0;
		atomic_init(&ra[i].reads, 0);
		assert_int_equal(
			pthread_create(&th[i], NULL, reader_main, &ra[i]), 0);
	}
	/* every reader runs before the writes begin */
	for (int i = 0; i < 4; i++)
		while (atomic_load(&ra[i].reads) == 0)
			hsu_sleep_ms(1);
	for (uint64_t g = 1; g <= 400; g += 10)
		write_events(log, g, g + 9, false);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ra[i].failures, 0);
		assert_true(atomic_load(&ra[i].reads) > 0);
	}
	assert_int_equal(hsi_log_last_gseq(log), 400);
	hsi_log_close(log);
	hs_buf_free(&b);
}

/* The same with another process: this program run as
 *   test_log --child <path> rw|ro <expected last gseq>
 * exits 0 when the open works and the last gseq is as expected, 1 when it
 * is not, 2 when EBUSY comes without "in use" in the text, and 100 - rc
 * when the open fails with rc. */
static int child_main(int argc, char **argv)
{
	char err[512];
	hsi_log *log = NULL;
	unsigned flags = strcmp(argv[3], "ro") == 0 ? HSI_LOG_READONLY : 0;
	int rc;

	if (argc != 5)
		return 3;
	rc = hsi_log_open(argv[2], flags, &log, err, sizeof(err));
	if (rc != 0)
		return rc == HS_EBUSY && !contains(err, "in use") ? 2
								  : 100 - rc;
	rc = hsi_log_last_gseq(log) == strtoull(argv[4], NULL, 10) ? 0 : 1;
	hsi_log_close(log);
	return rc;
}

static int run_child(const char *path, const char *mode, const char *expect)
{
	char *argv[] = {"test_log",   "--child",      (char *)path,
			(char *)mode, (char *)expect, NULL};
	pid_t pid;
	int st;

	assert_int_equal(
		posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ),
		0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_other_process(void **state)
{
	fx *f = *state;
	hsi_log *w = open_ok(f->path, HSI_LOG_CREATE);

	write_events(w, 1, 3, true);
	assert_int_equal(run_child(f->path, "ro", "3"), 0);
	assert_int_equal(run_child(f->path, "rw", "3"), 100 - HS_EBUSY);
	write_events(w, 4, 4, false); /* in the WAL, not fsynced */
	assert_int_equal(run_child(f->path, "ro", "4"), 0);
	hsi_log_close(w);
	assert_int_equal(run_child(f->path, "rw", "4"), 0);
}

/* ------------------------------------------------------------------ */
/* Damage                                                               */
/* ------------------------------------------------------------------ */

static void test_corrupt_record(void **state)
{
	fx *f = *state;
	hsi_log *log = open_ok(f->path, HSI_LOG_CREATE);
	hs_buf b = HS_BUF_INIT;
	hsi_record r;
	uint8_t k[8] = {0, 0, 0, 0, 0, 0, 0, 2};
	seen s;

	write_events(log, 1, 3, true);
	hsi_log_close(log);
	raw_put(f->path, 1, k, 8, "\x9a\x01garbage", 9);

	log = open_ok(f->path, 0);
	assert_int_equal(hsi_log_last_gseq(log), 3);
	assert_hs(0, hsi_log_get_event(log, 2, &b));
	assert_hs(HS_ECORRUPT, hsi_record_decode(b.data, b.len, &r));
	assert_event(log, 1, "t", "x", 1);
	assert_event(log, 3, "t", "x", 3);
	memset(&s, 0, sizeof(s));
	assert_int_equal(
		hsi_log_scan_events(log, 0, UINT64_MAX, false, on_event, &s),
		-1); /* on_event stops at the record it cannot read */
	assert_int_equal(s.n, 1);
	hsi_log_close(log);

	/* a malformed agents key is named when a scan meets it */
	raw_put(f->path, 2, "zz", 2, "\0\0\0\0\0\0\0\1", 8);
	log = open_ok(f->path, HSI_LOG_READONLY);
	memset(&s, 0, sizeof(s));
	assert_hs(HS_ECORRUPT, hsi_log_scan_agents(log, on_agent, &s));
	assert_int_equal(s.n, 1); /* t/x came first */
	char err[512];
	hsi_log_error(log, err, sizeof(err));
	assert_true(contains(err, f->path));
	assert_true(contains(err, "agents key 7a7a"));
	hsi_log_close(log);

	/* an index value that is not a gseq */
	raw_put(f->path, 2, "t\0x\0\0\0\0\0\0\0\0\3", 12, "bad", 3);
	log = open_ok(f->path, 0);
	uint64_t seq, gseq;
	assert_hs(HS_ECORRUPT,
		  hsi_log_agent_last(log, "t", 1, "x", 1, &seq, &gseq));
	hsi_log_error(log, err, sizeof(err));
	assert_true(contains(err, "agents key t/x/3"));
	hsi_log_close(log);

	/* an events key that is not 8 bytes, where the last gseq is read */
	raw_put(f->path, 1, "\xff\xff\xff", 3, "x", 1);
	assert_hs(HS_ECORRUPT,
		  hsi_log_open(f->path, 0, &log, err, sizeof(err)));
	assert_true(contains(err, "events key ffffff"));
	assert_true(contains(err, f->path));
	hs_buf_free(&b);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--child") == 0)
		return child_main(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_roundtrip),
		cmocka_unit_test(test_record_golden),
		cmocka_unit_test(test_record_truncated),
		cmocka_unit_test(test_record_fields),
		cmocka_unit_test(test_record_garbage),
		cmocka_unit_test_setup_teardown(test_create_reopen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_foreign, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_interrupted_creation,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_format1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_format2, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_bad_last_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_close_flushes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_point_reads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readonly_and_busy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_readers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
