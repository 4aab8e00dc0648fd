/*
 * Unit tests of hs_whatif against hand-computed expectations: counters
 * ("cnt", tests/util.h) and relays that forward amounts to counters.
 * Dropping an external event makes the transitions it caused vanish;
 * replacing a body changes values downstream; inserting events adds
 * transitions (and agents); to_gseq bounds the run; bad edits are
 * refused before anything runs. The log stays byte-for-byte the same and
 * the live agents are untouched.
 *
 * A second group runs on a log written by several threads at once, where
 * history placed other events between a cause and the messages it sent:
 * without edits the what-if must find no difference at all, and with one
 * it must find exactly what follows from the edit.
 */
#include "util.h"

#include "persist_util.h"

/* ------------------------------------------------------------------ */
/* The relay type                                                       */
/* ------------------------------------------------------------------ */

/*
 * State {"fwd": events forwarded, "sum": amounts forwarded}. Events:
 *   fwd {to, n}       sends cnt/<to> "add" {n}
 *   fan {x, r, y, n}  sends cnt/<x> "add" {n}, then relay/<r> "fwd"
 *                     {to: y, n}
 *   fwdev {to, ev, n} sends cnt/<to> <ev> {n} ("noop" leaves no record)
 */
typedef struct relay {
	int64_t fwd;
	int64_t sum;
} relay;

static int relay_encode(const void *state, hs_buf *out, void *udata)
{
	const relay *r = state;
	(void)udata;
	return hs_packf(out, "fwd:I sum:I", r->fwd, r->sum);
}

static int relay_decode(void *state, const void *data, size_t len, void *udata)
{
	relay *r = state;
	(void)udata;
	int rc = hs_get_i64(data, len, "fwd", &r->fwd);
	if (rc == 0)
		rc = hs_get_i64(data, len, "sum", &r->sum);
	return rc;
}

static int relay_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	relay *r = state;
	char to[HS_ID_MAX + 1], via[HS_ID_MAX + 1];
	int64_t n;
	int rc = hs_event_i64(ev, "n", &n);
	if (rc != 0)
		return rc;
	if (hs_event_is(ev, "fwd")) {
		rc = hs_event_strcpy(ev, "to", to, sizeof to);
		if (rc == 0)
			rc = hs_ctx_sendf(ctx, "cnt", to, "add", "n:I", n);
	} else if (hs_event_is(ev, "fwdev")) {
		char what[HS_NAME_MAX + 1];
		rc = hs_event_strcpy(ev, "to", to, sizeof to);
		if (rc == 0)
			rc = hs_event_strcpy(ev, "ev", what, sizeof what);
		if (rc == 0)
			rc = hs_ctx_sendf(ctx, "cnt", to, what, "n:I", n);
	} else if (hs_event_is(ev, "fan")) {
		rc = hs_event_strcpy(ev, "x", to, sizeof to);
		if (rc == 0)
			rc = hs_ctx_sendf(ctx, "cnt", to, "add", "n:I", n);
		if (rc == 0)
			rc = hs_event_strcpy(ev, "r", via, sizeof via);
		if (rc == 0)
			rc = hs_event_strcpy(ev, "y", to, sizeof to);
		if (rc == 0)
			rc = hs_ctx_sendf(ctx, "relay", via, "fwd", "to:s n:I",
					  to, n);
	} else {
		return HS_EINVAL;
	}
	if (rc != 0)
		return rc;
	r->fwd += 1;
	r->sum += n;
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt)
{
	hsu_register_counter(rt, "cnt", HS_ON_ERROR_FAIL);
	hs_type t;
	memset(&t, 0, sizeof t);
	t.name = "relay";
	t.state_size = sizeof(relay);
	t.apply = relay_apply;
	t.encode = relay_encode;
	t.decode = relay_decode;
	assert_hs(0, hs_register(rt, &t));
}

/* ------------------------------------------------------------------ */
/* The history                                                          */
/* ------------------------------------------------------------------ */

static uint64_t send_await(hs_runtime *rt, const char *type, const char *id,
			   const char *ev, const hs_buf *body)
{
	hs_receipt r = {0, 0};
	assert_hs(0, hs_send_wait(rt, type, id, ev, body ? body->data : NULL,
				  body ? body->len : 0, &r));
	/* Let what it sent be handled and written before the next one. */
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	return r.gseq;
}

static hs_buf fwd_body(const char *to, int64_t n)
{
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "to:s n:I", to, n));
	return b;
}

static hs_buf n_body(int64_t n)
{
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "n:I", n));
	return b;
}

/*
 *   g1 cnt/a inc                       a = 1
 *   g2 relay/r fwd {to: a, n: 5}       r = {1, 5}
 *   g3 cnt/a add {n: 5}  (r seq 1)     a = 6
 *   g4 cnt/b inc                       b = 1
 *   g5 relay/r fwd {to: b, n: 10}      r = {2, 15}
 *   g6 cnt/b add {n: 10} (r seq 2)     b = 11
 *   g7 cnt/a inc                       a = 7
 */
static hs_runtime *write_history(const char *path)
{
	hs_runtime *rt = pu_open_rt(path, HS_DURABILITY_NONE, 1, NULL, NULL);
	register_types(rt);
	hs_buf f1 = fwd_body("a", 5), f2 = fwd_body("b", 10);
	assert_int_equal(send_await(rt, "cnt", "a", "inc", NULL), 1);
	assert_int_equal(send_await(rt, "relay", "r", "fwd", &f1), 2);
	assert_int_equal(send_await(rt, "cnt", "b", "inc", NULL), 4);
	assert_int_equal(send_await(rt, "relay", "r", "fwd", &f2), 5);
	assert_int_equal(send_await(rt, "cnt", "a", "inc", NULL), 7);
	hs_buf_free(&f1);
	hs_buf_free(&f2);

	pu_recs rs;
	pu_read_log(path, &rs);
	assert_int_equal(rs.n, 7);
	const pu_rec *g3 = &rs.v[2], *g6 = &rs.v[5];
	assert_string_equal(g3->id, "a");
	assert_true(g3->has_cause);
	assert_int_equal(g3->cause_gseq, 2);
	assert_string_equal(g6->id, "b");
	assert_int_equal(g6->cause_gseq, 5);
	pu_recs_free(&rs);
	return rt;
}

/* ------------------------------------------------------------------ */
/* What fn saw                                                          */
/* ------------------------------------------------------------------ */

typedef struct side {
	bool present;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq, gseq;
	char event[HS_NAME_MAX + 1];
	int64_t n;   /* body field n, or -1 */
	char to[32]; /* body field to, or "" */
	char cause_type[HS_NAME_MAX + 1];
	char cause_id[HS_ID_MAX + 1];
	uint64_t cause_seq, cause_gseq;
	bool has_state;
} side;

typedef struct chg {
	hs_whatif_kind kind;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq;
	side hist, wif;
	bool has_hjson, has_wjson;
	char hjson[128], wjson[128];
} chg;

#define CHG_MAX 32

typedef struct chgs {
	int n;
	chg v[CHG_MAX];
} chgs;

