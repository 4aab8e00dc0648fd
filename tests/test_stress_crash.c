/*
 * Crash safety of a persisted runtime, for real: a child process runs a
 * concurrent workload on a RocksDB log and is killed with SIGKILL at a
 * random moment; the parent then reads the log and checks that
 *
 *   - gseq is exactly 1..N, every record decodes and stores its own gseq;
 *   - each agent's seqs are 1, 2, 3, ... in gseq order, and the agents
 *     index (scan_agents, scan_agent) agrees with the records;
 *   - every caused record's cause is a record with a smaller gseq and the
 *     cause's (type, id, seq);
 *   - every hs_send_wait the child acknowledged (reported through a pipe
 *     right after the call returned) is in the log, with its type, id and
 *     seq at its gseq, in this round and all earlier rounds on that log;
 *   - records that an earlier round verified are unchanged, byte for byte;
 *   - each agent's newest snapshot sits at the last multiple of
 *     snapshot_every and holds the state recorded at that seq;
 *   - each agent's state as the runtime rebuilds it on reopening (lazily,
 *     from snapshot + events) equals the state folded from scratch from
 *     all its records, and its hash equals the hash in its last record.
 *
 * Rounds alternate between fresh logs and logs reopened by the next
 * child, which appends more and is killed again (CHAIN rounds per log).
 * Some rounds kill the child early, possibly while it is still opening
 * (recovering) an existing log; every other round runs the child with a
 * small resident_limit, so that agents are passivated and rebuilt while
 * messages flow. Each durability mode runs HS_CRASH_ROUNDS rounds (default
 * 20; 10 under ASan and 5 under TSan, which slow the child down several
 * fold). HS_CRASH_SEED=<n> repeats a run's choices (not its timing).
 *
 * The child is this program re-executed (fork + exec of /proc/self/exe
 * with --crash-child), so it starts without the parent's RocksDB threads.
 */
#include "util.h"

#include "persist_util.h"

#include "common/hash.h"

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

/* Sanitizers slow the child down several-fold, so fewer rounds run by
 * default under them: 5 per mode under TSan, 10 under ASan. */
#if defined(__SANITIZE_THREAD__)
#define CRASH_DEFAULT_ROUNDS 5
#elif defined(__SANITIZE_ADDRESS__)
#define CRASH_DEFAULT_ROUNDS 10
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CRASH_DEFAULT_ROUNDS 5
#elif __has_feature(address_sanitizer)
#define CRASH_DEFAULT_ROUNDS 10
#endif
#endif
#ifndef CRASH_DEFAULT_ROUNDS
#define CRASH_DEFAULT_ROUNDS 20
#endif

#define NAGENTS 200
#define NTYPES 3
#define NSENDERS 3
#define CHAIN 4 /* rounds per log: the first creates it, the rest reopen */

static const char *const type_names[NTYPES] = {"plain", "snap7", "snap1"};
static const unsigned type_every[NTYPES] = {HS_SNAPSHOT_NEVER, 7, 1};

static void agent_id(int i, char *out, size_t cap)
{
	snprintf(out, cap, "a%03d", i);
}

/* ------------------------------------------------------------------ */
/* The agents' logic, shared by the child's apply and the parent's fold */
/* ------------------------------------------------------------------ */

/* State: c transitions, s sum of v, m a mix of the events, t the time of
 * the last transition, r a hs_ctx_random() draw (which only the runtime
 * can replay; checked through the recorded state hash). */
typedef struct wstate {
	uint64_t c;
	int64_t s;
	uint64_t m;
	int64_t t;
	uint64_t r;
} wstate;

static void fold_step(wstate *st, int64_t hops, int64_t v, int64_t now)
{
	st->c++;
	st->s += v;
	st->m = st->m * 1000003u ^ (uint64_t)(v * 31 + hops);
	st->t = now;
}

static int w_encode(const void *state, hs_buf *out, void *udata)
{
	(void)udata;
	const wstate *s = state;
	return hs_packf(out, "c:U s:I m:U t:I r:U", s->c, s->s, s->m, s->t,
			s->r);
}

