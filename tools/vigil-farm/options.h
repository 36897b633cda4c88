/* vigil-farm's command line. */
#pragma once

#include <stdbool.h>

#include "farm.h"

struct farm_cli {
        struct farm_opts opts;
        const char *manifest;
        bool check; /* --check: validate and exit */
};

/* Parses argv; 1 to go on, 0 after --help/--version (printed), -EINVAL
 * after a usage error (printed on stderr). */
int farm_cli_parse(int argc, char **argv, struct farm_cli *cli);
