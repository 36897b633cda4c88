/* Internals of the vigild harness, shared between its files. */
#pragma once

#include <stddef.h>

#include "vigild-harness.h"

/* Writes d->policies/tiers/NAME.json: each of the project's tier templates
 * with "pool" set from pools[0..n) (0 for tiers not named); links the
 * other shipped policies, adjust.json too unless adjust_json is given
 * (then written as the file). */
int vd_write_policies(struct vd *d, const struct vd_pool *pools, size_t n, const char *adjust_json,
                      struct vgl_error *err);

/* Kills (SIGKILL) every QEMU whose pid file lies in d->state/run/qemu. */
void vd_kill_leftover_qemu(struct vd *d);
