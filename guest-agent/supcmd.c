/* Supervision of one command in the agent loop: options at start, attaching
 * the listener, polling it, resource usage at the end. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "exec.h"
#include "log.h"
#include "supervise.h"

#define ATTACH_RETRY_MS 1u
#define ATTACH_GUARD_MS 10000u /* a child that never loads its filter is killed */

void vgl_supcmd_opts(struct vgl_agent *a, uint32_t id, struct vgl_exec_opts *o,
                     struct vgl_cgroup *cg)
{
        const struct vgl_policy *p = a->policy;
        struct vgl_error err = {0};

        *o = (struct vgl_exec_opts){.uid = -1, .gid = -1};
        *cg = (struct vgl_cgroup){.procs_fd = -1};
        if (!a->have_policy)
                return;
        o->uid = p->uid;
        o->gid = p->gid;
        o->sup = (struct vgl_sup_opts){
                .enabled = p->supervise && a->seccomp_ok,
                .trace = p->mode == VGL_POLICY_TRACE,
                .notify_reads = p->n_sensitive > 0,
                .no_new_privs = p->no_new_privs,
        };
        if (!a->cgroup2)
                return;
        if (vgl_cgroup_create(a->cfg.cgroup_root, id, p->pids_max, p->memory_max, cg, &err) < 0)
                vgl_log(LOG_WARNING, "exec %u: no cgroup: %s", id, err.msg);
        else
                o->cg = cg;
}

void vgl_supcmd_poll_add(struct vgl_agent *a, struct vgl_cmd *c, struct vgl_pollset *ps)
{
        if (c->listener >= 0)
                vgl_pollset_add(ps, c->listener, POLLIN, VGL_POLL_CMD_NOTIFY, c);
        else if (c->supervised && c->listener_num >= 0 && c->pidfd >= 0)
                vgl_pollset_deadline(ps, vgl_now_ms() + ATTACH_RETRY_MS);
}

void vgl_supcmd_tick(struct vgl_agent *a, struct vgl_cmd *c, uint64_t now_ms)
{
        if (!c->supervised || c->listener >= 0 || c->pidfd < 0 || c->listener_num < 0)
                return;
        if (!c->attach_deadline_ms)
                c->attach_deadline_ms = now_ms + ATTACH_GUARD_MS;
        int r = vgl_sup_attach(c, c->listener_num);
        if (r == 0) {
                vgl_log(LOG_DEBUG, "exec %u: supervising (listener %d)", c->id, c->listener);
                return;
        }
        if (c->exited || (r != -EAGAIN) || now_ms >= c->attach_deadline_ms) {
                if (!c->exited) {
                        vgl_log(LOG_ERR, "exec %u: cannot attach to its filter: %s", c->id,
                                strerror(-r));
                        killpg(c->pid, SIGKILL);
                }
                c->pidfd = safe_close(c->pidfd);
        }
}

void vgl_supcmd_usage(struct vgl_agent *a, struct vgl_cmd *c)
{
        struct vgl_ev_usage u = {.h = vgl_events_head(c->id, (uint32_t)c->pid)};
        uint8_t rec[VGL_EV_USAGE_SIZE];
        if (!c->supervised && !c->cg.path[0])
                return;
        vgl_cgroup_usage(&c->cg, &u);
        vgl_ev_usage_encode(&u, rec);
        vgl_events_add(a, VGL_REC_USAGE, rec);
}
