/* Trace mode's capture. With eBPF (trace-bpf.c) the workload's calls are
 * recorded in the kernel without waiting for the agent, and seccomp
 * notification is kept for the critical calls only (the decisions). Where
 * eBPF is unavailable, every call is notified (the filter's default action). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "exec.h"
#include "log.h"

#define RING_SIZE (1u << 20) /* 1 MiB: ~32,000 records of 24 + 8 bytes */

void vgl_trace_setup(struct vgl_agent *a)
{
        const char *why = "";
        int r;

        a->tbpf = (struct vgl_tbpf){
                .prog_fd = -1, .cmds_fd = -1, .ring_fd = -1, .link_fd = -1, .poll_fd = -1};
        if (a->cfg.trace_method == VGL_TRACE_NOTIFY) {
                a->trace_why = "--trace-method notify";
        } else if (vgl_cgroup2_mount(a->cfg.cgroup_root, a->trace_cg_root,
                                     sizeof(a->trace_cg_root)) < 0) {
                a->trace_why = "no cgroup v2 mount to tell commands apart";
        } else if ((r = vgl_tbpf_open(&a->tbpf, RING_SIZE, &why)) < 0) {
                a->trace_why = why;
                vgl_log(LOG_DEBUG, "eBPF: %s; verifier: %.300s", strerror(-r),
                        vgl_tbpf_verifier_log());
        } else {
                vgl_log(LOG_INFO,
                        "trace mode captures with eBPF (raw tracepoint sys_enter, "
                        "commands told apart by their cgroup under %s)",
                        a->trace_cg_root);
                return;
        }
        a->trace_cg_root[0] = '\0';
        vgl_log(LOG_WARNING,
                "trace mode: no eBPF capture (%s): every system call of a traced "
                "command is notified instead (slower)",
                a->trace_why);
}

void vgl_trace_close(struct vgl_agent *a)
{
        vgl_tbpf_close(&a->tbpf);
}

bool vgl_trace_bpf(const struct vgl_agent *a)
{
        return a->tbpf.prog_fd >= 0;
}

void vgl_trace_cmd_start(struct vgl_agent *a, uint32_t id, struct vgl_exec_opts *o,
                         struct vgl_cgroup *cg)
{
        struct vgl_error err = {0};
        uint64_t cgid = 0;
        int r;

        if (!vgl_trace_bpf(a))
                return;
        if (!cg->path[0]) {
                /* No limits here: a cgroup of its own only to be told apart.
                 * The agent's pid in the name: agents on one host (tests). */
                char name[64];
                snprintf(name, sizeof(name), "vigil-trace-%d-%u", (int)getpid(), id);
                if (vgl_cgroup_create_plain(a->trace_cg_root, name, cg, &err) < 0) {
                        vgl_log(LOG_WARNING,
                                "exec %u: no cgroup to trace with eBPF (%s): "
                                "notifying every call",
                                id, err.msg);
                        return;
                }
                o->cg = cg;
        }
        if ((r = vgl_cgroup_id(cg->path, &cgid)) < 0 ||
            (r = vgl_tbpf_add(&a->tbpf, cgid, id)) < 0) {
                vgl_log(LOG_WARNING, "exec %u: cannot trace with eBPF (%s): notifying every call",
                        id, strerror(-r));
                return;
        }
        o->sup.trace = false; /* the filter notifies the critical calls only */
        o->trace_bpf = true;
        o->trace_cgid = cgid;
}

static void on_record(const struct vgl_tbpf_rec *r, void *userdata)
{
        struct vgl_agent *a = userdata;
        struct vgl_ev_syscall e = {
                .h = {.time_us = r->time_ns / 1000u, .exec_id = r->exec_id, .pid = r->pid},
                .nr = (uint16_t)r->nr,
                .verdict = VGL_VERDICT_OBSERVE,
                .flags = VGL_SYSCALL_F_ENTRY,
        };
        a->trace_records++;
        vgl_events_syscall(a, &e);
}

