/* libguestfs handles for vigil-guestfs: one appliance per command, errors
 * turned into the project's convention, small file helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

#include "cleanup.h"
#include "error.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(guestfs_h *, guestfs_close)

/* Frees a NULL-terminated string list as libguestfs returns them. */
void gfs_strv_free(char **v);
static inline void gfs_strv_freep(char ***v)
{
        gfs_strv_free(*v);
}

/* Progress lines on stderr unless quiet. */
extern bool gfs_quiet;
void gfs_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "qcow2" or "raw" from the file's first bytes (ret: 8 bytes). */
int gfs_disk_format(const char *path, char *ret, struct vgl_error *err);

/* A new handle with the direct backend and, without hardware KVM, TCG
 * (LIBGUESTFS_BACKEND / LIBGUESTFS_BACKEND_SETTINGS win when set). */
int gfs_new(guestfs_h **ret, struct vgl_error *err);

/* Adds path (format: "qcow2"/"raw", NULL: detected) and launches the appliance. */
int gfs_add_and_launch(guestfs_h *g, const char *path, const char *format, struct vgl_error *err);

/* Fills *err from g's last error: "<what>: <libguestfs message>"; returns -EIO. */
int gfs_fail(guestfs_h *g, struct vgl_error *err, const char *what);

/* Writes text to path in the guest with mode, creating its directory. */
int gfs_write(guestfs_h *g, const char *path, const char *text, int mode, struct vgl_error *err);

/* 1 if path exists in the guest (lstat, so dangling links count), 0 if not. */
int gfs_exists(guestfs_h *g, const char *path);

/* Flushes, unmounts and stops the appliance, reporting qemu's failures. */
int gfs_finish(guestfs_h *g, struct vgl_error *err);
