/*
 * The CLI's arguments (tools/hindsight/args.c, filter.c): the input is an
 * argument list (NUL-separated) read with the record filters' options,
 * as `hindsight log` reads it, and each argument also as an agent
 * address. Checked: an address that parses is TYPE/ID split at the first
 * '/' within the limits; a filter that is accepted is consistent.
 */
#include <string.h>

#include "filter.h"
#include "fuzz.h"

#define ARGS_MAX 16

static const cli_cmd cmd = {
	.name = "fuzz",
	.synopsis = "DB [options]",
	.summary = "the argument parser under a fuzzer",
	.help = CLI_FILTER_HELP,
};

static void address(const char *s)
{
	cli_addr a;
	const char *why = NULL;

	if (cli_parse_addr(s, &a, &why) != 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	size_t tn = strlen(a.type), in = strlen(a.id);
	FUZZ_CHECK(tn >= 1 && tn <= HS_NAME_MAX && in >= 1 &&
		   in <= HS_ID_MAX);
	FUZZ_CHECK(strchr(a.type, '/') == NULL);
	FUZZ_CHECK(strlen(s) == tn + 1 + in && memcmp(s, a.type, tn) == 0 &&
		   s[tn] == '/' && strcmp(s + tn + 1, a.id) == 0);
}

static void options(int argc, char **argv)
{
	static const cli_opt opts[] = {CLI_FILTER_OPTS, {NULL, 0, 0, 0}};
	cli_pos pos[] = {{CLI_MISSING_DB, NULL}, {NULL, NULL}};
	cli_filter cf;
	cli_args a;
	const char *val;
	int id;

	memset(&cf, 0, sizeof(cf));
	cli_args_init(&a, &cmd, opts, pos, 2, argc, argv);
	while ((id = cli_args_opt(&a, &val)) > 0) {
		FUZZ_CHECK(id >= CLI_OPT_AGENT && id <= CLI_OPT_LIMIT);
		if (id != CLI_OPT_REVERSE)
			FUZZ_CHECK(val != NULL);
		if (cli_filter_opt(&cf, &cmd, id, val) != 0)
			return;
	}
	if (id == CLI_ARG_STOP)
		return;
	FUZZ_CHECK(id == CLI_ARG_END && pos[0].val != NULL);
	if (cli_filter_done(&cf, &cmd) != 0)
		return;
	const hs_filter *f = &cf.f;
	FUZZ_CHECK(f->to_gseq == 0 || f->from_gseq <= f->to_gseq);
	FUZZ_CHECK(!f->has_since || !f->has_until ||
		   f->since_ns <= f->until_ns);
	FUZZ_CHECK((f->id != NULL) == cf.has_agent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[ARGS_MAX + 2];
	int argc = 0;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = "log";
	for (char *p = copy; argc <= ARGS_MAX; p += strlen(p) + 1) {
		argv[argc++] = p;
		address(p);
		if (p + strlen(p) == copy + size)
			break;
	}
	argv[argc] = NULL;
	options(argc, argv);
	free(copy);
	return 0;
}