static int get_u64(const void *data, size_t len, const char *key,
		   uint64_t *out)
{
	hs_value v;
	int rc = hs_get(data, len, key, &v);
	if (rc != 0)
		return rc;
	if (v.kind == HS_UINT)
		*out = v.as.u;
	else if (v.kind == HS_INT)
		*out = (uint64_t)v.as.i;
	else
		return HS_ETYPE;
	return 0;
}

static int w_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)udata;
	wstate *s = state;
	int rc;
	if ((rc = get_u64(data, len, "c", &s->c)) != 0 ||
	    (rc = hs_get_i64(data, len, "s", &s->s)) != 0 ||
	    (rc = get_u64(data, len, "m", &s->m)) != 0 ||
	    (rc = hs_get_i64(data, len, "t", &s->t)) != 0 ||
	    (rc = get_u64(data, len, "r", &s->r)) != 0)
		return rc;
	return 0;
}

/* Set on the child's reader thread: its rebuilds of agents (hs_deref of
 * an agent not in memory) are slow, a sleep per replayed event, which
 * widens the window in which senders rebuild, change and passivate the
 * same agent meanwhile. */
static _Thread_local bool slow_replay;

/*
 * hit {hops, v}: folds the event, draws r, and while hops > 0 forwards
 * hit {hops-1, v+1} to an agent chosen by another draw. peek: UNCHANGED.
 */
static int w_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	wstate *s = state;
	if (slow_replay && hs_ctx_replaying(ctx))
		nanosleep(&(struct timespec){0, 100000}, NULL);
	if (hs_event_is(ev, "peek"))
		return HS_UNCHANGED;
	if (!hs_event_is(ev, "hit"))
		return HS_EINVAL;
	int64_t hops, v;
	int rc;
	if ((rc = hs_event_i64(ev, "hops", &hops)) != 0 ||
	    (rc = hs_event_i64(ev, "v", &v)) != 0)
		return rc;
	fold_step(s, hops, v, hs_ctx_now(ctx));
	s->r = hs_ctx_random(ctx);
	if (hops > 0) {
		int to = (int)(hs_ctx_random(ctx) % NAGENTS);
		char id[16];
		agent_id(to, id, sizeof id);
		rc = hs_ctx_sendf(ctx, type_names[to % NTYPES], id, "hit",
				  "hops:I v:I", hops - 1, v + 1);
		if (rc != 0) {
			hs_ctx_set_error(ctx, "forward: %s", hs_strerror(rc));
			return rc;
		}
	}
	return HS_CHANGED;
}

static void register_types(hs_runtime *rt, int *rc_out)
{
	for (int i = 0; i < NTYPES; i++) {
		hs_type t;
		memset(&t, 0, sizeof t);
		t.name = type_names[i];
		t.state_size = sizeof(wstate);
		t.apply = w_apply;
		t.encode = w_encode;
		t.decode = w_decode;
		t.snapshot_every = type_every[i];
		int rc = hs_register(rt, &t);
		if (rc != 0) {
			*rc_out = rc;
			return;
		}
	}
	*rc_out = 0;
}

/* ------------------------------------------------------------------ */
/* The child                                                            */
/* ------------------------------------------------------------------ */

/* What the child reports through the pipe; one write() each (atomic, as
 * it is smaller than PIPE_BUF). */
enum {
	MSG_READY = 1,
	MSG_RECEIPT = 2
};
typedef struct crash_msg {
	uint32_t kind;
	uint32_t agent;
	uint64_t seq;
	uint64_t gseq;
} crash_msg;

typedef struct child_ctx {
	hs_runtime *rt;
	int fd;
	uint64_t seed;
} child_ctx;

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void child_die(const char *what, int rc)
{
	fprintf(stderr, "crash child: %s: %d (%s)\n", what, rc,
		hs_strerror(rc));
	_exit(3);
}

static void child_write(int fd, const crash_msg *m)
{
	ssize_t n;
	do
		n = write(fd, m, sizeof *m);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof *m) {
		fprintf(stderr, "crash child: pipe write: %s\n",
			strerror(errno));
		_exit(3);
	}
}

