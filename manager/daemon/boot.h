/* Booting a sandbox: the tier's template and image rendered into domain
 * XML, the transient domain created in the background, the agent channel
 * opened, and the boot finished by the agent's HELLO (or failed by a
 * timeout). Also the end of every sandbox (vgd_sandbox_finish). */
#pragma once

#include "daemon.h"
#include "image.h"

/* Resolves a tier's image name: --images itself when it holds
 * manifest.json, else --images/NAME. */
int vgd_image_resolve(struct vgd_daemon *d, const char *name, struct vgl_image *ret,
                      struct vgl_error *err);

/* Starts booting a new sandbox of tier t (state booting, added to the
 * registry). *ret (borrowed; the registry owns it) may be NULL. */
int vgd_boot_start(struct vgd_daemon *d, const struct vgl_tier *t, struct vgd_sandbox **ret,
                   struct vgl_error *err);

/* The agent's HELLO arrived for a booting sandbox. */
void vgd_boot_hello(struct vgd_sandbox *s);

/* The boot failed: an event, a waiting Reserve gets NoCapacity, the VM goes. */
void vgd_boot_failed(struct vgd_sandbox *s, const char *reason);

/* Ends a sandbox: state released, timers removed, channel closed, the
 * domain destroyed in the background (when destroy), removed from the
 * registry. A waiting Reserve gets NoCapacity {why}. When reply is given,
 * it is answered {} once the domain is gone. */
void vgd_sandbox_finish(struct vgd_sandbox *s, bool destroy, const char *why,
                        struct vgl_varlink_call *reply);
