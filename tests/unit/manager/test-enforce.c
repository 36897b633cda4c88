/* Enforcement against libvirt's test driver (test:///default), and the
 * pieces that need no libvirt: device scanning, tc error recognition,
 * filter file checks, the permission outcome.
 *
 * The test driver can set and read back vCPUs, the balloon and interface
 * bandwidth; it has no vcpu_quota and no nwfilter driver, so those must
 * come out UNSUPPORTED with a reason, and its block I/O tuning refuses a
 * limit without a burst maximum (FAILED, with its message): never
 * APPLIED. The real thing runs in tests/integration-enforce/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "enforce-priv.h"
#include "enforce.h"
#include "nwfilter.h"
#include "virt.h"

static const char *const state_names[] = {"pending", "applied", "unsupported", "not_applicable",
                                          "failed"};

static void show(const char *what, const struct vgl_action_result *r)
{
        fprintf(stderr, "# %-10s %-14s value '%s' reason '%s'\n", what, state_names[r->state],
                r->value, r->reason);
}

static void expect(const struct vgl_action_result *r, enum vgl_action_state st)
{
        if (r->state != st)
                fail_msg("state %s, expected %s (reason '%s')", state_names[r->state],
                         state_names[st], r->reason);
        assert_true(r->time > 0);
        if (st != VGL_ACTION_APPLIED)
                assert_true(r->reason[0] != '\0'); /* every non-success says why */
}

static virConnectPtr open_test(void)
{
        virConnectPtr c = NULL;
        struct vgl_error e = {0};

        vgl_virt_quiet_errors();
        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        return c;
}

/* ---- without libvirt ---- */

static const char devices_xml[] =
        "<domain type='kvm'>\n"
        "  <metadata><vigil:sandbox xmlns:vigil='x'><vigil:interface type='network'>"
        "<target dev='fake0'/></vigil:interface>&lt;disk device='disk'&gt;</vigil:sandbox>"
        "</metadata>\n"
        "  <devices>\n"
        "    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>\n"
        "    <disk type='file' device='disk'>\n      <source file='/x'/>\n"
        "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
        "    <interface type='network'>\n      <mac address='52:54:00:12:34:56'/>\n"
        "      <source network='vgl-enf' portid='abc' bridge='vglbr0'/>\n"
        "      <target dev='vnet3'/>\n      <model type='virtio'/>\n    </interface>\n"
        "    <interface type='user'>\n      <mac address=\"52:54:00:00:00:01\"/>\n"
        "      <model type='virtio'/>\n    </interface>\n"
        "    <memballoon model='virtio'>\n      <alias name='balloon0'/>\n    </memballoon>\n"
        "  </devices>\n</domain>\n";

static void test_devices_parse(void **state)
{
        struct vgl_dom_devices d;

        vgl_dom_devices_parse(devices_xml, &d);
        assert_int_equal(d.n_disks, 1);
        assert_string_equal(d.disks[0], "vda");
        assert_int_equal(d.n_nics, 2);
        assert_string_equal(d.nics[0].dev, "vnet3");
        assert_string_equal(d.nics[0].mac, "52:54:00:12:34:56");
        assert_string_equal(d.nics[0].network, "vgl-enf");
        assert_string_equal(d.nics[1].dev, "");
        assert_string_equal(d.nics[1].mac, "52:54:00:00:00:01");
        assert_string_equal(d.nics[1].network, "");
        assert_true(d.balloon);

        vgl_dom_devices_parse("<domain><devices><memballoon model='none'/></devices></domain>", &d);
        assert_int_equal(d.n_nics, 0);
        assert_int_equal(d.n_disks, 0);
        assert_false(d.balloon);
        vgl_dom_devices_parse("<domain><devices><interface type='network'>", &d);
        assert_int_equal(d.n_nics, 0); /* truncated: nothing half-read */
        vgl_dom_devices_parse("", &d);
        assert_int_equal(d.n_nics, 0);
}