static void *child_sender(void *p)
{
	child_ctx *c = p;
	uint64_t rng = c->seed | 1;
	hs_buf body = HS_BUF_INIT;
	for (uint64_t k = 1;; k++) {
		int to = (int)(xorshift(&rng) % NAGENTS);
		char id[16];
		agent_id(to, id, sizeof id);
		const char *type = type_names[to % NTYPES];
		int rc;
		if (k % 5 == 0) {
			rc = hs_send(c->rt, type, id, "peek", NULL, 0);
			if (rc != 0)
				child_die("hs_send peek", rc);
			continue;
		}
		hs_buf_reset(&body);
		rc = hs_packf(&body, "hops:I v:I",
			      (int64_t)(xorshift(&rng) % 4),
			      (int64_t)(xorshift(&rng) % 1000));
		if (rc != 0)
			child_die("hs_packf", rc);
		if (k % 8 != 0) {
			rc = hs_send(c->rt, type, id, "hit", body.data,
				     body.len);
			if (rc != 0)
				child_die("hs_send", rc);
			continue;
		}
		hs_receipt r;
		rc = hs_send_wait(c->rt, type, id, "hit", body.data, body.len,
				  &r);
		if (rc != 0)
			child_die("hs_send_wait", rc);
		if (r.seq == 0 || r.gseq == 0)
			child_die("hs_send_wait gave an empty receipt", 0);
		crash_msg m = {MSG_RECEIPT, (uint32_t)to, r.seq, r.gseq};
		child_write(c->fd, &m);
	}
	return NULL;
}

/* Reads agents while they are being activated and changed. */
static void *child_reader(void *p)
{
	child_ctx *c = p;
	uint64_t rng = c->seed ^ 0x5555;
	slow_replay = true;
	hs_buf b = HS_BUF_INIT;
	for (;;) {
		int i = (int)(xorshift(&rng) % NAGENTS);
		char id[16];
		agent_id(i, id, sizeof id);
		hs_buf_reset(&b);
		int rc = hs_deref(c->rt, type_names[i % NTYPES], id, &b);
		if (rc != 0 && rc != HS_ENOAGENT) {
			char err[512];
			hs_last_error(c->rt, err, sizeof err);
			fprintf(stderr, "crash child: %s\n", err);
			child_die("hs_deref", rc);
		}
		hsu_sleep_ms(1);
	}
	return NULL;
}

static int child_main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: --crash-child DIR MODE FD SEED "
				"RESIDENT_LIMIT\n");
		return 2;
	}
	const char *dir = argv[2];
	hs_options o;
	hs_options_init(&o);
	o.workers = 2;
	o.path = dir;
	o.durability = (hs_durability)atoi(argv[3]);
	o.resident_limit = (size_t)atoi(argv[6]);
	child_ctx c = {NULL, atoi(argv[4]), strtoull(argv[5], NULL, 10)};
	char err[512] = "";
	int rc = hs_open_err(&c.rt, &o, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "crash child: hs_open %s: %s\n", dir, err);
		child_die("hs_open", rc);
	}
	register_types(c.rt, &rc);
	if (rc != 0)
		child_die("hs_register", rc);
	crash_msg ready = {MSG_READY, 0, 0, 0};
	child_write(c.fd, &ready);

	pthread_t th[NSENDERS + 1];
	child_ctx cs[NSENDERS];
	for (int i = 0; i < NSENDERS; i++) {
		cs[i] = c;
		cs[i].seed = c.seed * 0x9e3779b97f4a7c15ull + (uint64_t)i + 1;
		if (pthread_create(&th[i], NULL, child_sender, &cs[i]) != 0)
			child_die("pthread_create", HS_ETHREAD);
	}
	if (pthread_create(&th[NSENDERS], NULL, child_reader, &c) != 0)
		child_die("pthread_create", HS_ETHREAD);
	/* Runs until killed. */
	for (;;)
		pause();
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent: running a child                                          */
/* ------------------------------------------------------------------ */

typedef struct msgs {
	uint8_t *buf;
	size_t len, cap;
	bool ready;
	bool eof;
} msgs;

/* Reads what the child wrote until `deadline` (monotonic ns; -1: until
 * EOF) or, with until_ready, until the ready message came. */
