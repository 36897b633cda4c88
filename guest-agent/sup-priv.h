/* Internals of the supervisor (notify.c, sup-file.c, sup-net.c, sup-exec.c). */
#pragma once

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "events.h"
#include "exec.h"
#include "procmem.h"
#include "proto-policy.h"

/* One notification being decided. Handlers set err (deny), cont (let the
 * kernel run it), or inject_fd (emulated: the agent's fd goes to the
 * workload) / retval, and verdict for the events. */
struct vgl_notif {
        struct vgl_agent *a;
        struct vgl_cmd *c;
        const struct seccomp_notif *req;
        const struct vgl_policy *pol;
        int mem_fd; /* /proc/PID/mem, opened on first use: see vgl_notif_mem */
        bool mem_tried;
        pid_t pid;
        int err;
        bool cont;
        int inject_fd;
        unsigned inject_flags; /* O_CLOEXEC */
        uint8_t verdict;
};

/* The caller's /proc/PID/mem (or -errno), opened on first use: in trace mode
 * most notifications are only observed and never read the caller's memory. */
static inline int vgl_notif_mem(struct vgl_notif *n)
{
        if (!n->mem_tried) {
                n->mem_fd = vgl_pm_open(n->a->cfg.proc_root, n->pid);
                n->mem_tried = true;
        }
        return n->mem_fd;
}

static inline uint64_t vgl_arg(const struct vgl_notif *n, unsigned i)
{
        return n->req->data.args[i];
}

/* Denies with err, or allows (continues) when ok. */
static inline void vgl_notif_decide(struct vgl_notif *n, bool ok, int err)
{
        n->cont = ok;
        n->err = ok ? 0 : err;
        n->verdict = ok ? VGL_VERDICT_ALLOW : VGL_VERDICT_DENY;
}

/* Returns true if nr is handled by that module (and handles it). */
bool vgl_sup_file(struct vgl_notif *n);
bool vgl_sup_net(struct vgl_notif *n);
bool vgl_sup_exec(struct vgl_notif *n);
bool vgl_sup_priv(struct vgl_notif *n);
bool vgl_sup_path_op(struct vgl_notif *n);

/* Opens path for the workload with its fs credentials and umask (openat2
 * semantics; beneath: the writable prefix the path must stay under, or NULL).
 * fd or -errno. */
int vgl_sup_open_as(struct vgl_notif *n, const char *path, uint64_t flags, uint64_t mode,
                    uint64_t resolve, const char *beneath);
