/* hs_send_at: events that carry their own time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util.h"
#include "persist_util.h"

#define MAX_SEEN 8

typedef struct seen {
	int n;
	int64_t time[MAX_SEEN];
} seen;

static void on_transition(void *udata, const hs_transition *t)
{
	seen *s = udata;
	if (s->n < MAX_SEEN)
		s->time[s->n++] = t->time_ns;
}

static int first_time(void *udata, const hs_record *rec)
{
	int64_t *t = udata;
	t[rec->seq - 1] = rec->time_ns;
	return 0;
}

static void test_times_are_the_events(void **state)
{
	(void)state;
	hsu_reset();
	char *dir = pu_mkdtemp("send-at");
	hs_runtime *rt = pu_open_rt(dir, HS_DURABILITY_NONE, 2, NULL, NULL);
	hsu_register_counter(rt, "c", HS_ON_ERROR_FAIL);
	seen s = {0};
	assert_hs(0, hs_watch(rt, on_transition, &s, NULL));

	const int64_t t0 = 1000000000000000000; /* 2001-09-09 */
	assert_hs(0, hs_send_at(rt, "c", "x", "inc", NULL, 0, t0));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	assert_hs(0, hs_send_at(rt, "c", "x", "inc", NULL, 0, t0 + 5));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* Earlier than the agent's last transition: raised to it. */
	assert_hs(0, hs_send_at(rt, "c", "x", "inc", NULL, 0, t0 - 7));
	assert_hs(0, hs_await(rt, HSU_AWAIT_MS));
	/* Bad input is refused as by hs_send. */
	assert_hs(HS_ENOTYPE, hs_send_at(rt, "nope", "x", "inc", NULL, 0, 1));
	assert_hs(HS_EINVAL, hs_send_at(rt, "c", "", "inc", NULL, 0, 1));

	assert_int_equal(s.n, 3);
	assert_true(s.time[0] == t0);
	assert_true(s.time[1] == t0 + 5);
	assert_true(s.time[2] == t0 + 5);

	/* The log holds the same times, and the past is found by them. */
	int64_t logged[3] = {0};
	hs_filter f = {.type = "c", .id = "x"};
	assert_hs(0, hs_history(rt, &f, first_time, logged));
	assert_memory_equal(logged, s.time, sizeof(logged));
	hs_buf b = HS_BUF_INIT;
	hs_receipt at;
	assert_hs(0, hs_state_at(rt, "c", "x", hs_at_time(t0 + 4), &b, &at));
	assert_int_equal(at.seq, 1);
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));
	hsu_assert_no_cb_failures();
	pu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_are_the_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
