/* Small helpers of vigil-farm: clocks, paths, writing files whole. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

/* Wall-clock seconds since the epoch, and a monotonic clock in seconds. */
double farm_wall_s(void);
double farm_mono_s(void);

/* "2026-11-25T06:02:19" (UTC, no zone: what JUnit's schema takes) into
 * buf (at least 32 bytes); with zone true a "Z" is appended. */
void farm_iso_time(double t, bool zone, char *buf, size_t size);

/* mkdir -p with mode 0755. */
int farm_mkdir_p(const char *path, struct vgl_error *err);

/* Writes path through a temporary file in the same directory, renamed over
 * it when write_fn returned 0 and every byte reached the file. */
int farm_write_atomic(const char *path, int (*write_fn)(FILE *f, void *u), void *u,
                      struct vgl_error *err);

/* The last at most max bytes of the file at path in a new NUL-terminated
 * buffer (*ret, free()), its length in *ret_len, the bytes left out before
 * them in *ret_skipped. A missing file gives an empty buffer. */
int farm_read_tail(const char *path, size_t max, char **ret, size_t *ret_len, size_t *ret_skipped);

struct json_object;

/* A JSON double written in the shortest form that reads back as d ("0.6",
 * not "0.59999999999999998"). */
struct json_object *farm_json_double(double d);
