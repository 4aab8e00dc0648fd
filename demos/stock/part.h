/*
 * The stock tracker's agent type "part": one agent per car-body part,
 * joining the order stream and the delivery stream into a stock level.
 *
 * Events (msgpack maps):
 *   order     {qty: int >= 1, customer: str}   takes qty units
 *   delivery  {qty: int >= 1, supplier: str}   adds qty units
 *
 * State (msgpack map, as the `hindsight` CLI shows it):
 *   stock          delivered - ordered; negative means unmet demand
 *   ordered        units ordered so far
 *   delivered      units delivered so far
 *   backlog_since  time (ns) the stock fell to STOCK_BACKLOG or below,
 *                  nil while it is above
 *   window         times (ns) of the orders in the last STOCK_WINDOW_NS
 *                  of event time, oldest first
 *   peak, peak_at  the most orders the window ever held, and when
 *
 * Used by hs-stock and built on its own as the types plugin
 * libhs_stock_types.so, so that `hindsight verify --types` can replay the
 * demo's log. Uses only include/hindsight.h.
 */
#ifndef HS_DEMOS_STOCK_PART_H
#define HS_DEMOS_STOCK_PART_H

#include <hindsight.h>

#include <stdint.h>

/* A part is in backlog while its stock is at or below this. */
#define STOCK_BACKLOG (-4)

/* The sliding window: orders in the last 5 simulated seconds. */
#define STOCK_WINDOW_NS (5 * INT64_C(1000000000))

/* Most order times the window keeps; older ones are evicted first. With
 * the demo's rates a part gets about one order per 5 s. */
#define STOCK_WINDOW_CAP 64

typedef struct part_state {
	int64_t stock;
	int64_t ordered;
	int64_t delivered;
	int64_t backlog_since; /* 0 = not in backlog */
	int64_t peak;
	int64_t peak_at;
	int64_t nwindow;
	int64_t window[STOCK_WINDOW_CAP]; /* oldest first */
} part_state;

/* Registers the "part" type. Returns as hs_register(). */
int stock_register_types(hs_runtime *rt);

/* Decodes a state written by the type's encode() (from hs_deref,
 * hs_state_at, a watcher or a history record) into *out. Returns 0 or a
 * negative HS_E... code. Thread-safe. */
int part_state_read(const void *mp, size_t len, part_state *out);

/* Orders in *s's window at time now_ns: those in (now_ns - window, now_ns]. */
int64_t part_window_at(const part_state *s, int64_t now_ns);

#endif /* HS_DEMOS_STOCK_PART_H */
