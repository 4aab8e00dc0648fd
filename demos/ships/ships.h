/*
 * The "ship" agent type of the ships demo, shared by the demo program
 * (hs-ships) and its types plugin (libhs_ships_types.so), which lets the
 * `hindsight` command replay the demo's log.
 *
 * A ship handles two events:
 *   depart  {"port": "Oslo", "country": "Norway", "cargo": 420}
 *           leaves the port it is in for `port`, with `cargo` TEU aboard;
 *   arrive  {"port": "Oslo", "country": "Norway"}
 *           reaches the port it sailed for and unloads; a ship that has
 *           never been anywhere enters service with an arrive at its home
 *           port.
 * Anything else leaves the ship unchanged; an event that does not fit the
 * ship's location (departing at sea, arriving at the wrong port) fails it.
 *
 * Uses only the public API, include/hindsight.h.
 */
#ifndef HS_DEMOS_SHIPS_H
#define HS_DEMOS_SHIPS_H

#include <hindsight.h>

#include <stddef.h>
#include <stdint.h>

#define SHIP_TYPE "ship"
#define SHIP_NAME_MAX 32  /* port and country names: at most 31 bytes */
#define SHIP_PORTS_MAX 32 /* distinct ports a ship keeps counts for */

typedef enum ship_status {
	SHIP_NEW = 0, /* not in service yet: no event so far */
	SHIP_IN_PORT,
	SHIP_AT_SEA
} ship_status;

typedef struct ship_visits {
	char port[SHIP_NAME_MAX];
	int64_t count;
} ship_visits;

/* The state of one ship. */
typedef struct ship {
	ship_status status;
	char port[SHIP_NAME_MAX];    /* in port: where; at sea: where to */
	char country[SHIP_NAME_MAX]; /* the country of `port` */
	char from[SHIP_NAME_MAX];    /* the port it last left; "" if none */
	int64_t since;               /* ns: when it arrived or departed */
	int64_t cargo;               /* TEU aboard (0 in port) */
	int64_t delivered;           /* TEU unloaded, all voyages */
	int64_t voyages;             /* departures so far */
	unsigned nports;             /* entries in visits[] */
	ship_visits visits[SHIP_PORTS_MAX]; /* arrivals per port, in order
					     * of first visit */
} ship;

/* The number of arrivals of `s` in `port` (0 when never there). */
int64_t ship_visits_to(const ship *s, const char *port);

/* The port `s` arrived in most often (the earlier one on a tie), or ""
 * before its first arrival. */
const char *ship_favourite(const ship *s);

/* Decodes a state as written by the type's encode (hs_deref, hs_state_at,
 * watchers). Returns 0 or a negative HS_E... code. */
int ship_decode(ship *s, const void *data, size_t len);

/* Writes where the ship is, e.g. "in port Oslo, Norway" or
 * "at sea Malmo->Oslo", into buf. */
void ship_location(const ship *s, char *buf, size_t cap);

/* The types plugin entry point (HS_PLUGIN_SYMBOL): registers the "ship"
 * type on rt. The demo calls it too, so both register the same type. */
HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt);

#endif /* HS_DEMOS_SHIPS_H */
