/*
 * The "ship" agent type (see ships.h). Compiled into hs-ships and, on its
 * own, into the types plugin libhs_ships_types.so.
 */
#include "ships.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int64_t ship_visits_to(const ship *s, const char *port)
{
	for (unsigned i = 0; i < s->nports; i++)
		if (strcmp(s->visits[i].port, port) == 0)
			return s->visits[i].count;
	return 0;
}

const char *ship_favourite(const ship *s)
{
	const ship_visits *best = NULL;

	for (unsigned i = 0; i < s->nports; i++)
		if (best == NULL || s->visits[i].count > best->count)
			best = &s->visits[i];
	return best != NULL ? best->port : "";
}

void ship_location(const ship *s, char *buf, size_t cap)
{
	switch (s->status) {
	case SHIP_IN_PORT:
		snprintf(buf, cap, "in port %s, %s", s->port, s->country);
		break;
	case SHIP_AT_SEA:
		snprintf(buf, cap, "at sea %s->%s", s->from, s->port);
		break;
	default:
		snprintf(buf, cap, "not in service");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* The per-port counts as a msgpack map {"Oslo": 3, ...}                */
/* ------------------------------------------------------------------ */

/*
 * hs_packf packs maps whose keys are known when the format is written, and
 * hs_get looks fields up by name; neither walks a map of ports the type
 * learns as it goes. So the counts map is written and read here, byte by
 * byte, in the msgpack forms below, and passed to hs_packf with `m`.
 */
#define VISITS_BYTES (3 + SHIP_PORTS_MAX * (1 + SHIP_NAME_MAX + 9))

static size_t put_uint(uint8_t *p, uint64_t v)
{
	int n;

	if (v < 128) {
		p[0] = (uint8_t)v;
		return 1;
	}
	if (v <= 0xffff) {
		p[0] = 0xcd;
		n = 2;
	} else if (v <= 0xffffffffu) {
		p[0] = 0xce;
		n = 4;
	} else {
		p[0] = 0xcf;
		n = 8;
	}
	for (int i = 0; i < n; i++)
		p[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return 1 + (size_t)n;
}

static size_t visits_pack(const ship *s, uint8_t *p)
{
	size_t n = 0;

	/* SHIP_PORTS_MAX < 65536: fixmap or map16. */
	if (s->nports < 16) {
		p[n++] = (uint8_t)(0x80 | s->nports);
	} else {
		p[n++] = 0xde;
		p[n++] = (uint8_t)(s->nports >> 8);
		p[n++] = (uint8_t)s->nports;
	}
	for (unsigned i = 0; i < s->nports; i++) {
		size_t len = strlen(s->visits[i].port); /* < 32: fixstr */

		p[n++] = (uint8_t)(0xa0 | len);
		memcpy(p + n, s->visits[i].port, len);
		n += len;
		n += put_uint(p + n, (uint64_t)s->visits[i].count);
	}
	return n;
}

static int get_uint(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	int n;

	if (p >= end)
		return HS_EBADMSG;
	if (*p < 128) {
		*out = *p;
		*pp = p + 1;
		return 0;
	}
	switch (*p) {
	case 0xcc:
		n = 1;
		break;
	case 0xcd:
		n = 2;
		break;
	case 0xce:
		n = 4;
		break;
	case 0xcf:
		n = 8;
		break;
	default:
		return HS_EBADMSG;
	}
	if (end - p < 1 + n)
		return HS_EBADMSG;
	for (int i = 1; i <= n; i++)
		v = v << 8 | p[i];
	if (v > INT64_MAX)
		return HS_ERANGE;
	*out = (int64_t)v;
	*pp = p + 1 + n;
	return 0;
}

static int visits_unpack(ship *s, const uint8_t *p, const uint8_t *end)
{
	size_t count;
	int rc;

	if (p >= end)
		return HS_EBADMSG;
	if ((*p & 0xf0) == 0x80) {
		count = *p++ & 0x0f;
	} else if (*p == 0xde && end - p >= 3) {
		count = (size_t)p[1] << 8 | p[2];
		p += 3;
	} else {
		return HS_EBADMSG;
	}
	if (count > SHIP_PORTS_MAX)
		return HS_ERANGE;
	for (size_t i = 0; i < count; i++) {
		size_t len;

		if (p >= end)
			return HS_EBADMSG;
		if ((*p & 0xe0) == 0xa0) {
			len = *p++ & 0x1f;
		} else if (*p == 0xd9 && end - p >= 2) {
			len = p[1];
			p += 2;
		} else {
			return HS_EBADMSG;
		}
		if (len == 0 || len >= SHIP_NAME_MAX)
			return HS_ERANGE;
		if ((size_t)(end - p) < len)
			return HS_EBADMSG;
		memcpy(s->visits[i].port, p, len);
		s->visits[i].port[len] = '\0';
		p += len;
		if ((rc = get_uint(&p, end, &s->visits[i].count)) != 0)
			return rc;
	}
	if (p != end)
		return HS_EBADMSG;
	s->nports = (unsigned)count;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The "ship" type                                                      */
/* ------------------------------------------------------------------ */

/* Reads port and country from the event; both are required. */
static int event_port(hs_ctx *ctx, const hs_event *ev, char *port,
		      char *country)
{
	int rc;

	if ((rc = hs_event_strcpy(ev, "port", port, SHIP_NAME_MAX)) != 0 ||
	    (rc = hs_event_strcpy(ev, "country", country, SHIP_NAME_MAX)) !=
		    0) {
		hs_ctx_set_error(ctx,
				 "%s needs port and country (strings of "
				 "1..%d bytes): %s",
				 hs_event_type(ev), SHIP_NAME_MAX - 1,
				 hs_strerror(rc));
		return rc;
	}
	if (port[0] == '\0' || country[0] == '\0') {
		hs_ctx_set_error(ctx, "%s with an empty port or country",
				 hs_event_type(ev));
		return HS_EINVAL;
	}
	return 0;
}

static int depart(hs_ctx *ctx, ship *s, const hs_event *ev)
{
	char port[SHIP_NAME_MAX], country[SHIP_NAME_MAX];
	int64_t cargo;
	int rc;

	if ((rc = event_port(ctx, ev, port, country)) != 0)
		return rc;
	if ((rc = hs_event_i64(ev, "cargo", &cargo)) != 0) {
		hs_ctx_set_error(ctx, "depart needs cargo (an integer)");
		return rc;
	}
	if (cargo < 0 || cargo > 1000000) {
		hs_ctx_set_error(ctx, "cargo %" PRId64 " TEU is out of range",
				 cargo);
		return HS_ERANGE;
	}
	if (s->status != SHIP_IN_PORT) {
		hs_ctx_set_error(ctx, "depart for %s while %s", port,
				 s->status == SHIP_AT_SEA ? "at sea"
							  : "not in service");
		return HS_EINVAL;
	}
	if (strcmp(port, s->port) == 0) {
		hs_ctx_set_error(ctx, "depart for %s from %s itself", port,
				 port);
		return HS_EINVAL;
	}
	memcpy(s->from, s->port, sizeof(s->from));
	memcpy(s->port, port, sizeof(s->port));
	memcpy(s->country, country, sizeof(s->country));
	s->status = SHIP_AT_SEA;
	s->since = hs_ctx_now(ctx);
	s->cargo = cargo;
	s->voyages++;
	return HS_CHANGED;
}

static int arrive(hs_ctx *ctx, ship *s, const hs_event *ev)
{
	char port[SHIP_NAME_MAX], country[SHIP_NAME_MAX];
	unsigned i;
	int rc;

	if ((rc = event_port(ctx, ev, port, country)) != 0)
		return rc;
	if (s->status == SHIP_IN_PORT) {
		hs_ctx_set_error(ctx, "arrive in %s while in port %s", port,
				 s->port);
		return HS_EINVAL;
	}
	if (s->status == SHIP_AT_SEA && strcmp(port, s->port) != 0) {
		hs_ctx_set_error(ctx, "arrive in %s while sailing for %s",
				 port, s->port);
		return HS_EINVAL;
	}
	for (i = 0; i < s->nports; i++)
		if (strcmp(s->visits[i].port, port) == 0)
			break;
	if (i == SHIP_PORTS_MAX) {
		hs_ctx_set_error(ctx,
				 "arrive in %s: a ship keeps counts for "
				 "%d ports at most",
				 port, SHIP_PORTS_MAX);
		return HS_ERANGE;
	}
	if (i == s->nports) {
		memcpy(s->visits[i].port, port, sizeof(s->visits[i].port));
		s->visits[i].count = 0;
		s->nports++;
	}
	s->visits[i].count++;
	memcpy(s->port, port, sizeof(s->port));
	memcpy(s->country, country, sizeof(s->country));
	s->status = SHIP_IN_PORT;
	s->since = hs_ctx_now(ctx);
	s->delivered += s->cargo;
	s->cargo = 0;
	return HS_CHANGED;
}

static int ship_apply(hs_ctx *ctx, void *state, const hs_event *ev)
{
	if (hs_event_is(ev, "depart"))
		return depart(ctx, state, ev);
	if (hs_event_is(ev, "arrive"))
		return arrive(ctx, state, ev);
	return HS_UNCHANGED;
}

static int ship_encode(const void *state, hs_buf *out, void *udata)
{
	const ship *s = state;
	uint8_t visits[VISITS_BYTES];
	size_t vlen;

	(void)udata;
	switch (s->status) {
	case SHIP_NEW:
		return hs_packf(out, "status:s", "new");
	case SHIP_IN_PORT:
		vlen = visits_pack(s, visits);
		return hs_packf(out,
				"status:s port:s country:s last_port:s "
				"since:I cargo:I delivered:I voyages:I "
				"visits_here:I favourite:s visits:m",
				"in port", s->port, s->country,
				s->from[0] != '\0' ? s->from : NULL, s->since,
				s->cargo, s->delivered, s->voyages,
				ship_visits_to(s, s->port), ship_favourite(s),
				visits, vlen);
	case SHIP_AT_SEA:
		vlen = visits_pack(s, visits);
		return hs_packf(out,
				"status:s from:s to:s country:s since:I "
				"cargo:I delivered:I voyages:I favourite:s "
				"visits:m",
				"at sea", s->from, s->port, s->country,
				s->since, s->cargo, s->delivered, s->voyages,
				ship_favourite(s), visits, vlen);
	}
	return HS_EINVAL;
}

/* Copies an optional string field: nil or missing gives "". */
static int get_name(const void *data, size_t len, const char *path, char *dst,
		    bool required)
{
	hs_value v;
	int rc = hs_get(data, len, path, &v);

	if ((rc == HS_ENOTFOUND && !required) ||
	    (rc == 0 && v.kind == HS_NIL && !required)) {
		dst[0] = '\0';
		return 0;
	}
	if (rc != 0)
		return rc;
	return hs_get_strcpy(data, len, path, dst, SHIP_NAME_MAX);
}

int ship_decode(ship *s, const void *data, size_t len)
{
	char status[16];
	hs_value visits;
	ship tmp;
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	if ((rc = hs_get_strcpy(data, len, "status", status,
				sizeof(status))) != 0)
		return rc;
	if (strcmp(status, "new") == 0) {
		*s = tmp;
		return 0;
	}
	if (strcmp(status, "in port") == 0) {
		tmp.status = SHIP_IN_PORT;
		if ((rc = get_name(data, len, "port", tmp.port, true)) != 0 ||
		    (rc = get_name(data, len, "last_port", tmp.from, false)) !=
			    0)
			return rc;
	} else if (strcmp(status, "at sea") == 0) {
		tmp.status = SHIP_AT_SEA;
		if ((rc = get_name(data, len, "from", tmp.from, true)) != 0 ||
		    (rc = get_name(data, len, "to", tmp.port, true)) != 0)
			return rc;
	} else {
		return HS_EBADMSG;
	}
	if ((rc = get_name(data, len, "country", tmp.country, true)) != 0 ||
	    (rc = hs_get_i64(data, len, "since", &tmp.since)) != 0 ||
	    (rc = hs_get_i64(data, len, "cargo", &tmp.cargo)) != 0 ||
	    (rc = hs_get_i64(data, len, "delivered", &tmp.delivered)) != 0 ||
	    (rc = hs_get_i64(data, len, "voyages", &tmp.voyages)) != 0 ||
	    (rc = hs_get(data, len, "visits", &visits)) != 0)
		return rc;
	if (visits.kind != HS_MAP)
		return HS_ETYPE;
	if ((rc = visits_unpack(&tmp, visits.raw,
				visits.raw + visits.raw_len)) != 0)
		return rc;
	*s = tmp;
	return 0;
}

static int ship_decode_cb(void *state, const void *data, size_t len,
			  void *udata)
{
	(void)udata;
	return ship_decode(state, data, len);
}

HS_PLUGIN_EXPORT int hindsight_register_types(hs_runtime *rt)
{
	static const hs_type ship_type = {
		.name = SHIP_TYPE,
		.state_size = sizeof(ship),
		.apply = ship_apply,
		.encode = ship_encode,
		.decode = ship_decode_cb,
		.on_error = HS_ON_ERROR_FAIL,
		.snapshot_every = 16,
	};

	return hs_register(rt, &ship_type);
}
