/* The permission set: probing what can be enforced, POLICY from the host. */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "exec.h"
#include "log.h"

int vgl_policy_setup(struct vgl_agent *a)
{
        a->policy = malloc(sizeof(*a->policy));
        if (!a->policy)
                return -ENOMEM;
        vgl_policy_init_open(a->policy);
        /* API level 5+: the kernel and libseccomp both do user notification. */
        a->seccomp_ok = seccomp_api_get() >= 5;
        a->cgroup_why = "";
        a->cgroup2 = a->cfg.cgroup_root && vgl_cgroup_usable(a->cfg.cgroup_root, &a->cgroup_why);
        if (!a->seccomp_ok)
                vgl_log(LOG_WARNING, "seccomp user notification unavailable: no supervision");
        if (!a->cgroup2)
                vgl_log(LOG_WARNING, "no per-command cgroups at %s: %s (limits not enforced)",
                        a->cfg.cgroup_root ? a->cfg.cgroup_root : "(none)", a->cgroup_why);
        vgl_trace_setup(a);
        return 0;
}

/* New limits for commands already running in their cgroups. */
static void relimit(struct vgl_agent *a)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                struct vgl_cmd *c = a->cmds[i];
                if (c && !c->exited &&
                    vgl_cgroup_set_limits(&c->cg, a->policy->pids_max, a->policy->memory_max) < 0)
                        vgl_log(LOG_WARNING, "exec %u: cannot change cgroup limits", c->id);
        }
}

void vgl_policy_on_frame(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_error err = {0};
        struct vgl_policy *p = malloc(sizeof(*p));

        if (!p) {
                vgl_session_error(a, 0, "internal", f->type, "out of memory");
                return;
        }
        if (vgl_msg_policy_parse(f, p, &err) < 0) {
                free(p);
                vgl_session_error(a, 0, "bad-request", f->type, "%s", err.msg);
                return;
        }
        /* Running supervisors read a->policy on every notification: swapping
         * it is what applies the set to running commands. */
        free(a->policy);
        a->policy = p;
        a->have_policy = true;
        relimit(a);
        vgl_trace_policy(a);
        vgl_log(LOG_INFO, "permission set %llu applied (%s mode%s%s)",
                (unsigned long long)p->generation,
                p->mode == VGL_POLICY_TRACE ? "trace" : "critical",
                p->mode != VGL_POLICY_TRACE ? ""
                : vgl_trace_bpf(a)          ? ", captured with eBPF"
                                            : ", every call notified",
                a->cgroup2 ? "" : ", no cgroup limits");
        struct vgl_policy_ack ack = {
                .generation = p->generation,
                .supervised = a->seccomp_ok,
                .cgroup2 = a->cgroup2,
                .trace_ebpf = a->seccomp_ok && vgl_trace_bpf(a),
        };
        if (vgl_msg_policy_ack_ext_append(&a->out.buf, &ack) < 0)
                a->errors_dropped++;
}