void vgl_trace_drain(struct vgl_agent *a, unsigned max)
{
        if (vgl_trace_bpf(a))
                vgl_tbpf_drain(&a->tbpf, max, on_record, a);
}

static void count_lost(struct vgl_agent *a, uint64_t lost, uint64_t *lost_seen)
{
        if (lost <= *lost_seen)
                return;
        a->trace_lost += lost - *lost_seen;
        a->tel_dropped += lost - *lost_seen;
        *lost_seen = lost;
}

void vgl_trace_cmd_end(struct vgl_agent *a, uint64_t cgid, uint64_t *lost_seen)
{
        uint64_t lost = 0;

        /* Everything it recorded is in the ring by now: take it before its exit. */
        vgl_trace_drain(a, UINT_MAX);
        if (vgl_tbpf_remove(&a->tbpf, cgid, &lost) < 0)
                return;
        count_lost(a, lost, lost_seen);
        a->trace_idle_ms = vgl_now_ms() + VGL_TRACE_IDLE_MS;
}

void vgl_trace_count_losses(struct vgl_agent *a)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                struct vgl_cmd *c = a->cmds[i];
                uint64_t lost;
                if (c && c->trace_bpf && vgl_tbpf_lost(&a->tbpf, c->trace_cgid, &lost) == 0)
                        count_lost(a, lost, &c->trace_lost_seen);
        }
}

void vgl_trace_poll_add(struct vgl_agent *a, struct vgl_pollset *ps)
{
        if (!vgl_trace_bpf(a) || !a->tbpf.n_cmds)
                return;
        vgl_pollset_add(ps, a->tbpf.poll_fd, POLLIN, VGL_POLL_TRACE, NULL);
        vgl_pollset_deadline(ps, a->trace_next_ms);
}

void vgl_trace_idle_deadline(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps)
{
        /* Only a detach to come: a deadline passed would spin the loop. */
        if (vgl_trace_bpf(a) && !a->tbpf.n_cmds && a->tbpf.link_fd >= 0 &&
            a->policy->mode != VGL_POLICY_TRACE && now_ms < a->trace_idle_ms)
                vgl_pollset_deadline(ps, a->trace_idle_ms);
}

void vgl_trace_on_wakeup(struct vgl_agent *a)
{
        vgl_tbpf_ack(&a->tbpf);
        vgl_trace_drain(a, VGL_TRACE_DRAIN_ROUND);
}

/* Attached while the set is in trace mode, or a traced command ran lately
 * (EXEC "supervise":"trace"): attaching costs milliseconds a time. */
static void attach_or_not(struct vgl_agent *a, uint64_t now_ms)
{
        bool want =
                a->policy->mode == VGL_POLICY_TRACE || a->tbpf.n_cmds || now_ms < a->trace_idle_ms;
        /* A failure shows when a command is registered (it attaches too). */
        if (want && a->tbpf.link_fd < 0 && vgl_tbpf_attach(&a->tbpf) < 0)
                vgl_log(LOG_DEBUG, "cannot attach the eBPF trace program now");
        else if (!want && a->tbpf.link_fd >= 0)
                vgl_tbpf_detach(&a->tbpf);
}

void vgl_trace_policy(struct vgl_agent *a)
{
        if (vgl_trace_bpf(a))
                attach_or_not(a, vgl_now_ms());
}

void vgl_trace_tick(struct vgl_agent *a, uint64_t now_ms)
{
        if (!vgl_trace_bpf(a))
                return;
        if (!a->tbpf.n_cmds) {
                attach_or_not(a, now_ms);
                return;
        }
        if (now_ms < a->trace_next_ms)
                return;
        vgl_trace_drain(a, VGL_TRACE_DRAIN_ROUND);
        /* More than a round waiting: the next iteration goes on at once. */
        a->trace_next_ms = vgl_tbpf_pending(&a->tbpf) ? now_ms : now_ms + VGL_TRACE_BATCH_MS;
}