static void copy_side(side *s, const hs_record *r)
{
	s->present = r != NULL;
	if (r == NULL)
		return;
	hsu_copy(s->type, sizeof s->type, r->agent.type);
	hsu_copy(s->id, sizeof s->id, r->agent.id);
	s->seq = r->seq;
	s->gseq = r->gseq;
	hsu_copy(s->event, sizeof s->event, r->event_type);
	s->n = -1;
	if (r->body != NULL && hs_get_i64(r->body, r->body_len, "n", &s->n))
		s->n = -1;
	s->to[0] = '\0';
	if (r->body != NULL)
		(void)hs_get_strcpy(r->body, r->body_len, "to", s->to,
				    sizeof s->to);
	CB_CHECK(r->cause.type != NULL && r->cause.id != NULL);
	hsu_copy(s->cause_type, sizeof s->cause_type, r->cause.type);
	hsu_copy(s->cause_id, sizeof s->cause_id, r->cause.id);
	s->cause_seq = r->cause_seq;
	s->cause_gseq = r->cause_gseq;
	s->has_state = r->state != NULL;
}

static int on_change(void *udata, const hs_whatif_change *c)
{
	chgs *cs = udata;
	if (cs->n < CHG_MAX) {
		chg *x = &cs->v[cs->n];
		x->kind = c->kind;
		hsu_copy(x->type, sizeof x->type, c->agent.type);
		hsu_copy(x->id, sizeof x->id, c->agent.id);
		x->seq = c->seq;
		copy_side(&x->hist, c->history);
		copy_side(&x->wif, c->whatif);
		x->has_hjson = c->history_state_json != NULL;
		x->has_wjson = c->whatif_state_json != NULL;
		hsu_copy(x->hjson, sizeof x->hjson, c->history_state_json);
		hsu_copy(x->wjson, sizeof x->wjson, c->whatif_state_json);
	}
	cs->n++;
	return 0;
}

static int whatif(hs_runtime *rt, const hs_edit *e, size_t n, uint64_t to,
		  chgs *cs)
{
	memset(cs, 0, sizeof *cs);
	int rc = hs_whatif(rt, e, n, to, on_change, cs);
	if (rc != 0 && rc != HS_EINVAL) {
		char err[512];
		hs_last_error(rt, err, sizeof err);
		print_message("hs_whatif: %d (%s): %s\n", rc, hs_strerror(rc),
			      err);
	}
	return rc;
}

static void print_chgs(const chgs *cs)
{
	static const char *kinds[] = {"CHANGED", "MISSING", "EXTRA", "FINAL"};
	for (int i = 0; i < cs->n && i < CHG_MAX; i++) {
		const chg *c = &cs->v[i];
		print_message("  %d: %s %s/%s seq %" PRIu64 " hist g%" PRIu64
			      " wif g%" PRIu64 " [%s] -> [%s]\n",
			      i, kinds[c->kind], c->type, c->id, c->seq,
			      c->hist.present ? c->hist.gseq : 0,
			      c->wif.present ? c->wif.gseq : 0,
			      c->has_hjson ? c->hjson : "-",
			      c->has_wjson ? c->wjson : "-");
	}
}

/* Asserts change i: kind, agent and seq. */
static const chg *expect(const chgs *cs, int i, hs_whatif_kind kind,
			 const char *type, const char *id, uint64_t seq)
{
	if (i >= cs->n || cs->v[i].kind != kind ||
	    strcmp(cs->v[i].type, type) != 0 || strcmp(cs->v[i].id, id) != 0 ||
	    cs->v[i].seq != seq) {
		print_message("change %d: expected kind %d %s/%s seq %" PRIu64
			      "; got:\n",
			      i, kind, type, id, seq);
		print_chgs(cs);
	}
	assert_true(i < cs->n);
	const chg *c = &cs->v[i];
	assert_int_equal(c->kind, kind);
	assert_string_equal(c->type, type);
	assert_string_equal(c->id, id);
	assert_int_equal(c->seq, seq);
	assert_int_equal(c->hist.present, kind == HS_WHATIF_CHANGED ||
						  kind == HS_WHATIF_MISSING);
	assert_int_equal(c->wif.present,
			 kind == HS_WHATIF_CHANGED || kind == HS_WHATIF_EXTRA);
	return c;
}

static void expect_final(const chgs *cs, int i, const char *type,
			 const char *id, const char *hist, const char *wif)
{
	const chg *c = &cs->v[i];
	assert_true(i < cs->n);
	assert_int_equal(c->kind, HS_WHATIF_FINAL);
	assert_string_equal(c->type, type);
	assert_string_equal(c->id, id);
	assert_int_equal(c->has_hjson, hist != NULL);
	assert_int_equal(c->has_wjson, wif != NULL);
	if (hist != NULL)
		assert_string_equal(c->hjson, hist);
	if (wif != NULL)
		assert_string_equal(c->wjson, wif);
}

/* ------------------------------------------------------------------ */
/* The log, byte for byte                                               */
/* ------------------------------------------------------------------ */

static void put_bytes(hs_buf *out, const void *p, size_t n)
{
	uint8_t len[8];
	pu_be64(len, n);
	assert_hs(0, hs_packf(out, "[B B]", len, (size_t)8, p, n));
}

/* Every key and value of every column family, read through a read-only
 * RocksDB handle (the writer may hold the log meanwhile). */
static void dump_log(const char *path, hs_buf *out)
{
	char *err = NULL;
	rocksdb_options_t *o = rocksdb_options_create();
	size_t n = 0;
	char **names = rocksdb_list_column_families(o, path, &n, &err);
	assert_null(err);
	assert_true(n >= 1 && n <= PU_CF_MAX);
	const rocksdb_options_t *cfo[PU_CF_MAX];
	rocksdb_column_family_handle_t *cf[PU_CF_MAX];
	for (size_t i = 0; i < n; i++)
		cfo[i] = o;
	rocksdb_t *db = rocksdb_open_for_read_only_column_families(
		o, path, (int)n, (const char *const *)names, cfo, cf, 0, &err);
	if (err != NULL)
		print_error("read-only open of %s: %s\n", path, err);
	assert_null(err);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	for (size_t i = 0; i < n; i++) {
		put_bytes(out, names[i], strlen(names[i]));
		rocksdb_iterator_t *it =
			rocksdb_create_iterator_cf(db, ro, cf[i]);
		for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
		     rocksdb_iter_next(it)) {
			size_t kn, vn;
			const char *k = rocksdb_iter_key(it, &kn);
			const char *v = rocksdb_iter_value(it, &vn);
			put_bytes(out, k, kn);
			put_bytes(out, v, vn);
		}
		rocksdb_iter_get_error(it, &err);
		rocksdb_iter_destroy(it);
		assert_null(err);
		rocksdb_column_family_handle_destroy(cf[i]);
	}
	rocksdb_readoptions_destroy(ro);
	rocksdb_close(db);
	rocksdb_list_column_families_destroy(names, n);
	rocksdb_options_destroy(o);
}

/* ------------------------------------------------------------------ */

typedef struct fixture {
	char *path;
	hs_runtime *rt;
	hs_buf before; /* the log's dump after the history was written */
} fixture;

static int setup(void **state)
{
	hsu_reset();
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->path = pu_mkdtemp("whatif");
	f->rt = write_history(f->path);
	dump_log(f->path, &f->before);
	*state = f;
	return 0;
}

