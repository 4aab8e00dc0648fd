/* /api/stats and /api/agents: what the log holds, and its agents by page.
 *
 * The JSON writers (cli_put*, srv_put_record) return 0 or HS_ENOMEM;
 * handlers OR their results together and answer 500 when that is not 0. */
#include "server.h"

#include "common/buf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- */
/* /api/stats                                                        */
/* ---------------------------------------------------------------- */

static int count_agent(void *udata, const char *type, size_t tn,
		       const char *id, size_t in, uint64_t last_seq)
{
	(void)id;
	(void)in;
	return cli_tally_add(udata, type, tn, last_seq);
}

/* The time of record gseq into *ns; false when it cannot be read. */
static bool time_of(srv_view *v, uint64_t gseq, int64_t *ns)
{
	hs_buf b = HS_BUF_INIT;
	hsi_record r;
	bool ok = gseq != 0 && hsi_log_get_event(v->db.log, gseq, &b) == 0 &&
		  hsi_record_decode(b.data, b.len, &r) == 0;

	if (ok)
		*ns = r.time_ns;
	hs_buf_free(&b);
	return ok;
}

static int put_time(hs_buf *b, const char *key, bool have, int64_t ns)
{
	char t[CLI_TIME_MAX];

	if (!have)
		return cli_putf(b, ",\"%s_ns\":null,\"%s\":null", key, key);
	cli_format_time(ns, t, sizeof(t));
	return cli_putf(b, ",\"%s_ns\":\"%" PRId64 "\",\"%s\":\"%s\"", key, ns,
			key, t);
}

/* The names of the machines the types plugin registers, as a JSON
 * array (api_machines.c). */
int srv_put_machine_names(srv_view *v, hs_buf *b);

/* What /api/info and /api/stats share, without the closing brace: the
 * log, its format and extent, whether types are loaded, the machines. */
static int put_info(srv_req *q)
{
	srv_view *v = q->v;
	hs_buf fmt = HS_BUF_INIT, *b = &q->body;
	int64_t first_ns = 0, last_ns = 0;
	uint64_t base = hsi_log_base_gseq(v->db.log);
	bool have = time_of(v, base + 1, &first_ns) &&
		    time_of(v, v->last_gseq, &last_ns);
	int rc = 0;

	hsi_log_get_meta(v->db.log, "format", &fmt);
	rc |= cli_put(b, "{\"path\":");
	rc |= cli_put_json_str(b, q->s->path, strlen(q->s->path));
	rc |= cli_putf(b, ",\"format\":%.*s", fmt.len ? (int)fmt.len : 4,
		       fmt.len ? (const char *)fmt.data : "null");
	rc |= cli_putf(b, ",\"records\":%" PRIu64 ",\"base_gseq\":%" PRIu64,
		       v->last_gseq - base, base);
	rc |= put_time(b, "first_time", have, first_ns);
	rc |= put_time(b, "last_time", have, last_ns);
	rc |= cli_putf(b, ",\"types_loaded\":%s,\"machines\":",
		       q->s->types ? "true" : "false");
	rc |= srv_put_machine_names(v, b);
	hs_buf_free(&fmt);
	return rc;
}

int api_info(srv_req *q)
{
	int rc = put_info(q);

	rc |= cli_put(&q->body, "}\n");
	return rc ? srv_nomem(q) : 0;
}

/* Counting the agents is O(agents): done once a view, kept with it. */
int api_stats(srv_req *q)
{
	srv_view *v = q->v;

	if (v->stats.len != 0)
		return hsi_buf_append(&q->body, v->stats.data, v->stats.len)
			       ? srv_nomem(q)
			       : 0;
	cli_tally c = {0};
	int rc = hsi_log_scan_agents(v->db.log, count_agent, &c);
	if (rc != 0) {
		char err[700];

		cli_tally_free(&c);
		if (rc == HS_ENOMEM)
			return srv_nomem(q);
		hsi_log_error(v->db.log, err, sizeof(err));
		return srv_error(q, 500, "%s", err);
	}
	hs_buf *b = &q->body;
	rc |= put_info(q);
	rc |= cli_putf(b, ",\"agents\":%" PRIu64 ",\"types\":[", c.agents);
	for (size_t i = 0; i < c.ntypes; i++) {
		const cli_type_count *t = &c.types[i];

		rc |= cli_put(b, i ? ",{\"type\":" : "{\"type\":");
		rc |= cli_put_json_str(b, t->name, strlen(t->name));
		rc |= cli_putf(
			b, ",\"agents\":%" PRIu64 ",\"records\":%" PRIu64 "}",
			t->agents, t->transitions);
	}
	rc |= cli_put(b, "]}\n");
	cli_tally_free(&c);
	if (rc == 0 && hsi_buf_append(&v->stats, b->data, b->len) != 0)
		hs_buf_reset(&v->stats); /* not kept: counted again */
	return rc ? srv_nomem(q) : 0;
}

/* ---------------------------------------------------------------- */
/* /api/agents                                                       */
/* ---------------------------------------------------------------- */

#define AGENTS_LIMIT_MAX 1000

typedef struct lister {
	srv_req *q;
	const char *type;   /* filter, or NULL */
	const char *prefix; /* of the id, or NULL */
	uint64_t limit;
	uint64_t n;
	bool more;
	cli_addr last; /* the last agent listed */
	int rc;        /* the JSON writers' */
	/* Where to seek next (RESEEK): a prefix without a type visits each
	 * type's run of ids with the prefix, not every agent. */
	uint8_t seek[HS_NAME_MAX + HS_ID_MAX + 16];
	size_t seek_len;
} lister;

