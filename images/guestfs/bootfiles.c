/* See bootfiles.h. */
#include "bootfiles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gfs.h"

/* The initrd naming schemes of the distributions, for kernel flavour v. */
static bool initrd_for(guestfs_h *g, const char *v, char *out, size_t size)
{
        static const char *const names[][2] = {{"/boot/initrd.img-", ""},
                                               {"/boot/initramfs-", ".img"},
                                               {"/boot/initramfs-", ""},
                                               {"/boot/initrd-", ""}};

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                snprintf(out, size, "%s%s%s", names[i][0], v, names[i][1]);
                if (guestfs_is_file_opts(g, out, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1, -1) > 0)
                        return true;
        }
        return false;
}

int boot_files_find(guestfs_h *g, struct boot_files *ret, struct vgl_error *err)
{
        _cleanup_(gfs_strv_freep) char **names = NULL;
        struct boot_files best = {}, b;

        if (guestfs_is_dir(g, "/boot") <= 0 || !(names = guestfs_ls(g, "/boot")))
                return vgl_error_set(err, ENOENT, "the guest has no /boot");
        for (size_t i = 0; names[i]; i++) {
                if (strncmp(names[i], "vmlinuz-", 8) != 0)
                        continue;
                memset(&b, 0, sizeof(b));
                snprintf(b.version, sizeof(b.version), "%s", names[i] + 8);
                snprintf(b.kernel, sizeof(b.kernel), "/boot/%s", names[i]);
                if (!initrd_for(g, b.version, b.initrd, sizeof(b.initrd)))
                        continue;
                if (!best.version[0] || strverscmp(b.version, best.version) > 0)
                        best = b;
        }
        if (!best.version[0])
                return vgl_error_set(err, ENOENT,
                                     "no kernel with an initrd in the guest's /boot "
                                     "(vmlinuz-VERSION and initrd.img-VERSION or "
                                     "initramfs-VERSION.img): vigil boots disk images with "
                                     "their own kernel, directly");
        *ret = best;
        return 0;
}

int boot_files_download(guestfs_h *g, const struct boot_files *b, const char *dir,
                        struct vgl_error *err)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/vmlinuz", dir);
        if (guestfs_download(g, b->kernel, path) < 0)
                return gfs_fail(g, err, b->kernel);
        snprintf(path, sizeof(path), "%s/initrd.img", dir);
        if (guestfs_download(g, b->initrd, path) < 0)
                return gfs_fail(g, err, b->initrd);
        return 0;
}

static bool has_virtio_console(guestfs_h *g, const char *version)
{
        _cleanup_(gfs_strv_freep) char **found = NULL;
        _cleanup_free_ char *builtin = NULL, *glob = NULL, *list = NULL;
        size_t n = 0;

        if (asprintf(&glob, "/lib/modules/%s/kernel/drivers/char/virtio_console.ko*", version) <
                    0 ||
            asprintf(&list, "/lib/modules/%s/modules.builtin", version) < 0)
                return true; /* out of memory: do not refuse on a guess */
        found = guestfs_glob_expand(g, glob);
        if (found && found[0])
                return true;
        if (guestfs_is_file(g, list) > 0 && (builtin = guestfs_read_file(g, list, &n)))
                return memmem(builtin, n, "/virtio_console.ko", 18) != NULL;
        return false;
}

int boot_check_virtio_console(guestfs_h *g, struct vgl_error *err)
{
        _cleanup_(gfs_strv_freep) char **vers = NULL;
        bool any = false;

        if (guestfs_is_dir(g, "/lib/modules") <= 0 || !(vers = guestfs_ls(g, "/lib/modules")))
                return 0;
        for (size_t i = 0; vers[i]; i++) {
                any = true;
                if (has_virtio_console(g, vers[i]))
                        return 0;
        }
        if (!any)
                return 0;
        return vgl_error_set(err, ENOTSUP,
                             "the guest's kernel has no virtio_console (neither a module under "
                             "/lib/modules nor built in): the agent could not reach the host");
}
