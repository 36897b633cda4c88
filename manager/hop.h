/* Sandbox hopping: moving a running workload into another tier's template.
 *
 * A hop saves the running domain (virDomainSaveFlags) and restores it
 * (virDomainRestoreFlags) with the domain's migratable XML rewritten for the
 * target tier; the processes inside keep running with their state. libvirt
 * checks that the restore XML keeps the guest-visible machine (vCPU count
 * and online state, memory size and current balloon size, devices), so a
 * hop changes only what lies outside the guest's ABI: CPU quotas, memory
 * limits, the tier in our metadata, interface link state. docs/hop.md lists
 * what can and cannot change, and why.
 *
 * A failed hop restores the domain from the same save file with its own XML,
 * so the sandbox comes back in its old, still-enforced state; only when
 * that fails too is the save file kept (its path is in the result).
 *
 * Every call here blocks for as long as a save plus a restore take
 * (seconds): run it on a worker thread, never on the event loop thread.
 * The agent channel of the domain closes at the save and must be reopened
 * on the new domain afterwards. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"
#include "virt.h"

#define VGL_HOP_PERIOD_US 100000 /* CFS period written with every quota */

struct vgl_hop_opts {
        /* > 0: <memtune><hard_limit> for the QEMU process (guest RAM plus
         * QEMU's own overhead, which depends on the host); 0: <memtune> is
         * left as it is. libvirt also raises QEMU's RLIMIT_MEMLOCK to this
         * value, which needs CAP_SYS_RESOURCE (docs/hop.md). */
        uint64_t memory_hard_limit_kib;
};

enum vgl_hop_state {
        VGL_HOP_UNTOUCHED = 0, /* failed before the save: the domain never stopped */
        VGL_HOP_MOVED,         /* running from the new XML */
        VGL_HOP_ROLLED_BACK,   /* the new XML failed; running again from its old XML */
        VGL_HOP_LOST,          /* both restores failed; the save file is kept */
};

struct vgl_hop_result {
        enum vgl_hop_state state;
        double xml_ms, save_ms, restore_ms, live_ms, total_ms; /* wall clock per step */
        char save_path[PATH_MAX];                              /* the save file ("" once removed) */
        char restore_error[VGL_ERROR_MSG_MAX];  /* why the new XML failed ("" none) */
        char rollback_error[VGL_ERROR_MSG_MAX]; /* why the old XML failed too */
        /* What vgl_hop read back after the move (live values): */
        long long vcpu_quota, global_quota; /* microseconds per VGL_HOP_PERIOD_US, -1: none */
        uint64_t balloon_target_kib;        /* the balloon target that was set, 0: none */
        char tier[VGL_TIER_NAME_MAX];       /* the tier in the domain's metadata */
};

/* What a hop to a tier does, worked out from the domain's migratable XML. */
struct vgl_hop_plan {
        char *xml;              /* the restore XML (owned) */
        long long vcpu_quota;   /* per vCPU, microseconds per VGL_HOP_PERIOD_US; -1: none */
        long long global_quota; /* whole domain, applied live; -1: none */
        uint64_t balloon_kib;   /* balloon target, applied live */
        unsigned vcpus;         /* online vCPUs (unchanged by a hop) */
        char tier[VGL_TIER_NAME_MAX];
};

/* Plans the hop of the domain whose migratable XML is xml into tier to.
 * The restore XML is xml with: <cputune> vCPU period and quota
 * (cpu_quota_percent of each vCPU; none at 100); no global quota (it would
 * throttle QEMU while it loads the saved memory; the plan's global_quota,
 * the tier's vcpus x cpu_quota_percent when the tier has fewer vCPUs than
 * the domain has online, is applied live instead); <memtune><hard_limit> when opts
 * asks; the tier name in the vigil metadata; <link state='down'/> on every
 * interface for network "none". Nothing the guest sees is touched: the
 * balloon target (the tier's memory, at most the domain's maximum) is
 * applied live. opts may be NULL. Pure function; -EBADMSG with *err when
 * xml is not a domain document it can edit, *ret untouched then. */
int vgl_hop_plan(const char *xml, const struct vgl_tier *to, const struct vgl_hop_opts *opts,
                 struct vgl_hop_plan *ret, struct vgl_error *err);

/* Frees what a plan owns; accepts a zeroed plan. */
void vgl_hop_plan_done(struct vgl_hop_plan *p);

/* The mechanism: saves *dom into a new 0600 file in save_dir (removed
 * afterwards unless the result is VGL_HOP_LOST) and restores it with xml.
 * On failure of that restore, restores the same file with the XML inside
 * it (the old one). When paused_restore is true the domain is restored
 * paused and left paused (the caller applies live settings, then resumes).
 * On return *dom is a new handle of the restored domain (same name and
 * uuid) unless the state is VGL_HOP_LOST. *ret is filled in every case.
 * 0 when moved; otherwise a negative errno with *err saying what failed
 * (both errors, and where the save file is, when nothing is running). */
int vgl_hop_to_xml(virConnectPtr conn, virDomainPtr *dom, const char *xml, const char *save_dir,
                   bool paused_restore, struct vgl_hop_result *ret, struct vgl_error *err);

/* The hop to tier `to`: the migratable XML of *dom (VIR_DOMAIN_XML_MIGRATABLE
 * | VIR_DOMAIN_XML_SECURE), vgl_hop_plan, vgl_hop_to_xml with the
 * domain restored paused; then, before the guest runs again, the global
 * quota (kept out of the restore XML because it would also throttle QEMU
 * while it loads the saved memory) and the balloon target (the restore may
 * not change the current memory); then it reads the settings back and
 * resumes the domain if it was running before. Returns 0 when the domain
 * runs in the new template with every setting read back; a negative errno
 * otherwise, with ret->state saying where the sandbox is (a failure after
 * the restore leaves it paused in the new template: state VGL_HOP_MOVED). */
int vgl_hop(virConnectPtr conn, virDomainPtr *dom, const struct vgl_tier *to,
            const struct vgl_hop_opts *opts, const char *save_dir, struct vgl_hop_result *ret,
            struct vgl_error *err);

/* "untouched", "moved", "rolled_back", "lost". */
const char *vgl_hop_state_name(enum vgl_hop_state s);
