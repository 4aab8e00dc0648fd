/*
 * hs-relay: tokens travel around a ring of agents.
 *
 * Agents of type "node" (ids n0, n1, ...) form a ring. A "token" event
 * makes a node count a visit and pass the token on to the next node with
 * hs_ctx_sendf(), until the token has made its number of hops; then the
 * node reports it to the agent ("tally", "all"). A watcher prints the
 * tally's transitions as they happen. At the end the program reads every
 * agent's state with hs_deref() and checks the totals.
 *
 * usage: hs-relay [nodes [tokens [hops]]]     (defaults: 8 4 2500)
 *
 * Uses only the public API, include/hindsight.h.
 */
#include <hindsight.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* State of a "node" agent. */
typedef struct node {
	int64_t visits;     /* tokens handled here */
	int64_t last_token; /* the latest of them */
	int64_t last_hop;   /* its hop count on arrival */
} node;

/* State of the "tally" agent. */
typedef struct tally {
	int64_t done; /* tokens that made all their hops */
	int64_t hops; /* hops made by those tokens */
} tally;

/* ------------------------------------------------------------------ */
/* The "node" type                                                      */
/* ------------------------------------------------------------------ */

static int node_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	node *n = state;
	hs_addr self = hs_ctx_self(ctx);
	int64_t token, hop, hops, ring, me;
	char next[32];
	int rc;

	if (!hs_event_is(ev, "token"))
		return HS_UNCHANGED;
	if ((rc = hs_event_i64(ev, "token", &token)) != 0 ||
	    (rc = hs_event_i64(ev, "hop", &hop)) != 0 ||
	    (rc = hs_event_i64(ev, "hops", &hops)) != 0 ||
	    (rc = hs_event_i64(ev, "ring", &ring)) != 0) {
		hs_ctx_set_error(ctx, "token without token/hop/hops/ring");
		return rc;
	}
	if (sscanf(self.id, "n%" SCNd64, &me) != 1 || ring <= 0 || hop < 0 ||
	    hop > hops) {
		hs_ctx_set_error(ctx, "bad token %" PRId64 " at %s", token,
				 self.id);
		return HS_EINVAL;
	}

	/* Send first: on an error the state must stay as it was. */
	if (hop < hops) {
		snprintf(next, sizeof(next), "n%" PRId64, (me + 1) % ring);
		rc = hs_ctx_sendf(ctx, "node", next, "token",
				  "token:I hop:I hops:I ring:I", token,
				  hop + 1, hops, ring);
	} else {
		rc = hs_ctx_sendf(ctx, "tally", "all", "done",
				  "token:I hops:I at:s", token, hops, self.id);
	}
	if (rc != 0)
		return rc;

	n->visits++;
	n->last_token = token;
	n->last_hop = hop;
	return HS_CHANGED;
}

static int node_encode(const void *state, hs_buf *out, void *udata)
{
	const node *n = state;

	(void)udata;
	return hs_packf(out, "visits:I last_token:I last_hop:I", n->visits,
			n->last_token, n->last_hop);
}

