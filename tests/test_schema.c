/*
 * Schema evolution: records carry the event and state versions of the
 * code that wrote them (docs/FORMAT.md, record version 2), and today's
 * code reads old events through registered upcasters and old snapshots by
 * its rule, for activation, replay, verify and what-if alike. Most tests
 * read a copy of tests/fixtures/meter-v1v2, a log written by versions 1
 * and 2 of the "meter" type (tests/schema/meter.h, make_meter_log.c):
 *
 *   gseq 1-4   m1 seq 1-4 (v1): add n=5, add n=7, reset, add n=2
 *   gseq 5-8   m2 seq 1-4 (v1): add n=1 x3, add n=10
 *   gseq 9-10  m1 seq 5-6 (v2): add amount=100, amount=1
 *   gseq 11    m2 seq 5 (v2):   add amount=3
 *   gseq 12    m3 seq 1 (v2):   add amount=4
 *   snapshots: m1 at 3 (v1 state) and 6 (v2), m2 at 3 (v1)
 */
#include "util.h"

#include "persist_util.h"

#include "codec/record.h"
#include "meter.h"

#ifndef HS_FIXTURES_DIR
#error "HS_FIXTURES_DIR must name tests/fixtures"
#endif

/* A copy of the fixture in a fresh directory (the caller frees). */
static char *fixture_copy(void)
{
	char *dir = pu_mkdtemp("schema");
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "cp -r '%s/meter-v1v2' '%s/log'",
		 HS_FIXTURES_DIR, dir);
	assert_int_equal(system(cmd), 0);
	size_t n = strlen(dir) + 8;
	char *path = malloc(n);
	assert_non_null(path);
	snprintf(path, n, "%s/log", dir);
	free(dir);
	return path;
}

static hs_runtime *open_meter(const char *path, bool read_only, int version,
			      unsigned flags)
{
	hs_options o;
	hs_runtime *rt;
	char err[512];
	hs_options_init(&o);
	o.path = path;
	o.read_only = read_only;
	o.workers = 1;
	int rc = hs_open_err(&rt, &o, err, sizeof(err));
	if (rc != 0)
		print_error("open %s: %s\n", path, err);
	assert_hs(0, rc);
	assert_hs(0, meter_register(rt, version, flags));
	return rt;
}

static void assert_state_at(hs_runtime *rt, const char *id, uint64_t seq,
			    int64_t sum, int64_t adds)
{
	hs_buf b = HS_BUF_INIT;
	int rc = hs_state_at(rt, "meter", id, hs_at_seq(seq), &b, NULL);
	if (rc != 0) {
		char err[512];
		hs_last_error(rt, err, sizeof(err));
		print_error("state of %s at %llu: %s\n", id,
			    (unsigned long long)seq, err);
	}
	assert_hs(0, rc);
	int64_t s, a;
	assert_hs(0, hs_get_i64(b.data, b.len, "sum", &s));
	assert_hs(0, hs_get_i64(b.data, b.len, "adds", &a));
	if (s != sum || a != adds)
		print_error("%s at %llu: sum %lld adds %lld, expected %lld "
			    "%lld\n",
			    id, (unsigned long long)seq, (long long)s,
			    (long long)a, (long long)sum, (long long)adds);
	assert_true(s == sum && a == adds);
	hs_buf_free(&b);
}

static void assert_error_has(hs_runtime *rt, const char *const *parts)
{
	char err[512];
	hs_last_error(rt, err, sizeof(err));
	for (; *parts != NULL; parts++) {
		if (strstr(err, *parts) == NULL) {
			print_error("error '%s' lacks '%s'\n", err, *parts);
			fail();
		}
	}
}

/* ------------------------------------------------------------------ */