static void test_xml_attr(void **state)
{
        char buf[16];

        assert_true(vgl_xml_attr("<a x='1' xx=\"2\">", "xx", buf, sizeof(buf)));
        assert_string_equal(buf, "2");
        assert_true(vgl_xml_attr("<a xx='2' x='1'>", "x", buf, sizeof(buf)));
        assert_string_equal(buf, "1");
        assert_false(vgl_xml_attr("<a y='1'> x='3'", "x", buf, sizeof(buf))); /* past '>' */
        assert_false(vgl_xml_attr("<a x='0123456789abcdefgh'>", "x", buf, sizeof(buf)));
        assert_false(vgl_xml_attr("<a x='1", "x", buf, sizeof(buf)));
        assert_false(vgl_xml_attr("<a x=1>", "x", buf, sizeof(buf)));
}

/* What libvirt 9.0 reported on a host without sch_sfq and act_police. */
static void test_tc_missing(void **state)
{
        char what[64];

        assert_true(vgl_tc_missing("internal error: Child process (tc qdisc add dev vnet0 parent "
                                   "1:1 handle 2: sfq perturb 10) unexpected exit status 2: "
                                   "Error: Specified qdisc kind is unknown.",
                                   what, sizeof(what)));
        assert_string_equal(what, "the sfq qdisc");
        assert_true(vgl_tc_missing("internal error: Child process (tc filter add dev vnet0 parent "
                                   "ffff: protocol all u32 match u32 0 0 police rate 100kbps "
                                   "burst 100kb mtu 64kb drop flowid :1) unexpected exit status "
                                   "2: Error: Failed to load TC action module.\nWe have an error "
                                   "talking to the kernel",
                                   what, sizeof(what)));
        assert_string_equal(what, "the police action");
        assert_false(vgl_tc_missing("internal error: Child process (tc qdisc add dev vnet0 root "
                                    "handle 1: htb) unexpected exit status 2: Cannot find device",
                                    what, sizeof(what)));
        assert_false(vgl_tc_missing("Specified qdisc kind is unknown", what, sizeof(what)));
        assert_false(vgl_tc_missing(NULL, what, sizeof(what)));
}

static void test_filter_files(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        const char *files[] = {"low", "medium", "high", "paranoid"};
        struct vgl_error e = {0};
        _cleanup_free_ char *big = NULL;

        if (!src)
                skip();
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_fclose_ FILE *f = NULL;
                size_t n;

                assert_true(asprintf(&path, "%s/policies/nwfilter/%s.xml", src, files[i]) > 0);
                f = fopen(path, "re");
                assert_non_null(f);
                text = calloc(1, VGL_NWFILTER_FILE_MAX + 1);
                n = fread(text, 1, VGL_NWFILTER_FILE_MAX, f);
                if (vgl_nwfilter_check(path, text, n, vgl_nwfilter_name((enum vgl_posture)i), &e) <
                    0)
                        fail_msg("%s", e.msg);
        }
        assert_string_equal(vgl_nwfilter_name(VGL_POSTURE_PARANOID), "vigil-paranoid");
        assert_null(vgl_nwfilter_name((enum vgl_posture)9));

#define CHECK(text, want) vgl_nwfilter_check("f.xml", text, strlen(text), want, &e)
        assert_int_equal(CHECK("<!-- c --><filter name='vigil-x'><uuid>u</uuid></filter>", NULL),
                         0);
        assert_int_equal(CHECK("<?xml version='1.0'?>\n<filter name='vigil-x'><uuid>u</uuid>"
                               "</filter>",
                               "vigil-x"),
                         0);
        assert_int_equal(CHECK("<filter name='vigil-x'/>", NULL), -EINVAL);
        assert_non_null(strstr(e.msg, "uuid"));
        assert_int_equal(CHECK("<filter name='vigil-x'><uuid>u</uuid></filter>", "vigil-low"),
                         -EINVAL);
        assert_non_null(strstr(e.msg, "expected 'vigil-low'"));
        assert_int_equal(CHECK("<filter name='clean-traffic'/>", NULL), -EINVAL);
        assert_int_equal(CHECK("<filter name='vigil-A B'/>", NULL), -EINVAL);
        assert_int_equal(CHECK("<filterbinding name='vigil-x'/>", NULL), -EINVAL);
        assert_int_equal(CHECK("<domain/>", NULL), -EINVAL);
        assert_int_equal(CHECK("<!-- unterminated", NULL), -EINVAL);
        assert_int_equal(vgl_nwfilter_check("f.xml", "<filter name='vigil-x'/>\0x", 26, NULL, &e),
                         -EINVAL);
