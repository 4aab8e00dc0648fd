/* The registry's shard table: open addressing over (hash, agent) with
 * tombstones for agents that left (agent/registry.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "util.h"
#include "agent/registry.h"

static hsi_type ty;

static hsi_agent *mk(int i, uint32_t hash)
{
	char id[32];
	int n = snprintf(id, sizeof id, "agent-%d", i);
	hsi_agent *a;
	assert_int_equal(hsi_agent_new(&ty, id, (size_t)n, hash, false, &a), 0);
	return a;
}

static hsi_agent *find(hsi_shard *s, int i, uint32_t hash)
{
	char id[32];
	int n = snprintf(id, sizeof id, "agent-%d", i);
	return hsi_registry_find(s, &ty, id, (size_t)n, hash);
}

/* Removes agents whose number (after "agent-") is in the given parity. */
static bool drop_parity(hsi_agent *a, void *udata)
{
	int parity = *(int *)udata;
	if (atoi(a->id + 6) % 2 != parity)
		return false;
	hsi_agent_free(a);
	return true;
}

static bool drop_all(hsi_agent *a, void *udata)
{
	(void)udata;
	hsi_agent_free(a);
	return true;
}

static void free_one(hsi_agent *a, void *udata)
{
	(void)udata;
	hsi_agent_free(a);
}

static void setup_type(void)
{
	memset(&ty, 0, sizeof ty);
	ty.def.state_size = 8;
	strcpy(ty.name, "t");
	ty.name_len = 1;
}

/* Agents that share a home slot stay findable when the ones before them
 * in the probe run leave; the tombstones are reused. */
static void test_collisions_and_tombstones(void **state)
{
	(void)state;
	setup_type();
	hsi_registry r;
	assert_int_equal(hsi_registry_init(&r), 0);
	hsi_shard *s = &r.shards[0];
	const int n = 40;
	/* Same hash for all: one probe run. */
	for (int i = 0; i < n; i++)
		assert_int_equal(hsi_registry_insert(s, mk(i, 0)), 0);
	assert_int_equal(s->count, n);
	for (int i = 0; i < n; i++)
		assert_non_null(find(s, i, 0));
	assert_null(find(s, n, 0));
	/* A different hash in the same run is not confused with them. */
	assert_null(find(s, 3, 64));

	int even = 0;
	assert_int_equal(hsi_registry_sweep(s, drop_parity, &even, 1000),
			 n / 2);
	assert_int_equal(s->count, n / 2);
	assert_int_equal(s->gone, n / 2);
	for (int i = 0; i < n; i++) {
		if (i % 2 == 0)
			assert_null(find(s, i, 0));
		else
			assert_non_null(find(s, i, 0));
	}
	/* Back in: into tombstones, and found. */
	for (int i = 0; i < n; i += 2)
		assert_int_equal(hsi_registry_insert(s, mk(i, 0)), 0);
	assert_int_equal(s->count, n);
	assert_true(s->gone < (size_t)n / 2);
	for (int i = 0; i < n; i++)
		assert_non_null(find(s, i, 0));
	hsi_registry_destroy(&r, free_one, NULL);
}

/* Agents coming and going for long: the table stays bounded (tombstones
 * are cleared by rehashing) and every lookup ends. */
static void test_churn_stays_bounded(void **state)
{
	(void)state;
	setup_type();
	hsi_registry r;
	assert_int_equal(hsi_registry_init(&r), 0);
	hsi_shard *s = &r.shards[5];
	int next = 0;
	for (int round = 0; round < 2000; round++) {
		for (int k = 0; k < 10; k++, next++) {
			uint32_t h = (uint32_t)next * 2654435761u;
			h = h - h % HSI_REGISTRY_SHARDS + 5;
			assert_null(find(s, next, h));
			assert_int_equal(hsi_registry_insert(s, mk(next, h)), 0);
			assert_non_null(find(s, next, h));
		}
		assert_int_equal(hsi_registry_sweep(s, drop_all, NULL, 1000),
				 10);
		assert_int_equal(s->count, 0);
	}
	assert_true(s->nslots <= 64);
	assert_true(4 * (s->count + s->gone) <= 3 * s->nslots);
	hsi_registry_destroy(&r, free_one, NULL);
}

/* Growing keeps every agent findable. */
static void test_growth(void **state)
{
	(void)state;
	setup_type();
	hsi_registry r;
	assert_int_equal(hsi_registry_init(&r), 0);
	hsi_shard *s = &r.shards[1];
	const int n = 5000;
	for (int i = 0; i < n; i++) {
		uint32_t h = (uint32_t)i * 40503u * HSI_REGISTRY_SHARDS + 1;
		assert_int_equal(hsi_registry_insert(s, mk(i, h)), 0);
	}
	assert_true(s->nslots >= 2 * (size_t)n / 2);
	for (int i = 0; i < n; i++) {
		uint32_t h = (uint32_t)i * 40503u * HSI_REGISTRY_SHARDS + 1;
		hsi_agent *a = find(s, i, h);
		assert_non_null(a);
		assert_int_equal(a->hash, h);
	}
	hsi_registry_destroy(&r, free_one, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collisions_and_tombstones),
		cmocka_unit_test(test_churn_stays_bounded),
		cmocka_unit_test(test_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