static void drain(int fd, msgs *m, int64_t deadline, bool until_ready)
{
	while (!m->eof && !(until_ready && m->ready)) {
		int timeout = -1;
		if (deadline >= 0) {
			int64_t left = deadline - hsu_monotonic_ns();
			if (left <= 0)
				break;
			timeout = (int)(left / 1000000) + 1;
		}
		struct pollfd pfd = {fd, POLLIN, 0};
		int n = poll(&pfd, 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			continue;
		if (m->cap - m->len < 4096) {
			m->cap = m->cap ? m->cap * 2 : 65536;
			m->buf = realloc(m->buf, m->cap);
			assert_non_null(m->buf);
		}
		ssize_t got = read(fd, m->buf + m->len, m->cap - m->len);
		if (got < 0 && errno == EINTR)
			continue;
		assert_true(got >= 0);
		if (got == 0) {
			m->eof = true;
			break;
		}
		m->len += (size_t)got;
		if (m->len >= sizeof(crash_msg)) {
			crash_msg first;
			memcpy(&first, m->buf, sizeof first);
			if (first.kind == MSG_READY)
				m->ready = true;
		}
	}
}

typedef struct rng_t {
	uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r, uint64_t n)
{
	return xorshift(&r->s) % n;
}

/* Runs one child on dir and kills it; appends its receipts to msgs. */
static void run_child(const char *dir, hs_durability d, uint64_t seed,
		      unsigned resident_limit, bool early_kill, rng_t *r,
		      msgs *m)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	char mode[16], fd[16], sd[32], lim[16];
	snprintf(lim, sizeof lim, "%u", resident_limit);
	snprintf(mode, sizeof mode, "%d", (int)d);
	snprintf(fd, sizeof fd, "%d", p[1]);
	snprintf(sd, sizeof sd, "%" PRIu64, seed);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		char *args[] = {"test_stress_crash",
				"--crash-child",
				(char *)dir,
				mode,
				fd,
				sd,
				lim,
				NULL};
		execv("/proc/self/exe", args);
		_exit(127);
	}
	close(p[1]);
	if (early_kill) {
		/* Somewhere in exec, open, recovery or the first sends. */
		drain(p[0], m,
		      hsu_monotonic_ns() + (int64_t)rnd(r, 40) * 1000000,
		      false);
	} else {
		drain(p[0], m, hsu_monotonic_ns() + 120 * 1000000000LL, true);
		if (!m->ready) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(p[0]);
			print_error("child did not open the log (eof %d)\n",
				    m->eof);
			fail();
		}
		int64_t ms = 20 + (int64_t)rnd(r, 281);
		drain(p[0], m, hsu_monotonic_ns() + ms * 1000000, false);
	}
	kill(pid, SIGKILL);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	drain(p[0], m, -1, false);
	close(p[0]);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		print_error("child ended by itself: status 0x%x\n", status);
		fail();
	}
}

/* ------------------------------------------------------------------ */
/* The parent: checking the log                                         */
/* ------------------------------------------------------------------ */

typedef struct agent_fold {
	wstate st;
	uint64_t last_gseq;
	uint64_t last_hash;
	/* At the newest seq that is a multiple of snapshot_every. */
	uint64_t snap_seq;
	wstate snap_st;
	uint64_t snap_hash;
} agent_fold;

typedef struct verify {
	agent_fold a[NAGENTS];
	/* Per gseq (index gseq - 1): which agent, which seq, what time. */
	uint16_t *g_agent;
	uint64_t *g_seq;
	int64_t *g_time;
	size_t g_cap;
	uint64_t next_gseq;
	uint64_t caused;
	/* FNV-1a over all record bytes, and its value at prefix_at. */
	uint64_t running_hash;
	uint64_t prefix_at;
	uint64_t prefix_hash_want; /* from the previous round; 0: none */
	uint64_t prefix_hash_got;
	char problem[640];
} verify;

static int agent_index(const char *type, size_t tlen, const char *id,
		       size_t ilen)
{
	if (ilen != 4 || id[0] != 'a')
		return -1;
	int i = 0;
	for (int k = 1; k < 4; k++) {
		if (id[k] < '0' || id[k] > '9')
			return -1;
		i = i * 10 + (id[k] - '0');
	}
	if (i >= NAGENTS)
		return -1;
	const char *want = type_names[i % NTYPES];
	if (tlen != strlen(want) || memcmp(type, want, tlen) != 0)
		return -1;
	return i;
}

#define VFAIL(v, ...)                                                         \
	do {                                                                  \
		snprintf((v)->problem, sizeof(v)->problem, __VA_ARGS__);      \
		return 1;                                                     \
	} while (0)