#define RESEEK 2 /* list_agent's stop: scan again from l->seek */

static int list_agent(void *udata, const char *type, size_t tn, const char *id,
		      size_t in, uint64_t last_seq)
{
	lister *l = udata;
	srv_view *v = l->q->v;
	hs_buf *b = &l->q->body;
	uint64_t gseq;
	int64_t ns;
	char t[CLI_TIME_MAX];

	if (l->type != NULL &&
	    (strlen(l->type) != tn || memcmp(l->type, type, tn) != 0))
		return 1; /* past the type: done */
	if (l->prefix != NULL) {
		size_t pn = strlen(l->prefix);

		if (in < pn || memcmp(id, l->prefix, pn) != 0) {
			/* With a type the ids with the prefix are
			 * contiguous from where the scan started. */
			if (l->type != NULL)
				return 1;
			/* Without, go to this type's ids with the prefix
			 * when they lie ahead, else to the next type. */
			memcpy(l->seek, type, tn);
			l->seek_len = tn;
			size_t cn = in < pn ? in : pn;
			int c = memcmp(id, l->prefix, cn);
			if (c < 0 || (c == 0 && in < pn)) {
				l->seek[l->seek_len++] = '\0';
				memcpy(l->seek + l->seek_len, l->prefix, pn);
				l->seek_len += pn;
			} else {
				l->seek[l->seek_len++] = '\1';
			}
			return RESEEK;
		}
	}
	if (l->n == l->limit) {
		l->more = true;
		return 1;
	}
	int rc = hsi_log_index_get(v->db.log, type, tn, id, in, last_seq,
				   &gseq, &ns);
	if (rc != 0)
		return rc == HS_ENOTFOUND ? HS_ECORRUPT : rc;
	cli_format_time(ns, t, sizeof(t));
	l->rc |= cli_put(b, l->n ? ",{\"type\":" : "{\"type\":");
	l->rc |= cli_put_json_str(b, type, tn);
	l->rc |= cli_put(b, ",\"id\":");
	l->rc |= cli_put_json_str(b, id, in);
	l->rc |= cli_putf(b,
			  ",\"seq\":%" PRIu64 ",\"gseq\":%" PRIu64
			  ",\"time_ns\":\"%" PRId64 "\",\"time\":\"%s\"}",
			  last_seq, gseq, ns, t);
	memcpy(l->last.type, type, tn);
	l->last.type[tn] = '\0';
	memcpy(l->last.id, id, in);
	l->last.id[in] = '\0';
	l->n++;
	return 0;
}

int api_agents(srv_req *q)
{
	lister l = {.q = q, .limit = 100};
	cli_addr after;
	uint8_t start[HS_NAME_MAX + HS_ID_MAX + 16];
	size_t sn = 0;
	int rc;

	l.type = srv_arg(q, "type");
	l.prefix = srv_arg(q, "prefix");
	if ((rc = srv_arg_agent(q, "after", &after)) < 0 ||
	    srv_arg_u64(q, "limit", 1, AGENTS_LIMIT_MAX, &l.limit) < 0)
		return 0;
	if (l.type != NULL &&
	    (strlen(l.type) > HS_NAME_MAX || strchr(l.type, '/') != NULL))
		return srv_error(q, 400,
				 "type: '%s' is not an agent type name",
				 l.type);
	if (l.prefix != NULL && strlen(l.prefix) > HS_ID_MAX)
		return srv_error(q, 400, "prefix: longer than an id can be");
	if (rc == 0) {
		/* Just past every key of `after`. */
		size_t tn = strlen(after.type), in = strlen(after.id);

		memcpy(start, after.type, tn + 1);
		memcpy(start + tn + 1, after.id, in + 1);
		sn = tn + in + 2;
		memset(start + sn, 0xff, 8);
		sn += 8;
		start[sn++] = 0;
	} else if (l.type != NULL) {
		size_t tn = strlen(l.type);

		memcpy(start, l.type, tn + 1);
		sn = tn + 1;
		if (l.prefix != NULL) {
			memcpy(start + sn, l.prefix, strlen(l.prefix));
			sn += strlen(l.prefix);
		}
	}
	rc = cli_put(&q->body, "{\"agents\":[");
	int scan = hsi_log_scan_agents_from(q->v->db.log, start, sn,
					    list_agent, &l);
	while (scan == RESEEK)
		scan = hsi_log_scan_agents_from(q->v->db.log, l.seek,
						l.seek_len, list_agent, &l);
	if (scan < 0) {
		char err[700];

		if (scan == HS_ENOMEM)
			return srv_nomem(q);
		hsi_log_error(q->v->db.log, err, sizeof(err));
		return srv_error(q, 500, "%s",
				 err[0] ? err : hs_strerror(scan));
	}
	rc |= l.rc;
	rc |= cli_put(&q->body, "],\"next\":");
	if (l.more) {
		/* The next page starts after the last agent listed. */
		char next[sizeof(l.last) + 1];
		int n = snprintf(next, sizeof(next), "%s/%s", l.last.type,
				 l.last.id);
		rc |= cli_put_json_str(&q->body, next, (size_t)n);
	} else {
		rc |= cli_put(&q->body, "null");
	}
	rc |= cli_put(&q->body, "}\n");
	return rc ? srv_nomem(q) : 0;
}
