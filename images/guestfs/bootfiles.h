/* The guest's kernel and initrd, taken out of its /boot for direct kernel
 * boot (vigil boots disk images the way it boots microVMs: no bootloader). */
#pragma once

#include <limits.h>

#include <guestfs.h>

#include "error.h"

struct boot_files {
        char version[128];     /* kernel release, as in /lib/modules/VERSION */
        char kernel[PATH_MAX]; /* path in the guest */
        char initrd[PATH_MAX];
};

/* Finds the newest kernel in the mounted guest's /boot that has an initrd
 * (Debian's vmlinuz-V + initrd.img-V, Fedora's initramfs-V.img, Alpine's
 * vmlinuz-F + initramfs-F). -ENOENT with a message when there is none. */
int boot_files_find(guestfs_h *g, struct boot_files *ret, struct vgl_error *err);

/* Copies them to dir/vmlinuz and dir/initrd.img on the host. */
int boot_files_download(guestfs_h *g, const struct boot_files *b, const char *dir,
                        struct vgl_error *err);

/* -ENOTSUP when the guest's kernel modules (any /lib/modules/V) have no
 * virtio_console, neither as a module nor built in: the agent could never
 * reach the host. 0 also when the guest has no /lib/modules at all. */
int boot_check_virtio_console(guestfs_h *g, struct vgl_error *err);
