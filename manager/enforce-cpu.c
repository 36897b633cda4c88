/* vCPUs (hot-unplug and hotplug) and the CPU quota (cgroup bandwidth). */
#include "enforce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "cleanup.h"
#include "enforce-priv.h"

/* libvirt's accepted vcpu_quota range (cgroup CPU bandwidth, in µs);
 * negative or larger than the maximum means "no quota". */
#define QUOTA_MIN_US 1000ll
#define QUOTA_MAX_US 17592186044415ll

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The live vCPU count two ways: libvirt's, and QEMU's vCPU threads where
 * this host can see them (qemu < 0 when it cannot). */
struct vcount {
        int libvirt, qemu;
};

/* Fills *c; libvirt's count, or -1 with libvirt's error set. */
static int count_vcpus(virDomainPtr dom, pid_t pid, struct vcount *c)
{
        c->libvirt = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE);
        c->qemu = pid > 0 ? vgl_qemu_vcpu_threads(pid) : -1;
        return c->libvirt;
}

/* What is really running: QEMU's threads when visible. */
static int truth(const struct vcount *c)
{
        return c->qemu >= 0 ? c->qemu : c->libvirt;
}

/* Polls until the count is target or settle_ms passed. */
static int wait_vcpus(virDomainPtr dom, pid_t pid, int target, unsigned settle_ms, struct vcount *c)
{
        uint64_t deadline = now_ms() + settle_ms;

        while (count_vcpus(dom, pid, c) >= 0 && truth(c) != target && now_ms() < deadline)
                vgl_sleep_ms(VGL_ENFORCE_POLL_MS);
        return c->libvirt;
}

/* libvirt waits 5 s for the guest to release a vCPU, then reports a
 * timeout; the unplug may still finish, which the read-back waits for. */
static int set_vcpus(virDomainPtr dom, int target, struct vgl_action_result *out)
{
        virErrorPtr e;

        if (virDomainSetVcpusFlags(dom, (unsigned)target, VIR_DOMAIN_AFFECT_LIVE) == 0)
                return 0;
        e = virGetLastError();
        if (!e || e->code != VIR_ERR_OPERATION_TIMEOUT)
                return vgl_result_virt_error(out, "virDomainSetVcpusFlags");
        virResetLastError();
        return 0;
}

int vgl_enforce_vcpus(virDomainPtr dom, unsigned want, unsigned settle_ms,
                      struct vgl_action_result *out)
{
        int max = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM);
        struct vcount c;
        pid_t pid = 0;
        int target;
        char clamp[80] = "", value[16];

        if (want == 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "asked for 0 vCPUs");
        if (max < 0)
                return vgl_result_virt_error(out, "reading the vCPU maximum");
        target = want > (unsigned)max ? max : (int)want;
        if (want > (unsigned)max)
                snprintf(clamp, sizeof(clamp), "asked %u, clamped to the domain's maximum %d", want,
                         max);
        if (vgl_qemu_pid(dom, &pid) < 0)
                pid = 0;
        if (count_vcpus(dom, pid, &c) < 0)
                return vgl_result_virt_error(out, "reading the live vCPUs");
        snprintf(value, sizeof(value), "%d", truth(&c));
        /* libvirt would do nothing: it believes the count is right already */
        if (c.libvirt == target && truth(&c) != target)
                return vgl_result_set(out, VGL_ACTION_FAILED, value,
                                      "QEMU runs %d vCPUs but libvirt counts %d: it missed an "
                                      "unplug (QEMU sent no DEVICE_DELETED) and will not change "
                                      "the count",
                                      c.qemu, c.libvirt);
        if (c.libvirt != target && set_vcpus(dom, target, out) != 0)
                return out->state;
        if (wait_vcpus(dom, pid, target, settle_ms, &c) < 0)
                return vgl_result_virt_error(out, "reading the live vCPUs back");
        snprintf(value, sizeof(value), "%d", truth(&c));
        if (truth(&c) != target)
                return vgl_result_set(out, VGL_ACTION_FAILED, value,
                                      "%d live vCPUs after %u ms, asked %d (%s)", truth(&c),
                                      settle_ms, target,
                                      truth(&c) > target ? "the guest has not released them"
                                                         : "QEMU has not started them");
        if (c.qemu >= 0 && c.libvirt != c.qemu)
                return vgl_result_set(out, VGL_ACTION_APPLIED, value,
                                      "QEMU runs %d vCPUs; libvirt still counts %d (QEMU sent no "
                                      "DEVICE_DELETED), so it will not add one back",
                                      c.qemu, c.libvirt);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, clamp[0] ? "%s" : NULL, clamp);
}