/* Checks that the log and the live agents are as history left them. */
static int teardown(void **state)
{
	fixture *f = *state;
	hs_buf after = HS_BUF_INIT;
	dump_log(f->path, &after);
	assert_int_equal(after.len, f->before.len);
	assert_memory_equal(after.data, f->before.data, after.len);
	hs_buf_free(&after);
	assert_int_equal(hsu_counter_value(f->rt, "cnt", "a"), 7);
	assert_int_equal(hsu_counter_value(f->rt, "cnt", "b"), 11);
	hs_agent_status st;
	assert_hs(0, hs_agent_status_get(f->rt, "cnt", "a", &st));
	assert_int_equal(st.seq, 3);
	assert_hs(HS_ENOAGENT, hs_agent_status_get(f->rt, "cnt", "c", &st));
	assert_hs(HS_ENOAGENT, hs_agent_status_get(f->rt, "relay", "r2", &st));
	hsu_assert_no_cb_failures();
	assert_hs(0, hs_close(f->rt));
	pu_rmtree(f->path);
	free(f->path);
	hs_buf_free(&f->before);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_no_edits(void **state)
{
	fixture *f = *state;
	chgs cs;
	assert_hs(0, whatif(f->rt, NULL, 0, 0, &cs));
	if (cs.n != 0)
		print_chgs(&cs);
	assert_int_equal(cs.n, 0);
	assert_hs(0, hs_whatif(f->rt, NULL, 0, 0, NULL, NULL));
	/* Nor at any bound. Bounded right after a fwd (2 or 5), the add it
	 * sent was still on its way in history; the what-if fwd runs as in
	 * history from the same state, so it sent what history's did, and
	 * a send that left no record by the bound is not delivered. */
	for (uint64_t to = 1; to <= 7; to++) {
		assert_hs(0, whatif(f->rt, NULL, 0, to, &cs));
		if (cs.n != 0)
			print_chgs(&cs);
		assert_int_equal(cs.n, 0);
	}
}

/* A what-if bounded just after a replaced fwd includes the add that the
 * what-if fwd sends right after it: that message is re-derived, not
 * history's (which was written after the bound anyway). */
static void test_cascade_past_bound(void **state)
{
	fixture *f = *state;
	hs_buf b = fwd_body("a", 7);
	hs_edit e = {.kind = HS_EDIT_REPLACE,
		     .gseq = 2,
		     .body = b.data,
		     .body_len = b.len};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 2, &cs));
	hs_buf_free(&b);
	/* r seq 1 (g2) with n 7, then at what-if gseq 3 the add 7 it sends:
	 * a seq 2, which history up to g2 does not have. */
	if (cs.n != 4)
		print_chgs(&cs);
	assert_int_equal(cs.n, 4);
	const chg *c = expect(&cs, 0, HS_WHATIF_CHANGED, "relay", "r", 1);
	assert_int_equal(c->wif.gseq, 2);
	assert_int_equal(c->wif.n, 7);
	c = expect(&cs, 1, HS_WHATIF_EXTRA, "cnt", "a", 2);
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.gseq, 3);
	assert_int_equal(c->wif.n, 7);
	assert_string_equal(c->wif.cause_id, "r");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, 2);
	expect_final(&cs, 2, "cnt", "a", "{\"n\":1}", "{\"n\":8}");
	expect_final(&cs, 3, "relay", "r", "{\"fwd\":1,\"sum\":5}",
		     "{\"fwd\":1,\"sum\":7}");
}

/* Dropping the second fwd: the add it caused vanishes. g3 is taken from
 * history (its cause g2 ran as in history and sent it); g6 is skipped,
 * its cause g5 not having run. */
static void test_drop_cause(void **state)
{
	fixture *f = *state;
	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 5};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 0, &cs));
	if (cs.n != 4)
		print_chgs(&cs);
	assert_int_equal(cs.n, 4);
	const chg *c = expect(&cs, 0, HS_WHATIF_MISSING, "relay", "r", 2);
	assert_int_equal(c->hist.gseq, 5);
	assert_string_equal(c->hist.event, "fwd");
	assert_string_equal(c->hist.to, "b");
	assert_int_equal(c->hist.cause_seq, 0);
	assert_string_equal(c->hist.cause_type, "");
	assert_string_equal(c->hjson, "{\"fwd\":2,\"sum\":15}");
	assert_false(c->has_wjson);
	c = expect(&cs, 1, HS_WHATIF_MISSING, "cnt", "b", 2);
	assert_int_equal(c->hist.gseq, 6);
	assert_string_equal(c->hist.event, "add");
	assert_int_equal(c->hist.n, 10);
	assert_string_equal(c->hist.cause_type, "relay");
	assert_string_equal(c->hist.cause_id, "r");
	assert_int_equal(c->hist.cause_seq, 2);
	assert_int_equal(c->hist.cause_gseq, 5);
	assert_true(c->hist.has_state);
	assert_string_equal(c->hjson, "{\"n\":11}");
	expect_final(&cs, 2, "cnt", "b", "{\"n\":11}", "{\"n\":1}");
	expect_final(&cs, 3, "relay", "r", "{\"fwd\":2,\"sum\":15}",
		     "{\"fwd\":1,\"sum\":5}");
}

/* Dropping the first fwd: a's later inc moves into its seq 2. The fwd of
 * g5 becomes r's seq 1, not as in history (seq 2): its add to b is
 * delivered right after it (what-if gseq 4) and g6 is skipped; b's seq 2
 * is the same event and state as history's, so b shows nothing. */
static void test_drop_shifts(void **state)
{
	fixture *f = *state;
	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 2};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 0, &cs));
	if (cs.n != 6)
		print_chgs(&cs);
	assert_int_equal(cs.n, 6);
	/* Sorted by place in the what-if run; a missing record goes just
	 * before what the run made when it reached its gseq. */
	const chg *c = expect(&cs, 0, HS_WHATIF_MISSING, "relay", "r", 2);
	assert_int_equal(c->hist.gseq, 5);
	c = expect(&cs, 1, HS_WHATIF_CHANGED, "relay", "r", 1);
	assert_int_equal(c->hist.gseq, 2);
	assert_string_equal(c->hist.to, "a");
	assert_int_equal(c->hist.n, 5);
	assert_int_equal(c->wif.gseq, 3);
	assert_string_equal(c->wif.event, "fwd");
	assert_string_equal(c->wif.to, "b");
	assert_int_equal(c->wif.n, 10);
	assert_int_equal(c->wif.cause_seq, 0);
	assert_string_equal(c->hjson, "{\"fwd\":1,\"sum\":5}");
	assert_string_equal(c->wjson, "{\"fwd\":1,\"sum\":10}");
	assert_true(c->wif.has_state && c->hist.has_state);
	c = expect(&cs, 2, HS_WHATIF_MISSING, "cnt", "a", 3);
	assert_int_equal(c->hist.gseq, 7);
	assert_string_equal(c->hjson, "{\"n\":7}");
	c = expect(&cs, 3, HS_WHATIF_CHANGED, "cnt", "a", 2);
	assert_int_equal(c->hist.gseq, 3);
	assert_string_equal(c->hist.event, "add");
	assert_int_equal(c->hist.cause_gseq, 2);
	assert_int_equal(c->wif.gseq, 5);
	assert_string_equal(c->wif.event, "inc");
	assert_int_equal(c->wif.cause_seq, 0);
	assert_string_equal(c->hjson, "{\"n\":6}");
	assert_string_equal(c->wjson, "{\"n\":2}");
	expect_final(&cs, 4, "cnt", "a", "{\"n\":7}", "{\"n\":2}");
	expect_final(&cs, 5, "relay", "r", "{\"fwd\":2,\"sum\":15}",
		     "{\"fwd\":1,\"sum\":10}");
}