static int node_decode(void *state, const void *data, size_t len, void *udata)
{
	node *n = state;
	int rc;

	(void)udata;
	if ((rc = hs_get_i64(data, len, "visits", &n->visits)) != 0 ||
	    (rc = hs_get_i64(data, len, "last_token", &n->last_token)) != 0 ||
	    (rc = hs_get_i64(data, len, "last_hop", &n->last_hop)) != 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The "tally" type                                                     */
/* ------------------------------------------------------------------ */

static int tally_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	tally *t = state;
	int64_t hops;
	int rc;

	if (!hs_event_is(ev, "done"))
		return HS_UNCHANGED;
	if ((rc = hs_event_i64(ev, "hops", &hops)) != 0) {
		hs_ctx_set_error(ctx, "done without hops");
		return rc;
	}
	t->done++;
	t->hops += hops;
	return HS_CHANGED;
}

static int tally_encode(const void *state, hs_buf *out, void *udata)
{
	const tally *t = state;

	(void)udata;
	return hs_packf(out, "done:I hops:I", t->done, t->hops);
}

static int tally_decode(void *state, const void *data, size_t len, void *udata)
{
	tally *t = state;
	int rc;

	(void)udata;
	if ((rc = hs_get_i64(data, len, "done", &t->done)) != 0 ||
	    (rc = hs_get_i64(data, len, "hops", &t->hops)) != 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Watcher                                                              */
/* ------------------------------------------------------------------ */

/* Watchers run on worker threads, several at once. */
typedef struct watch_stats {
	atomic_llong transitions;
	atomic_flag first_seen;
} watch_stats;

static void watcher(void *udata, const hs_transition *t)
{
	watch_stats *ws = udata;
	int64_t token = -1, done = -1, hops = -1;
	char at[32] = "?";

	atomic_fetch_add_explicit(&ws->transitions, 1, memory_order_relaxed);
	if (!atomic_flag_test_and_set_explicit(&ws->first_seen,
					       memory_order_relaxed))
		printf("  first transition: %s/%s seq %" PRIu64 " on '%s'\n",
		       t->agent.type, t->agent.id, t->seq, t->event_type);
	if (strcmp(t->agent.type, "tally") != 0)
		return;
	hs_get_i64(t->event_body, t->event_len, "token", &token);
	hs_get_strcpy(t->event_body, t->event_len, "at", at, sizeof(at));
	hs_get_i64(t->new_state, t->new_len, "done", &done);
	hs_get_i64(t->new_state, t->new_len, "hops", &hops);
	printf("  token %" PRId64 " finished at %s; tally: %" PRId64
	       " tokens, %" PRId64 " hops\n",
	       token, at, done, hops);
}

/* ------------------------------------------------------------------ */
/* Main                                                                 */
/* ------------------------------------------------------------------ */

#define CHECK(call)                                                           \
	do {                                                                  \
		int rc_ = (call);                                             \
		if (rc_ != 0) {                                               \
			fprintf(stderr, "hs-relay: %s: %s\n", #call,          \
				hs_strerror(rc_));                            \
			return 1;                                             \
		}                                                             \
	} while (0)

static long arg(int argc, char **argv, int i, long def, long max)
{
	char *end;
	long v;

	if (i >= argc)
		return def;
	v = strtol(argv[i], &end, 10);
	if (*end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "usage: hs-relay [nodes [tokens [hops]]]\n"
				"  each a number from 1 to its limit "
				"(nodes 1000, tokens 1000, hops 1000000)\n");
		exit(2);
	}
	return v;
}

static double now_ms(void)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const hs_type node_type = {
	.name = "node",
	.state_size = sizeof(node),
	.apply = node_apply,
	.encode = node_encode,
	.decode = node_decode,
};

static const hs_type tally_type = {
	.name = "tally",
	.state_size = sizeof(tally),
	.apply = tally_apply,
	.encode = tally_encode,
	.decode = tally_decode,
};

int main(int argc, char **argv)
{
	long nodes = arg(argc, argv, 1, 8, 1000);
	long tokens = arg(argc, argv, 2, 4, 1000);
	long hops = arg(argc, argv, 3, 2500, 1000000);
	watch_stats ws = {0, ATOMIC_FLAG_INIT};
	hs_runtime *rt;
	hs_buf buf = HS_BUF_INIT;
	int64_t visits = 0, done = 0, tally_hops = 0;
	long long watched, want_visits = tokens * (hops + 1);
	char id[32];
	double t0;
	int wid, ok;

	printf("hs-relay: %ld nodes in a ring, %ld tokens, %ld hops each\n",
	       nodes, tokens, hops);
	CHECK(hs_open(&rt, NULL));
	CHECK(hs_register(rt, &node_type));
	CHECK(hs_register(rt, &tally_type));
	CHECK(hs_watch(rt, watcher, &ws, &wid));

	t0 = now_ms();
	for (long t = 0; t < tokens; t++) {
		snprintf(id, sizeof(id), "n%ld", t * nodes / tokens);
		CHECK(hs_sendf(rt, "node", id, "token",
			       "token:I hop:I hops:I ring:I", (int64_t)t,
			       (int64_t)0, (int64_t)hops, (int64_t)nodes));
	}
	CHECK(hs_await(rt, 120000));
	printf("all tokens home after %.1f ms\n", now_ms() - t0);
	CHECK(hs_unwatch(rt, wid));

	printf("visits per node:");
	for (long i = 0; i < nodes; i++) {
		int64_t v = 0;
		int rc;

		snprintf(id, sizeof(id), "n%ld", i);
		hs_buf_reset(&buf);
		/* A node no token reached was never created. */
		rc = hs_deref(rt, "node", id, &buf);
		if (rc == 0)
			CHECK(hs_get_i64(buf.data, buf.len, "visits", &v));
		else if (rc != HS_ENOAGENT)
			CHECK(rc);
		visits += v;
		if (i < 16)
			printf(" %s=%" PRId64, id, v);
	}
	printf("%s\n", nodes > 16 ? " ..." : "");

	hs_buf_reset(&buf);
	CHECK(hs_deref(rt, "tally", "all", &buf));
	CHECK(hs_get_i64(buf.data, buf.len, "done", &done));
	CHECK(hs_get_i64(buf.data, buf.len, "hops", &tally_hops));
	hs_buf_free(&buf);
	watched = atomic_load(&ws.transitions);
	CHECK(hs_close(rt));

	printf("tokens finished: %" PRId64 " (expected %ld)\n", done, tokens);
	printf("total hops: %" PRId64 " (expected %lld)\n", tally_hops,
	       (long long)tokens * hops);
	printf("total visits: %" PRId64 " (expected %lld)\n", visits,
	       want_visits);
	printf("transitions watched: %lld (expected %lld)\n", watched,
	       want_visits + tokens);
	ok = done == tokens && tally_hops == (int64_t)tokens * hops &&
	     visits == want_visits && watched == want_visits + tokens;
	printf("hs-relay: %s\n", ok ? "ok" : "MISMATCH");
	return ok ? 0 : 1;
}
