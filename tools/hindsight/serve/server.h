#ifndef HS_TOOLS_SERVE_SERVER_H
#define HS_TOOLS_SERVE_SERVER_H

/*
 * hindsight serve: a read-only HTTP server over one log (docs/SERVE.md).
 *
 * libmicrohttpd runs a thread per connection. Queries share one read-only
 * view of the log (a cli_db: raw log, runtime, types plugin) and run one
 * at a time under srv.mu; the refresher (view.c) replaces the view with a
 * newer one when the log has grown and wakes the live streams. One file
 * per job: serve.c (the command), view.c, http.c (dispatch, parameters,
 * answers), and an api_*.c per group of endpoints.
 */

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../cli.h"

/* One read-only view of the log as of its open. */
typedef struct srv_view {
	cli_db db;
	uint64_t last_gseq;
	char created[32]; /* meta created_ns: which log this is */
	hs_buf stats;     /* /api/stats of this view, once counted */
} srv_view;

typedef struct srv {
	const cli_cmd *cmd;
	const char *path;  /* the log (argv) */
	const char *types; /* the types plugin (argv), or NULL */
	bool trust_types;  /* --trust-types */
	unsigned refresh_ms;
	pthread_mutex_t mu;  /* guards view, stopping and the counters */
	pthread_cond_t wake; /* a newer view, or stopping */
	srv_view *view;      /* never NULL while serving */
	uint64_t views;      /* views opened, the first included */
	uint64_t generation; /* views of another log than the first's: the
			      * log was replaced (deleted and created) */
	bool stopping;
	pthread_t refresher;
	bool refresher_started;
	uint64_t requests; /* answered, by status class */
	uint64_t status_4xx, status_5xx;
	unsigned live_streams;
} srv;

/* One request being answered: the handler fills status and body. */
typedef struct srv_req {
	srv *s;
	srv_view *v; /* the view, s->mu held while the handler runs */
	struct MHD_Connection *conn;
	unsigned status;
	const char *content_type; /* default application/json */
	hs_buf body;
} srv_req;

/* view.c: opens the first view (prints what is wrong and returns 2 on
 * failure), starts and stops the refresher. */
int srv_view_open(srv *s, srv_view **out);
void srv_view_close(srv_view *v);
int srv_refresher_start(srv *s);
void srv_refresher_stop(srv *s);

/* http.c: the daemon's request handler. */
enum MHD_Result srv_on_request(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_len, void **con_cls);

/* Answers: each returns 0 so that a handler can `return srv_error(...)`.
 * srv_error sets the status and {"error": message}; srv_fail maps a
 * runtime error code to a status, with the runtime's message. */
int srv_error(srv_req *q, unsigned status, const char *fmt, ...)
	HS_PRINTF(3, 4);
int srv_fail(srv_req *q, int rc, const char *what);
int srv_nomem(srv_req *q);

/* Query parameters. Absent: the getters return 1 and leave *out as is.
 * Malformed: they answer 400 naming the parameter and return -1. */
const char *srv_arg(srv_req *q, const char *name);
int srv_arg_u64(srv_req *q, const char *name, uint64_t min, uint64_t max,
		uint64_t *out);
int srv_arg_time(srv_req *q, const char *name, int64_t *out);
int srv_arg_agent(srv_req *q, const char *name, cli_addr *out);
/* order=asc|desc: *reverse; 400 on anything else. */
int srv_arg_order(srv_req *q, bool *reverse);

/* A record for the API: cli_put_record_json with time_ns as a string,
 * open (the caller closes it) when `open`. */
int srv_put_record(hs_buf *b, const hs_record *r, bool open);
/* Decodes raw record bytes read under gseq into a public record; answers
 * 500 naming the key and returns -1 when they do not decode. */
int srv_decode(srv_req *q, uint64_t gseq, const void *data, size_t len,
	       hsi_named_record *out);

/* The endpoints. Each answers q (status and body) and returns 0. */
int api_info(srv_req *q);
int api_stats(srv_req *q);
int api_agents(srv_req *q);
int api_history(srv_req *q);
int api_state(srv_req *q);
int api_log(srv_req *q);
int api_record(srv_req *q);
int api_causes(srv_req *q);
int api_machines(srv_req *q);
int api_metrics(srv_req *q);

/* api_live.c: the Server-Sent Events response of /api/live (NULL with
 * q answered when the parameters are bad or memory runs out). Runs
 * without s->mu held. */
struct MHD_Response *api_live(srv_req *q);

/* The page's files, compiled in (web/, embedded by CMake). */
typedef struct srv_asset {
	const char *path; /* "/", "/main.js", ... */
	const char *content_type;
	const unsigned char *data;
	size_t len;
} srv_asset;
extern const srv_asset srv_assets[];
extern const size_t srv_nassets;

#endif /* HS_TOOLS_SERVE_SERVER_H */