#undef CHECK
        big = calloc(1, VGL_NWFILTER_FILE_MAX + 2);
        memset(big, ' ', VGL_NWFILTER_FILE_MAX + 1);
        assert_int_equal(vgl_nwfilter_check("f.xml", big, VGL_NWFILTER_FILE_MAX + 1, NULL, &e),
                         -EINVAL);
}

static void test_permissions_record(void **state)
{
        struct vgl_action_result r = {0};

        assert_int_equal(vgl_enforce_permissions_record(0, 7, true, NULL, &r), VGL_ACTION_APPLIED);
        assert_string_equal(r.value, "generation 7");
        assert_int_equal(vgl_enforce_permissions_record(0, 8, false, NULL, &r),
                         VGL_ACTION_UNSUPPORTED);
        assert_non_null(strstr(r.reason, "cannot supervise"));
        assert_int_equal(vgl_enforce_permissions_record(-EOPNOTSUPP, 9, false, NULL, &r),
                         VGL_ACTION_UNSUPPORTED);
        assert_int_equal(vgl_enforce_permissions_record(-ETIMEDOUT, 9, false, "no POLICY_ACK", &r),
                         VGL_ACTION_FAILED);
        assert_string_equal(r.reason, "no POLICY_ACK");
        assert_string_equal(r.value, "");
}

/* ---- against test:///default ---- */

/* Its built-in domain "test": running, 2 vCPUs of 2, 2 GiB of 8, a
 * virtio balloon, disk vda, interface testnet0. */
