/* hindsight serve: the web timeline and its JSON API (docs/SERVE.md). */
#include "server.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int run(int argc, char **argv);

const cli_cmd cli_cmd_serve = {
	.name = "serve",
	.synopsis = "DB [--types LIB.so] [--port N] [--bind ADDR] "
		    "[--refresh MS]",
	.summary = "A web timeline of states, causes and live records.",
	.help = "options:\n"
		"      --types LIB.so  a types plugin: states, diffs, the "
		"time slider, machines\n"
		CLI_TRUST_TYPES_HELP
		"      --port N        the TCP port (default 8470; 0 picks a "
		"free one)\n"
		"      --bind ADDR     the address to listen on (default "
		"127.0.0.1; an IPv4 or\n"
		"                      IPv6 address; 0.0.0.0 exposes the log "
		"to the network)\n"
		"      --refresh MS    how often to look for new records "
		"(default 500)\n\n"
		"Serves a read-only JSON API and one web page over the log "
		"(docs/SERVE.md), and\nprints its address on the first line "
		"of stdout. Never writes to or locks the\nlog: a program may "
		"be writing it. Runs until SIGINT or SIGTERM (exit 0).\n",
	.run = run,
};

enum {
	OPT_TYPES = 1,
	OPT_PORT,
	OPT_BIND,
	OPT_REFRESH
};

#define DEFAULT_PORT 8470

/* The listening address from --bind and --port; -1 when ADDR is not an
 * IP address. */
static int make_addr(const char *bind, uint16_t port,
		     struct sockaddr_storage *ss, bool *v6)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, bind, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, bind, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*v6 = true;
		return 0;
	}
	return -1;
}

static int serve(srv *s, const char *bind, uint16_t port)
{
	struct sockaddr_storage ss;
	bool v6;
	sigset_t sigs;
	int sig;

	if (make_addr(bind, port, &ss, &v6) != 0)
		return cli_usage(s->cmd,
				 "--bind: '%s' is not an IPv4 or IPv6 "
				 "address",
				 bind);
	/* SIGINT and SIGTERM reach sigwait below, not a server thread:
	 * every thread started from here on inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, port, NULL, NULL, srv_on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, 64u,
		MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_END);
	if (d == NULL) {
		cli_error(s->cmd,
			  "cannot listen on %s port %u (in use? try "
			  "another --port)",
			  bind, (unsigned)port);
		return CLI_EXIT_USAGE;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned bound = info != NULL ? info->port : port;
	/* Read before the refresher may replace the view. */
	uint64_t records = s->view->last_gseq;
	if (srv_refresher_start(s) != 0) {
		MHD_stop_daemon(d);
		cli_error(s->cmd, "cannot start a thread");
		return CLI_EXIT_USAGE;
	}
	printf("hindsight serve: http://%s%s%s:%u/ (log %s, %" PRIu64
	       " records%s)\n",
	       v6 ? "[" : "", bind, v6 ? "]" : "", bound, s->path,
	       records, s->types ? "" : ", no types plugin");
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	/* Stopping wakes the live streams, which then end, so that the
	 * daemon's connection threads can be joined. */
	srv_refresher_stop(s);
	MHD_stop_daemon(d);
	return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
	static const cli_opt opts[] = {
		{"types", 't', true, OPT_TYPES},
		CLI_TRUST_TYPES_OPT,
		{"port", 'p', true, OPT_PORT},
		{"bind", 0, true, OPT_BIND},
		{"refresh", 0, true, OPT_REFRESH},
		{NULL, 0, 0, 0},
	};
	const cli_cmd *cmd = &cli_cmd_serve;
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}};
	const char *val, *bind = "127.0.0.1";
	uint64_t port = DEFAULT_PORT, refresh = 500;
	srv s = {.cmd = cmd};
	cli_args a;
	int id, rc;

	cli_args_init(&a, cmd, opts, pos, 1, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		if (id == OPT_TYPES) {
			s.types = val;
		} else if (id == CLI_OPT_TRUST_TYPES) {
			s.trust_types = true;
		} else if (id == OPT_PORT) {
			if (cli_parse_u64(val, &port) != 0 || port > 65535)
				return cli_usage(cmd,
						 "--port: '%s' is not a "
						 "port (0..65535)",
						 val);
		} else if (id == OPT_BIND) {
			bind = val;
		} else if (id == OPT_REFRESH) {
			if (cli_parse_u64(val, &refresh) != 0 ||
			    refresh < 10 || refresh > 3600000)
				return cli_usage(cmd,
						 "--refresh: '%s' is not "
						 "a number of ms "
						 "(10..3600000)",
						 val);
		}
	}
	if (id == CLI_ARG_STOP)
		return a.exit;
	s.path = pos[0].val;
	s.refresh_ms = (unsigned)refresh;
	if ((rc = srv_view_open(&s, &s.view)) != 0)
		return rc;
	s.views = 1;
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.wake, NULL);
	rc = serve(&s, bind, (uint16_t)port);
	srv_view_close(s.view);
	pthread_cond_destroy(&s.wake);
	pthread_mutex_destroy(&s.mu);
	return rc;
}