static int verify_event(void *udata, uint64_t gseq, const void *rec,
			size_t len)
{
	verify *v = udata;
	if (gseq != v->next_gseq)
		VFAIL(v,
		      "events key %" PRIu64 " where %" PRIu64
		      " was expected (gap)",
		      gseq, v->next_gseq);
	v->next_gseq++;
	v->running_hash = hsi_fnv1a(v->running_hash, rec, len);
	if (gseq == v->prefix_at)
		v->prefix_hash_got = v->running_hash;

	hsi_record r;
	int rc = hsi_record_decode(rec, len, &r);
	if (rc != 0)
		VFAIL(v, "gseq %" PRIu64 ": record does not decode: %s", gseq,
		      hs_strerror(rc));
	if (r.version != 1 || r.gseq != gseq)
		VFAIL(v, "gseq %" PRIu64 ": version %u, stored gseq %" PRIu64,
		      gseq, r.version, r.gseq);
	int ai = agent_index(r.type, r.type_len, r.id, r.id_len);
	if (ai < 0)
		VFAIL(v, "gseq %" PRIu64 ": unknown agent %.*s/%.*s", gseq,
		      (int)r.type_len, r.type, (int)r.id_len, r.id);
	agent_fold *a = &v->a[ai];
	if (r.seq != a->st.c + 1)
		VFAIL(v,
		      "gseq %" PRIu64 ": agent %d seq %" PRIu64
		      " after seq %" PRIu64,
		      gseq, ai, r.seq, a->st.c);
	if (r.event_type_len != 3 || memcmp(r.event_type, "hit", 3) != 0)
		VFAIL(v, "gseq %" PRIu64 ": event %.*s recorded", gseq,
		      (int)r.event_type_len, r.event_type);
	if (a->st.c != 0 && r.time_ns < a->st.t)
		VFAIL(v, "gseq %" PRIu64 ": agent %d time went back", gseq,
		      ai);
	if (r.cause.seq != 0) {
		v->caused++;
		uint64_t cg = r.cause.gseq;
		if (cg == 0 || cg >= gseq)
			VFAIL(v, "gseq %" PRIu64 ": cause gseq %" PRIu64, gseq,
			      cg);
		int ci = agent_index(r.cause.type, r.cause.type_len,
				     r.cause.id, r.cause.id_len);
		if (ci < 0 || v->g_agent[cg - 1] != ci ||
		    v->g_seq[cg - 1] != r.cause.seq)
			VFAIL(v,
			      "gseq %" PRIu64 ": cause (%.*s/%.*s seq %" PRIu64
			      ", gseq %" PRIu64 ") is not that record",
			      gseq, (int)r.cause.type_len, r.cause.type,
			      (int)r.cause.id_len, r.cause.id, r.cause.seq,
			      cg);
	}
	int64_t hops, val;
	if (hs_get_i64(r.body, r.body_len, "hops", &hops) != 0 ||
	    hs_get_i64(r.body, r.body_len, "v", &val) != 0)
		VFAIL(v, "gseq %" PRIu64 ": body without hops/v", gseq);

	if (gseq > v->g_cap) {
		size_t cap = v->g_cap ? v->g_cap * 2 : 65536;
		uint16_t *ga = realloc(v->g_agent, cap * sizeof *ga);
		if (ga == NULL)
			VFAIL(v, "ENOMEM");
		v->g_agent = ga;
		uint64_t *gs = realloc(v->g_seq, cap * sizeof *gs);
		if (gs == NULL)
			VFAIL(v, "ENOMEM");
		v->g_seq = gs;
		int64_t *gt = realloc(v->g_time, cap * sizeof *gt);
		if (gt == NULL)
			VFAIL(v, "ENOMEM");
		v->g_time = gt;
		v->g_cap = cap;
	}
	v->g_agent[gseq - 1] = (uint16_t)ai;
	v->g_seq[gseq - 1] = r.seq;
	v->g_time[gseq - 1] = r.time_ns;

	fold_step(&a->st, hops, val, r.time_ns);
	a->last_gseq = gseq;
	a->last_hash = r.state_hash;
	unsigned every = type_every[ai % NTYPES];
	if (every != HS_SNAPSHOT_NEVER && r.seq % every == 0) {
		a->snap_seq = r.seq;
		a->snap_st = a->st;
		a->snap_hash = r.state_hash;
	}
	return 0;
}