/* A replaced fwd: its add is re-derived right after it (g3 skipped).
 * r's g5 then ends in another state ({2, 17}), so its add to b is also
 * delivered right after it rather than taken at g6: the same event and
 * state at b's seq 2 as history, no difference. */
static void test_replace_body(void **state)
{
	fixture *f = *state;
	hs_buf b = fwd_body("a", 7);
	hs_edit e = {.kind = HS_EDIT_REPLACE,
		     .gseq = 2,
		     .body = b.data,
		     .body_len = b.len};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 0, &cs));
	hs_buf_free(&b);
	if (cs.n != 6)
		print_chgs(&cs);
	assert_int_equal(cs.n, 6);
	const chg *c = expect(&cs, 0, HS_WHATIF_CHANGED, "relay", "r", 1);
	assert_int_equal(c->wif.gseq, 2);
	assert_string_equal(c->wif.event, "fwd"); /* kept */
	assert_int_equal(c->wif.n, 7);
	assert_int_equal(c->hist.n, 5);
	c = expect(&cs, 1, HS_WHATIF_CHANGED, "cnt", "a", 2);
	assert_int_equal(c->wif.gseq, 3);
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.n, 7);
	assert_string_equal(c->wif.cause_type, "relay");
	assert_string_equal(c->wif.cause_id, "r");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, 2);
	assert_int_equal(c->hist.n, 5);
	assert_int_equal(c->hist.gseq, 3);
	assert_int_equal(c->hist.cause_gseq, 2);
	assert_string_equal(c->hjson, "{\"n\":6}");
	assert_string_equal(c->wjson, "{\"n\":8}");
	c = expect(&cs, 2, HS_WHATIF_CHANGED, "relay", "r", 2);
	assert_int_equal(c->wif.gseq, 5);
	assert_int_equal(c->hist.gseq, 5); /* same event, other state */
	assert_string_equal(c->hjson, "{\"fwd\":2,\"sum\":15}");
	assert_string_equal(c->wjson, "{\"fwd\":2,\"sum\":17}");
	c = expect(&cs, 3, HS_WHATIF_CHANGED, "cnt", "a", 3);
	assert_int_equal(c->wif.gseq, 7);
	assert_string_equal(c->wjson, "{\"n\":9}");
	expect_final(&cs, 4, "cnt", "a", "{\"n\":7}", "{\"n\":9}");
	expect_final(&cs, 5, "relay", "r", "{\"fwd\":2,\"sum\":15}",
		     "{\"fwd\":2,\"sum\":17}");
}

static void test_replace_type(void **state)
{
	fixture *f = *state;
	hs_buf b = n_body(100);
	hs_edit e = {.kind = HS_EDIT_REPLACE,
		     .gseq = 7,
		     .event_type = "add",
		     .body = b.data,
		     .body_len = b.len};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 0, &cs));
	hs_buf_free(&b);
	assert_int_equal(cs.n, 2);
	const chg *c = expect(&cs, 0, HS_WHATIF_CHANGED, "cnt", "a", 3);
	assert_string_equal(c->hist.event, "inc");
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.n, 100);
	expect_final(&cs, 1, "cnt", "a", "{\"n\":7}", "{\"n\":106}");

	/* The same event as recorded: nothing changes. */
	hs_edit same = {.kind = HS_EDIT_REPLACE, .gseq = 7};
	assert_hs(0, whatif(f->rt, &same, 1, 0, &cs));
	assert_int_equal(cs.n, 0);
}

static void test_insert(void **state)
{
	fixture *f = *state;
	hs_buf b = fwd_body("c", 3);
	hs_edit e[2] = {
		{.kind = HS_EDIT_INSERT,
		 .gseq = 4,
		 .type = "relay",
		 .id = "r2",
		 .event_type = "fwd",
		 .body = b.data,
		 .body_len = b.len},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 100, /* past the end: after the last record */
		 .type = "cnt",
		 .id = "a",
		 .event_type = "inc"},
	};
	chgs cs;
	assert_hs(0, whatif(f->rt, e, 2, 0, &cs));
	hs_buf_free(&b);
	if (cs.n != 6)
		print_chgs(&cs);
	assert_int_equal(cs.n, 6);
	const chg *c = expect(&cs, 0, HS_WHATIF_EXTRA, "relay", "r2", 1);
	assert_int_equal(c->wif.gseq, 4);
	assert_string_equal(c->wif.to, "c");
	assert_string_equal(c->wjson, "{\"fwd\":1,\"sum\":3}");
	assert_false(c->has_hjson);
	c = expect(&cs, 1, HS_WHATIF_EXTRA, "cnt", "c", 1);
	assert_int_equal(c->wif.gseq, 5);
	assert_string_equal(c->wif.event, "add");
	assert_string_equal(c->wif.cause_type, "relay");
	assert_string_equal(c->wif.cause_id, "r2");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, 4);
	assert_string_equal(c->wjson, "{\"n\":3}");
	c = expect(&cs, 2, HS_WHATIF_EXTRA, "cnt", "a", 4);
	assert_int_equal(c->wif.gseq, 10);
	assert_string_equal(c->wjson, "{\"n\":8}");
	expect_final(&cs, 3, "cnt", "a", "{\"n\":7}", "{\"n\":8}");
	expect_final(&cs, 4, "cnt", "c", NULL, "{\"n\":3}");
	expect_final(&cs, 5, "relay", "r2", NULL, "{\"fwd\":1,\"sum\":3}");
}

/* Several inserts at one gseq run in the order given. */
static void test_insert_order(void **state)
{
	fixture *f = *state;
	hs_buf b = n_body(5);
	hs_edit e[3] = {
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = "z",
		 .event_type = "add",
		 .body = b.data,
		 .body_len = b.len},
		{.kind = HS_EDIT_DROP, .gseq = 1},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = "z",
		 .event_type = "inc"},
	};
	chgs cs;
	assert_hs(0, whatif(f->rt, e, 3, 0, &cs));
	hs_buf_free(&b);
	if (cs.n != 7)
		print_chgs(&cs);
	assert_int_equal(cs.n, 7);
	const chg *c = expect(&cs, 0, HS_WHATIF_EXTRA, "cnt", "z", 1);
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.gseq, 1);
	c = expect(&cs, 1, HS_WHATIF_EXTRA, "cnt", "z", 2);
	assert_string_equal(c->wif.event, "inc");
	assert_int_equal(c->wif.gseq, 2);
	/* a's seq 1 (inc, g1) was dropped. r's fwd (g2) runs as in history,
	 * so its add g3 is taken from history, at its place (what-if gseq
	 * 4), as a's seq 1; a's last inc becomes its seq 2. */
	c = expect(&cs, 2, HS_WHATIF_CHANGED, "cnt", "a", 1);
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.gseq, 4);
	assert_string_equal(c->hist.event, "inc");
	assert_string_equal(c->wjson, "{\"n\":5}");
	c = expect(&cs, 3, HS_WHATIF_MISSING, "cnt", "a", 3);
	assert_int_equal(c->hist.gseq, 7);
	/* The same state as history at seq 2, by another event. */
	c = expect(&cs, 4, HS_WHATIF_CHANGED, "cnt", "a", 2);
	assert_string_equal(c->wif.event, "inc");
	assert_string_equal(c->hist.event, "add");
	assert_string_equal(c->wjson, "{\"n\":6}");
	assert_string_equal(c->hjson, "{\"n\":6}");
	expect_final(&cs, 5, "cnt", "a", "{\"n\":7}", "{\"n\":6}");
	expect_final(&cs, 6, "cnt", "z", NULL, "{\"n\":6}");
}

