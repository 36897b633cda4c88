/* The closing table of a run (stdout). */
#pragma once

#include <stdio.h>

#include "results.h"

void farm_report(FILE *f, const struct farm_run_info *info, const struct farm_manifest *m,
                 const struct farm_result *res, const char *junit, const char *summary);
