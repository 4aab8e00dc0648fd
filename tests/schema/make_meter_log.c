/*
 * Writes tests/fixtures/meter-v1v2: a log of the "meter" type
 * (tests/schema/meter.h) written first by its code version 1, then by
 * version 2, as a program whose code changed between two runs would:
 *
 *   run 1 (v1): m1 add n=5, add n=7, reset, add n=2   seq 1-4, snapshot 3
 *               m2 add n=1 x3, add n=10               seq 1-4, snapshot 3
 *   run 2 (v2): m1 add amount=100, add amount=1       seq 5-6, snapshot 6
 *               m2 add amount=3                       seq 5
 *               m3 add amount=4                       seq 1
 *
 * Times come from a clock that starts at 2026-11-22T10:00:00Z and moves
 * one second per reading. Usage: make_meter_log DIR (DIR must not exist).
 * The fixture is committed: run this only to remake it on purpose.
 */
#include <hindsight.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "meter.h"

#define BASE_NS INT64_C(1795341600000000000)

static atomic_llong ticks;

static int64_t fixed_clock(void *udata)
{
	(void)udata;
	return BASE_NS + (int64_t)atomic_fetch_add(&ticks, 1) * 1000000000;
}

static void check(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "make_meter_log: %s: %s\n", what,
			hs_strerror(rc));
		exit(1);
	}
}

static void add(hs_runtime *rt, const char *id, const char *field, int n)
{
	hs_buf b = HS_BUF_INIT;
	check(hs_packf(&b, field[0] == 'n' ? "n:i" : "amount:i", n), "pack");
	check(hs_send_wait(rt, "meter", id, "add", b.data, b.len, NULL),
	      "send");
	hs_buf_free(&b);
}

static hs_runtime *open_at(const char *path, int version)
{
	hs_options o;
	hs_runtime *rt;
	hs_options_init(&o);
	o.path = path;
	o.workers = 1;
	o.clock = fixed_clock;
	check(hs_open(&rt, &o), "open");
	check(meter_register(rt, version, 0), "register");
	return rt;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_meter_log DIR\n");
		return 2;
	}
	hs_runtime *rt = open_at(argv[1], 1);
	add(rt, "m1", "n", 5);
	add(rt, "m1", "n", 7);
	check(hs_send_wait(rt, "meter", "m1", "reset", NULL, 0, NULL),
	      "reset");
	add(rt, "m1", "n", 2);
	for (int i = 0; i < 3; i++)
		add(rt, "m2", "n", 1);
	add(rt, "m2", "n", 10);
	check(hs_close(rt), "close");

	rt = open_at(argv[1], 2);
	add(rt, "m1", "amount", 100);
	add(rt, "m1", "amount", 1);
	add(rt, "m2", "amount", 3);
	add(rt, "m3", "amount", 4);
	check(hs_close(rt), "close");
	return 0;
}