/* Messages are delivered breadth-first, in send order. */
static void test_breadth_first(void **state)
{
	fixture *f = *state;
	hs_buf b = HS_BUF_INIT;
	assert_hs(0,
		  hs_packf(&b, "x:s r:s y:s n:I", "x", "r3", "y", (int64_t)2));
	hs_edit e = {.kind = HS_EDIT_INSERT,
		     .gseq = 8,
		     .type = "relay",
		     .id = "f",
		     .event_type = "fan",
		     .body = b.data,
		     .body_len = b.len};
	chgs cs;
	assert_hs(0, whatif(f->rt, &e, 1, 0, &cs));
	hs_buf_free(&b);
	if (cs.n != 8)
		print_chgs(&cs);
	assert_int_equal(cs.n, 8);
	const chg *c = expect(&cs, 0, HS_WHATIF_EXTRA, "relay", "f", 1);
	assert_int_equal(c->wif.gseq, 8);
	c = expect(&cs, 1, HS_WHATIF_EXTRA, "cnt", "x", 1);
	assert_int_equal(c->wif.gseq, 9);
	assert_string_equal(c->wif.cause_id, "f");
	assert_int_equal(c->wif.cause_gseq, 8);
	c = expect(&cs, 2, HS_WHATIF_EXTRA, "relay", "r3", 1);
	assert_int_equal(c->wif.gseq, 10);
	assert_string_equal(c->wif.cause_id, "f");
	c = expect(&cs, 3, HS_WHATIF_EXTRA, "cnt", "y", 1);
	assert_int_equal(c->wif.gseq, 11);
	assert_string_equal(c->wif.cause_type, "relay");
	assert_string_equal(c->wif.cause_id, "r3");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, 10);
	expect_final(&cs, 4, "cnt", "x", NULL, "{\"n\":2}");
	expect_final(&cs, 5, "cnt", "y", NULL, "{\"n\":2}");
	expect_final(&cs, 6, "relay", "f", NULL, "{\"fwd\":1,\"sum\":2}");
	expect_final(&cs, 7, "relay", "r3", NULL, "{\"fwd\":1,\"sum\":2}");
}

static void test_to_gseq(void **state)
{
	fixture *f = *state;
	chgs cs;
	assert_hs(0, whatif(f->rt, NULL, 0, 4, &cs));
	assert_int_equal(cs.n, 0);

	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 2};
	assert_hs(0, whatif(f->rt, &e, 1, 4, &cs));
	if (cs.n != 4)
		print_chgs(&cs);
	assert_int_equal(cs.n, 4);
	const chg *c = expect(&cs, 0, HS_WHATIF_MISSING, "relay", "r", 1);
	assert_int_equal(c->hist.gseq, 2);
	c = expect(&cs, 1, HS_WHATIF_MISSING, "cnt", "a", 2);
	assert_int_equal(c->hist.gseq, 3);
	assert_string_equal(c->hjson, "{\"n\":6}");
	expect_final(&cs, 2, "cnt", "a", "{\"n\":6}", "{\"n\":1}");
	expect_final(&cs, 3, "relay", "r", "{\"fwd\":1,\"sum\":5}", NULL);

	/* An edit beyond the bound names no record in range. */
	e.gseq = 5;
	assert_hs(HS_EINVAL, whatif(f->rt, &e, 1, 4, &cs));
	assert_int_equal(cs.n, 0);
	/* A bound after the end of the log. */
	assert_hs(HS_ERANGE, whatif(f->rt, NULL, 0, 8, &cs));
	assert_int_equal(cs.n, 0);
}

static void test_bad_edits(void **state)
{
	fixture *f = *state;
	chgs cs;
	char err[512];
	hs_buf b = n_body(1);
	const uint8_t junk[] = {0x92, 0x01}; /* array of 2 with 1 element */
	hs_edit ok = {.kind = HS_EDIT_DROP, .gseq = 1};
	hs_edit bad[] = {
		{.kind = HS_EDIT_DROP, .gseq = 3},    /* caused */
		{.kind = HS_EDIT_REPLACE, .gseq = 6}, /* caused */
		{.kind = HS_EDIT_DROP, .gseq = 0},
		{.kind = HS_EDIT_DROP, .gseq = 8}, /* past the end */
		{.kind = HS_EDIT_REPLACE, .gseq = 9},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 0,
		 .type = "cnt",
		 .id = "a",
		 .event_type = "inc"},
		{.kind = HS_EDIT_INSERT, .gseq = 1, .type = "cnt", .id = "a"},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = "",
		 .event_type = "inc"},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = NULL,
		 .event_type = "inc"},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = "a",
		 .event_type = "add",
		 .body = junk,
		 .body_len = sizeof junk},
		{.kind = HS_EDIT_INSERT,
		 .gseq = 1,
		 .type = "cnt",
		 .id = "a",
		 .event_type = "add",
		 .body = NULL,
		 .body_len = 3},
		{.kind = HS_EDIT_REPLACE, .gseq = 1, .event_type = ""},
		{.kind = (hs_edit_kind)42, .gseq = 1},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		/* A good edit first: nothing of it runs either. */
		hs_edit two[2] = {ok, bad[i]};
		int rc = whatif(f->rt, two, 2, 0, &cs);
		if (rc != HS_EINVAL)
			print_message("bad edit %zu: %d\n", i, rc);
		assert_hs(HS_EINVAL, rc);
		assert_int_equal(cs.n, 0);
		hs_last_error(f->rt, err, sizeof err);
		assert_non_null(strstr(err, "what-if edit 1"));
	}
	hs_last_error(f->rt, err, sizeof err);

	/* The same record twice. */
	hs_edit twice[2] = {{.kind = HS_EDIT_DROP, .gseq = 4},
			    {.kind = HS_EDIT_REPLACE,
			     .gseq = 4,
			     .body = b.data,
			     .body_len = b.len}};
	assert_hs(HS_EINVAL, whatif(f->rt, twice, 2, 0, &cs));
	assert_int_equal(cs.n, 0);

	/* An insert for an unregistered type. */
	hs_edit unk = {.kind = HS_EDIT_INSERT,
		       .gseq = 1,
		       .type = "ghost",
		       .id = "g",
		       .event_type = "boo"};
	assert_hs(HS_ENOTYPE, whatif(f->rt, &unk, 1, 0, &cs));
	hs_last_error(f->rt, err, sizeof err);
	assert_non_null(strstr(err, "'ghost'"));

	assert_hs(HS_EINVAL, hs_whatif(f->rt, NULL, 1, 0, NULL, NULL));
	assert_hs(HS_EINVAL, hs_whatif(NULL, NULL, 0, 0, NULL, NULL));
	hs_buf_free(&b);
}

/* A runtime opened read-only beside the writer, without relay
 * registered: the replay needs it. With it: the same answers. */
