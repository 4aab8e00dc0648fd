/*
 * The "part" agent type of the stock tracker (see part.h), and the types
 * plugin entry point that registers it for the `hindsight` CLI.
 */
#include "part.h"

#include <string.h>

/* Largest quantity one event may carry. */
#define QTY_MAX 1000000

/* ------------------------------------------------------------------ */
/* The window as a msgpack array of int64                               */
/* ------------------------------------------------------------------ */

/* Bytes of the encoded window: array32 header, then int64s of 9 bytes. */
#define WINDOW_BYTES (5 + 9 * STOCK_WINDOW_CAP)

/* Writes the window as an array of int64 (0xd3, big-endian): a fixed
 * width, so that equal states give equal bytes. Returns the length. */
static size_t window_pack(const part_state *s, uint8_t *p)
{
	size_t n = 0;

	if (s->nwindow < 16) {
		p[n++] = (uint8_t)(0x90 | s->nwindow);
	} else {
		p[n++] = 0xdc;
		p[n++] = 0;
		p[n++] = (uint8_t)s->nwindow;
	}
	for (int64_t i = 0; i < s->nwindow; i++) {
		uint64_t v = (uint64_t)s->window[i];

		p[n++] = 0xd3;
		for (int b = 7; b >= 0; b--)
			p[n++] = (uint8_t)(v >> (8 * b));
	}
	return n;
}

