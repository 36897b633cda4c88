/* Reading small operator files (policies, permission sets, rules, models'
 * metadata): whole, bounded, regular files only. */
#pragma once

#include <stddef.h>

#include "error.h"

/* Reads path (a regular file of at most max bytes) into a new
 * NUL-terminated buffer (*ret, free()); *ret_len excludes the NUL (may be
 * NULL). Errors name the path: -ENOENT..., -EINVAL (not a regular file),
 * -EFBIG (larger than max), -ENOMEM. */
int vgl_file_read_bounded(const char *path, size_t max, char **ret, size_t *ret_len,
                          struct vgl_error *err);