static void test_record_versions(void **state)
{
	(void)state;
	hsi_record r = {.type = "t", .type_len = 1, .id = "i", .id_len = 1,
			.seq = 1, .gseq = 7, .event_type = "e",
			.event_type_len = 1, .state_hash = 2};
	hs_buf b = HS_BUF_INIT;
	size_t off;
	hsi_record d;

	/* versions 1 (or 0): the version-1 record, 10 elements */
	r.event_version = 1;
	assert_hs(0, hsi_record_encode(&r, &b, &off));
	assert_int_equal(b.data[0], 0x9a);
	assert_int_equal(b.data[1], 0x01);
	assert_hs(0, hsi_record_decode(b.data, b.len, &d));
	assert_int_equal(d.version, 1);
	assert_int_equal(d.event_version, 1);
	assert_int_equal(d.state_version, 1);

	/* any version above 1: version 2, 12 elements, the two appended */
	hs_buf_reset(&b);
	r.event_version = 3;
	r.state_version = 2;
	assert_hs(0, hsi_record_encode(&r, &b, &off));
	assert_int_equal(b.data[0], 0x9c);
	assert_int_equal(b.data[1], 0x02);
	assert_int_equal(b.data[b.len - 2], 0x03);
	assert_int_equal(b.data[b.len - 1], 0x02);
	hsi_record_patch_gseq(b.data, off, 9);
	assert_hs(0, hsi_record_decode(b.data, b.len, &d));
	assert_int_equal(d.version, 2);
	assert_int_equal(d.gseq, 9);
	assert_int_equal(d.event_version, 3);
	assert_int_equal(d.state_version, 2);
	assert_int_equal(d.state_hash, 2);
	hs_buf_free(&b);
}

static int nop_up(const char *event, const void *data, size_t len,
		  hs_buf *out, void *udata)
{
	(void)event;
	(void)udata;
	return hsi_buf_append(out, data, len);
}

static void test_register_checks(void **state)
{
	(void)state;
	hs_runtime *rt = hsu_open(1, 0);
	hs_type t = hsu_counter_type("c", HS_ON_ERROR_FAIL);
	hs_upcaster u[2] = {{"e", 1, nop_up}, {"e", 1, NULL}};

	t.event_upcasters = u;
	t.event_upcasters_len = 1;
	assert_hs(HS_EINVAL, hs_register(rt, &t)); /* version 1: no step */
	t.event_version = 2;
	t.event_upcasters_len = 2;
	assert_hs(HS_EINVAL, hs_register(rt, &t)); /* the same step twice */
	u[1].from_version = 2;
	assert_hs(HS_EINVAL, hs_register(rt, &t)); /* 2 -> 3 past version 2 */
	u[1].from_version = 0;
	assert_hs(HS_EINVAL, hs_register(rt, &t));
	u[1] = (hs_upcaster){NULL, 1, NULL}; /* catch-all beside its own */
	t.old_snapshots = 7;
	assert_hs(HS_EINVAL, hs_register(rt, &t));
	t.old_snapshots = HS_OLD_SNAPSHOTS_UPCAST;
	t.state_upcasters = u;
	t.state_upcasters_len = 1; /* state version 1: no step */
	assert_hs(HS_EINVAL, hs_register(rt, &t));
	t.state_version = 2;
	assert_hs(0, hs_register(rt, &t));
	assert_hs(0, hs_close(rt));
}

/* A new log: records of versioned types carry their versions, and an
 * unversioned type writes version-1 records. */
static void test_writes_versions(void **state)
{
	(void)state;
	char *dir = pu_mkdtemp("schema-new");
	hs_runtime *rt = open_meter(dir, false, 3, 0);
	hsu_register_counter(rt, "plain", HS_ON_ERROR_FAIL);
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "amount:i unit:s", 2, "kWh"));
	assert_hs(0, hs_send_wait(rt, "meter", "x", "add", b.data, b.len,
				  NULL));
	assert_hs(0, hs_send_wait(rt, "plain", "y", "inc", NULL, 0, NULL));
	assert_state_at(rt, "x", 1, 2000, 1);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));

	hsi_log *log;
	char err[256];
	assert_hs(0, hsi_log_open(dir, HSI_LOG_READONLY, &log, err,
				  sizeof(err)));
	hsi_record r;
	for (uint64_t g = 1; g <= 2; g++) {
		hs_buf_reset(&b);
		assert_hs(0, hsi_log_get_event(log, g, &b));
		assert_hs(0, hsi_record_decode(b.data, b.len, &r));
		if (r.type[0] == 'm') {
			assert_int_equal(r.version, 2);
			assert_int_equal(r.event_version, 3);
			assert_int_equal(r.state_version, 2);
		} else {
			assert_int_equal(r.version, 1);
		}
	}
	hsi_log_close(log);
	hs_buf_free(&b);
	pu_rmtree(dir);
	free(dir);
}

