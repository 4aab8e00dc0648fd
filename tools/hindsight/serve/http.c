/*
 * Requests: the route table, query parameters, and the answers (JSON
 * bodies, errors as {"error": ...}, the page's files).
 */
#include "server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct route {
	const char *path;
	int (*fn)(srv_req *q);
} route;

static const route routes[] = {
	{"/api/info", api_info},         {"/api/stats", api_stats},
	{"/api/agents", api_agents},     {"/api/history", api_history},
	{"/api/state", api_state},       {"/api/log", api_log},
	{"/api/record", api_record},     {"/api/causes", api_causes},
	{"/api/machines", api_machines}, {"/metrics", api_metrics},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

int srv_error(srv_req *q, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	q->status = status;
	q->content_type = NULL;
	hs_buf_reset(&q->body);
	if (cli_put(&q->body, "{\"error\":") != 0 ||
	    cli_put_json_str(&q->body, msg, strlen(msg)) != 0 ||
	    cli_put(&q->body, "}\n") != 0)
		hs_buf_reset(&q->body); /* the status alone says it */
	return 0;
}

int srv_nomem(srv_req *q)
{
	return srv_error(q, 500, "out of memory");
}

int srv_fail(srv_req *q, int rc, const char *what)
{
	char text[700];
	unsigned status;

	hs_last_error(q->v->db.rt, text, sizeof(text));
	if (text[0] == '\0')
		snprintf(text, sizeof(text), "%s", hs_strerror(rc));
	switch (rc) {
	case HS_ENOAGENT:
	case HS_ENOTFOUND:
		status = 404;
		break;
	case HS_EINVAL:
	case HS_ERANGE:
		status = 400;
		break;
	case HS_EARCHIVED:
		status = 410;
		break;
	case HS_ENOTYPE:
		return srv_error(q, 409,
				 "%s: %s (start hindsight serve with "
				 "--types LIB.so, a types plugin "
				 "that registers it)",
				 what, text);
	case HS_ENOMEM:
		return srv_nomem(q);
	default:
		status = 500;
	}
	return srv_error(q, status, "%s: %s", what, text);
}

const char *srv_arg(srv_req *q, const char *name)
{
	const char *v = MHD_lookup_connection_value(
		q->conn, MHD_GET_ARGUMENT_KIND, name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int srv_arg_u64(srv_req *q, const char *name, uint64_t min, uint64_t max,
		uint64_t *out)
{
	const char *v = srv_arg(q, name);
	uint64_t x;

	if (v == NULL)
		return 1;
	if (cli_parse_u64(v, &x) != 0) {
		srv_error(q, 400, "%s: '%s' is not a non-negative integer",
			  name, v);
		return -1;
	}
	if (x < min || x > max) {
		srv_error(q, 400,
			  "%s: %" PRIu64 " is out of range (%" PRIu64
			  "..%" PRIu64 ")",
			  name, x, min, max);
		return -1;
	}
	*out = x;
	return 0;
}

int srv_arg_time(srv_req *q, const char *name, int64_t *out)
{
	const char *v = srv_arg(q, name), *why = NULL;

	if (v == NULL)
		return 1;
	if (cli_parse_time(v, out, &why) != 0) {
		srv_error(q, 400,
			  "%s: '%s' is not a time: %s (RFC 3339, e.g. "
			  "2026-11-22T10:00:00Z, or integer "
			  "nanoseconds)",
			  name, v, why ? why : "malformed");
		return -1;
	}
	return 0;
}

int srv_arg_agent(srv_req *q, const char *name, cli_addr *out)
{
	const char *v = srv_arg(q, name), *why = NULL;

	if (v == NULL)
		return 1;
	if (cli_parse_addr(v, out, &why) != 0) {
		srv_error(q, 400, "%s: '%s': %s", name, v, why);
		return -1;
	}
	return 0;
}

int srv_arg_order(srv_req *q, bool *reverse)
{
	const char *v = srv_arg(q, "order");

	*reverse = false;
	if (v == NULL || strcmp(v, "asc") == 0)
		return 0;
	if (strcmp(v, "desc") == 0) {
		*reverse = true;
		return 0;
	}
	srv_error(q, 400, "order: '%s' is neither asc nor desc", v);
	return -1;
}

int srv_put_record(hs_buf *b, const hs_record *r, bool open)
{
	return cli_put_record_json(
		b, r, CLI_JSON_TIME_STRING | (open ? CLI_JSON_OPEN : 0));
}

int srv_decode(srv_req *q, uint64_t gseq, const void *data, size_t len,
	       hsi_named_record *out)
{
	hsi_record r;
	int rc = hsi_record_decode(data, len, &r);

	if (rc == 0 && r.gseq != gseq)
		rc = HS_ECORRUPT;
	if (rc != 0) {
		srv_error(q, 500, "%s: events key %016" PRIx64 ": %s",
			  q->s->path, gseq,
			  rc == HS_EVERSION ? "record of a newer format"
					    : "record does not decode");
		return -1;
	}
	hsi_name_record(out, &r);
	return 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
			       struct MHD_Response *resp, const char *type)
{
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result send_body(srv_req *q)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		q->body.len, q->body.data, MHD_RESPMEM_MUST_COPY);

	if (resp == NULL)
		return MHD_NO;
	return respond(q->conn, q->status, resp,
		       q->content_type ? q->content_type : "application/json");
}

static void count(srv *s, unsigned status)
{
	pthread_mutex_lock(&s->mu);
	s->requests++;
	if (status >= 500)
		s->status_5xx++;
	else if (status >= 400)
		s->status_4xx++;
	pthread_mutex_unlock(&s->mu);
}

static enum MHD_Result send_asset(struct MHD_Connection *conn,
				  const srv_asset *a)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);

	if (resp == NULL)
		return MHD_NO;
	return respond(conn, 200, resp, a->content_type);
}

enum MHD_Result srv_on_request(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_len, void **con_cls)
{
	srv *s = cls;
	srv_req q = {.s = s, .conn = conn, .status = 200};
	enum MHD_Result r;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		srv_error(&q, 405,
			  "%s: the server is read-only; only GET and "
			  "HEAD are served",
			  method);
		r = send_body(&q);
		hs_buf_free(&q.body);
		count(s, 405);
		return r;
	}
	for (size_t i = 0; i < srv_nassets; i++)
		if (strcmp(url, srv_assets[i].path) == 0) {
			count(s, 200);
			return send_asset(conn, &srv_assets[i]);
		}
	if (strcmp(url, "/api/live") == 0) {
		struct MHD_Response *resp = api_live(&q);

		if (resp != NULL) {
			count(s, 200);
			return respond(conn, 200, resp, "text/event-stream");
		}
		r = send_body(&q);
		hs_buf_free(&q.body);
		count(s, q.status);
		return r;
	}
	const route *rt = NULL;
	for (size_t i = 0; i < NROUTES; i++)
		if (strcmp(url, routes[i].path) == 0)
			rt = &routes[i];
	if (rt == NULL) {
		srv_error(&q, 404,
			  "no such page or endpoint: %s (see "
			  "docs/SERVE.md)",
			  url);
	} else {
		pthread_mutex_lock(&s->mu);
		q.v = s->view;
		rt->fn(&q);
		pthread_mutex_unlock(&s->mu);
	}
	r = send_body(&q);
	count(s, q.status);
	hs_buf_free(&q.body);
	return r;
}
