/* Tests of runtime/common/addr_map.c: the (type, id) map. Allocations can
 * be made to fail: tests/CMakeLists.txt links this test with
 * --wrap=malloc,--wrap=calloc,--wrap=realloc, which routes the library's
 * calls through the __wrap_ functions below. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hindsight.h"
#include "common/addr_map.h"
#include "common/hash.h"

/* ------------------------------------------------------------------ */
/* Allocations that fail on request                                     */
/* ------------------------------------------------------------------ */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);

static unsigned long allocs;  /* calls so far */
static unsigned long fail_at; /* the call that fails (1-based); 0: none */

static int fail_now(void)
{
	return ++allocs == fail_at;
}

void *__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

typedef struct val {
	uint64_t n;
	char tag[24];
} val;

static val *add(hsi_addr_map *m, const char *type, const char *id,
		bool expect_new)
{
	void *v = NULL;
	bool created = !expect_new;

	assert_int_equal(hsi_addr_map_find_or_add(m, type, strlen(type), id,
						  strlen(id), &v, &created),
			 0);
	assert_non_null(v);
	assert_int_equal(created, expect_new);
	return v;
}

static val *find(const hsi_addr_map *m, const char *type, const char *id)
{
	return hsi_addr_map_find(m, type, strlen(type), id, strlen(id));
}

/* The slot a key starts probing at in a table of nslots, as the map
 * hashes it (addr_map.c): FNV-1a of type, NUL, id, then mixed. */
static size_t home(const char *type, const char *id, size_t nslots)
{
	uint64_t h = hsi_fnv1a(HSI_FNV_SEED, type, strlen(type));
	h = hsi_fnv1a(h, "", 1);
	return hsi_mix64(hsi_fnv1a(h, id, strlen(id))) & (nslots - 1);
}

/* ------------------------------------------------------------------ */
/* Tests                                                                */
/* ------------------------------------------------------------------ */

static void test_empty(void **state)
{
	(void)state;
	hsi_addr_map m;

	hsi_addr_map_init(&m, sizeof(val));
	allocs = 0;
	assert_null(find(&m, "ship", "Gloria"));
	assert_null(hsi_addr_map_find(&m, "", 0, "", 0));
	assert_int_equal(m.count, 0);
	assert_int_equal(allocs, 0);
	hsi_addr_map_free(&m);
	hsi_addr_map_free(&m);
	assert_int_equal(m.value_size, sizeof(val));

	/* A zeroed map can be freed too. */
	hsi_addr_map z;
	memset(&z, 0, sizeof(z));
	hsi_addr_map_free(&z);
}

static void test_add_find(void **state)
{
	(void)state;
	hsi_addr_map m;

	hsi_addr_map_init(&m, sizeof(val));
	val *a = add(&m, "ship", "Gloria", true);
	assert_int_equal(a->n, 0); /* zeroed */
	a->n = 7;
	strcpy(a->tag, "gloria");
	val *b = add(&m, "port", "Oslo", true);
	b->n = 9;
	assert_int_equal(m.count, 2);

	assert_ptr_equal(find(&m, "ship", "Gloria"), a); /* nothing added */
	assert_int_equal(find(&m, "ship", "Gloria")->n, 7);
	assert_int_equal(find(&m, "port", "Oslo")->n, 9);
	assert_ptr_equal(add(&m, "ship", "Gloria", false), a);
	assert_int_equal(m.count, 2);
	assert_null(find(&m, "ship", "Oslo"));
	assert_null(find(&m, "port", "Gloria"));
	assert_null(find(&m, "ship", "gloria"));

	/* created may be NULL. */
	void *v;
	assert_int_equal(
		hsi_addr_map_find_or_add(&m, "ship", 4, "Gloria", 6, &v, NULL),
		0);
	assert_ptr_equal(v, a);

	hsi_addr_key k = hsi_addr_map_key(&m, 0);
	assert_int_equal(k.type_len, 4);
	assert_string_equal(k.type, "ship");
	assert_int_equal(k.id_len, 6);
	assert_string_equal(k.id, "Gloria");
	assert_ptr_equal(hsi_addr_map_value(&m, 1), b);
	hsi_addr_map_free(&m);
	assert_int_equal(m.count, 0);
	assert_null(find(&m, "ship", "Gloria"));
}

