/* vigil-guestfs: the parts of vigil-image that work inside disk images
 * (libguestfs) or on the image catalog. One file per subcommand. */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include <guestfs.h>

#include "bootfiles.h"
#include "error.h"
#include "initsys.h"

/* The kernel command line recorded for disk images; root= is separate. */
#define DISK_CMDLINE "console=ttyS0 panic=-1 quiet rw fsck.mode=skip cryptomgr.notests"

int cmd_mkdisk(int argc, char **argv);
int cmd_inject(int argc, char **argv);
int cmd_catalog(int argc, char **argv);

/* What inject_mounted found and did. */
struct inject_result {
        enum initsys init;
        bool agent; /* the agent was installed */
};

/* On a mounted guest: detects the init system, checks virtio_console, and
 * (agent non-NULL) uploads the agent and installs its service. Refuses with
 * -ENOTSUP and a clear message what it cannot handle. */
int inject_mounted(guestfs_h *g, const char *agent, struct inject_result *ret,
                   struct vgl_error *err);

/* The image manifest catalog add reads: dir/manifest.json. Paths inside dir
 * are written relative to it. */
struct disk_manifest {
        const char *disk; /* absolute, or a name inside dir */
        const char *root; /* root= value */
        const char *cmdline;
        const char *kernel_version;
        const char *init;
        const char *distro; /* may be NULL */
        bool agent;
};
int disk_manifest_write(const char *dir, const struct disk_manifest *m, struct vgl_error *err);

/* Exits 2 after printing why: for argument errors. */
void usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
__attribute__((noreturn));