typedef struct index_check {
	verify *v;
	int agent;
	uint64_t next_seq;
	bool bad;
} index_check;

static int check_index_entry(void *udata, uint64_t seq, uint64_t gseq,
			     int64_t time_ns)
{
	index_check *ic = udata;
	verify *v = ic->v;
	if (seq != ic->next_seq || gseq == 0 || gseq >= v->next_gseq ||
	    v->g_agent[gseq - 1] != ic->agent || v->g_seq[gseq - 1] != seq ||
	    v->g_time[gseq - 1] != time_ns) {
		ic->bad = true;
		return 1;
	}
	ic->next_seq++;
	return 0;
}

typedef struct agents_check {
	verify *v;
	int n;
	bool bad;
	char what[128];
} agents_check;

static int check_agent_entry(void *udata, const char *type, size_t tlen,
			     const char *id, size_t ilen, uint64_t last_seq)
{
	agents_check *ac = udata;
	int i = agent_index(type, tlen, id, ilen);
	if (i < 0 || ac->v->a[i].st.c != last_seq) {
		ac->bad = true;
		snprintf(ac->what, sizeof ac->what,
			 "%.*s/%.*s last seq %" PRIu64, (int)tlen, type,
			 (int)ilen, id, last_seq);
		return 1;
	}
	ac->n++;
	return 0;
}

static bool same_folded(const wstate *x, const wstate *y)
{
	return x->c == y->c && x->s == y->s && x->m == y->m && x->t == y->t;
}

typedef struct receipt {
	uint32_t agent;
	uint64_t seq, gseq;
} receipt;

typedef struct chain {
	receipt *r;
	size_t n, cap;
	uint64_t verified_gseq; /* records 1..this were checked before */
	uint64_t verified_hash; /* their FNV-1a */
} chain;

static void chain_add(chain *c, const msgs *m)
{
	for (size_t off = 0; off + sizeof(crash_msg) <= m->len;
	     off += sizeof(crash_msg)) {
		crash_msg cm;
		memcpy(&cm, m->buf + off, sizeof cm);
		if (cm.kind == MSG_READY)
			continue;
		assert_int_equal(cm.kind, MSG_RECEIPT);
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 1024;
			c->r = realloc(c->r, c->cap * sizeof *c->r);
			assert_non_null(c->r);
		}
		c->r[c->n++] = (receipt){cm.agent, cm.seq, cm.gseq};
	}
	/* No message was cut: each is one atomic write. */
	assert_int_equal(m->len % sizeof(crash_msg), 0);
}

/* All checks on the log in dir after a kill. Returns the number of
 * records. */
