/* See gfs.h. */
#include "gfs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool gfs_quiet;

void gfs_say(const char *fmt, ...)
{
        va_list ap;

        if (gfs_quiet)
                return;
        fputs("vigil-guestfs: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

void gfs_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

int gfs_disk_format(const char *path, char *ret, struct vgl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        unsigned char magic[4] = {0};

        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        if (read(fd, magic, sizeof(magic)) < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        snprintf(ret, 8, "%s", memcmp(magic, "QFI\xfb", 4) == 0 ? "qcow2" : "raw");
        return 0;
}

/* Same rule as manager/virt-conn.c: a software /dev/kvm (kvm_pvm) aborts
 * QEMU's KVM accelerator on MSR writes, so only kvm_intel/kvm_amd count. */
static bool hardware_kvm(void)
{
        return access("/dev/kvm", R_OK | W_OK) == 0 &&
               (access("/sys/module/kvm_intel", F_OK) == 0 ||
                access("/sys/module/kvm_amd", F_OK) == 0);
}

int gfs_new(guestfs_h **ret, struct vgl_error *err)
{
        guestfs_h *g = guestfs_create();
        const char *be = getenv("LIBGUESTFS_BACKEND");

        if (!g)
                return vgl_error_set(err, ENOMEM, "cannot create a libguestfs handle");
        /* Errors travel in *err; the caller prints them once. */
        guestfs_set_error_handler(g, NULL, NULL);
        /* The libvirt backend would need a running libvirtd; vigil has none. */
        if ((!be || !be[0]) && guestfs_set_backend(g, "direct") < 0) {
                int r = gfs_fail(g, err, "selecting the direct backend");
                guestfs_close(g);
                return r;
        }
        if (!getenv("LIBGUESTFS_BACKEND_SETTINGS") && !hardware_kvm()) {
                char *settings[] = {"force_tcg", NULL};
                guestfs_set_backend_settings(g, settings);
        }
        *ret = g;
        return 0;
}

int gfs_add_and_launch(guestfs_h *g, const char *path, const char *format, struct vgl_error *err)
{
        char fmt[8];
        int r;

        if (!format) {
                if ((r = gfs_disk_format(path, fmt, err)) < 0)
                        return r;
                format = fmt;
        }
        if (guestfs_add_drive_opts(g, path, GUESTFS_ADD_DRIVE_OPTS_FORMAT, format, -1) < 0)
                return gfs_fail(g, err, path);
        gfs_say("starting the libguestfs appliance (under TCG this takes ~40 s)");
        if (guestfs_launch(g) < 0)
                return gfs_fail(g, err,
                                "starting the libguestfs appliance (run with "
                                "LIBGUESTFS_DEBUG=1 for its log)");
        return 0;
}

int gfs_fail(guestfs_h *g, struct vgl_error *err, const char *what)
{
        const char *m = guestfs_last_error(g);
        int e = guestfs_last_errno(g);

        return vgl_error_set(err, e > 0 ? e : EIO, "%s: %s", what, m ? m : "libguestfs failed");
}

int gfs_write(guestfs_h *g, const char *path, const char *text, int mode, struct vgl_error *err)
{
        _cleanup_free_ char *dir = strdup(path);

        if (!dir)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (guestfs_mkdir_p(g, dirname(dir)) < 0)
                return gfs_fail(g, err, path);
        if (guestfs_write(g, path, text, strlen(text)) < 0 || guestfs_chmod(g, mode, path) < 0)
                return gfs_fail(g, err, path);
        return 0;
}

int gfs_exists(guestfs_h *g, const char *path)
{
        return guestfs_exists(g, path) > 0 || guestfs_is_symlink(g, path) > 0;
}

int gfs_finish(guestfs_h *g, struct vgl_error *err)
{
        if (guestfs_sync(g) < 0 || guestfs_umount_all(g) < 0)
                return gfs_fail(g, err, "flushing the disk");
        if (guestfs_shutdown(g) < 0)
                return gfs_fail(g, err, "stopping the appliance");
        return 0;
}