static void test_read_only_runtime(void **state)
{
	fixture *f = *state;
	hs_options o;
	hs_options_init(&o);
	o.workers = 1;
	o.path = f->path;
	o.read_only = true;
	hs_runtime *ro = NULL;
	assert_hs(0, hs_open(&ro, &o));
	hsu_register_counter(ro, "cnt", HS_ON_ERROR_FAIL);
	chgs cs;
	char err[512];
	assert_hs(HS_ENOTYPE, whatif(ro, NULL, 0, 0, &cs));
	hs_last_error(ro, err, sizeof err);
	assert_non_null(strstr(err, "'relay'"));
	/* Up to gseq 1 only cnt is needed. */
	assert_hs(0, whatif(ro, NULL, 0, 1, &cs));
	assert_int_equal(cs.n, 0);
	assert_hs(0, hs_close(ro));

	ro = NULL;
	assert_hs(0, hs_open(&ro, &o));
	register_types(ro);
	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 5};
	assert_hs(0, whatif(ro, &e, 1, 0, &cs));
	assert_int_equal(cs.n, 4);
	expect(&cs, 0, HS_WHATIF_MISSING, "relay", "r", 2);
	expect(&cs, 1, HS_WHATIF_MISSING, "cnt", "b", 2);
	assert_hs(0, hs_close(ro));

	/* In memory: not supported. */
	hs_runtime *mem = hsu_open(1, 0);
	assert_hs(HS_ENOTSUP, hs_whatif(mem, NULL, 0, 0, NULL, NULL));
	assert_hs(0, hs_close(mem));
}

/* fn's non-zero result stops the report and is returned. */
static int stop_at_second(void *udata, const hs_whatif_change *c)
{
	int *n = udata;
	(void)c;
	return ++*n == 2 ? 55 : 0;
}

static void test_fn_stops(void **state)
{
	fixture *f = *state;
	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 2};
	int n = 0;
	assert_int_equal(hs_whatif(f->rt, &e, 1, 0, stop_at_second, &n), 55);
	assert_int_equal(n, 2);
}

/* ------------------------------------------------------------------ */
/* A log written concurrently                                           */
/* ------------------------------------------------------------------ */

/*
 * CC_THREADS threads send CC_OPS events each, all at once, to a runtime
 * with 4 workers: counters c0..c7 get inc; relays r0..r3 get fwd (2
 * records), fan (4 records) and fwdev noop (1 record: the noop changes
 * nothing). About 2000 records, where the messages a handler sent are
 * often written after other events. Halfway, thread 0 sends relay/solo
 * a fan {x: c1, r: solo2, y: c2, n: SOLO_N}: the only event solo and
 * solo2 ever get, with an amount no other event comes near.
 */
#define CC_THREADS 4
#define CC_OPS 250
#define CC_COUNTERS 8
#define CC_RELAYS 4
#define SOLO_N 1000003

typedef struct cc_log {
	char *path;
	hs_runtime *rt;
	hs_buf before;
	pu_recs rs;
	uint64_t solo; /* gseq of the fan to relay/solo */
} cc_log;

typedef struct cc_thread {
	hs_runtime *rt;
	int t;
} cc_thread;

static void *cc_send(void *p)
{
	const cc_thread *th = p;
	hs_runtime *rt = th->rt;
	char c1[16], c2[16], r1[16], r2[16];
	for (int i = 0; i < CC_OPS; i++) {
		int k = th->t * CC_OPS + i;
		int64_t n = 1 + k % 89;
		snprintf(c1, sizeof c1, "c%d", k % CC_COUNTERS);
		snprintf(c2, sizeof c2, "c%d", (k / 3 + 1) % CC_COUNTERS);
		snprintf(r1, sizeof r1, "r%d", k % CC_RELAYS);
		snprintf(r2, sizeof r2, "r%d", (k + 1) % CC_RELAYS);
		int rc;
		if (th->t == 0 && i == CC_OPS / 2)
			rc = hs_sendf(rt, "relay", "solo", "fan",
				      "x:s r:s y:s n:I", "c1", "solo2", "c2",
				      (int64_t)SOLO_N);
		else if (i % 4 == 0)
			rc = hs_send(rt, "cnt", c1, "inc", NULL, 0);
		else if (i % 4 == 1)
			rc = hs_sendf(rt, "relay", r1, "fwd", "to:s n:I", c1,
				      n);
		else if (i % 4 == 2)
			rc = hs_sendf(rt, "relay", r1, "fan",
				      "x:s r:s y:s n:I", c1, r2, c2, n);
		else
			rc = hs_sendf(rt, "relay", r1, "fwdev",
				      "to:s ev:s n:I", c1, "noop", n);
		CB_CHECK_EQ(rc, 0);
	}
	return NULL;
}

static int cc_setup(void **state)
{
	hsu_reset();
	cc_log *l = calloc(1, sizeof *l);
	assert_non_null(l);
	l->path = pu_mkdtemp("whatif-cc");
	l->rt = pu_open_rt(l->path, HS_DURABILITY_NONE, 4, NULL, NULL);
	register_types(l->rt);
	pthread_t th[CC_THREADS];
	cc_thread arg[CC_THREADS];
	for (int t = 0; t < CC_THREADS; t++) {
		arg[t] = (cc_thread){l->rt, t};
		assert_int_equal(
			pthread_create(&th[t], NULL, cc_send, &arg[t]), 0);
	}
	for (int t = 0; t < CC_THREADS; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	assert_hs(0, hs_await(l->rt, HSU_AWAIT_MS));
	hsu_assert_no_cb_failures();

	pu_read_log(l->path, &l->rs);
	size_t caused = pu_check_order_and_causes(&l->rs);
	assert_int_equal(pu_count(&l->rs, "relay", "solo"), 1);
	assert_int_equal(pu_count(&l->rs, "relay", "solo2"), 1);
	l->solo = pu_find(&l->rs, "relay", "solo", 1)->gseq;
	/* Caused records with something else between them and their cause
	 * (not only siblings): a what-if that delivered each message right
	 * after its cause would move them. */
	size_t apart = 0;
	for (size_t i = 0; i < l->rs.n; i++) {
		const pu_rec *r = &l->rs.v[i];
		if (!r->has_cause)
			continue;
		for (size_t j = r->cause_gseq; j < i; j++) {
			const pu_rec *q = &l->rs.v[j];
			if (!q->has_cause || q->cause_gseq != r->cause_gseq) {
				apart++;
				break;
			}
		}
	}
	print_message("concurrent log: %zu records, %zu caused, %zu apart "
		      "from their cause, solo fan at gseq %" PRIu64 "\n",
		      l->rs.n, caused, apart, l->solo);
	assert_true(l->rs.n >= 1500);
	assert_true(apart > 0);
	dump_log(l->path, &l->before);
	*state = l;
	return 0;
}

static int cc_teardown(void **state)
{
	cc_log *l = *state;
	hs_buf after = HS_BUF_INIT;
	dump_log(l->path, &after);
	assert_int_equal(after.len, l->before.len);
	assert_memory_equal(after.data, l->before.data, after.len);
	hs_buf_free(&after);
	hsu_assert_no_cb_failures();
	assert_hs(0, hs_close(l->rt));
	pu_rmtree(l->path);
	free(l->path);
	hs_buf_free(&l->before);
	pu_recs_free(&l->rs);
	free(l);
	return 0;
}

/* Every change fn saw. */
typedef struct vchg {
	hs_whatif_kind kind;
	char type[HS_NAME_MAX + 1];
	char id[HS_ID_MAX + 1];
	uint64_t seq;
	side hist, wif;
	char wjson[128];
} vchg;

typedef struct vchgs {
	vchg *v;
	size_t n, cap;
} vchgs;

static int on_vchange(void *udata, const hs_whatif_change *c)
{
	vchgs *cs = udata;
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? 2 * cs->cap : 64;
		vchg *v = realloc(cs->v, cap * sizeof *v);
		CB_CHECK(v != NULL);
		if (v == NULL)
			return 1;
		cs->v = v;
		cs->cap = cap;
	}
	vchg *x = &cs->v[cs->n++];
	memset(x, 0, sizeof *x);
	x->kind = c->kind;
	hsu_copy(x->type, sizeof x->type, c->agent.type);
	hsu_copy(x->id, sizeof x->id, c->agent.id);
	x->seq = c->seq;
	copy_side(&x->hist, c->history);
	copy_side(&x->wif, c->whatif);
	hsu_copy(x->wjson, sizeof x->wjson, c->whatif_state_json);
	return 0;
}

