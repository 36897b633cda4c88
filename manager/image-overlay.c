/* Per-sandbox copy-on-write overlays of disk images, and the domain spec of
 * an image from the catalog. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "image.h"

#if HAVE_LIBGUESTFS
#include <guestfs.h>
DEFINE_TRIVIAL_CLEANUP_FUNC(guestfs_h *, guestfs_close)
#endif

#define QCOW2_MAGIC "QFI\xfb"

/* Reads the start of a qcow2 header: 0 and *ret_backing (a backing file is
 * named), -EINVAL when path is not a qcow2 image. */
static int qcow2_probe(const char *path, bool *ret_backing, struct vgl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        unsigned char h[20];
        uint64_t backing_off = 0;
        struct stat st;

        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return vgl_error_set(err, EINVAL, "%s: not a regular file", path);
        if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, QCOW2_MAGIC, 4) != 0)
                return vgl_error_set(err, EINVAL, "%s: not a qcow2 image", path);
        /* Big-endian backing_file_offset at byte 8: 0 means no backing file. */
        for (int i = 8; i < 16; i++)
                backing_off = backing_off << 8 | h[i];
        *ret_backing = backing_off != 0;
        return 0;
}

#if HAVE_LIBGUESTFS
/* guestfs_disk_create runs qemu-img without starting the appliance. */
static int create_qcow2_overlay(const char *base, const char *path, struct vgl_error *err)
{
        _cleanup_(guestfs_closep) guestfs_h *g =
                guestfs_create_flags(GUESTFS_CREATE_NO_ENVIRONMENT);

        if (!g)
                return vgl_error_set(err, ENOMEM, "cannot create a libguestfs handle");
        /* Library code does not print: the error travels in *err. */
        guestfs_set_error_handler(g, NULL, NULL);
        if (guestfs_disk_create(g, path, "qcow2", -1, GUESTFS_DISK_CREATE_BACKINGFILE, base,
                                GUESTFS_DISK_CREATE_BACKINGFORMAT, "qcow2", -1) < 0)
                return vgl_error_set(err, EIO, "creating overlay of %s: %s", base,
                                     guestfs_last_error(g) ?: "libguestfs failed");
        return 0;
}
#else
static int create_qcow2_overlay(const char *base, const char *path, struct vgl_error *err)
{
        return vgl_error_set(err, ENOTSUP, "vigil was built without libguestfs: no overlays");
}
#endif

int vgl_image_overlay_create(const char *base, const char *overlay, struct vgl_error *err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        bool backing = false;
        int r;

        if (!base || base[0] != '/' || !overlay || !overlay[0])
                return vgl_error_set(err, EINVAL, "overlay: the base must be an absolute path");
        r = qcow2_probe(base, &backing, err);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.new.XXXXXX", overlay) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", tmp);
        r = create_qcow2_overlay(base, tmp, err);
        /* link() never replaces: an existing overlay (another sandbox's) stays. */
        if (r >= 0 && link(tmp, overlay) < 0)
                r = vgl_error_set(err, errno, "%s: %m", overlay);
        unlink(tmp);
        return r;
}

int vgl_image_overlay_remove(const char *overlay, struct vgl_error *err)
{
        bool backing = false;
        int r;

        if (access(overlay, F_OK) < 0 && errno == ENOENT)
                return 0;
        r = qcow2_probe(overlay, &backing, err);
        if (r < 0)
                return r == -EINVAL ? vgl_error_set(err, EPERM, "%s: not an overlay", overlay) : r;
        if (!backing)
                return vgl_error_set(err, EPERM,
                                     "%s: a qcow2 image without a backing file is no overlay; "
                                     "not removing it",
                                     overlay);
        if (unlink(overlay) < 0 && errno != ENOENT)
                return vgl_error_set(err, errno, "%s: %m", overlay);
        return 0;
}

int vgl_image_domain_spec(const struct vgl_catalog_image *img, const char *overlay,
                          struct vgl_domain_spec *spec, struct vgl_error *err)
{
        bool disk = img->kind == VGL_IMAGE_DISK;

        if (disk && (!overlay || overlay[0] != '/'))
                return vgl_error_set(err, EINVAL, "image %s: a disk image boots from an overlay",
                                     img->name);
        spec->kernel = img->kernel;
        spec->initrd = img->initrd;
        spec->cmdline = img->cmdline;
        spec->disk = disk ? overlay : NULL;
        spec->disk_root = disk ? img->root : NULL;
        return 0;
}