/* ---- CPU quota ---- */

struct sched {
        virTypedParameterPtr p;
        int n;
        char type[32];
};

static void sched_free(struct sched *s)
{
        virTypedParamsFree(s->p, s->n);
        s->p = NULL;
        s->n = 0;
}

/* The live scheduler parameters, or -1 with libvirt's error set. */
static int sched_read(virDomainPtr dom, struct sched *s)
{
        _cleanup_free_ char *type = virDomainGetSchedulerType(dom, &s->n);

        if (!type)
                return -1;
        snprintf(s->type, sizeof(s->type), "%s", type);
        s->p = calloc((size_t)(s->n ?: 1), sizeof(*s->p));
        if (!s->p)
                return -1;
        /* The running domain's values. The Flags variant would say so
         * explicitly, but the test driver refuses the flag libvirt adds. */
        if (virDomainGetSchedulerParameters(dom, s->p, &s->n) < 0) {
                free(s->p);
                s->p = NULL;
                s->n = 0;
                return -1;
        }
        return 0;
}

/* A missing CPU cgroup is this host's (or this libvirt's) limit, not a
 * failed attempt: libvirt says "cgroup CPU controller is not mounted". */
static int sched_error(struct vgl_action_result *out, const char *what)
{
        virErrorPtr e = virGetLastError();

        if (e && e->message && strstr(e->message, "cgroup")) {
                vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                               "%s (libvirt has no CPU cgroup for this domain)", e->message);
                virResetLastError();
                return VGL_ACTION_UNSUPPORTED;
        }
        return vgl_result_virt_error(out, what);
}

static void quota_text(long long quota, unsigned long long period, char *buf, size_t size)
{
        if (quota < 0 || quota >= QUOTA_MAX_US)
                snprintf(buf, size, "no quota");
        else
                snprintf(buf, size, "%llu%% (%lld/%llu us)",
                         period ? (unsigned long long)quota * 100u / period : 0ull, quota, period);
}

int vgl_enforce_cpu_quota(virDomainPtr dom, unsigned percent, struct vgl_action_result *out)
{
        struct sched s = {0};
        virTypedParameterPtr set = NULL;
        int nset = 0, maxset = 0, r;
        unsigned long long period = 100000;
        long long quota, got;
        char value[64];

        if (percent > 100)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "asked %u%%, above 100",
                                      percent);
        if (sched_read(dom, &s) < 0)
                return sched_error(out, "reading the scheduler parameters");
        if (virTypedParamsGetLLong(s.p, s.n, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, &got) != 1) {
                r = vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                                   "the driver's '%s' scheduler has no vcpu_quota", s.type);
                sched_free(&s);
                return r;
        }
        virTypedParamsGetULLong(s.p, s.n, VIR_DOMAIN_SCHEDULER_VCPU_PERIOD, &period);
        sched_free(&s);
        quota = percent == 0 || percent == 100 ? -1 : (long long)(period * percent / 100u);
        if (quota >= 0 && quota < QUOTA_MIN_US)
                quota = QUOTA_MIN_US;
        if (virTypedParamsAddLLong(&set, &nset, &maxset, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, quota) <
                    0 ||
            virDomainSetSchedulerParametersFlags(dom, set, nset, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                virTypedParamsFree(set, nset);
                return sched_error(out, "virDomainSetSchedulerParametersFlags");
        }
        virTypedParamsFree(set, nset);
        if (sched_read(dom, &s) < 0)
                return sched_error(out, "reading the scheduler parameters back");
        r = virTypedParamsGetLLong(s.p, s.n, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, &got);
        virTypedParamsGetULLong(s.p, s.n, VIR_DOMAIN_SCHEDULER_VCPU_PERIOD, &period);
        sched_free(&s);
        quota_text(got, period, value, sizeof(value));
        if (r != 1 || (quota < 0 ? got >= 0 && got < QUOTA_MAX_US : got != quota))
                return vgl_result_set(out, VGL_ACTION_FAILED, r == 1 ? value : NULL,
                                      "vcpu_quota read back %lld, set %lld", r == 1 ? got : 0,
                                      quota);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, NULL);
}