static void vchgs_print(const vchgs *cs, size_t max)
{
	static const char *kinds[] = {"CHANGED", "MISSING", "EXTRA", "FINAL"};
	for (size_t i = 0; i < cs->n && i < max; i++) {
		const vchg *c = &cs->v[i];
		print_message("  %zu: %s %s/%s seq %" PRIu64 " hist g%" PRIu64
			      " wif g%" PRIu64 "\n",
			      i, kinds[c->kind], c->type, c->id, c->seq,
			      c->hist.present ? c->hist.gseq : 0,
			      c->wif.present ? c->wif.gseq : 0);
	}
}

static void cc_whatif(const cc_log *l, const hs_edit *e, size_t n, uint64_t to,
		      vchgs *cs)
{
	cs->n = 0;
	int rc = hs_whatif(l->rt, e, n, to, on_vchange, cs);
	if (rc != 0) {
		char err[512];
		hs_last_error(l->rt, err, sizeof err);
		print_message("hs_whatif: %d (%s): %s\n", rc, hs_strerror(rc),
			      err);
	}
	assert_hs(0, rc);
	hsu_assert_no_cb_failures();
}

/* An agent with records in the causal chain of one record, and what the
 * what-if reported of it. */
typedef struct cc_agent {
	const char *type, *id;
	uint64_t k; /* seq of its first record in the chain */
	uint64_t d; /* its records in the chain */
	uint64_t n; /* its records */
	uint64_t changed, missing, extra, final;
} cc_agent;

#define CC_AGENTS_MAX 16

typedef struct cc_agents {
	size_t n;
	cc_agent v[CC_AGENTS_MAX];
} cc_agents;

static cc_agent *cc_agent_find(cc_agents *as, const char *type, const char *id)
{
	for (size_t i = 0; i < as->n; i++)
		if (strcmp(as->v[i].type, type) == 0 &&
		    strcmp(as->v[i].id, id) == 0)
			return &as->v[i];
	return NULL;
}

/*
 * Walks the causal chain of record g: g and every record that it led to,
 * directly or not (a cause comes before what it caused, so one pass
 * does). Collects the agents with records in it into *as; returns the
 * chain's length.
 */
static size_t cc_chain(const cc_log *l, uint64_t g, cc_agents *as)
{
	const pu_recs *rs = &l->rs;
	bool *in = calloc(rs->n, sizeof *in);
	assert_non_null(in);
	memset(as, 0, sizeof *as);
	size_t len = 0;
	for (size_t i = g - 1; i < rs->n; i++) {
		const pu_rec *r = &rs->v[i];
		in[i] = i == g - 1 || (r->has_cause && r->cause_gseq >= g &&
				       in[r->cause_gseq - 1]);
		if (!in[i])
			continue;
		len++;
		cc_agent *a = cc_agent_find(as, r->type, r->id);
		if (a == NULL) {
			assert_true(as->n < CC_AGENTS_MAX);
			a = &as->v[as->n++];
			a->type = r->type;
			a->id = r->id;
			a->k = r->seq;
			a->n = pu_count(rs, r->type, r->id);
		}
		a->d++;
	}
	free(in);
	return len;
}

/* Tallies the changes by agent; every one must be of an agent in *as. */
static void cc_tally(const vchgs *cs, cc_agents *as)
{
	for (size_t i = 0; i < cs->n; i++) {
		const vchg *c = &cs->v[i];
		cc_agent *a = cc_agent_find(as, c->type, c->id);
		if (a == NULL) {
			print_message("change %zu is of an agent not expected "
				      "to change:\n",
				      i);
			vchgs_print(cs, 40);
		}
		assert_non_null(a);
		switch (c->kind) {
		case HS_WHATIF_CHANGED:
			a->changed++;
			break;
		case HS_WHATIF_MISSING:
			a->missing++;
			break;
		case HS_WHATIF_EXTRA:
			a->extra++;
			break;
		case HS_WHATIF_FINAL:
			a->final++;
			break;
		}
	}
}

/* No edits: nothing differs, whatever the bound. */
static void test_cc_no_edits(void **state)
{
	const cc_log *l = *state;
	vchgs cs = {0};
	cc_whatif(l, NULL, 0, 0, &cs);
	if (cs.n != 0)
		vchgs_print(&cs, 20);
	assert_int_equal(cs.n, 0);
	/* Bounds fall between causes and what they sent; right after the
	 * solo fan, all its messages were still on their way. */
	for (uint64_t to = 1; to <= l->rs.n; to += 97) {
		cc_whatif(l, NULL, 0, to, &cs);
		if (cs.n != 0)
			vchgs_print(&cs, 20);
		assert_int_equal(cs.n, 0);
	}
	for (uint64_t to = l->solo; to <= l->solo + 3; to++) {
		cc_whatif(l, NULL, 0, to, &cs);
		assert_int_equal(cs.n, 0);
	}
	free(cs.v);
}

/*
 * Dropping the solo fan. Its causal chain: the fan (solo seq 1), the add
 * SOLO_N to c1, the fwd of solo2 (its seq 1) and the add SOLO_N to c2 it
 * sends. Everything else runs as in history, so only these agents
 * differ:
 *  - solo and solo2: their only record is MISSING;
 *  - c1 and c2: from the seq k of the add on, each later event moves one
 *    seq down, with a state SOLO_N lower than history's at that seq
 *    (every other amount is far smaller): n - k CHANGED, then seq n
 *    MISSING;
 *  - a FINAL for each of the four.
 * That is, per agent, its records from its first one in the chain on,
 * plus one.
 */
