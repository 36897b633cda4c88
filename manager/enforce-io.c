/* Per-device limits: bandwidth of each NIC, I/O throttling of each disk. */
#include "enforce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "enforce-priv.h"

/* virDomainGetInterfaceParameters and virDomainGetBlockIoTune alike. */
typedef int (*get_params_fn)(virDomainPtr dom, const char *dev, virTypedParameterPtr params,
                             int *nparams, unsigned int flags);

/* A device's live parameters (count first, then values); -1 with libvirt's
 * error set. Free with virTypedParamsFree. */
static int get_params(virDomainPtr dom, const char *dev, get_params_fn fn,
                      virTypedParameterPtr *ret, int *ret_n)
{
        virTypedParameterPtr p;
        int n = 0;

        if (fn(dom, dev, NULL, &n, VIR_DOMAIN_AFFECT_LIVE) < 0)
                return -1;
        p = calloc((size_t)(n ?: 1), sizeof(*p));
        if (!p)
                return -1;
        if (fn(dom, dev, p, &n, VIR_DOMAIN_AFFECT_LIVE) < 0) {
                free(p);
                return -1;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

/* ---- bandwidth ---- */

bool vgl_tc_missing(const char *msg, char *buf, size_t size)
{
        static const char *const kernel_says[] = {
                "Specified qdisc kind is unknown",
                "Failed to load TC action module",
                "Unknown qdisc",
                "Unknown filter",
                "Specified filter kind is unknown",
        };
        bool found = false;

        if (!msg || !strstr(msg, "tc "))
                return false;
        for (size_t i = 0; i < sizeof(kernel_says) / sizeof(kernel_says[0]); i++)
                found = found || strstr(msg, kernel_says[i]);
        if (!found)
                return false;
        snprintf(buf, size, "%s",
                 strstr(msg, " sfq")      ? "the sfq qdisc"
                 : strstr(msg, " police") ? "the police action"
                 : strstr(msg, " htb")    ? "the htb qdisc"
                                          : "a tc qdisc, filter or action");
        return true;
}

/* kbit/s to libvirt's unit, kilobytes/s, rounded up so a limit stays one. */
static unsigned kbytes(uint64_t kbps)
{
        uint64_t k = (kbps + 7u) / 8u;

        return k > UINT32_MAX ? UINT32_MAX : (unsigned)k;
}

static bool bw_read(virDomainPtr dom, const char *dev, unsigned *in, unsigned *outb)
{
        virTypedParameterPtr p = NULL;
        int n = 0;
        bool ok;

        if (get_params(dom, dev, virDomainGetInterfaceParameters, &p, &n) < 0)
                return false;
        *in = *outb = 0;
        ok = virTypedParamsGetUInt(p, n, VIR_DOMAIN_BANDWIDTH_IN_AVERAGE, in) >= 0 &&
             virTypedParamsGetUInt(p, n, VIR_DOMAIN_BANDWIDTH_OUT_AVERAGE, outb) >= 0;
        virTypedParamsFree(p, n);
        return ok;
}

/* Sets the averages of dev (kilobytes/s, 0: none); -1 with libvirt's
 * error set. */
static int bw_set(virDomainPtr dom, const char *dev, unsigned in, unsigned outb)
{
        virTypedParameterPtr p = NULL;
        int n = 0, max = 0, r = -1;

        if (virTypedParamsAddUInt(&p, &n, &max, VIR_DOMAIN_BANDWIDTH_IN_AVERAGE, in) == 0 &&
            virTypedParamsAddUInt(&p, &n, &max, VIR_DOMAIN_BANDWIDTH_OUT_AVERAGE, outb) == 0)
                r = virDomainSetInterfaceParameters(dom, dev, p, n, VIR_DOMAIN_AFFECT_LIVE);
        virTypedParamsFree(p, n);
        return r;
}

/* Records a failed set: the tc failure of this host's kernel, or libvirt's
 * error as it is. libvirt does not undo the tc steps that worked before
 * the one that failed (an htb root stays on the tap, limiting nothing
 * libvirt knows of), so the limits are cleared again first. */
static int bw_error(virDomainPtr dom, const char *dev, struct vgl_action_result *out)
{
        virErrorPtr e = virGetLastError();
        int code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
        char msg[VGL_PROFILE_REASON_MAX], what[64];
        const char *tc;

        snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : "unknown libvirt error");
        virResetLastError();
        if (bw_set(dom, dev, 0, 0) < 0)
                virResetLastError();
        if (vgl_tc_missing(msg, what, sizeof(what))) {
                /* tc's own words, without libvirt's command line */
                tc = strstr(msg, "Error: ");
                tc = tc ? tc + 7 : msg;
                return vgl_result_set(out, VGL_ACTION_UNSUPPORTED, NULL,
                                      "this host's kernel lacks %s, which libvirt's bandwidth "
                                      "limits need (tc: %.*s)",
                                      what, (int)strcspn(tc, "\n"), tc);
        }
        return vgl_result_set(
                out, vgl_virt_code_unsupported(code) ? VGL_ACTION_UNSUPPORTED : VGL_ACTION_FAILED,
                NULL, "virDomainSetInterfaceParameters %s: %s", dev, msg);
}

static int bw_one(virDomainPtr dom, const char *dev, unsigned in, unsigned outb,
                  struct vgl_action_result *out)
{
        unsigned got_in, got_out;

        if (!dev[0])
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "an interface has no host-side device");
        if (!bw_read(dom, dev, &got_in, &got_out))
                return vgl_result_virt_error(out, "reading the interface parameters");
        if (got_in == in && got_out == outb)
                return VGL_ACTION_APPLIED; /* already in force: nothing for tc to do */
        if (bw_set(dom, dev, in, outb) < 0)
                return bw_error(dom, dev, out);
        if (!bw_read(dom, dev, &got_in, &got_out))
                return vgl_result_virt_error(out, "reading the interface parameters back");
        if (got_in != in || got_out != outb)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "%s read back in %u out %u kB/s, set %u and %u", dev, got_in,
                                      got_out, in, outb);
        return VGL_ACTION_APPLIED;
}

