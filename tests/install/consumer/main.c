/*
 * A program outside the hindsight tree, built against an installed copy:
 * one counter agent takes four "add" events; its state is read back.
 */
#include <hindsight.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct counter {
	int64_t total;
} counter;

static int counter_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	counter *c = state;
	int64_t n;
	int rc;

	(void)ctx;
	if (!hs_event_is(ev, "add"))
		return HS_UNCHANGED;
	if ((rc = hs_event_i64(ev, "n", &n)) != 0)
		return rc;
	c->total += n;
	return HS_CHANGED;
}

static int counter_encode(const void *state, hs_buf *out, void *udata)
{
	const counter *c = state;

	(void)udata;
	return hs_packf(out, "total:I", c->total);
}

static int counter_decode(void *state, const void *data, size_t len,
			  void *udata)
{
	counter *c = state;

	(void)udata;
	return hs_get_i64(data, len, "total", &c->total);
}

#define CHECK(call)                                                           \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != 0) {                                               \
			fprintf(stderr, "consumer: %s: %s\n", #call,          \
				hs_strerror(rc_));                            \
			exit(1);                                              \
		}                                                             \
	} while (0)

int main(void)
{
	hs_runtime *rt;
	hs_options opts;
	hs_type type = {
		.name = "counter",
		.state_size = sizeof(counter),
		.apply = counter_apply,
		.encode = counter_encode,
		.decode = counter_decode,
	};
	hs_buf buf = HS_BUF_INIT;
	int64_t total;

	hs_options_init(&opts);
	opts.workers = 2;
	CHECK(hs_open(&rt, &opts));
	CHECK(hs_register(rt, &type));
	for (int i = 1; i <= 4; i++)
		CHECK(hs_sendf(rt, "counter", "c1", "add", "n:i", i));
	CHECK(hs_await(rt, 30000));
	CHECK(hs_deref(rt, "counter", "c1", &buf));
	CHECK(hs_get_i64(buf.data, buf.len, "total", &total));
	hs_buf_free(&buf);
	CHECK(hs_close(rt));
	printf("consumer: total=%lld\n", (long long)total);
	return total == 10 ? 0 : 1;
}