static uint64_t verify_log(const char *dir, hs_durability d, chain *ch)
{
	verify *v = calloc(1, sizeof *v);
	assert_non_null(v);
	v->next_gseq = 1;
	v->running_hash = HSI_FNV_SEED;
	v->prefix_at = ch->verified_gseq;

	hsi_log *log = NULL;
	char err[640] = "";
	int rc = hsi_log_open(dir, HSI_LOG_READONLY, &log, err, sizeof err);
	if (rc != 0)
		print_error("reopening %s: %s\n", dir, err);
	assert_hs(0, rc);
	uint64_t last = hsi_log_last_gseq(log);

	/* 1. Every record, in gseq order. */
	rc = hsi_log_scan_events(log, 0, UINT64_MAX, false, verify_event, v);
	if (v->problem[0] != '\0')
		print_error("%s: %s\n", dir, v->problem);
	assert_string_equal(v->problem, "");
	assert_hs(0, rc);
	uint64_t n = v->next_gseq - 1;
	assert_int_equal(n, last);
	/* Nothing verified before was lost or changed. */
	assert_true(n >= ch->verified_gseq);
	if (ch->verified_gseq != 0)
		assert_int_equal(v->prefix_hash_got, ch->verified_hash);

	/* 2. The agents index agrees with the records. */
	agents_check ac = {v, 0, false, ""};
	rc = hsi_log_scan_agents(log, check_agent_entry, &ac);
	if (ac.bad)
		print_error("agents index: %s does not match the records\n",
			    ac.what);
	assert_false(ac.bad);
	assert_hs(0, rc);
	int with_records = 0;
	for (int i = 0; i < NAGENTS; i++) {
		agent_fold *a = &v->a[i];
		if (a->st.c == 0)
			continue;
		with_records++;
		char id[16];
		agent_id(i, id, sizeof id);
		const char *type = type_names[i % NTYPES];
		uint64_t ls = 0, lg = 0;
		assert_hs(0, hsi_log_agent_last(log, type, strlen(type), id, 4,
						&ls, &lg));
		assert_int_equal(ls, a->st.c);
		assert_int_equal(lg, a->last_gseq);
		index_check ic = {v, i, 1, false};
		rc = hsi_log_scan_agent(log, type, strlen(type), id, 4, 1,
					UINT64_MAX, check_index_entry, &ic);
		if (ic.bad)
			print_error(
				"agents index of %s: entry for seq %" PRIu64
				" does not match the records\n",
				id, ic.next_seq);
		assert_false(ic.bad);
		assert_hs(0, rc);
		assert_int_equal(ic.next_seq, a->st.c + 1);

		/* 3. The newest snapshot. */
		unsigned every = type_every[i % NTYPES];
		hs_buf snap = HS_BUF_INIT;
		uint64_t sseq = 0;
		rc = hsi_log_snapshot_at(log, type, strlen(type), id, 4,
					 UINT64_MAX, &sseq, &snap);
		if (every == HS_SNAPSHOT_NEVER || a->snap_seq == 0) {
			assert_hs(HS_ENOTFOUND, rc);
		} else {
			assert_hs(0, rc);
			assert_int_equal(sseq, a->snap_seq);
			assert_int_equal(sseq, a->st.c / every * every);
			assert_int_equal(hsi_state_hash(snap.data, snap.len),
					 a->snap_hash);
			wstate ss;
			memset(&ss, 0, sizeof ss);
			assert_hs(0, w_decode(&ss, snap.data, snap.len, NULL));
			assert_true(same_folded(&ss, &a->snap_st));
		}
		hs_buf_free(&snap);
	}
	assert_int_equal(ac.n, with_records);

	/* 4. Every acknowledged hs_send_wait, of this round and the earlier
	 * ones on this log. */
	for (size_t k = 0; k < ch->n; k++) {
		const receipt *r = &ch->r[k];
		if (r->gseq > n)
			print_error("acknowledged gseq %" PRIu64
				    " (agent %u seq %" PRIu64
				    ") is missing: the log ends at %" PRIu64
				    "\n",
				    r->gseq, r->agent, r->seq, n);
		assert_true(r->gseq <= n);
		assert_int_equal(v->g_agent[r->gseq - 1], r->agent);
		assert_int_equal(v->g_seq[r->gseq - 1], r->seq);
	}
	hsi_log_close(log);

	/* 5. The runtime's lazy rebuild equals the fold from scratch. */
	hs_runtime *rt = pu_open_rt(dir, d, 2, NULL, NULL);
	register_types(rt, &rc);
	assert_hs(0, rc);
	hs_buf b = HS_BUF_INIT;
	for (int i = 0; i < NAGENTS; i++) {
		agent_fold *a = &v->a[i];
		char id[16];
		agent_id(i, id, sizeof id);
		hs_buf_reset(&b);
		rc = hs_deref(rt, type_names[i % NTYPES], id, &b);
		if (a->st.c == 0) {
			assert_hs(HS_ENOAGENT, rc);
			continue;
		}
		if (rc != 0) {
			hs_last_error(rt, err, sizeof err);
			print_error("deref %s: %s\n", id, err);
		}
		assert_hs(0, rc);
		wstate got;
		memset(&got, 0, sizeof got);
		assert_hs(0, w_decode(&got, b.data, b.len, NULL));
		if (!same_folded(&got, &a->st))
			print_error("agent %d: rebuilt c=%" PRIu64
				    " s=%" PRId64 " t=%" PRId64
				    ", folded c=%" PRIu64 " s=%" PRId64
				    " t=%" PRId64 "\n",
				    i, got.c, got.s, got.t, a->st.c, a->st.s,
				    a->st.t);
		assert_true(same_folded(&got, &a->st));
		assert_int_equal(hsi_state_hash(b.data, b.len), a->last_hash);
	}
	hs_buf_free(&b);
	assert_hs(0, hs_close(rt));

	ch->verified_gseq = n;
	ch->verified_hash = v->running_hash;
	free(v->g_agent);
	free(v->g_seq);
	free(v->g_time);
	free(v);
	return n;
}

