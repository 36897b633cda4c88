/* The sandbox registry: every sandbox vigild knows, by id and domain name.
 * The registry holds one reference to each sandbox in it. */
#pragma once

#include "daemon.h"

/* Adds s (takes a reference). */
void vgd_registry_add(struct vgd_daemon *d, struct vgd_sandbox *s);

/* Removes s and drops the registry's reference; no-op if not there. */
void vgd_registry_remove(struct vgd_daemon *d, struct vgd_sandbox *s);

struct vgd_sandbox *vgd_registry_find(struct vgd_daemon *d, const char *id);
struct vgd_sandbox *vgd_registry_find_domain(struct vgd_daemon *d, const char *domain);

/* Sandboxes that hold a VM (booting, ready, reserved): what --max-sandboxes counts. */
unsigned vgd_registry_count_live(const struct vgd_daemon *d);

/* Pool sandboxes (not owned) of tier, booting or ready. */
unsigned vgd_registry_count_pool(const struct vgd_daemon *d, const char *tier, bool ready_only);
