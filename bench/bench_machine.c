/*
 * bench_machine: executions per second through a declarative machine.
 *
 * `orders` executions (default 10,000) of an order machine, each started
 * with hs_machine_start and driven by three actions from one sender
 * (add, place, fraud-approve); approval invokes a child shipment
 * machine, which succeeds at once, and the order ends in "shipped". So
 * every execution is 11 recorded transitions over two agents (8 of the
 * order, 3 of its shipment), 6 of them automatic steps the runtime
 * sends itself (the step from create to cart is taken with `add`, which
 * is sent before it). Timed from the first send until hs_await returns
 * (with a log: everything written, durability none). Each order's end is
 * counted by a watcher and must reach `orders`. (In memory the
 * automatic step may also run before `add` arrives: 12 transitions.)
 *
 * usage: bench_machine [log|sync|mem [orders]]   (defaults log 10000):
 * log is durability NONE, sync HS_DURABILITY_SYNC
 * result lines: RESULT MACHINE <mode>_executions_per_s,
 * <mode>_transitions_per_s
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <stdatomic.h>

static const char usage[] =
	"usage: bench_machine [log|sync|mem [orders]]\n";

static const char *const SHIPMENT =
	"{\"id\": \"shipment\", \"version\": 1, \"start-at\": \"created\","
	" \"context\": {\"delivered\": false},"
	" \"states\": {"
	"  \"created\": {\"always\": [{\"state\": \"outstanding\"}]},"
	"  \"outstanding\": {\"always\": [{\"name\": \"fetched\","
	"                   \"state\": \"delivered\", \"context\": \"mark\"}]},"
	"  \"delivered\": {\"end\": true}}}";

static const char *const ORDER =
	"{\"id\": \"order\", \"version\": 1, \"start-at\": \"create\","
	" \"context\": {\"items\": 0, \"delivered\": false},"
	" \"states\": {"
	"  \"create\": {\"always\": [{\"state\": \"cart\"}]},"
	"  \"cart\": {\"actions\": {"
	"    \"add\": {\"state\": \"cart\", \"context\": \"add\"},"
	"    \"place\": {\"state\": \"submitted\", \"when\": \"nonempty\"}}},"
	"  \"submitted\": {\"actions\": {"
	"    \"fraud-approve\": {\"state\": \"fraud-approved\"}}},"
	"  \"fraud-approved\": {\"always\": [{\"state\": \"released\"}]},"
	"  \"released\": {\"always\": [{\"name\": \"ship\", \"invoke\": {"
	"    \"machine\": \"shipment\","
	"    \"success\": {\"state\": \"ship-finished\", \"context\": \"took\"},"
	"    \"error\": {\"state\": \"canceled\"}}}]},"
	"  \"ship-finished\": {\"always\": ["
	"    {\"state\": \"shipped\", \"when\": \"delivered\"},"
	"    {\"state\": \"canceled\"}]},"
	"  \"shipped\": {\"end\": true}, \"canceled\": {\"end\": true}}}";

static int64_t items_of(const hs_machine_call *c)
{
	int64_t n = 0;
	hs_get_i64(c->context, c->context_len, "items", &n);
	return n;
}

static int u_add(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	return hs_packf(out, "items:I delivered:b", items_of(c) + 1, 0);
}

static int u_took(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	bool d = false;
	hs_get_bool(c->input, c->input_len, "delivered", &d);
	return hs_packf(out, "items:I delivered:b", items_of(c), d);
}

static int u_mark(void *u, const hs_machine_call *c, hs_buf *out)
{
	(void)u;
	(void)c;
	return hs_packf(out, "delivered:b", 1);
}

static int g_nonempty(void *u, const hs_machine_call *c)
{
	(void)u;
	return items_of(c) > 0;
}

static int g_delivered(void *u, const hs_machine_call *c)
{
	(void)u;
	bool d = false;
	hs_get_bool(c->context, c->context_len, "delivered", &d);
	return d;
}

static atomic_ulong shipped, transitions;

static void watch(void *udata, const hs_transition *t)
{
	(void)udata;
	atomic_fetch_add_explicit(&transitions, 1, memory_order_relaxed);
	const char *s;
	size_t n;
	if (t->agent.type[0] == 'o' &&
	    hs_get_str(t->new_state, t->new_len, "state", &s, &n) == 0 &&
	    n == 7 && memcmp(s, "shipped", 7) == 0)
		atomic_fetch_add_explicit(&shipped, 1, memory_order_relaxed);
}

static void add_def(hs_machines *m, const char *json)
{
	hs_machine_def *d;
	char err[256];
	if (hs_machine_load_json(m, json, strlen(json), &d, err, sizeof err)) {
		fprintf(stderr, "bench_machine: %s\n", err);
		exit(1);
	}
	BENCH_CHECK(hs_machine_add(m, d));
}

int main(int argc, char **argv)
{
	bool log = true, sync = false;
	unsigned long orders = 10000;
	if (argc > 1) {
		if (strcmp(argv[1], "mem") == 0)
			log = false;
		else if (strcmp(argv[1], "sync") == 0)
			sync = true;
		else if (strcmp(argv[1], "log") != 0) {
			fputs(usage, stderr);
			return 2;
		}
	}
	if (argc > 2)
		orders = bench_arg(argv[2], usage);

	hs_machines *m;
	BENCH_CHECK(hs_machines_create(&m));
	BENCH_CHECK(hs_machines_update(m, "add", u_add, NULL));
	BENCH_CHECK(hs_machines_update(m, "took", u_took, NULL));
	BENCH_CHECK(hs_machines_update(m, "mark", u_mark, NULL));
	BENCH_CHECK(hs_machines_guard(m, "nonempty", g_nonempty, NULL));
	BENCH_CHECK(hs_machines_guard(m, "delivered", g_delivered, NULL));
	add_def(m, SHIPMENT);
	add_def(m, ORDER);

	char dir[4096] = "";
	hs_options o;
	hs_options_init(&o);
	if (log) {
		bench_mkdtemp(dir, sizeof dir, "machine");
		o.path = dir;
		o.durability = sync ? HS_DURABILITY_SYNC : HS_DURABILITY_NONE;
	}
	hs_runtime *rt;
	BENCH_CHECK(hs_open(&rt, &o));
	BENCH_CHECK(hs_machines_register(m, rt));
	BENCH_CHECK(hs_watch(rt, watch, NULL, NULL));
	bench_print_load("before");

	double t0 = bench_now();
	char id[32];
	for (unsigned long i = 0; i < orders; i++) {
		snprintf(id, sizeof id, "o%lu", i);
		BENCH_CHECK(hs_machine_start(rt, m, "order", id, 0, NULL, 0));
		BENCH_CHECK(hs_send(rt, "order", id, "add", NULL, 0));
		BENCH_CHECK(hs_send(rt, "order", id, "place", NULL, 0));
		BENCH_CHECK(hs_send(rt, "order", id, "fraud-approve", NULL, 0));
	}
	BENCH_CHECK(hs_await(rt, -1));
	double dt = bench_now() - t0;

	unsigned long done = atomic_load(&shipped);
	unsigned long n = atomic_load(&transitions);
	/* 11 each at least: 12 when create's automatic step runs before
	 * `add` arrives (in memory it may). */
	if (done != orders || n < orders * 11 || n > orders * 12) {
		fprintf(stderr, "bench_machine: %lu of %lu orders shipped, %lu "
				"transitions (want %lu)\n",
			done, orders, n, orders * 11);
		return 1;
	}
	const char *mode = sync ? "sync" : log ? "log" : "mem";
	char fig[64];
	printf("# %lu executions (%lu transitions) in %.3f s\n", orders, n,
	       dt);
	snprintf(fig, sizeof fig, "%s_executions_per_s", mode);
	bench_result("MACHINE", fig, (double)orders / dt, "exec/s");
	snprintf(fig, sizeof fig, "%s_transitions_per_s", mode);
	bench_result("MACHINE", fig, (double)n / dt, "transitions/s");
	BENCH_CHECK(hs_close(rt));
	hs_machines_destroy(m);
	if (log)
		bench_rmtree(dir);
	return 0;
}
