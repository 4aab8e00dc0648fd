#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return 2; }
const cli_cmd cli_cmd_tail = { .name = "tail", .synopsis = "DB", .summary = "todo", .help = "", .run = run };
