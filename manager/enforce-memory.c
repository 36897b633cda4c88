/* Memory through the balloon, read back from the balloon's actual size. */
#include "enforce.h"

#include <stdio.h>
#include <time.h>

#include "enforce-priv.h"

#define TOLERANCE_KIB 1024u /* "within 1 MiB of the target" */

/* The balloon's current size in KiB: QEMU's answer (memory stats), or
 * libvirt's record where the driver reports no stats. 0 on failure, with
 * libvirt's error set. */
static unsigned long long actual_kib(virDomainPtr dom)
{
        virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
        virDomainInfo info;
        int n = virDomainMemoryStats(dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

        for (int i = 0; i < n; i++)
                if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
                        return st[i].val;
        virResetLastError();
        return virDomainGetInfo(dom, &info) == 0 ? info.memory : 0;
}

static bool near(unsigned long long a, unsigned long long b)
{
        return (a > b ? a - b : b - a) <= TOLERANCE_KIB;
}

/* Polls the balloon until it is at target or settle_ms passed. The guest
 * gives pages back in steps; stopping "near" would catch it mid-way. */
static unsigned long long wait_balloon(virDomainPtr dom, unsigned long long target,
                                       unsigned settle_ms)
{
        unsigned waited = 0;
        unsigned long long kib;

        while ((kib = actual_kib(dom)) != 0 && kib != target && waited < settle_ms) {
                vgl_sleep_ms(VGL_ENFORCE_POLL_MS);
                waited += VGL_ENFORCE_POLL_MS;
        }
        return kib;
}

int vgl_enforce_memory(virDomainPtr dom, uint64_t mib, unsigned settle_ms,
                       struct vgl_action_result *out)
{
        struct vgl_dom_devices dev;
        struct vgl_error e = {0};
        unsigned long max = virDomainGetMaxMemory(dom);
        unsigned long long target = mib * 1024u, kib;
        char clamp[96] = "", value[32];

        if (mib < VGL_LIMIT_MEMORY_MIB_MIN)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "asked %llu MiB, below the floor of %u MiB",
                                      (unsigned long long)mib, VGL_LIMIT_MEMORY_MIB_MIN);
        if (max == 0)
                return vgl_result_virt_error(out, "reading the maximum memory");
        if (vgl_dom_devices_read(dom, &dev, &e) < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "%s", e.msg);
        if (!dev.balloon)
                return vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                                      "the domain has no balloon device");
        if (target > max) {
                snprintf(clamp, sizeof(clamp), "asked %llu MiB, clamped to the maximum %lu MiB",
                         (unsigned long long)mib, max / 1024u);
                target = max;
        }
        if (virDomainSetMemoryFlags(dom, (unsigned long)target, VIR_DOMAIN_AFFECT_LIVE) < 0)
                return vgl_result_virt_error(out, "virDomainSetMemoryFlags");
        kib = wait_balloon(dom, target, settle_ms);
        if (kib == 0)
                return vgl_result_virt_error(out, "reading the balloon back");
        snprintf(value, sizeof(value), "%llu MiB", kib / 1024u);
        if (!near(kib, target))
                return vgl_result_set(out, VGL_ACTION_FAILED, value,
                                      "balloon at %llu KiB after %u ms, target %llu KiB (the "
                                      "guest has not given the memory back)",
                                      kib, settle_ms, target);
        if (kib != target)
                return vgl_result_set(out, VGL_ACTION_APPLIED, value,
                                      "balloon at %llu KiB, within 1 MiB of %llu KiB%s%s", kib,
                                      target, clamp[0] ? "; " : "", clamp);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, clamp[0] ? "%s" : NULL, clamp);
}
