#include "cli.h"
static int run(int argc, char **argv) { (void)argc; (void)argv; return 2; }
const cli_cmd cli_cmd_import = { .name = "import", .synopsis = "DB", .summary = "todo", .help = "", .run = run };
