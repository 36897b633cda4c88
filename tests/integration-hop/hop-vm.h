/* A microVM booted from a tier's template, for the hop test and the hop
 * benchmark, on top of the integration harness (tests/integration/
 * vm-harness.h): the harness boots a fixed shape, this boots the tier's
 * vCPUs and memory, and reopens the agent channel after a hop (the
 * restore creates a new channel; the agent in the guest reconnects and
 * says hello again). */
#pragma once

#include "hop.h"
#include "policy.h"
#include "vm-harness.h"

/* After vm_init: boots img's agent initramfs as domain "vigil-<id>" with
 * t's vCPUs and memory (current and maximum) and tier name, and waits up to
 * timeout_s for the agent's hello. */
int hop_vm_boot(struct vm *vm, const char *id, const struct vgl_image *img,
                const struct vgl_tier *t, int timeout_s, struct vgl_error *err);

/* Closes the agent channel (before a save: its stream ends there anyway). */
void hop_vm_drop_agent(struct vm *vm);

/* Opens the channel of vm->dom again and waits up to timeout_s for hello. */
int hop_vm_reconnect(struct vm *vm, int timeout_s, struct vgl_error *err);

/* Runs `sh -c script` in the guest; its stdout (NUL-terminated, cut at
 * size) in out. -EIO when it does not exit 0. */
int hop_vm_sh(struct vm *vm, const char *script, char *out, size_t size, int timeout_s,
              struct vgl_error *err);

/* Loads the committed tier files (policies/tiers/ under $VIGIL_SOURCE_ROOT)
 * and finds the tier called name. */
int hop_vm_tier(const char *name, struct vgl_tier *ret, struct vgl_error *err);
