/* A command's arguments: options, positionals, values (args.h). */
#include "args.h"

#include <string.h>

/* What next() returns besides an option's id. */
enum {
	ARG_END = CLI_ARG_END,
	ARG_POS = -2,  /* a positional argument, in *val */
	ARG_ERR = -3,  /* an error was printed: exit 2 */
	ARG_HELP = -4, /* --help or -h */
};

void cli_args_init(cli_args *a, const cli_cmd *cmd, const cli_opt *opts,
		   cli_pos *pos, size_t npos, int argc, char **argv)
{
	*a = (cli_args){
		.cmd = cmd,
		.opts = opts,
		.pos = pos,
		.npos = npos,
		.argc = argc,
		.argv = argv,
		.i = 1,
	};
}

static int take_value(cli_args *a, const cli_opt *o, const char *inline_val,
		      const char **val)
{
	if (inline_val != NULL) {
		*val = inline_val;
		return o->id;
	}
	if (a->i >= a->argc) {
		cli_usage(a->cmd, "option --%s needs a value", o->name);
		return ARG_ERR;
	}
	*val = a->argv[a->i++];
	return o->id;
}

static int next(cli_args *a, const char **val)
{
	const char *arg;

	*val = NULL;
	if (a->i >= a->argc)
		return ARG_END;
	arg = a->argv[a->i++];
	if (a->only_pos || arg[0] != '-' || arg[1] == '\0') {
		*val = arg;
		return ARG_POS;
	}
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t n = eq != NULL ? (size_t)(eq - name) : strlen(name);

		if (n == 0) {
			a->only_pos = true;
			return next(a, val);
		}
		if (n == 4 && memcmp(name, "help", 4) == 0 && eq == NULL)
			return ARG_HELP;
		for (const cli_opt *o = a->opts; o && o->name; o++) {
			if (strlen(o->name) != n || memcmp(o->name, name, n))
				continue;
			if (o->has_arg)
				return take_value(a, o, eq ? eq + 1 : NULL,
						  val);
			if (eq != NULL) {
				cli_usage(a->cmd, "option --%s takes no value",
					  o->name);
				return ARG_ERR;
			}
			return o->id;
		}
		cli_usage(a->cmd, "unknown option --%.*s", (int)n, name);
		return ARG_ERR;
	}
	if (arg[1] == 'h' && arg[2] == '\0')
		return ARG_HELP;
	for (const cli_opt *o = a->opts; o && o->name; o++) {
		if (o->short_name == 0 || o->short_name != arg[1])
			continue;
		if (o->has_arg)
			return take_value(a, o, arg[2] ? arg + 2 : NULL, val);
		if (arg[2] != '\0') {
			cli_usage(a->cmd, "unknown option %s", arg);
			return ARG_ERR;
		}
		return o->id;
	}
	cli_usage(a->cmd, "unknown option %s", arg);
	return ARG_ERR;
}

int cli_args_opt(cli_args *a, const char **val)
{
	int id;

	while ((id = next(a, val)) == ARG_POS) {
		if (a->got == a->npos) {
			a->exit = cli_usage(a->cmd, "unexpected argument '%s'",
					    *val);
			return CLI_ARG_STOP;
		}
		a->pos[a->got++].val = *val;
	}
	if (id == ARG_ERR || id == ARG_HELP) {
		a->exit = id == ARG_HELP ? cli_help(a->cmd) : CLI_EXIT_USAGE;
		return CLI_ARG_STOP;
	}
	if (id == ARG_END) {
		for (size_t k = a->got; k < a->npos; k++) {
			if (a->pos[k].missing != NULL) {
				a->exit = cli_usage(a->cmd, "%s",
						    a->pos[k].missing);
				return CLI_ARG_STOP;
			}
		}
	}
	return id;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int cli_parse_addr(const char *s, cli_addr *out, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t tn, in;

	if (slash == NULL) {
		*why = "expected TYPE/ID, e.g. ship/Gloria";
		return -1;
	}
	tn = (size_t)(slash - s);
	in = strlen(slash + 1);
	if (tn == 0 || in == 0) {
		*why = tn == 0 ? "the agent type is empty (expected TYPE/ID)"
			       : "the agent id is empty (expected TYPE/ID)";
		return -1;
	}
	if (tn > HS_NAME_MAX || in > HS_ID_MAX) {
		*why = tn > HS_NAME_MAX ? "the agent type is longer than 63 "
					  "bytes"
					: "the agent id is longer than 255 "
					  "bytes";
		return -1;
	}
	memcpy(out->type, s, tn);
	out->type[tn] = '\0';
	memcpy(out->id, slash + 1, in + 1);
	return 0;
}
