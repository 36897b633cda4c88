/* Warm pools: per tier, pre-booted VMs with the handshake done, refilled
 * in the background (a zero-delay timer, never inside a request). */
#pragma once

#include "daemon.h"

/* Asks for a refill pass on the next loop iteration. */
void vgd_pool_schedule(struct vgd_daemon *d);

/* Boots what every tier's pool lacks, within --max-sandboxes and each
 * tier's failure back-off. */
void vgd_pool_refill(struct vgd_daemon *d);

/* A ready pool VM of tier, or NULL. */
struct vgd_sandbox *vgd_pool_take_ready(struct vgd_daemon *d, const char *tier);

/* A pool VM of tier still booting (no Reserve attached), or NULL. */
struct vgd_sandbox *vgd_pool_take_booting(struct vgd_daemon *d, const char *tier);

/* Destroys one idle pool VM (preferring tiers other than keep_tier) to make
 * room; false if there is none. */
bool vgd_pool_evict(struct vgd_daemon *d, const char *keep_tier);

/* Destroys every pool VM (shutdown). */
void vgd_pool_drain(struct vgd_daemon *d);

/* A pool boot of tier failed / succeeded: exponential back-off (1 s .. 60 s). */
void vgd_pool_boot_failed(struct vgd_daemon *d, const char *tier);
void vgd_pool_boot_ok(struct vgd_daemon *d, const char *tier);

void vgd_pool_stop(struct vgd_daemon *d);
