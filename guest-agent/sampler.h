/* Resource samples read from /proc (CPU, memory, load, network, block I/O).
 *
 * Every file is optional: a missing or unreadable file leaves its fields at
 * zero, so sampling never fails on a minimal or unusual kernel. */
#pragma once

#include <stdint.h>

#include "proto.h"

/* Fills *ret from the proc filesystem mounted at proc_root ("/proc" normally;
 * tests pass a directory of fake files). time_ms is stored as given. */
void vgl_sampler_read(const char *proc_root, uint64_t time_ms, struct vgl_resource_sample *ret);