/* ------------------------------------------------------------------ */
/* The test                                                             */
/* ------------------------------------------------------------------ */

static int rounds_per_mode(void)
{
	const char *e = getenv("HS_CRASH_ROUNDS");
	if (e != NULL && atoi(e) > 0)
		return atoi(e);
	return CRASH_DEFAULT_ROUNDS;
}

static uint64_t base_seed(void)
{
	const char *e = getenv("HS_CRASH_SEED");
	if (e != NULL && e[0] != '\0')
		return strtoull(e, NULL, 10);
	return (uint64_t)hsu_realtime_ns();
}

/* What a round in progress owns, released by the teardown also when an
 * assertion ends the test early. */
static char *cur_dir;
static chain cur_chain;

static void release_round_state(void)
{
	free(cur_chain.r);
	memset(&cur_chain, 0, sizeof cur_chain);
	pu_rmtree(cur_dir);
	free(cur_dir);
	cur_dir = NULL;
}

static int teardown(void **state)
{
	if (cur_dir != NULL && getenv("HS_CRASH_KEEP") != NULL) {
		printf("crash: log kept in %s\n", cur_dir);
		free(cur_dir);
		cur_dir = NULL;
		for (int i = 0; i < PU_DIRS_MAX; i++) {
			free(pu_dirs[i]);
			pu_dirs[i] = NULL;
		}
	}
	release_round_state();
	return pu_cleanup_dirs(state);
}

static void crash_rounds(hs_durability d)
{
	int rounds = rounds_per_mode();
	uint64_t seed = base_seed();
	rng_t r = {seed * 0x9e3779b97f4a7c15ull | 1};
	printf("crash %s: %d rounds, HS_CRASH_SEED=%" PRIu64
	       " (HS_CRASH_KEEP=1 keeps a failing log)\n",
	       d == HS_DURABILITY_SYNC ? "SYNC" : "NONE", rounds, seed);
	fflush(stdout);
	chain *ch = &cur_chain;
	uint64_t total = 0, receipts = 0;
	for (int i = 0; i < rounds; i++) {
		bool fresh = i % CHAIN == 0;
		if (fresh) {
			release_round_state();
			cur_dir = pu_mkdtemp("crash");
		}
		/* The first child of a log is killed only once it has
		 * created the log: creation (RocksDB database, then its meta
		 * "format" key) is not atomic, and a directory killed in
		 * between is refused as "not a hindsight log". Later children
		 * are sometimes killed early, while they reopen the log. */
		bool early = !fresh && i % CHAIN == 2 && rnd(&r, 2) == 0;
		msgs m;
		memset(&m, 0, sizeof m);
		size_t before = ch->n;
		/* Every other round, most agents do not fit in memory and are
		 * passivated and rebuilt while the workload runs. */
		unsigned limit = i % 2 ? NAGENTS / 5 : 0;
		run_child(cur_dir, d, seed + (uint64_t)i, limit, early, &r,
			  &m);
		chain_add(ch, &m);
		free(m.buf);
		printf("  round %d%s%s: ", i, early ? " (early kill)" : "",
		       limit ? " (resident limit)" : "");
		fflush(stdout);
		uint64_t n = verify_log(cur_dir, d, ch);
		receipts += ch->n - before;
		total = n;
		printf("%" PRIu64 " records, %zu receipts\n", n,
		       ch->n - before);
		fflush(stdout);
	}
	printf("crash %s: done, last log %" PRIu64 " records, %" PRIu64
	       " receipts checked\n",
	       d == HS_DURABILITY_SYNC ? "SYNC" : "NONE", total, receipts);
	release_round_state();
}

static void test_crash_none(void **state)
{
	(void)state;
	crash_rounds(HS_DURABILITY_NONE);
}

static void test_crash_sync(void **state)
{
	(void)state;
	crash_rounds(HS_DURABILITY_SYNC);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "--crash-child") == 0)
		return child_main(argc, argv);
	/* A child that dies must not kill the parent through the pipe. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_crash_none, teardown),
		cmocka_unit_test_teardown(test_crash_sync, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
