/* The record filters' options (filter.h). */
#include "filter.h"

#include <inttypes.h>
#include <string.h>

#include "times.h"

static int name_opt(const cli_cmd *cmd, const char *opt, const char *val,
		    char *dst)
{
	size_t n = strlen(val);

	if (n == 0 || n > HS_NAME_MAX)
		return cli_usage(cmd, "--%s: a name of 1 to %d bytes", opt,
				 HS_NAME_MAX);
	memcpy(dst, val, n + 1);
	return 0;
}

int cli_filter_opt(cli_filter *cf, const cli_cmd *cmd, int id, const char *val)
{
	const char *why = NULL;
	uint64_t u;

	switch (id) {
	case CLI_OPT_AGENT:
		if (cli_parse_addr(val, &cf->agent, &why) != 0)
			return cli_usage(cmd, "--agent %s: %s", val, why);
		cf->has_agent = true;
		return 0;
	case CLI_OPT_TYPE:
		return name_opt(cmd, "type", val, cf->type);
	case CLI_OPT_EVENT:
		return name_opt(cmd, "event", val, cf->event);
	case CLI_OPT_SINCE:
	case CLI_OPT_UNTIL: {
		int64_t t;
		bool since = id == CLI_OPT_SINCE;

		if (cli_parse_time(val, &t, &why) != 0)
			return cli_usage(cmd,
					 "malformed time for --%s: '%s': %s "
					 "(expected RFC 3339, e.g. "
					 "2026-11-22T10:00:00Z, or integer "
					 "nanoseconds)",
					 since ? "since" : "until", val, why);
		if (since) {
			cf->f.since_ns = t;
			cf->f.has_since = true;
		} else {
			cf->f.until_ns = t;
			cf->f.has_until = true;
		}
		return 0;
	}
	case CLI_OPT_FROM:
	case CLI_OPT_TO:
		if (cli_parse_u64(val, &u) != 0 || u == 0)
			return cli_usage(cmd, "--%s: '%s' is not a gseq (an "
					      "integer >= 1)",
					 id == CLI_OPT_FROM ? "from" : "to",
					 val);
		if (id == CLI_OPT_FROM)
			cf->f.from_gseq = u;
		else
			cf->f.to_gseq = u;
		return 0;
	case CLI_OPT_REVERSE:
		cf->f.reverse = true;
		return 0;
	case CLI_OPT_LIMIT:
		if (cli_parse_u64(val, &u) != 0 || u == 0)
			return cli_usage(cmd, "--limit: '%s' is not a count "
					      "(an integer >= 1)",
					 val);
		cf->f.limit = u;
		return 0;
	default:
		return cli_usage(cmd, "internal: unknown filter option");
	}
}

int cli_filter_done(cli_filter *cf, const cli_cmd *cmd)
{
	hs_filter *f = &cf->f;

	if (cf->has_agent && cf->type[0] != '\0' &&
	    strcmp(cf->type, cf->agent.type) != 0)
		return cli_usage(cmd, "--agent %s/%s and --type %s disagree",
				 cf->agent.type, cf->agent.id, cf->type);
	if (f->to_gseq != 0 && f->from_gseq > f->to_gseq)
		return cli_usage(cmd, "--from %" PRIu64 " is after --to %" PRIu64,
				 f->from_gseq, f->to_gseq);
	if (f->has_since && f->has_until && f->since_ns > f->until_ns)
		return cli_usage(cmd, "--since is after --until");
	f->type = cf->has_agent ? cf->agent.type
				: cf->type[0] ? cf->type : NULL;
	f->id = cf->has_agent ? cf->agent.id : NULL;
	f->event_type = cf->event[0] ? cf->event : NULL;
	return 0;
}
