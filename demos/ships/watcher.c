/*
 * hs-ships' watcher: it sees every transition of the fleet, keeps where
 * each ship is, and prints notable moments as they happen.
 */
#include "hs_ships.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VISIT_MILESTONE 8   /* "arrives in X for the 8th time" */
#define VOYAGE_MILESTONE 30 /* "sets out on its 30th voyage" */

/* A ship makes about a voyage every two days and calls at a port again
 * every week or so: over the default 60 days the milestones are 8 calls
 * and 30 voyages; a shorter run scales them down (to 2 at least), so
 * that it has notable moments too. */
void watch_milestones(watch *w, int days)
{
	int visits = days * 2 / 15, voyages = days / 2;

	w->visit_milestone = visits < 2 ? 2
			     : visits > VISIT_MILESTONE ? VISIT_MILESTONE
							: visits;
	w->voyage_milestone = voyages < 2 ? 2
			      : voyages > VOYAGE_MILESTONE ? VOYAGE_MILESTONE
							   : voyages;
}

static int ship_number(const char *id)
{
	char *end;
	long n;

	if (strncmp(id, "ship-", 5) != 0)
		return -1;
	n = strtol(id + 5, &end, 10);
	return *end == '\0' && n >= 0 && n < MAX_SHIPS ? (int)n : -1;
}

const char *ordinal(int64_t n)
{
	if (n % 100 >= 11 && n % 100 <= 13)
		return "th";
	switch (n % 10) {
	case 1:
		return "st";
	case 2:
		return "nd";
	case 3:
		return "rd";
	default:
		return "th";
	}
}

static void notable(watch *w, const hs_transition *t, const char *what)
{
	pthread_mutex_lock(&w->print_mu);
	if (++w->notable <= NOTABLE_LINES)
		printf("  notable: %s %s %s\n", rfc3339(t->time_ns).s,
		       t->agent.id, what);
	pthread_mutex_unlock(&w->print_mu);
}

void watcher(void *udata, const hs_transition *t)
{
	watch *w = udata;
	ship s;
	char what[128];
	int n;

	atomic_fetch_add_explicit(&w->transitions, 1, memory_order_relaxed);
	n = ship_number(t->agent.id);
	if (strcmp(t->agent.type, SHIP_TYPE) != 0 || n < 0 || n >= w->nships ||
	    ship_decode(&s, t->new_state, t->new_len) != 0) {
		atomic_fetch_add_explicit(&w->bad, 1, memory_order_relaxed);
		return;
	}
	w->ships[n].status = (int8_t)s.status;
	w->ships[n].port = (int8_t)port_index(s.port);
	w->ships[n].from = (int8_t)port_index(s.from);

	if (s.status == SHIP_IN_PORT &&
	    ship_visits_to(&s, s.port) == w->visit_milestone) {
		snprintf(what, sizeof(what), "arrives in %s for the %d%s time",
			 s.port, w->visit_milestone,
			 ordinal(w->visit_milestone));
		notable(w, t, what);
	} else if (s.status == SHIP_AT_SEA &&
		   s.voyages == w->voyage_milestone) {
		snprintf(what, sizeof(what),
			 "sets out on its %d%s voyage: %s->%s, %" PRId64
			 " TEU",
			 w->voyage_milestone, ordinal(w->voyage_milestone),
			 s.from, s.port, s.cargo);
		notable(w, t, what);
	}
}

void seen_location(const seen *s, char *buf, size_t cap)
{
	if (s->status == SHIP_IN_PORT && s->port >= 0)
		snprintf(buf, cap, "in port %s, %s", ports[s->port].city,
			 ports[s->port].country);
	else if (s->status == SHIP_AT_SEA && s->port >= 0 && s->from >= 0)
		snprintf(buf, cap, "at sea %s->%s", ports[s->from].city,
			 ports[s->port].city);
	else if (s->status == SHIP_NEW)
		snprintf(buf, cap, "not in service");
	else
		snprintf(buf, cap, "unknown");
}

void take_census(const watch *w, census *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < w->nships; i++) {
		const seen *sh = &w->ships[i];

		if (sh->status == SHIP_IN_PORT && sh->port >= 0) {
			c->in_port[sh->port]++;
			c->total_in_port++;
		} else if (sh->status == SHIP_AT_SEA) {
			c->at_sea++;
		} else {
			c->not_in_service++;
		}
	}
}
