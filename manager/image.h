/* A built microVM image directory (tools/vigil-image build-microvm):
 * vmlinuz, initramfs.img, initramfs-bare.img and manifest.json. */
#pragma once

#include <limits.h>

#include "error.h"

#define VGL_IMAGE_MANIFEST_MAX (256u * 1024u)

struct vgl_image {
        char kernel[PATH_MAX];      /* <dir>/vmlinuz */
        char initrd[PATH_MAX];      /* <dir>/initramfs.img: the agent image */
        char initrd_bare[PATH_MAX]; /* <dir>/initramfs-bare.img: benchmark baseline */
        char cmdline[1024];         /* manifest "cmdline" */
        char kernel_version[128];   /* manifest "kernel_version" (uname -r in the guest) */
};

/* Reads dir/manifest.json (bounded) and fills *ret with absolute paths and
 * the manifest's fields. -ENOENT when a file is missing, -EBADMSG when the
 * manifest is not what vigil-image writes; *err names the problem. */
int vgl_image_load(const char *dir, struct vgl_image *ret, struct vgl_error *err);