/* Keys are bytes: the type/id boundary, prefixes and NUL bytes count. */
static void test_key_bytes(void **state)
{
	(void)state;
	static const char *ids[] = {"ship",     "ship-1",    "ship-10",
				    "ship-100", "ship-1000", "s",
				    "sh"};
	hsi_addr_map m;

	hsi_addr_map_init(&m, sizeof(val));
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		add(&m, "t", ids[i], true)->n = i + 1;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_int_equal(find(&m, "t", ids[i])->n, i + 1);
	assert_null(find(&m, "t", "ship-"));
	assert_null(find(&m, "t", "ship-10000"));

	/* ("ab", "c") and ("a", "bc") are two agents. */
	add(&m, "ab", "c", true)->n = 100;
	add(&m, "a", "bc", true)->n = 200;
	assert_int_equal(find(&m, "ab", "c")->n, 100);
	assert_int_equal(find(&m, "a", "bc")->n, 200);
	assert_null(find(&m, "abc", ""));

	/* An id with a NUL inside it, and one that is its prefix. */
	void *v;
	bool created;
	assert_int_equal(
		hsi_addr_map_find_or_add(&m, "t", 1, "x\0y", 3, &v, &created),
		0);
	assert_true(created);
	((val *)v)->n = 300;
	assert_int_equal(
		hsi_addr_map_find_or_add(&m, "t", 1, "x", 1, &v, &created), 0);
	assert_true(created);
	((val *)v)->n = 400;
	assert_int_equal(((val *)hsi_addr_map_find(&m, "t", 1, "x\0y", 3))->n,
			 300);
	assert_int_equal(((val *)hsi_addr_map_find(&m, "t", 1, "x", 1))->n,
			 400);
	assert_null(hsi_addr_map_find(&m, "t", 1, "x\0", 2));
	hsi_addr_key k = hsi_addr_map_key(&m, m.count - 2);
	assert_int_equal(k.id_len, 3);
	assert_memory_equal(k.id, "x\0y", 4); /* NUL-terminated as well */

	/* Empty type and id are keys like any other. */
	add(&m, "", "", true)->n = 500;
	assert_int_equal(find(&m, "", "")->n, 500);
	hsi_addr_map_free(&m);
}

/* Keys that start at the same slot of the first table (16 slots) and
 * stay there as it grows: found through the probe chain, each its own. */
static void test_collisions(void **state)
{
	(void)state;
	char ids[10][16];
	size_t n = 0;
	hsi_addr_map m;

	for (unsigned i = 0; n < 10 && i < 1000000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%u", i);
		if (home("t", id, 1024) == 5)
			strcpy(ids[n++], id);
	}
	assert_int_equal(n, 10);

	hsi_addr_map_init(&m, sizeof(val));
	for (size_t i = 0; i < n; i++) {
		add(&m, "t", ids[i], true)->n = i;
		for (size_t j = 0; j <= i; j++)
			assert_int_equal(find(&m, "t", ids[j])->n, j);
	}
	assert_int_equal(m.count, n);
	/* A missing key that lands on the same chain. */
	for (unsigned i = 1000000;; i++) {
		char id[16];
		snprintf(id, sizeof(id), "c%u", i);
		if (home("t", id, 1024) == 5) {
			assert_null(find(&m, "t", id));
			break;
		}
	}
	hsi_addr_map_free(&m);
}

/* Values and keys survive growth; numbers keep the order of addition. */
static void test_growth(void **state)
{
	(void)state;
	hsi_addr_map m;
	char id[32];

	hsi_addr_map_init(&m, sizeof(val));
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "agent-%u", i);
		val *v = add(&m, "grow", id, true);
		v->n = i * 3;
		snprintf(v->tag, sizeof(v->tag), "#%u", i);
		/* Every earlier one is still there, with its value. */
		if ((i & (i + 1)) == 0 || i % 97 == 0) {
			for (unsigned j = 0; j <= i; j++) {
				char jd[32], tag[24];
				snprintf(jd, sizeof(jd), "agent-%u", j);
				snprintf(tag, sizeof(tag), "#%u", j);
				val *w = find(&m, "grow", jd);
				assert_non_null(w);
				assert_int_equal(w->n, j * 3);
				assert_string_equal(w->tag, tag);
			}
		}
	}
	for (size_t i = 0; i < m.count; i++) {
		hsi_addr_key k = hsi_addr_map_key(&m, i);
		snprintf(id, sizeof(id), "agent-%zu", i);
		assert_string_equal(k.type, "grow");
		assert_int_equal(k.id_len, strlen(id));
		assert_string_equal(k.id, id);
		assert_int_equal(((val *)hsi_addr_map_value(&m, i))->n, i * 3);
	}
	hsi_addr_map_free(&m);
}

