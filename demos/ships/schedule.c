/*
 * The world hs-ships simulates: 20 real ports, the simulated hours from
 * 2026-01-01, and each ship's schedule, which depends only on the seed and
 * the ship's number (so the same seed gives the same history whatever the
 * thread count).
 */
#include "hs_ships.h"

#include "common/splitmix.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUTE_FACTOR 1.25 /* sea route / great-circle distance */

const port ports[] = {
	{"Malmo", "Sweden", 55.61, 13.00},
	{"Gothenburg", "Sweden", 57.71, 11.97},
	{"Oslo", "Norway", 59.91, 10.75},
	{"Copenhagen", "Denmark", 55.68, 12.57},
	{"Gdansk", "Poland", 54.35, 18.65},
	{"Helsinki", "Finland", 60.17, 24.94},
	{"Tallinn", "Estonia", 59.44, 24.75},
	{"Hamburg", "Germany", 53.55, 9.99},
	{"Rotterdam", "Netherlands", 51.92, 4.48},
	{"Antwerp", "Belgium", 51.22, 4.40},
	{"Felixstowe", "United Kingdom", 51.96, 1.35},
	{"Le Havre", "France", 49.49, 0.11},
	{"Lisbon", "Portugal", 38.72, -9.14},
	{"Valencia", "Spain", 39.47, -0.38},
	{"Genoa", "Italy", 44.41, 8.93},
	{"Piraeus", "Greece", 37.94, 23.65},
	{"Istanbul", "Turkey", 41.01, 28.98},
	{"Alexandria", "Egypt", 31.20, 29.92},
	{"New York", "United States", 40.71, -74.01},
	{"Singapore", "Singapore", 1.29, 103.85},
};

static double dist_km[NPORTS][NPORTS];
/* Cumulative weights for choosing a destination: nearer ports are
 * chosen more often, as short-sea shipping outnumbers long hauls. */
static uint64_t dest_cum[NPORTS][NPORTS];

void ports_init(void)
{
	const double rad = 3.14159265358979323846 / 180.0, earth = 6371.0;

	for (int i = 0; i < NPORTS; i++) {
		uint64_t sum = 0;

		for (int j = 0; j < NPORTS; j++) {
			double la1 = ports[i].lat * rad,
			       la2 = ports[j].lat * rad;
			double dla = la2 - la1;
			double dlo = (ports[j].lon - ports[i].lon) * rad;
			double a = sin(dla / 2) * sin(dla / 2) +
				   cos(la1) * cos(la2) * sin(dlo / 2) *
					   sin(dlo / 2);

			dist_km[i][j] = 2 * earth * asin(sqrt(a));
			if (i != j)
				sum += (uint64_t)(1e9 /
						  pow(dist_km[i][j] + 250,
						      1.5));
			dest_cum[i][j] = sum;
		}
	}
}

int port_index(const char *city)
{
	for (int i = 0; i < NPORTS; i++)
		if (strcmp(ports[i].city, city) == 0)
			return i;
	return -1;
}

stamp rfc3339(int64_t ns)
{
	stamp st;
	time_t secs = (time_t)(ns / NS_PER_S - (ns % NS_PER_S < 0));
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(st.s, sizeof(st.s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(st.s, sizeof(st.s), "%" PRId64 "ns", ns);
	return st;
}

int64_t hour_ns(int h)
{
	return EPOCH_NS + (int64_t)h * NS_PER_HOUR;
}

void ship_id(int n, char *buf, size_t cap)
{
	snprintf(buf, cap, "ship-%06d", n);
}

void plan_init(plan *p, uint64_t seed, int ship_no)
{
	p->rng = splitmix_mix(seed ^ splitmix_mix((uint64_t)ship_no + 1));
	p->port = (int)(splitmix_next(&p->rng) % NPORTS);
	p->knots = 12 + (int)(splitmix_next(&p->rng) % 9);
	p->next_h = (int)(splitmix_next(&p->rng) % 24); /* enters service */
	p->started = false;
	p->at_sea = false;
}

int stay_hours(plan *p)
{
	return 6 + (int)(splitmix_next(&p->rng) % 43);
}

int pick_destination(plan *p)
{
	const uint64_t *cum = dest_cum[p->port];
	uint64_t r = splitmix_next(&p->rng) % cum[NPORTS - 1];
	int j = 0;

	while (cum[j] <= r)
		j++;
	return j;
}

int sail_hours(int from, int to, int knots)
{
	double h = dist_km[from][to] * ROUTE_FACTOR / (knots * 1.852);
	int n = (int)ceil(h);

	return n < 1 ? 1 : n;
}