static void test_cc_drop(void **state)
{
	const cc_log *l = *state;
	cc_agents as;
	assert_int_equal(cc_chain(l, l->solo, &as), 4);
	assert_int_equal(as.n, 4);
	size_t expected = 0;
	for (size_t i = 0; i < as.n; i++) {
		const cc_agent *a = &as.v[i];
		assert_int_equal(a->d, 1);
		if (strcmp(a->type, "relay") == 0)
			assert_int_equal(a->n, 1);
		expected += a->n - a->k + 1 + 1;
	}
	assert_non_null(cc_agent_find(&as, "cnt", "c1"));
	assert_non_null(cc_agent_find(&as, "cnt", "c2"));

	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = l->solo};
	vchgs cs = {0};
	cc_whatif(l, &e, 1, 0, &cs);
	print_message("drop of gseq %" PRIu64 ": %zu changes (expected "
		      "%zu)\n",
		      l->solo, cs.n, expected);
	cc_tally(&cs, &as);
	for (size_t i = 0; i < as.n; i++) {
		const cc_agent *a = &as.v[i];
		assert_int_equal(a->changed, a->n - a->k);
		assert_int_equal(a->missing, 1);
		assert_int_equal(a->extra, 0);
		assert_int_equal(a->final, 1);
	}
	assert_int_equal(cs.n, expected);
	for (size_t i = 0; i < cs.n; i++) {
		const vchg *c = &cs.v[i];
		const cc_agent *a = cc_agent_find(&as, c->type, c->id);
		if (c->kind == HS_WHATIF_CHANGED)
			assert_true(c->seq >= a->k && c->seq < a->n);
		if (c->kind == HS_WHATIF_MISSING)
			assert_int_equal(c->seq, a->n);
	}
	/* The fan comes first: nothing before it changed. */
	assert_int_equal(cs.v[0].kind, HS_WHATIF_MISSING);
	assert_string_equal(cs.v[0].id, "solo");
	assert_int_equal(cs.v[0].hist.gseq, l->solo);
	free(cs.v);
}

/*
 * Replacing the solo fan by fan {x: cz, r: solo2, y: cw, n: 7}: the
 * what-if fan sends other messages than history's, which are re-derived
 * and delivered right after it, breadth-first. The run matches history
 * one to one before the fan, so the fan is at what-if gseq solo; then at
 * solo + 1 the add 7 to cz (new: EXTRA), at solo + 2 solo2's fwd {to:
 * cw, n: 7} (CHANGED: history's was {to: c2, n: SOLO_N}), at solo + 3
 * the add 7 it sends to cw (EXTRA). History's adds to c1 and c2 are no
 * longer sent: c1 and c2 differ from the seq of that add on as in
 * test_cc_drop. A FINAL for solo, solo2, c1, c2, cz and cw.
 */
static void test_cc_replace(void **state)
{
	const cc_log *l = *state;
	cc_agents as;
	assert_int_equal(cc_chain(l, l->solo, &as), 4);
	size_t expected = 4 + 6;
	for (size_t i = 0; i < as.n; i++)
		if (strcmp(as.v[i].type, "cnt") == 0)
			expected += as.v[i].n - as.v[i].k + 1;
	assert_true(as.n + 2 <= CC_AGENTS_MAX);
	as.v[as.n++] = (cc_agent){.type = "cnt", .id = "cz"};
	as.v[as.n++] = (cc_agent){.type = "cnt", .id = "cw"};

	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "x:s r:s y:s n:I", "cz", "solo2", "cw",
			      (int64_t)7));
	hs_edit e = {.kind = HS_EDIT_REPLACE,
		     .gseq = l->solo,
		     .body = b.data,
		     .body_len = b.len};
	vchgs cs = {0};
	cc_whatif(l, &e, 1, 0, &cs);
	hs_buf_free(&b);
	print_message("replace of gseq %" PRIu64 ": %zu changes (expected "
		      "%zu)\n",
		      l->solo, cs.n, expected);
	if (cs.n != expected)
		vchgs_print(&cs, 40);
	assert_int_equal(cs.n, expected);

	const vchg *c = &cs.v[0];
	assert_int_equal(c->kind, HS_WHATIF_CHANGED);
	assert_string_equal(c->id, "solo");
	assert_int_equal(c->wif.gseq, l->solo);
	assert_int_equal(c->wif.n, 7);
	assert_int_equal(c->hist.n, SOLO_N);
	c = &cs.v[1];
	assert_int_equal(c->kind, HS_WHATIF_EXTRA);
	assert_string_equal(c->type, "cnt");
	assert_string_equal(c->id, "cz");
	assert_int_equal(c->seq, 1);
	assert_int_equal(c->wif.gseq, l->solo + 1);
	assert_string_equal(c->wif.event, "add");
	assert_int_equal(c->wif.n, 7);
	assert_string_equal(c->wif.cause_id, "solo");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, l->solo);
	c = &cs.v[2];
	assert_int_equal(c->kind, HS_WHATIF_CHANGED);
	assert_string_equal(c->id, "solo2");
	assert_int_equal(c->seq, 1);
	assert_int_equal(c->wif.gseq, l->solo + 2);
	assert_string_equal(c->wif.to, "cw");
	assert_int_equal(c->wif.n, 7);
	assert_string_equal(c->wif.cause_id, "solo");
	assert_int_equal(c->wif.cause_gseq, l->solo);
	assert_string_equal(c->hist.to, "c2");
	assert_int_equal(c->hist.n, SOLO_N);
	assert_int_equal(c->hist.cause_gseq, l->solo);
	assert_true(c->hist.gseq > l->solo);
	c = &cs.v[3];
	assert_int_equal(c->kind, HS_WHATIF_EXTRA);
	assert_string_equal(c->id, "cw");
	assert_int_equal(c->seq, 1);
	assert_int_equal(c->wif.gseq, l->solo + 3);
	assert_int_equal(c->wif.n, 7);
	assert_string_equal(c->wif.cause_type, "relay");
	assert_string_equal(c->wif.cause_id, "solo2");
	assert_int_equal(c->wif.cause_seq, 1);
	assert_int_equal(c->wif.cause_gseq, l->solo + 2);

	cc_tally(&cs, &as);
	for (size_t i = 0; i < as.n; i++) {
		const cc_agent *a = &as.v[i];
		assert_int_equal(a->final, 1);
		if (strcmp(a->id, "cz") == 0 || strcmp(a->id, "cw") == 0) {
			assert_int_equal(a->extra, 1);
			assert_int_equal(a->changed + a->missing, 0);
		} else if (strcmp(a->type, "relay") == 0) {
			assert_int_equal(a->changed, 1);
			assert_int_equal(a->missing + a->extra, 0);
		} else {
			assert_int_equal(a->changed, a->n - a->k);
			assert_int_equal(a->missing, 1);
			assert_int_equal(a->extra, 0);
		}
	}
	/* The new counters end at 7. */
	for (size_t i = 0; i < cs.n; i++) {
		c = &cs.v[i];
		if (c->kind == HS_WHATIF_FINAL &&
		    (strcmp(c->id, "cz") == 0 || strcmp(c->id, "cw") == 0))
			assert_string_equal(c->wjson, "{\"n\":7}");
	}
	free(cs.v);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_edits),      T(test_cascade_past_bound),
		T(test_drop_cause),    T(test_drop_shifts),
		T(test_replace_body),  T(test_replace_type),
		T(test_insert),        T(test_insert_order),
		T(test_breadth_first), T(test_to_gseq),
		T(test_bad_edits),     T(test_read_only_runtime),
		T(test_fn_stops),
	};
	const struct CMUnitTest cc_tests[] = {
		cmocka_unit_test(test_cc_no_edits),
		cmocka_unit_test(test_cc_drop),
		cmocka_unit_test(test_cc_replace),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	return failed + cmocka_run_group_tests_name("concurrent log", cc_tests,
						    cc_setup, cc_teardown);
}
