/* A vigild for tests and benchmarks: a child process on qemu:///embed in a
 * fresh temporary directory (state, socket, a copy of the tier templates
 * with the warm-pool sizes the caller wants), plus helpers to find the
 * image, wait for the pools, kill a sandbox's QEMU behind vigild's back and
 * run code as another uid. No libvirt here: everything goes through the
 * socket API (libvigil-client) or /proc. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct vd {
        char dir[256];                 /* temporary root, mode 0750 (group root may enter) */
        char sock[320];                /* DIR/vigild.sock */
        char state[320];               /* DIR/state */
        char policies[320];            /* DIR/policies (tiers/ inside) */
        char log[320];                 /* DIR/vigild.log: vigild's stderr */
        char image_dir[4096];          /* the microVM image vigild boots */
        char vigild[4096];             /* the binary */
        pid_t pid;                     /* vigild, 0 when not running */
        bool stopping;                 /* vd_stop is ending it: its exit is expected */
        const char *const *extra_args; /* as given to vd_start (for vd_restart) */
};

struct vd_pool {
        const char *tier; /* tier name */
        int size;         /* its warm-pool target; tiers not named get 0 */
};

/* The vigild binary: $VIGILD, else $VIGIL_BUILD_ROOT/manager/daemon/vigild.
 * -ENOENT with a message when there is none. */
int vd_find_vigild(char *ret, size_t size, struct vgl_error *err);

/* The microVM image directory: $VIGIL_IMAGE_DIR, else what
 * $VIGIL_SOURCE_ROOT/tools/vigil-image build-microvm --build-dir
 * $VIGIL_BUILD_ROOT --quiet prints. -ENOENT with a message. */
int vd_find_image(char *ret, size_t size, struct vgl_error *err);

/* Creates the directory, writes the tier templates (from
 * $VIGIL_SOURCE_ROOT/policies/tiers with pool sizes from pools[0..n)),
 * starts vigild and waits (up to timeout_s) until its socket answers.
 * extra_args (NULL-terminated, may be NULL) are appended to vigild's command
 * line. On failure everything started is stopped again. */
int vd_start(struct vd *d, const struct vd_pool *pools, size_t n, const char *const *extra_args,
             int timeout_s, struct vgl_error *err);

/* vd_start with DIR/policies/adjust.json holding adjust_json (the adjust
 * policy, docs/trust.md) instead of a link to the shipped file. */
int vd_start_adjust(struct vd *d, const struct vd_pool *pools, size_t n,
                    const char *const *extra_args, const char *adjust_json, int timeout_s,
                    struct vgl_error *err);

/* Replaces DIR/policies/adjust.json with adjust_json; vigild reads it at
 * its next start. */
int vd_write_adjust(struct vd *d, const char *adjust_json, struct vgl_error *err);

/* Restarts vigild in the same directory with the same arguments: killed
 * with SIGKILL when crash (a crash: nothing is cleaned up), else stopped
 * with SIGTERM; reaped, started again, and waited for (up to timeout_s)
 * until its socket answers. Sandboxes and their VMs stay. */
int vd_restart(struct vd *d, bool crash, int timeout_s, struct vgl_error *err);

/* Waits (up to timeout_s) until tier's pool_ready >= want. */
int vd_wait_pool(struct vd *d, const char *tier, int want, int timeout_s, struct vgl_error *err);

/* Releases every sandbox vigild knows (as root), stops vigild with SIGTERM
 * (SIGKILL after a grace period), kills any QEMU left in the state dir and
 * removes the directory. Safe to call twice. */
void vd_stop(struct vd *d);

/* True while the vigild child has not exited. */
bool vd_alive(struct vd *d);

/* Prints the last lines of vigild's log to stderr (for failures). */
void vd_dump_log(struct vd *d, int lines);

/* The pid of the QEMU running domain "vigil-<id>" under this vigild's state
 * dir (from the embedded driver's pid file, checked against
 * /proc/PID/cmdline). -ENOENT when there is none. */
int vd_qemu_pid(struct vd *d, const char *id, pid_t *ret);

/* A new string formatted like printf (caller frees), or NULL without memory. */
char *vd_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Forks; the child drops to uid:gid (keeping supplementary group 0, the
 * group of vigild's 0660 socket) and returns fn(arg) as its exit status.
 * Returns that status (0..255), or a negative errno; a child killed by a
 * signal is -EINTR. */
int vd_run_as(uid_t uid, gid_t gid, int (*fn)(void *arg), void *arg);