/* Activation: m1 from its v2 snapshot at 6, m2 from its events (the v1
 * snapshot at 3 is ignored), both then handle a new event. */
static void test_fixture_activate(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, false, 3, 0);
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "amount:i unit:s", 1, "kWh"));
	assert_hs(0, hs_send_wait(rt, "meter", "m1", "add", b.data, b.len,
				  NULL));
	assert_hs(0, hs_send_wait(rt, "meter", "m2", "add", b.data, b.len,
				  NULL));
	hs_buf_reset(&b);
	assert_hs(0, hs_deref(rt, "meter", "m2", &b));
	int64_t sum, adds;
	assert_hs(0, hs_get_i64(b.data, b.len, "sum", &sum));
	assert_hs(0, hs_get_i64(b.data, b.len, "adds", &adds));
	assert_int_equal(sum, 1016);
	assert_int_equal(adds, 6);
	assert_state_at(rt, "m1", 7, 1103, 6);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));

	/* Reopened: the new records are of version 3 and read back. */
	rt = open_meter(path, true, 3, 0);
	assert_state_at(rt, "m2", 6, 1016, 6);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

static void test_fixture_state_at(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, true, 3, 0);
	assert_state_at(rt, "m1", 1, 5, 1);
	assert_state_at(rt, "m1", 4, 2, 3);
	assert_state_at(rt, "m1", 6, 103, 5);
	assert_state_at(rt, "m2", 5, 16, 5);
	assert_state_at(rt, "m3", 1, 4, 1);
	assert_hs(0, hs_close(rt));

	/* The other rule: old snapshots upcast (adds starts at 0 there). */
	rt = open_meter(path, true, 3, METER_UPCAST_SNAPSHOTS);
	assert_state_at(rt, "m1", 4, 2, 1);
	assert_state_at(rt, "m1", 6, 103, 5); /* its own v2 snapshot */
	assert_state_at(rt, "m2", 5, 16, 2);
	assert_hs(0, hs_close(rt));

	/* Version 2 code reads the v1 events through one step. */
	rt = open_meter(path, true, 2, 0);
	assert_state_at(rt, "m2", 5, 16, 5);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

typedef struct seen {
	int n;
	char bodies[8][64];
	unsigned ev[8], rec_ev[8], st[8];
	int64_t sums[8];
} seen;

static int on_record(void *udata, const hs_record *r)
{
	seen *s = udata;
	if (s->n == 8)
		return 1;
	hs_buf j = HS_BUF_INIT;
	if (r->body_len != 0)
		hs_json(&j, r->body, r->body_len, 0);
	snprintf(s->bodies[s->n], sizeof(s->bodies[0]), "%.*s", (int)j.len,
		 j.len ? (const char *)j.data : "");
	hs_buf_free(&j);
	s->ev[s->n] = r->event_version;
	s->rec_ev[s->n] = r->recorded_event_version;
	s->st[s->n] = r->state_version;
	s->sums[s->n] = -1;
	if (r->state != NULL)
		hs_get_i64(r->state, r->state_len, "sum", &s->sums[s->n]);
	s->n++;
	return 0;
}