/* Reads a big-endian unsigned integer of w bytes. */
static uint64_t be(const uint8_t *p, int w)
{
	uint64_t v = 0;

	for (int i = 0; i < w; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads one msgpack integer at *p (any width) into *out. */
static int int_read(const uint8_t **p, const uint8_t *end, int64_t *out)
{
	uint8_t c;
	int w;

	if (*p >= end)
		return HS_EBADMSG;
	c = *(*p)++;
	if (c <= 0x7f || c >= 0xe0) { /* positive or negative fixint */
		*out = (int8_t)c;
		return 0;
	}
	if (c >= 0xcc && c <= 0xcf)
		w = 1 << (c - 0xcc);
	else if (c >= 0xd0 && c <= 0xd3)
		w = 1 << (c - 0xd0);
	else
		return HS_ETYPE;
	if (end - *p < w)
		return HS_EBADMSG;
	uint64_t v = be(*p, w);
	*p += w;
	if (c == 0xcf && v > INT64_MAX)
		return HS_ERANGE;
	if (c >= 0xd0) { /* signed: extend the sign of a w-byte value */
		int sh = 64 - 8 * w;
		*out = sh ? (int64_t)(v << sh) >> sh : (int64_t)v;
	} else {
		*out = (int64_t)v;
	}
	return 0;
}

static int window_unpack(part_state *s, const hs_value *v)
{
	const uint8_t *p = v->raw, *end = v->raw + v->raw_len;
	size_t n = v->len;

	if (v->kind != HS_ARRAY)
		return HS_ETYPE;
	if (n > STOCK_WINDOW_CAP)
		return HS_ERANGE;
	/* Skip the array header (fixarray, array16 or array32). */
	p += *p == 0xdc ? 3 : *p == 0xdd ? 5 : 1;
	for (size_t i = 0; i < n; i++) {
		int rc = int_read(&p, end, &s->window[i]);

		if (rc != 0)
			return rc;
	}
	s->nwindow = (int64_t)n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The "part" type                                                      */
/* ------------------------------------------------------------------ */

/* Drops the window's orders older than STOCK_WINDOW_NS before now. */
static void window_evict(part_state *s, int64_t now)
{
	int64_t k = 0;

	while (k < s->nwindow && s->window[k] <= now - STOCK_WINDOW_NS)
		k++;
	if (k == 0)
		return;
	memmove(s->window, s->window + k,
		(size_t)(s->nwindow - k) * sizeof(s->window[0]));
	s->nwindow -= k;
}

static int part_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	part_state *s = state;
	int64_t now = hs_ctx_now(ctx), qty;
	bool order = hs_event_is(ev, "order");
	int rc;

	if (!order && !hs_event_is(ev, "delivery"))
		return HS_UNCHANGED;
	if ((rc = hs_event_i64(ev, "qty", &qty)) != 0) {
		hs_ctx_set_error(ctx, "%s without an integer qty",
				 hs_event_type(ev));
		return rc;
	}
	if (qty < 1 || qty > QTY_MAX) {
		hs_ctx_set_error(ctx, "%s of %lld units", hs_event_type(ev),
				 (long long)qty);
		return HS_ERANGE;
	}

	window_evict(s, now);
	if (order) {
		s->stock -= qty;
		s->ordered += qty;
		if (s->nwindow == STOCK_WINDOW_CAP) {
			memmove(s->window, s->window + 1,
				(STOCK_WINDOW_CAP - 1) * sizeof(s->window[0]));
			s->nwindow--;
		}
		s->window[s->nwindow++] = now;
		if (s->nwindow > s->peak) {
			s->peak = s->nwindow;
			s->peak_at = now;
		}
	} else {
		s->stock += qty;
		s->delivered += qty;
	}
	if (s->stock > STOCK_BACKLOG)
		s->backlog_since = 0;
	else if (s->backlog_since == 0)
		s->backlog_since = now;
	return HS_CHANGED;
}

static int part_encode(const void *state, hs_buf *out, void *udata)
{
	const part_state *s = state;
	uint8_t win[WINDOW_BYTES];
	size_t wlen = window_pack(s, win);

	(void)udata;
	/* nil says "none" for backlog_since and peak_at. */
	if (s->backlog_since != 0 && s->peak != 0)
		return hs_packf(
			out,
			"stock:I ordered:I delivered:I backlog_since:I "
			"window:m peak:I peak_at:I",
			s->stock, s->ordered, s->delivered, s->backlog_since,
			win, wlen, s->peak, s->peak_at);
	if (s->backlog_since != 0)
		return hs_packf(
			out,
			"stock:I ordered:I delivered:I backlog_since:I "
			"window:m peak:I peak_at:n",
			s->stock, s->ordered, s->delivered, s->backlog_since,
			win, wlen, s->peak);
	if (s->peak != 0)
		return hs_packf(
			out,
			"stock:I ordered:I delivered:I backlog_since:n "
			"window:m peak:I peak_at:I",
			s->stock, s->ordered, s->delivered, win, wlen, s->peak,
			s->peak_at);
	return hs_packf(out,
			"stock:I ordered:I delivered:I backlog_since:n "
			"window:m peak:I peak_at:n",
			s->stock, s->ordered, s->delivered, win, wlen,
			s->peak);
}

/* An integer field, or 0 when it is nil. */
static int get_time(const void *data, size_t len, const char *path,
		    int64_t *out)
{
	hs_value v;
	int rc = hs_get(data, len, path, &v);

	if (rc != 0)
		return rc;
	if (v.kind == HS_NIL) {
		*out = 0;
		return 0;
	}
	return hs_get_i64(data, len, path, out);
}

int part_state_read(const void *data, size_t len, part_state *s)
{
	hs_value win;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = hs_get_i64(data, len, "stock", &s->stock)) != 0 ||
	    (rc = hs_get_i64(data, len, "ordered", &s->ordered)) != 0 ||
	    (rc = hs_get_i64(data, len, "delivered", &s->delivered)) != 0 ||
	    (rc = get_time(data, len, "backlog_since", &s->backlog_since)) !=
		    0 ||
	    (rc = hs_get_i64(data, len, "peak", &s->peak)) != 0 ||
	    (rc = get_time(data, len, "peak_at", &s->peak_at)) != 0 ||
	    (rc = hs_get(data, len, "window", &win)) != 0 ||
	    (rc = window_unpack(s, &win)) != 0)
		return rc;
	return 0;
}

static int part_decode(void *state, const void *data, size_t len, void *udata)
{
	(void)udata;
	return part_state_read(data, len, state);
}

int64_t part_window_at(const part_state *s, int64_t now_ns)
{
	int64_t n = 0;

	for (int64_t i = 0; i < s->nwindow; i++)
		n += s->window[i] > now_ns - STOCK_WINDOW_NS &&
		     s->window[i] <= now_ns;
	return n;
}

static const hs_type part_type = {
	.name = "part",
	.state_size = sizeof(part_state),
	.apply = part_apply,
	.encode = part_encode,
	.decode = part_decode,
	.on_error = HS_ON_ERROR_FAIL,
	/* A past state is rebuilt from at most 16 records. */
	.snapshot_every = 16,
};

int stock_register_types(hs_runtime *rt)
{
	return hs_register(rt, &part_type);
}

/* The types plugin entry point (HS_PLUGIN_SYMBOL in hindsight.h). */
HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt);

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	return stock_register_types(rt);
}
