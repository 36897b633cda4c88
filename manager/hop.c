/* vgl_hop: plan, move, then the live settings and the read-back while the
 * restored domain is still paused (see hop.h). */
#include "hop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "hop-priv.h"

#define CGROUP_QUOTA_MAX 17592186044415LL /* what libvirt reports for "no limit" on cgroup v2 */

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int apply_live(virDomainPtr dom, const struct vgl_hop_plan *p, struct vgl_hop_result *ret,
                      struct vgl_error *err)
{
        virTypedParameterPtr params = NULL;
        int n = 0, max = 0, r = 0;

        if (p->global_quota >= 0) {
                if (virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_SCHEDULER_GLOBAL_PERIOD,
                                            VGL_HOP_PERIOD_US) < 0 ||
                    virTypedParamsAddLLong(&params, &n, &max, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA,
                                           p->global_quota) < 0 ||
                    virDomainSetSchedulerParametersFlags(dom, params, n, VIR_DOMAIN_AFFECT_LIVE) <
                            0)
                        r = vgl_virt_error(err, "hop: setting the global CPU quota");
                virTypedParamsFree(params, n);
                if (r < 0)
                        return r;
        }
        if (virDomainSetMemoryFlags(dom, p->balloon_kib, VIR_DOMAIN_AFFECT_LIVE) < 0)
                return vgl_virt_error(err, "hop: setting the balloon target");
        ret->balloon_target_kib = p->balloon_kib;
        return 0;
}

static bool quota_is(long long got, long long want)
{
        if (want < 0)
                return got <= 0 || got >= CGROUP_QUOTA_MAX;
        return got == want;
}

static int read_quotas(virDomainPtr dom, struct vgl_hop_result *ret, struct vgl_error *err)
{
        virTypedParameterPtr params = NULL;
        char *type;
        int n = 0, r = 0;

        type = virDomainGetSchedulerType(dom, &n);
        if (!type)
                return vgl_virt_error(err, "hop: reading the scheduler");
        free(type);
        params = calloc((size_t)(n > 0 ? n : 1), sizeof(*params));
        if (!params)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (virDomainGetSchedulerParametersFlags(dom, params, &n, VIR_DOMAIN_AFFECT_LIVE) < 0)
                r = vgl_virt_error(err, "hop: reading the CPU quotas");
        else {
                ret->vcpu_quota = ret->global_quota = -1;
                virTypedParamsGetLLong(params, n, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA,
                                       &ret->vcpu_quota);
                virTypedParamsGetLLong(params, n, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA,
                                       &ret->global_quota);
        }
        virTypedParamsClear(params, n);
        free(params);
        return r;
}

static int read_tier(virDomainPtr dom, struct vgl_hop_result *ret, struct vgl_error *err)
{
        _cleanup_free_ char *md = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                       VGL_XMLNS_SANDBOX, VIR_DOMAIN_AFFECT_LIVE);
        struct vgl_hop_xel root, t;
        size_t n;

        if (!md)
                return vgl_virt_error(err, "hop: reading the metadata");
        if (vgl_hop_xml_root(md, strlen(md), &root) < 0 ||
            vgl_hop_xml_child(md, &root, "tier", true, 0, &t) < 0)
                return vgl_error_set(err, EBADMSG, "hop: no tier in the domain's metadata");
        n = t.close - t.open_end;
        snprintf(ret->tier, sizeof(ret->tier), "%.*s", (int)n, md + t.open_end);
        return 0;
}

static int read_back(virDomainPtr dom, const struct vgl_hop_plan *p, struct vgl_hop_result *ret,
                     struct vgl_error *err)
{
        int r = read_quotas(dom, ret, err);

        if (r == 0)
                r = read_tier(dom, ret, err);
        if (r < 0)
                return r;
        if (!quota_is(ret->vcpu_quota, p->vcpu_quota) ||
            !quota_is(ret->global_quota, p->global_quota) || strcmp(ret->tier, p->tier) != 0)
                return vgl_error_set(
                        err, EIO,
                        "hop: read back vcpu_quota %lld, global_quota %lld, tier '%s'; "
                        "expected %lld, %lld, '%s'",
                        ret->vcpu_quota, ret->global_quota, ret->tier, p->vcpu_quota,
                        p->global_quota, p->tier);
        return 0;
}

static int prepare(virDomainPtr dom, const struct vgl_tier *to, const struct vgl_hop_opts *opts,
                   struct vgl_hop_plan *plan, bool *ret_running, struct vgl_error *err)
{
        _cleanup_free_ char *xml = NULL;
        int state = 0;

        if (virDomainGetState(dom, &state, NULL, 0) < 0)
                return vgl_virt_error(err, "hop: domain state");
        if (state != VIR_DOMAIN_RUNNING && state != VIR_DOMAIN_PAUSED)
                return vgl_error_set(err, EINVAL, "hop: the domain is neither running nor paused");
        xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_MIGRATABLE | VIR_DOMAIN_XML_SECURE);
        if (!xml)
                return vgl_virt_error(err, "hop: migratable XML");
        *ret_running = state == VIR_DOMAIN_RUNNING;
        return vgl_hop_plan(xml, to, opts, plan, err);
}

/* The restored domain is paused: settings, read-back, then it may run. A
 * failure here leaves it paused, so nothing runs less restricted than
 * planned; the caller decides what happens to it. */
static int finish(virDomainPtr dom, const struct vgl_hop_plan *plan, bool running,
                  struct vgl_hop_result *ret, struct vgl_error *err)
{
        char why[VGL_ERROR_MSG_MAX];
        int r = apply_live(dom, plan, ret, err);

        if (r == 0)
                r = read_back(dom, plan, ret, err);
        if (r == 0 && running && virDomainResume(dom) < 0)
                r = vgl_virt_error(err, "hop: resuming");
        if (r < 0) {
                snprintf(why, sizeof(why), "%s", err ? err->msg : "");
                vgl_error_set(err, -r, "%s (moved to tier %s; the domain is left paused)", why,
                              plan->tier);
        }
        return r;
}

int vgl_hop(virConnectPtr conn, virDomainPtr *dom, const struct vgl_tier *to,
            const struct vgl_hop_opts *opts, const char *save_dir, struct vgl_hop_result *ret,
            struct vgl_error *err)
{
        struct vgl_hop_plan plan = {};
        double t0 = now_ms(), t1;
        bool running = false;
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->vcpu_quota = ret->global_quota = -1;
        r = prepare(*dom, to, opts, &plan, &running, err);
        ret->xml_ms = now_ms() - t0;
        if (r == 0)
                r = vgl_hop_to_xml(conn, dom, plan.xml, save_dir, true, ret, err);
        if (r == 0) {
                t1 = now_ms();
                r = finish(*dom, &plan, running, ret, err);
                ret->live_ms = now_ms() - t1;
        }
        ret->total_ms = now_ms() - t0;
        vgl_hop_plan_done(&plan);
        return r;
}
