/* Helpers of the detector tests: synthetic traces and the ADFA-LD files. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* n traces from a seeded random walk over a few "programs" (deterministic). */
void detect_test_synthetic(struct vgl_traceset *s, uint32_t n, uint64_t seed);

/* Path of an ADFA-LD file (train.tsv, ...) under VIGIL_SOURCE_ROOT/../shared,
 * or NULL (and a line saying why) when it is not there. Static buffer. */
const char *detect_test_dataset(const char *file);

/* A fresh temporary directory (static buffer). */
const char *detect_test_tmpdir(void);

/* Removes dir and the files in it. */
void detect_test_rmdir(const char *dir);
