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

/* The request's "supervise" over the set's: *sup, *trace. -errno when refused. */
static int want_mode(const struct vgl_agent *a, enum vgl_exec_supervise want, bool *sup,
                     bool *trace, struct vgl_error *err)
{
        *sup = a->have_policy && a->policy->supervise;
        *trace = a->policy->mode == VGL_POLICY_TRACE;
        switch (want) {
        case VGL_EXEC_SUP_OFF:
                /* Never weaker than the set: "off" only states what it allows. */
                if (*sup)
                        return vgl_error_set(err, EPERM,
                                             "supervise \"off\" refused: the permission set "
                                             "in force requires supervision");
                return 0;
        case VGL_EXEC_SUP_TRACE:
        case VGL_EXEC_SUP_CRITICAL:
                if (!a->seccomp_ok)
                        return vgl_error_set(err, EOPNOTSUPP,
                                             "supervise \"%s\": no seccomp user notification "
                                             "in this guest",
                                             vgl_exec_supervise_name(want));
                *sup = true;
                *trace = want == VGL_EXEC_SUP_TRACE;
                return 0;
        default:
                return 0;
        }
}

int vgl_supcmd_opts(struct vgl_agent *a, uint32_t id, enum vgl_exec_supervise want,
                    struct vgl_exec_opts *o, struct vgl_cgroup *cg, struct vgl_error *err)
{
        const struct vgl_policy *p = a->policy;
        struct vgl_error cgerr = {0};
        bool sup, trace;
        int r;

        *o = (struct vgl_exec_opts){.uid = -1, .gid = -1};
        *cg = (struct vgl_cgroup){.procs_fd = -1};
        if ((r = want_mode(a, want, &sup, &trace, err)) < 0)
                return r;
        if (!a->have_policy && !sup)
                return 0; /* no POLICY yet: plain commands, as before issue 4 */
        o->uid = p->uid;
        o->gid = p->gid;
        o->sup = (struct vgl_sup_opts){
                .enabled = sup && a->seccomp_ok,
                .trace = trace,
                .notify_reads = p->n_sensitive > 0,
                .no_new_privs = p->no_new_privs,
        };
        if (a->cgroup2) {
                if (vgl_cgroup_create(a->cfg.cgroup_root, id, p->pids_max, p->memory_max, cg,
                                      &cgerr) < 0)
                        vgl_log(LOG_WARNING, "exec %u: no cgroup: %s", id, cgerr.msg);
                else
                        o->cg = cg;
        }
        if (o->sup.enabled && o->sup.trace)
                vgl_trace_cmd_start(a, id, o, cg);
        return 0;
}

void vgl_supcmd_abort(struct vgl_agent *a, struct vgl_exec_opts *o, struct vgl_cgroup *cg)
{
        uint64_t lost = 0;
        if (o->trace_bpf)
                vgl_trace_cmd_end(a, o->trace_cgid, &lost);
        o->trace_bpf = false;
        vgl_cgroup_destroy(cg);
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

void vgl_supcmd_end(struct vgl_agent *a, struct vgl_cmd *c)
{
        if (!c->trace_bpf)
                return;
        vgl_trace_cmd_end(a, c->trace_cgid, &c->trace_lost_seen);
        c->trace_bpf = false;
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
