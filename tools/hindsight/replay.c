#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return 2; }
const cli_cmd cli_cmd_replay = { .name = "replay", .synopsis = "DB", .summary = "todo", .help = "", .run = run };
