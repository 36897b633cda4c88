/* Integration test of the hop on a real microVM (qemu:///embed): a sandbox
 * booted from the medium template runs a counting process; after a hop to
 * paranoid the same process (same PID, same start time) is still counting
 * from where it was, the agent answers again, and libvirt reads back the
 * paranoid settings. Then a hop whose restore fails after libvirt's checks
 * (QEMU cannot open its console file) must bring the sandbox back in its
 * old state, process and settings included. One VM for both: TCG is slow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "hop-vm.h"

#define BOOT_TIMEOUT_S 600
#define OP_TIMEOUT_S   300
#define WAIT_S         300 /* bounded waits for the guest to make progress */

static struct vm vm;
static struct vgl_image img;
static struct vgl_tier medium, paranoid;
static long counter_pid;

static int group_setup(void **state)
{
        struct vgl_error e = {};
        char id[32];

        snprintf(id, sizeof(id), "hop-%d", (int)getpid());
        if (vm_find_image(&img, &e) < 0 || hop_vm_tier("medium", &medium, &e) < 0 ||
            hop_vm_tier("paranoid", &paranoid, &e) < 0 || vm_init(&vm, &e) < 0 ||
            hop_vm_boot(&vm, id, &img, &medium, BOOT_TIMEOUT_S, &e) < 0) {
                fprintf(stderr, "# setup: %s\n", e.msg);
                return -1;
        }
        fprintf(stderr, "# boot to hello: %.0f ms (%s)\n",
                (double)(vm.t_hello_ns - vm.t_create_ns) / 1e6, vgl_virt_domain_type());
        return 0;
}

static int group_teardown(void **state)
{
        vm_fini(&vm);
        return 0;
}

static void sh(const char *script, char *out, size_t size)
{
        struct vgl_error e = {};

        if (hop_vm_sh(&vm, script, out, size, OP_TIMEOUT_S, &e) < 0)
                fail_msg("%s", e.msg);
}

/* The counter's start time (field 22 of /proc/PID/stat: a PID reused by
 * another process would differ) and its count. */
static void probe(unsigned long long *ret_start, long *ret_count)
{
        char cmd[160], out[128];

        snprintf(cmd, sizeof(cmd),
                 "kill -0 %ld && echo $(cut -d' ' -f22 /proc/%ld/stat) "
                 "$(cat /tmp/count)",
                 counter_pid, counter_pid);
        sh(cmd, out, sizeof(out));
        if (sscanf(out, "%llu %ld", ret_start, ret_count) != 2)
                fail_msg("probe: '%s'", out);
}

/* Polls (1 s apart, bounded) until the count exceeds min. */
static long count_above(long min)
{
        char out[64];
        long c = -1;

        for (int i = 0; i < WAIT_S; i++) {
                sh("cat /tmp/count", out, sizeof(out));
                c = atol(out);
                if (c > min)
                        return c;
                sleep(1);
        }
        fail_msg("the count stayed at %ld (<= %ld)", c, min);
        return c;
}

static void assert_quotas(long long vcpu_quota, long long global_quota)
{
        virTypedParameter params[16];
        int n = (int)ELEMENTSOF(params);
        long long v = -2, g = -2;

        assert_int_equal(
                virDomainGetSchedulerParametersFlags(vm.dom, params, &n, VIR_DOMAIN_AFFECT_LIVE),
                0);
        assert_int_equal(virTypedParamsGetLLong(params, n, VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, &v), 1);
        assert_int_equal(virTypedParamsGetLLong(params, n, VIR_DOMAIN_SCHEDULER_GLOBAL_QUOTA, &g),
                         1);
        virTypedParamsClear(params, n);
        assert_int_equal(v, vcpu_quota);
        assert_int_equal(g, global_quota);
}

static void assert_tier(const char *name)
{
        _cleanup_free_ char *md = virDomainGetMetadata(vm.dom, VIR_DOMAIN_METADATA_ELEMENT,
                                                       VGL_XMLNS_SANDBOX, VIR_DOMAIN_AFFECT_LIVE);
        char want[64];

        assert_non_null(md);
        snprintf(want, sizeof(want), "tier>%s</", name);
        if (!strstr(md, want))
                fail_msg("metadata without %s: %s", want, md);
}

static int save_files_left(void)
{
        char pat[400];
        glob_t g;
        int n;

        snprintf(pat, sizeof(pat), "%s/hop-*.save", vm.state_dir);
        n = glob(pat, 0, NULL, &g) == 0 ? (int)g.gl_pathc : 0;
        globfree(&g);
        return n;
}

/* The balloon target is a request to the guest: wait (bounded) until it
 * has given the memory back. */