static void test_limits_test_driver(void **state)
{
        _cleanup_virconn_ virConnectPtr c = open_test();
        _cleanup_virdomain_ virDomainPtr d = virDomainLookupByName(c, "test");
        struct vgl_limits want = {.vcpus = 1,
                                  .cpu_quota_percent = 50,
                                  .memory_mib = 1024,
                                  .net_in_kbps = 800,
                                  .net_out_kbps = 400,
                                  .disk_iops = 100,
                                  .disk_bytes_per_s = 1 << 20};
        struct vgl_action_result out[VGL_ACTION_COUNT] = {0};
        struct vgl_error e = {0};
        virTypedParameterPtr p = NULL;
        int n = 4;
        unsigned in = 0;

        assert_non_null(d);
        assert_true(vgl_enforce_limits(d, &want, out, &e) >= 0);
        for (int i = 0; i < VGL_ACTION_COUNT; i++)
                show(i == VGL_ACTION_VCPUS       ? "vcpus"
                     : i == VGL_ACTION_CPU_QUOTA ? "cpu_quota"
                     : i == VGL_ACTION_MEMORY    ? "memory"
                     : i == VGL_ACTION_BANDWIDTH ? "bandwidth"
                     : i == VGL_ACTION_BLKIO     ? "blkio"
                                                 : "other",
                     &out[i]);
        expect(&out[VGL_ACTION_VCPUS], VGL_ACTION_APPLIED);
        assert_string_equal(out[VGL_ACTION_VCPUS].value, "1");
        assert_int_equal(virDomainGetVcpusFlags(d, VIR_DOMAIN_AFFECT_LIVE), 1);

        expect(&out[VGL_ACTION_CPU_QUOTA], VGL_ACTION_UNSUPPORTED);
        assert_non_null(strstr(out[VGL_ACTION_CPU_QUOTA].reason, "vcpu_quota"));

        expect(&out[VGL_ACTION_MEMORY], VGL_ACTION_APPLIED);
        assert_string_equal(out[VGL_ACTION_MEMORY].value, "1024 MiB");

        /* The test driver keeps interface bandwidth and reads it back:
         * 800 kbit/s is 100 kilobytes/s in libvirt's unit. */
        expect(&out[VGL_ACTION_BANDWIDTH], VGL_ACTION_APPLIED);
        assert_string_equal(out[VGL_ACTION_BANDWIDTH].value, "in 800 kbit/s, out 400 kbit/s");
        p = calloc((size_t)n + 8, sizeof(*p));
        n = 12;
        assert_int_equal(
                virDomainGetInterfaceParameters(d, "testnet0", p, &n, VIR_DOMAIN_AFFECT_LIVE), 0);
        assert_int_equal(virTypedParamsGetUInt(p, n, VIR_DOMAIN_BANDWIDTH_IN_AVERAGE, &in), 1);
        assert_int_equal(in, 100);
        virTypedParamsFree(p, n);

        /* Block I/O: the test driver wants total_*_max >= total_* even when
         * no maximum is set, so it refuses; reported, never claimed. */
        assert_int_not_equal(out[VGL_ACTION_BLKIO].state, VGL_ACTION_APPLIED);
        assert_true(out[VGL_ACTION_BLKIO].state == VGL_ACTION_UNSUPPORTED ||
                    out[VGL_ACTION_BLKIO].state == VGL_ACTION_FAILED);
        assert_non_null(strstr(out[VGL_ACTION_BLKIO].reason, "vda"));

        /* untouched: not this function's */
        assert_int_equal(out[VGL_ACTION_NWFILTER].state, VGL_ACTION_PENDING);
        assert_int_equal(out[VGL_ACTION_PERMISSIONS].time, 0);

        /* back up, and clamped */
        assert_int_equal(vgl_enforce_vcpus(d, 5, 0, &out[0]), VGL_ACTION_APPLIED);
        assert_string_equal(out[0].value, "2");
        assert_non_null(strstr(out[0].reason, "clamped to the domain's maximum 2"));
        assert_int_equal(vgl_enforce_memory(d, 9000, 0, &out[0]), VGL_ACTION_APPLIED);
        assert_string_equal(out[0].value, "8192 MiB");
        assert_non_null(strstr(out[0].reason, "clamped"));
        assert_int_equal(vgl_enforce_memory(d, 2048, 0, &out[0]), VGL_ACTION_APPLIED);
        /* nonsense never reaches libvirt */
        assert_int_equal(vgl_enforce_memory(d, 1, 0, &out[0]), VGL_ACTION_FAILED);
        assert_int_equal(vgl_enforce_vcpus(d, 0, 0, &out[0]), VGL_ACTION_FAILED);
        assert_int_equal(vgl_enforce_cpu_quota(d, 101, &out[0]), VGL_ACTION_FAILED);
        /* limits removed again */
        assert_int_equal(vgl_enforce_bandwidth(d, 0, 0, &out[0]), VGL_ACTION_APPLIED);
        assert_string_equal(out[0].value, "in no limit, out no limit");
}

/* A vigil microVM defined on the test driver: no NIC, no disk. */
static virDomainPtr start_microvm(virConnectPtr c, const char *id, bool running)
{
        struct vgl_domain_spec s = {
                .id = id,
                .type = "qemu",
                .vcpus = 2,
                .max_vcpus = 2,
                .memory_kib = 512 * 1024,
                .max_memory_kib = 512 * 1024,
                .kernel = "/images/vmlinuz",
                .initrd = "/images/initramfs.img",
        };
        struct vgl_error e = {0};
        _cleanup_free_ char *xml = NULL;
        virDomainPtr d;

        assert_int_equal(vgl_domain_xml_render(&s, &xml, &e), 0);
        d = virDomainDefineXML(c, xml);
        if (!d)
                fail_msg("define: %s", virGetLastErrorMessage());
        if (running)
                assert_int_equal(virDomainCreate(d), 0);
        return d;
}

