/* vgl_enforce_limits and the bookkeeping every action shares. */
#include "enforce.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libvirt/virterror.h>

#include "enforce-priv.h"
#include "virt.h"

int vgl_result_set(struct vgl_action_result *r, enum vgl_action_state st, const char *value,
                   const char *fmt, ...)
{
        va_list ap;

        r->state = st;
        r->time = (int64_t)time(NULL);
        snprintf(r->value, sizeof(r->value), "%s", value ?: "");
        r->reason[0] = '\0';
        if (fmt) {
                va_start(ap, fmt);
                vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
                va_end(ap);
        }
        return st;
}

bool vgl_virt_code_unsupported(int code)
{
        switch (code) {
        case VIR_ERR_NO_SUPPORT:            /* the driver has no such call */
        case VIR_ERR_OPERATION_UNSUPPORTED: /* the driver cannot do it here */
        case VIR_ERR_ARGUMENT_UNSUPPORTED:  /* nor this parameter */
        case VIR_ERR_CONFIG_UNSUPPORTED:    /* nor with this configuration */
                return true;
        default:
                return false;
        }
}

int vgl_result_virt_error(struct vgl_action_result *r, const char *what)
{
        virErrorPtr e = virGetLastError();
        int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
        char msg[VGL_PROFILE_REASON_MAX];
        int st;

        snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "unknown libvirt error");
        virResetLastError();
        st = vgl_virt_code_unsupported(code) ? VGL_ACTION_UNSUPPORTED : VGL_ACTION_FAILED;
        return vgl_result_set(r, st, NULL, "%s: %s", what, msg);
}

void vgl_sleep_ms(unsigned ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int vgl_enforce_limits(virDomainPtr dom, const struct vgl_limits *want,
                       struct vgl_action_result out[VGL_ACTION_COUNT], struct vgl_error *err)
{
        int active = dom ? virDomainIsActive(dom) : -1;
        int failed = 0;

        if (active < 0)
                return dom ? vgl_virt_error(err, "domain state")
                           : vgl_error_set(err, EINVAL, "no domain");
        if (active == 0)
                return vgl_error_set(err, ESRCH, "domain %s is not running", virDomainGetName(dom));

        failed += vgl_enforce_vcpus(dom, want->vcpus, VGL_ENFORCE_SETTLE_MS,
                                    &out[VGL_ACTION_VCPUS]) == VGL_ACTION_FAILED;
        failed += vgl_enforce_cpu_quota(dom, want->cpu_quota_percent, &out[VGL_ACTION_CPU_QUOTA]) ==
                  VGL_ACTION_FAILED;
        failed += vgl_enforce_memory(dom, want->memory_mib, VGL_ENFORCE_SETTLE_MS,
                                     &out[VGL_ACTION_MEMORY]) == VGL_ACTION_FAILED;
        failed += vgl_enforce_bandwidth(dom, want->net_in_kbps, want->net_out_kbps,
                                        &out[VGL_ACTION_BANDWIDTH]) == VGL_ACTION_FAILED;
        failed += vgl_enforce_blkio(dom, want->disk_iops, want->disk_bytes_per_s,
                                    &out[VGL_ACTION_BLKIO]) == VGL_ACTION_FAILED;
        return failed;
}

int vgl_enforce_permissions_record(int r, uint64_t generation, bool supervised, const char *msg,
                                   struct vgl_action_result *out)
{
        char value[32];

        snprintf(value, sizeof(value), "generation %llu", (unsigned long long)generation);
        if (r == -EOPNOTSUPP)
                return vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                                      "the guest's agent has no \"policy\" capability");
        if (r < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "%s",
                                      msg && msg[0] ? msg : strerror(-r));
        if (!supervised)
                return vgl_result_set(out, VGL_ACTION_UNSUPPORTED, value,
                                      "the agent acknowledged the set but cannot supervise "
                                      "(no seccomp user notification in the guest)");
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, NULL);
}