static void test_many(void **state)
{
	(void)state;
	enum {
		N = 200000
	};
	hsi_addr_map m;
	char type[16], id[32];

	hsi_addr_map_init(&m, sizeof(uint64_t));
	for (unsigned i = 0; i < N; i++) {
		snprintf(type, sizeof(type), "type%u", i % 7);
		snprintf(id, sizeof(id), "%u", i);
		*(uint64_t *)add(&m, type, id, true) = i;
	}
	assert_int_equal(m.count, N);
	for (unsigned i = 0; i < N; i++) {
		snprintf(type, sizeof(type), "type%u", i % 7);
		snprintf(id, sizeof(id), "%u", i);
		uint64_t *v = hsi_addr_map_find(&m, type, strlen(type), id,
						strlen(id));
		assert_non_null(v);
		assert_int_equal(*v, i);
		/* The same id under another type is not there. */
		snprintf(type, sizeof(type), "type%u", (i + 1) % 7);
		assert_null(hsi_addr_map_find(&m, type, strlen(type), id,
					      strlen(id)));
	}
	hsi_addr_map_free(&m);
}

/* Values may be pointers to the caller's own objects. */
static void test_pointer_values(void **state)
{
	(void)state;
	int objs[3] = {10, 20, 30};
	const char *ids[3] = {"a", "b", "c"};
	hsi_addr_map m;

	hsi_addr_map_init(&m, sizeof(int *));
	for (int i = 0; i < 3; i++) {
		void *v;
		assert_int_equal(hsi_addr_map_find_or_add(&m, "p", 1, ids[i],
							  1, &v, NULL),
				 0);
		*(int **)v = &objs[i];
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(**(int **)find(&m, "p", ids[i]), objs[i]);
	hsi_addr_map_free(&m);
}

/*
 * Each allocation of a run of additions fails once in turn: the call that
 * meets it returns HS_ENOMEM and leaves the map as it was, and the run
 * goes on. Finding, and find_or_add of a key that is there, never
 * allocate.
 */
static void test_out_of_memory(void **state)
{
	(void)state;
	enum {
		N = 300
	};
	unsigned long k;
	char id[32];

	for (k = 1;; k++) {
		hsi_addr_map m;
		unsigned long failures = 0;

		hsi_addr_map_init(&m, sizeof(val));
		allocs = 0;
		fail_at = k;
		for (unsigned i = 0; i < N; i++) {
			void *v = NULL;
			bool created = false;

			snprintf(id, sizeof(id), "oom-%u", i);
			size_t before = m.count;
			int rc = hsi_addr_map_find_or_add(
				&m, "t", 1, id, strlen(id), &v, &created);
			if (rc == HS_ENOMEM) {
				failures++;
				assert_int_equal(m.count, before);
				assert_null(v);
				assert_false(created);
				assert_null(find(&m, "t", id));
				assert_int_equal(hsi_addr_map_find_or_add(
							 &m, "t", 1, id,
							 strlen(id), &v,
							 &created),
						 0);
			} else {
				assert_int_equal(rc, 0);
			}
			assert_true(created);
			((val *)v)->n = i;
		}
		fail_at = 0;
		assert_int_equal(m.count, N);

		/* The OOM-free path: lookups and repeats allocate nothing. */
		unsigned long seen = allocs;
		for (unsigned i = 0; i < N; i++) {
			snprintf(id, sizeof(id), "oom-%u", i);
			assert_int_equal(find(&m, "t", id)->n, i);
			assert_int_equal(add(&m, "t", id, false)->n, i);
			assert_int_equal(((val *)hsi_addr_map_value(&m, i))->n,
					 i);
		}
		assert_int_equal(allocs, seen);
		hsi_addr_map_free(&m);
		if (failures == 0)
			break; /* k is past the run's last allocation */
		assert_int_equal(failures, 1);
	}
	/* The wrappers were in the way: every growth was made to fail. */
	assert_true(k > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_key_bytes),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_pointer_values),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