static void assert_balloon_reaches(uint64_t target_kib)
{
        virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
        uint64_t actual = 0;

        for (int i = 0; i < WAIT_S; i++) {
                int n = virDomainMemoryStats(vm.dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

                for (int k = 0; k < n; k++)
                        if (st[k].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
                                actual = st[k].val;
                if (actual == target_kib)
                        return;
                sleep(1);
        }
        fail_msg("balloon at %" PRIu64 " KiB, target %" PRIu64 " KiB", actual, target_kib);
}

static void test_hop_keeps_process(void **state)
{
        long long quota = (long long)paranoid.cpu_quota_percent * VGL_HOP_PERIOD_US / 100;
        long long global = medium.vcpus > paranoid.vcpus ? paranoid.vcpus * quota : -1;
        unsigned long long start0, start1;
        char out[64], cpus[16];
        struct vgl_hop_result r;
        struct vgl_error e = {};
        long c0, c1, c2;
        int rc;

        sh("i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done "
           "</dev/null >/dev/null 2>&1 & echo $!",
           out, sizeof(out));
        counter_pid = atol(out);
        assert_true(counter_pid > 1);
        count_above(4);
        probe(&start0, &c0);

        hop_vm_drop_agent(&vm);
        rc = vgl_hop(vm.conn, &vm.dom, &paranoid, NULL, vm.state_dir, &r, &e);
        fprintf(stderr,
                "# hop medium -> paranoid: %s, %.0f ms (xml %.1f, save %.0f, restore %.0f, "
                "live %.1f)\n",
                vgl_hop_state_name(r.state), r.total_ms, r.xml_ms, r.save_ms, r.restore_ms,
                r.live_ms);
        if (rc < 0)
                fail_msg("hop: %s", e.msg);
        assert_int_equal(r.state, VGL_HOP_MOVED);
        assert_string_equal(r.save_path, "");
        assert_int_equal(save_files_left(), 0);
        assert_int_equal(r.vcpu_quota, quota);
        assert_int_equal(r.global_quota, global);
        assert_string_equal(r.tier, "paranoid");
        assert_int_equal(r.balloon_target_kib, paranoid.memory_mib * 1024);

        if (hop_vm_reconnect(&vm, OP_TIMEOUT_S, &e) < 0)
                fail_msg("agent after the hop: %s", e.msg);
        probe(&start1, &c1);
        assert_true(start1 == start0); /* the same process, not a new one */
        assert_true(c1 >= c0);         /* its count went on from where it was */
        c2 = count_above(c1);          /* and it keeps counting */
        fprintf(stderr, "# counter pid %ld: %ld before, %ld after the hop, then %ld\n", counter_pid,
                c0, c1, c2);

        assert_quotas(quota, global);
        assert_tier("paranoid");
        /* The guest's machine is what it was: same vCPUs, same maximum. */
        sh("grep -c ^processor /proc/cpuinfo", cpus, sizeof(cpus));
        assert_int_equal(atoi(cpus), (int)medium.vcpus);
        assert_int_equal(virDomainGetMaxMemory(vm.dom), medium.max_memory_mib * 1024);
        assert_balloon_reaches(paranoid.memory_mib * 1024);
}

/* The migratable XML with the console file moved to a directory that does
 * not exist: libvirt's checks pass, QEMU's start fails. */
static char *failing_xml(void)
{
        _cleanup_free_ char *xml =
                virDomainGetXMLDesc(vm.dom, VIR_DOMAIN_XML_MIGRATABLE | VIR_DOMAIN_XML_SECURE);
        const char *bad = "/nonexistent-vigil-hop/console.log";
        size_t n = strlen(vm.console_log);
        char *out, *p;

        assert_non_null(xml);
        out = calloc(1, strlen(xml) * 2 + 1);
        assert_non_null(out);
        for (const char *s = xml; *s;) {
                p = strstr(s, vm.console_log);
                if (!p) {
                        strcat(out, s);
                        break;
                }
                strncat(out, s, (size_t)(p - s));
                strcat(out, bad);
                s = p + n;
        }
        assert_non_null(strstr(out, bad));
        return out;
}

static void test_failed_hop_rolls_back(void **state)
{
        long long quota = (long long)paranoid.cpu_quota_percent * VGL_HOP_PERIOD_US / 100;
        long long global = medium.vcpus > paranoid.vcpus ? paranoid.vcpus * quota : -1;
        _cleanup_free_ char *bad = NULL;
        unsigned long long start0, start1;
        struct vgl_hop_result r;
        struct vgl_error e = {};
        long c0, c1;
        int rc;

        if (counter_pid <= 0)
                skip();
        probe(&start0, &c0);
        bad = failing_xml();
        hop_vm_drop_agent(&vm);
        rc = vgl_hop_to_xml(vm.conn, &vm.dom, bad, vm.state_dir, false, &r, &e);
        fprintf(stderr, "# failing hop: %s in %.0f ms: %s\n", vgl_hop_state_name(r.state),
                r.save_ms + r.restore_ms, e.msg);
        assert_true(rc < 0);
        assert_int_equal(r.state, VGL_HOP_ROLLED_BACK);
        assert_true(r.restore_error[0] != '\0');
        assert_non_null(strstr(e.msg, "old state"));
        assert_int_equal(save_files_left(), 0);

        if (hop_vm_reconnect(&vm, OP_TIMEOUT_S, &e) < 0)
                fail_msg("agent after the rollback: %s", e.msg);
        probe(&start1, &c1);
        assert_true(start1 == start0);
        assert_true(c1 >= c0);
        count_above(c1);
        /* still paranoid, as before the failed hop */
        assert_quotas(quota, global);
        assert_tier("paranoid");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hop_keeps_process),
                cmocka_unit_test(test_failed_hop_rolls_back),
        };

        return cmocka_run_group_tests_name("hop-vm", tests, group_setup, group_teardown);
}