static void test_fixture_history(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, true, 3, 0);
	hs_filter f = {.type = "meter", .id = "m1",
		       .flags = HS_HISTORY_STATES | HS_HISTORY_UPCAST};
	seen s = {0};
	assert_hs(0, hs_history(rt, &f, on_record, &s));
	assert_int_equal(s.n, 6);
	assert_string_equal(s.bodies[0], "{\"amount\":5,\"unit\":\"Wh\"}");
	assert_string_equal(s.bodies[2], "");
	assert_string_equal(s.bodies[4], "{\"amount\":100,\"unit\":\"Wh\"}");
	assert_int_equal(s.ev[0], 3);
	assert_int_equal(s.rec_ev[0], 1);
	assert_int_equal(s.st[0], 1);
	assert_int_equal(s.rec_ev[4], 2);
	assert_int_equal(s.st[4], 2);
	int64_t sums[6] = {5, 12, 0, 2, 102, 103};
	for (int i = 0; i < 6; i++)
		assert_int_equal(s.sums[i], sums[i]);

	/* Without HS_HISTORY_UPCAST: as recorded. Reversed: states rebuilt
	 * one by one (from the v2 snapshot, or from the events). */
	f.flags = HS_HISTORY_STATES;
	f.reverse = true;
	memset(&s, 0, sizeof(s));
	assert_hs(0, hs_history(rt, &f, on_record, &s));
	assert_int_equal(s.n, 6);
	assert_string_equal(s.bodies[5], "{\"n\":5}");
	assert_int_equal(s.ev[5], 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(s.sums[5 - i], sums[i]);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

typedef struct found {
	int n;
	hs_divergence_kind kind[4];
	unsigned rec_ev[4];
	int rc[4];
	char id[4][8];
	char msg[4][256];
} found;

static int on_divergence(void *udata, const hs_divergence *d)
{
	found *f = udata;
	if (f->n < 4) {
		f->kind[f->n] = d->kind;
		f->rec_ev[f->n] = d->record.recorded_event_version;
		f->rc[f->n] = d->apply_rc;
		snprintf(f->id[f->n], sizeof(f->id[0]), "%s", d->record.agent.id);
		snprintf(f->msg[f->n], sizeof(f->msg[0]), "%s",
			 d->error_msg ? d->error_msg : "");
	}
	f->n++;
	return 0;
}

static void test_fixture_verify(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, true, 3, 0);
	hs_verify_report rep;
	found f = {0};
	assert_hs(0, hs_verify(rt, NULL, on_divergence, &f, &rep));
	assert_int_equal(f.n, 0);
	assert_int_equal(rep.records, 12);
	assert_int_equal(rep.agents, 3);
	assert_int_equal(rep.divergences, 0);
	assert_int_equal(rep.upcast, 12);   /* all of them: 1->3 or 2->3 */
	assert_int_equal(rep.unhashed, 8);  /* the v1 records' state hashes */

	/* From gseq 9: each agent starts from its snapshot before it. */
	hs_filter scope = {.from_gseq = 9};
	assert_hs(0, hs_verify(rt, &scope, on_divergence, &f, &rep));
	assert_int_equal(f.n, 0);
	assert_int_equal(rep.records, 4);
	assert_int_equal(rep.unhashed, 0);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

/* Without the upcaster of "add" from version 1: everything that reads a
 * v1 add fails with HS_ESCHEMA, naming the type, event and versions. */
static void test_fixture_missing_upcaster(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, false, 3, METER_NO_ADD_UPCASTER);
	static const char *const want[] = {
		"meter/m2", "event 'add' of type 'meter'",
		"recorded at event version 1",
		"no upcaster from version 1 to 2",
		"the code is at event version 3", NULL};
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_ESCHEMA,
		  hs_state_at(rt, "meter", "m2", hs_at_seq(5), &b, NULL));
	assert_error_has(rt, want);
	/* Activation, as the first send to it. */
	assert_hs(HS_ESCHEMA, hs_send(rt, "meter", "m2", "reset", NULL, 0));
	assert_error_has(rt, want);
	/* m1 activates from its v2 snapshot; its past does not. */
	assert_hs(0, hs_deref(rt, "meter", "m1", &b));
	assert_hs(HS_ESCHEMA,
		  hs_state_at(rt, "meter", "m1", hs_at_seq(2), &b, NULL));
	/* History with states stops there too; as recorded it reads. */
	hs_filter hf = {.type = "meter", .id = "m2",
			.flags = HS_HISTORY_UPCAST};
	seen s = {0};
	assert_hs(HS_ESCHEMA, hs_history(rt, &hf, on_record, &s));
	hf.flags = 0;
	memset(&s, 0, sizeof(s));
	assert_hs(0, hs_history(rt, &hf, on_record, &s));
	assert_int_equal(s.n, 5);

	hs_verify_report rep;
	found f = {0};
	assert_hs(0, hs_verify(rt, NULL, on_divergence, &f, &rep));
	assert_int_equal(rep.divergences, 2);
	assert_int_equal(f.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(f.kind[i], HS_DIVERGE_VERSION);
		assert_int_equal(f.rc[i], HS_ESCHEMA);
		assert_int_equal(f.rec_ev[i], 1);
		assert_non_null(strstr(f.msg[i], "no upcaster from version 1 "
						 "to 2"));
	}
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