static void test_nothing_to_act_on(void **state)
{
        _cleanup_virconn_ virConnectPtr c = open_test();
        _cleanup_virdomain_ virDomainPtr d = start_microvm(c, "enf1", true);
        struct vgl_limits want = {.vcpus = 1,
                                  .cpu_quota_percent = 50,
                                  .memory_mib = 256,
                                  .net_in_kbps = 800,
                                  .disk_iops = 100};
        struct vgl_action_result out[VGL_ACTION_COUNT] = {0};
        struct vgl_error e = {0};

        assert_true(vgl_enforce_limits(d, &want, out, &e) >= 0);
        expect(&out[VGL_ACTION_VCPUS], VGL_ACTION_APPLIED);
        expect(&out[VGL_ACTION_MEMORY], VGL_ACTION_APPLIED);
        assert_string_equal(out[VGL_ACTION_MEMORY].value, "256 MiB");
        expect(&out[VGL_ACTION_CPU_QUOTA], VGL_ACTION_UNSUPPORTED);
        expect(&out[VGL_ACTION_BANDWIDTH], VGL_ACTION_NOT_APPLICABLE);
        assert_non_null(strstr(out[VGL_ACTION_BANDWIDTH].reason, "no network interface"));
        expect(&out[VGL_ACTION_BLKIO], VGL_ACTION_NOT_APPLICABLE);
        assert_non_null(strstr(out[VGL_ACTION_BLKIO].reason, "no disk"));
        assert_int_equal(vgl_nwfilter_bind(c, d, VGL_POSTURE_PARANOID, &out[VGL_ACTION_NWFILTER]),
                         VGL_ACTION_NOT_APPLICABLE);
        vgl_virt_domain_discard(d);
}

static void test_not_running(void **state)
{
        _cleanup_virconn_ virConnectPtr c = open_test();
        _cleanup_virdomain_ virDomainPtr d = start_microvm(c, "enf2", false);
        struct vgl_limits want = {.vcpus = 1, .memory_mib = 256};
        struct vgl_action_result out[VGL_ACTION_COUNT] = {0};
        struct vgl_error e = {0};

        assert_int_equal(vgl_enforce_limits(d, &want, out, &e), -ESRCH);
        assert_non_null(strstr(e.msg, "not running"));
        for (int i = 0; i < VGL_ACTION_COUNT; i++)
                assert_int_equal(out[i].time, 0); /* untouched */
        assert_int_equal(vgl_enforce_limits(NULL, &want, out, &e), -EINVAL);
        vgl_virt_domain_discard(d);
}

/* No nwfilter driver here (nor under qemu:///embed): said plainly. */
static void test_nwfilter_without_driver(void **state)
{
        _cleanup_virconn_ virConnectPtr c = open_test();
        _cleanup_virdomain_ virDomainPtr d = virDomainLookupByName(c, "test");
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        _cleanup_free_ char *dir = NULL;
        struct vgl_action_result r = {0};
        struct vgl_error e = {0};

        assert_true(asprintf(&dir, "%s/policies", src ?: ".") > 0);
        assert_int_equal(vgl_nwfilter_define_all(c, dir, &e), -EOPNOTSUPP);
        assert_non_null(strstr(e.msg, "no nwfilter driver"));
        assert_int_equal(vgl_nwfilter_bind(c, d, VGL_POSTURE_HIGH, &r), VGL_ACTION_UNSUPPORTED);
        expect(&r, VGL_ACTION_UNSUPPORTED);
        assert_non_null(strstr(r.reason, "no nwfilter driver"));
        assert_int_equal(vgl_nwfilter_bind(c, d, (enum vgl_posture)9, &r), VGL_ACTION_FAILED);
        assert_int_equal(vgl_nwfilter_unbind(c, d, &e), -EOPNOTSUPP);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_devices_parse),
                cmocka_unit_test(test_xml_attr),
                cmocka_unit_test(test_tc_missing),
                cmocka_unit_test(test_filter_files),
                cmocka_unit_test(test_permissions_record),
                cmocka_unit_test(test_limits_test_driver),
                cmocka_unit_test(test_nothing_to_act_on),
                cmocka_unit_test(test_not_running),
                cmocka_unit_test(test_nwfilter_without_driver),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