static void rate_text(uint64_t kbps, char *buf, size_t size)
{
        if (kbps)
                snprintf(buf, size, "%llu kbit/s", (unsigned long long)kbps);
        else
                snprintf(buf, size, "no limit");
}

int vgl_enforce_bandwidth(virDomainPtr dom, uint64_t in_kbps, uint64_t out_kbps,
                          struct vgl_action_result *out)
{
        struct vgl_dom_devices dev;
        struct vgl_error e = {0};
        char value[96], a[32], b[32];

        if (vgl_dom_devices_read(dom, &dev, &e) < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "%s", e.msg);
        if (dev.n_nics == 0)
                return vgl_result_set(out, VGL_ACTION_NOT_APPLICABLE, NULL,
                                      "the domain has no network interface");
        for (size_t i = 0; i < dev.n_nics; i++) {
                int st = bw_one(dom, dev.nics[i].dev, kbytes(in_kbps), kbytes(out_kbps), out);

                if (st != VGL_ACTION_APPLIED)
                        return st;
        }
        rate_text(in_kbps, a, sizeof(a));
        rate_text(out_kbps, b, sizeof(b));
        snprintf(value, sizeof(value), "in %s, out %s", a, b);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, "%zu interface(s)", dev.n_nics);
}

/* ---- disk I/O ---- */

static bool io_read(virDomainPtr dom, const char *disk, unsigned long long *iops,
                    unsigned long long *bps)
{
        virTypedParameterPtr p = NULL;
        int n = 0;
        bool ok;

        if (get_params(dom, disk, virDomainGetBlockIoTune, &p, &n) < 0)
                return false;
        *iops = *bps = 0;
        ok = virTypedParamsGetULLong(p, n, VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_IOPS_SEC, iops) >= 0 &&
             virTypedParamsGetULLong(p, n, VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_BYTES_SEC, bps) >= 0;
        virTypedParamsFree(p, n);
        return ok;
}

static int io_one(virDomainPtr dom, const char *disk, uint64_t iops, uint64_t bps,
                  struct vgl_action_result *out)
{
        virTypedParameterPtr p = NULL;
        int n = 0, max = 0, r;
        unsigned long long got_iops, got_bps;
        char where[80];

        if (!io_read(dom, disk, &got_iops, &got_bps))
                return vgl_result_virt_error(out, "reading the disk's I/O limits");
        if (got_iops == iops && got_bps == bps)
                return VGL_ACTION_APPLIED;
        if (virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_IOPS_SEC, iops) <
                    0 ||
            virTypedParamsAddULLong(&p, &n, &max, VIR_DOMAIN_BLOCK_IOTUNE_TOTAL_BYTES_SEC, bps) <
                    0) {
                virTypedParamsFree(p, n);
                return vgl_result_virt_error(out, "I/O parameters");
        }
        r = virDomainSetBlockIoTune(dom, disk, p, n, VIR_DOMAIN_AFFECT_LIVE);
        virTypedParamsFree(p, n);
        snprintf(where, sizeof(where), "virDomainSetBlockIoTune %s", disk);
        if (r < 0)
                return vgl_result_virt_error(out, where);
        if (!io_read(dom, disk, &got_iops, &got_bps))
                return vgl_result_virt_error(out, "reading the disk's I/O limits back");
        if (got_iops != iops || got_bps != bps)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL,
                                      "%s read back %llu iops %llu B/s, set %llu and %llu", disk,
                                      got_iops, got_bps, (unsigned long long)iops,
                                      (unsigned long long)bps);
        return VGL_ACTION_APPLIED;
}

int vgl_enforce_blkio(virDomainPtr dom, uint64_t iops, uint64_t bytes_per_s,
                      struct vgl_action_result *out)
{
        struct vgl_dom_devices dev;
        struct vgl_error e = {0};
        char value[64];

        if (vgl_dom_devices_read(dom, &dev, &e) < 0)
                return vgl_result_set(out, VGL_ACTION_FAILED, NULL, "%s", e.msg);
        if (dev.n_disks == 0)
                return vgl_result_set(out, VGL_ACTION_NOT_APPLICABLE, NULL,
                                      "the domain has no disk");
        for (size_t i = 0; i < dev.n_disks; i++) {
                int st = io_one(dom, dev.disks[i], iops, bytes_per_s, out);

                if (st != VGL_ACTION_APPLIED)
                        return st;
        }
        snprintf(value, sizeof(value), "%llu iops, %llu B/s", (unsigned long long)iops,
                 (unsigned long long)bytes_per_s);
        return vgl_result_set(out, VGL_ACTION_APPLIED, value, "%zu disk(s)%s", dev.n_disks,
                              iops || bytes_per_s ? "" : ", no limit");
}