/* Version 1 code on a log with version 2 records: newer than the code. */
static void test_fixture_newer(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, true, 1, 0);
	hs_buf b = HS_BUF_INIT;
	assert_hs(HS_ESCHEMA,
		  hs_state_at(rt, "meter", "m3", hs_at_seq(1), &b, NULL));
	static const char *const want[] = {
		"event 'add' of type 'meter' was recorded at event version 2",
		"newer than the code's 1", NULL};
	assert_error_has(rt, want);
	/* Its own records still read. */
	assert_hs(0, hs_state_at(rt, "meter", "m1", hs_at_seq(4), &b, NULL));
	hs_verify_report rep;
	found f = {0};
	assert_hs(0, hs_verify(rt, NULL, on_divergence, &f, &rep));
	assert_int_equal(rep.divergences, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(f.kind[i], HS_DIVERGE_VERSION);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

typedef struct changes {
	int n, final;
	char final_id[8];
	char final_whatif[128];
} changes;

static int on_change(void *udata, const hs_whatif_change *c)
{
	changes *ch = udata;
	ch->n++;
	if (c->kind == HS_WHATIF_FINAL) {
		ch->final++;
		snprintf(ch->final_id, sizeof(ch->final_id), "%s",
			 c->agent.id);
		snprintf(ch->final_whatif, sizeof(ch->final_whatif), "%s",
			 c->whatif_state_json ? c->whatif_state_json : "");
	}
	return 0;
}

static void test_fixture_whatif(void **state)
{
	(void)state;
	char *path = fixture_copy();
	hs_runtime *rt = open_meter(path, true, 3, 0);
	changes ch = {0};
	int rc = hs_whatif(rt, NULL, 0, 0, on_change, &ch);
	if (rc != 0) {
		char err[512];
		hs_last_error(rt, err, sizeof(err));
		print_error("whatif: %s\n", err);
	}
	assert_hs(0, rc);
	assert_int_equal(ch.n, 0); /* history itself */

	/* Drop m2's add n=10 (gseq 8): only m2 changes. */
	hs_edit e = {.kind = HS_EDIT_DROP, .gseq = 8};
	memset(&ch, 0, sizeof(ch));
	assert_hs(0, hs_whatif(rt, &e, 1, 0, on_change, &ch));
	assert_int_equal(ch.final, 1);
	assert_string_equal(ch.final_id, "m2");
	assert_non_null(strstr(ch.final_whatif, "\"sum\":6"));
	assert_non_null(strstr(ch.final_whatif, "\"adds\":4"));

	/* Replace m1's reset (gseq 3) with an add in today's shape. */
	hs_buf b = HS_BUF_INIT;
	assert_hs(0, hs_packf(&b, "amount:i unit:s", 1, "kWh"));
	hs_edit r = {.kind = HS_EDIT_REPLACE, .gseq = 3, .event_type = "add",
		     .body = b.data, .body_len = b.len};
	memset(&ch, 0, sizeof(ch));
	assert_hs(0, hs_whatif(rt, &r, 1, 0, on_change, &ch));
	assert_int_equal(ch.final, 1);
	assert_string_equal(ch.final_id, "m1");
	assert_non_null(strstr(ch.final_whatif, "\"sum\":1115"));
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	pu_rmtree(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_versions),
		cmocka_unit_test(test_register_checks),
		cmocka_unit_test(test_writes_versions),
		cmocka_unit_test(test_fixture_activate),
		cmocka_unit_test(test_fixture_state_at),
		cmocka_unit_test(test_fixture_history),
		cmocka_unit_test(test_fixture_verify),
		cmocka_unit_test(test_fixture_missing_upcaster),
		cmocka_unit_test(test_fixture_newer),
		cmocka_unit_test(test_fixture_whatif),
	};
	return cmocka_run_group_tests(tests, NULL, pu_cleanup_dirs);
}
