/* hindsight export: records as JSON Lines, for `hindsight import`. */
#include "cli.h"

static int run(int argc, char **argv)
{
	return cli_log_records(&cli_cmd_export, argc, argv, true);
}

const cli_cmd cli_cmd_export = {
	.name = "export",
	.synopsis = "DB [filters | --snapshots] > out.jsonl",
	.summary = "Records as JSON Lines (what `hindsight import` reads).",
	.help = "filters (as `hindsight log`):\n" CLI_FILTER_HELP
		"\n      --snapshots       after each record that has a "
		"snapshot at its seq, one\n"
		"                        line with it (a whole log only: not "
		"with filters)\n"
		"\nOne JSON object a line, its keys always in this order:\n"
		"  {\"gseq\":12,\"seq\":3,\"time_ns\":1795341600000000000,\n"
		"   \"time\":\"2026-11-22T10:00:00.000000000Z\",\"type\":\"ship\","
		"\"id\":\"Gloria\",\n"
		"   \"event\":\"depart\",\"body\":{\"port\":\"Malmo\"},\n"
		"   \"cause\":{\"type\":\"ship\",\"id\":\"x\",\"seq\":2,"
		"\"gseq\":11},\n"
		"   \"state_hash\":\"89abcdef01234567\"}\n"
		"body is null for an event without one, cause null for an "
		"event sent from\noutside. Binary values become base64 "
		"strings. An unfiltered export imports into\na new log that "
		"exports byte-identically.\n\n"
		"A snapshot line (--snapshots) follows its record:\n"
		"  {\"snapshot\":{\"type\":\"ship\",\"id\":\"Gloria\","
		"\"seq\":3,\"state\":\"g6Rwb3J0...\"}}\n"
		"state is the base64 of the state's exact msgpack bytes, as "
		"the type's\nencode() wrote them (a JSON rendering would not "
		"give them back byte for\nbyte). Without --snapshots, a log "
		"imported from the export rebuilds every\nstate from the "
		"agent's first record.\n\n"
		CLI_TIME_HELP,
	.run = run,
};
