/* libvirt lifecycle events: a guest that crashed, powered off, or whose VM
 * was destroyed behind vigild's back (virsh destroy, QEMU killed). */
#pragma once

#include "daemon.h"

int vgd_lifecycle_start(struct vgd_daemon *d, struct vgl_error *err);
void vgd_lifecycle_stop(struct vgd_daemon *d);

/* What a STOPPED/CRASHED event means for a sandbox: VGD_CRASHED,
 * VGD_SHUTDOWN or VGD_GONE; -1 for events that are not an end. */
int vgd_lifecycle_state(int event, int detail);
