/* Live enforcement on a real microVM through qemu:///embed: 2 vCPUs and
 * 512 MiB brought down to 1 vCPU, 256 MiB and a 50% CPU quota, then back.
 * Every result is checked three ways: what enforcement recorded, what
 * libvirt reads back when asked separately, and what the guest (its
 * online CPUs, its MemTotal) or the host (the vCPU's cgroup) shows.
 * Bandwidth and disk I/O have nothing to act on (no NIC, no disk), and
 * qemu:///embed has no nwfilter driver: all said, none claimed. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "enf-harness.h"
#include "enforce-priv.h"
#include "enforce.h"
#include "nwfilter.h"

#define BOOT_TIMEOUT_S 600
#define MAX_MIB        512

static struct vm vm;
static struct vgl_image img;
static uint64_t memtotal_boot_kb;

static const char *const state_names[] = {"pending", "applied", "unsupported", "not_applicable",
                                          "failed"};
static const char *const action_names[] = {"vcpus",    "cpu_quota", "memory",     "bandwidth",
                                           "nwfilter", "blkio",     "permissions"};

static void show(enum vgl_action a, const struct vgl_action_result *r)
{
        fprintf(stderr, "# %-10s %-14s value '%s' reason '%s'\n", action_names[a],
                state_names[r->state], r->value, r->reason);
}

static void expect(enum vgl_action a, const struct vgl_action_result *r, enum vgl_action_state st,
                   const char *value)
{
        if (r->state != st)
                fail_msg("%s: %s, expected %s (reason '%s')", action_names[a],
                         state_names[r->state], state_names[st], r->reason);
        if (value && strcmp(r->value, value) != 0)
                fail_msg("%s: value '%s', expected '%s'", action_names[a], r->value, value);
}

/* ---- independent read-backs ---- */

static unsigned long long balloon_kib(void)
{
        virDomainMemoryStatStruct st[VIR_DOMAIN_MEMORY_STAT_NR];
        int n = virDomainMemoryStats(vm.dom, st, VIR_DOMAIN_MEMORY_STAT_NR, 0);

        for (int i = 0; i < n; i++)
                if (st[i].tag == VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON)
                        return st[i].val;
        return 0;
}

static long long vcpu_quota(void)
{
        virTypedParameterPtr p = calloc(16, sizeof(*p));
        int n = 16;
        long long q = 0;

        /* virsh schedinfo's path: the live parameters, by name */
        assert_int_equal(
                virDomainGetSchedulerParametersFlags(vm.dom, p, &n, VIR_DOMAIN_AFFECT_LIVE), 0);
        assert_int_equal(virTypedParamsGetLLong(p, n, "vcpu_quota", &q), 1);
        virTypedParamsFree(p, n);
        return q;
}

/* The host's view: cpu.cfs_quota_us of the domain's vcpu0 cgroup (cgroup
 * v1, as on this host); -2 when there is no such file to look at. */
static long long host_cgroup_quota(void)
{
        char pattern[256], line[32] = "";
        glob_t g;
        FILE *f;

        snprintf(pattern, sizeof(pattern),
                 "/sys/fs/cgroup/cpu/machine/*-%s.libvirt-qemu/vcpu0/"
                 "cpu.cfs_quota_us",
                 virDomainGetName(vm.dom));
        if (glob(pattern, 0, NULL, &g) != 0)
                return -2;
        f = fopen(g.gl_pathv[0], "re");
        globfree(&g);
        if (!f)
                return -2;
        if (!fgets(line, sizeof(line), f))
                line[0] = '\0';
        fclose(f);
        return strtoll(line, NULL, 10);
}

/* The host's view: QEMU's vCPU threads. */
static int qemu_vcpus(void)
{
        pid_t pid;

        assert_int_equal(vgl_qemu_pid(vm.dom, &pid), 0);
        return vgl_qemu_vcpu_threads(pid);
}

static uint64_t guest_memtotal_kb(void)
{
        char line[128];

        enf_guest_line(&vm, "grep MemTotal /proc/meminfo", line, sizeof(line));
        return strtoull(line + strcspn(line, "0123456789"), NULL, 10);
}

/* ---- cases ---- */

static void test_down(void **state)
{
        struct vgl_limits want = {.vcpus = 1, .cpu_quota_percent = 50, .memory_mib = 256};
        struct vgl_action_result out[VGL_ACTION_COUNT] = {0};
        struct vgl_error e = {0};
        char online[64];
        uint64_t t0, kb;
        int failed;

        enf_guest_line(&vm, "cat /sys/devices/system/cpu/online", online, sizeof(online));
        assert_string_equal(online, "0-1");
        assert_int_equal(virDomainGetVcpusFlags(vm.dom, VIR_DOMAIN_AFFECT_LIVE), 2);

        t0 = vm_now_ns();
        failed = vgl_enforce_limits(vm.dom, &want, out, &e);
        fprintf(stderr, "# vgl_enforce_limits: %.1f s, %d failed\n",
                (double)(vm_now_ns() - t0) / 1e9, failed);
        for (int a = 0; a < VGL_ACTION_COUNT; a++)
                if (out[a].time)
                        show((enum vgl_action)a, &out[a]);
        assert_int_equal(failed, 0);
        expect(VGL_ACTION_VCPUS, &out[VGL_ACTION_VCPUS], VGL_ACTION_APPLIED, "1");
        expect(VGL_ACTION_CPU_QUOTA, &out[VGL_ACTION_CPU_QUOTA], VGL_ACTION_APPLIED,
               "50% (50000/100000 us)");
        expect(VGL_ACTION_MEMORY, &out[VGL_ACTION_MEMORY], VGL_ACTION_APPLIED, "256 MiB");
        expect(VGL_ACTION_BANDWIDTH, &out[VGL_ACTION_BANDWIDTH], VGL_ACTION_NOT_APPLICABLE, "");
        expect(VGL_ACTION_BLKIO, &out[VGL_ACTION_BLKIO], VGL_ACTION_NOT_APPLICABLE, "");

        /* libvirt, asked on its own. Its vCPU count lags where QEMU sends no
         * DEVICE_DELETED for the vCPU (QEMU 7.2 under TCG): then the result
         * says so, and QEMU's threads are what was read back. */
        fprintf(stderr, "# libvirt counts %d live vCPUs, QEMU runs %d vCPU threads\n",
                virDomainGetVcpusFlags(vm.dom, VIR_DOMAIN_AFFECT_LIVE), qemu_vcpus());
        assert_int_equal(qemu_vcpus(), 1);
        if (virDomainGetVcpusFlags(vm.dom, VIR_DOMAIN_AFFECT_LIVE) != 1)
                assert_non_null(strstr(out[VGL_ACTION_VCPUS].reason, "libvirt still counts"));
        assert_int_equal(balloon_kib(), 256 * 1024);
        assert_int_equal(vcpu_quota(), 50000);
        /* the host and the guest */
        if (host_cgroup_quota() == -2)
                fprintf(stderr, "# no cgroup v1 cpu.cfs_quota_us to look at\n");
        else
                assert_int_equal(host_cgroup_quota(), 50000);
        enf_guest_line(&vm, "cat /sys/devices/system/cpu/online", online, sizeof(online));
        assert_string_equal(online, "0");
        kb = guest_memtotal_kb();
        fprintf(stderr, "# guest: online CPUs %s, MemTotal %llu kB (at boot %llu kB)\n", online,
                (unsigned long long)kb, (unsigned long long)memtotal_boot_kb);
        assert_true(kb + 200 * 1024 < memtotal_boot_kb);
}

/* qemu:///embed has no nwfilter driver; this VM has no NIC either. */
static void test_nwfilter_embed(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        _cleanup_free_ char *dir = NULL;
        struct vgl_action_result r = {0};
        struct vgl_error e = {0};

        assert_true(asprintf(&dir, "%s/policies", src ?: ".") > 0);
        assert_int_equal(vgl_nwfilter_define_all(vm.conn, dir, &e), -EOPNOTSUPP);
        fprintf(stderr, "# define_all: %s\n", e.msg);
        assert_non_null(strstr(e.msg, "qemu:///embed"));
        assert_int_equal(vgl_nwfilter_bind(vm.conn, vm.dom, VGL_POSTURE_PARANOID, &r),
                         VGL_ACTION_NOT_APPLICABLE);
        show(VGL_ACTION_NWFILTER, &r);
}

static double timed(int (*fn)(void), int *ret)
{
        uint64_t t0 = vm_now_ns();

        *ret = fn();
        return (double)(vm_now_ns() - t0) / 1e9;
}

static struct vgl_action_result up[VGL_ACTION_COUNT];

static int up_vcpus(void)
{
        return vgl_enforce_vcpus(vm.dom, 2, VGL_ENFORCE_SETTLE_MS, &up[VGL_ACTION_VCPUS]);
}
static int up_quota(void)
{
        return vgl_enforce_cpu_quota(vm.dom, 100, &up[VGL_ACTION_CPU_QUOTA]);
}
static int up_memory(void)
{
        return vgl_enforce_memory(vm.dom, MAX_MIB, VGL_ENFORCE_SETTLE_MS, &up[VGL_ACTION_MEMORY]);
}

/* Back up, one action at a time (timed). */
static void test_up(void **state)
{
        char online[64], present[64];
        int st;

        fprintf(stderr, "# vcpus -> 2: %.1f s\n", timed(up_vcpus, &st));
        show(VGL_ACTION_VCPUS, &up[VGL_ACTION_VCPUS]);
        /* Where libvirt missed the unplug it cannot plug the vCPU back:
         * FAILED, saying why, and never APPLIED while QEMU runs fewer. */
        if (up[VGL_ACTION_VCPUS].state == VGL_ACTION_FAILED)
                assert_non_null(strstr(up[VGL_ACTION_VCPUS].reason, "libvirt counts"));
        else
                expect(VGL_ACTION_VCPUS, &up[VGL_ACTION_VCPUS], VGL_ACTION_APPLIED, "2");
        assert_int_equal(qemu_vcpus(), atoi(up[VGL_ACTION_VCPUS].value));
        fprintf(stderr, "# quota -> none: %.1f s\n", timed(up_quota, &st));
        show(VGL_ACTION_CPU_QUOTA, &up[VGL_ACTION_CPU_QUOTA]);
        expect(VGL_ACTION_CPU_QUOTA, &up[VGL_ACTION_CPU_QUOTA], VGL_ACTION_APPLIED, "no quota");
        assert_true(vcpu_quota() < 0);
        fprintf(stderr, "# memory -> %d MiB: %.1f s\n", MAX_MIB, timed(up_memory, &st));
        show(VGL_ACTION_MEMORY, &up[VGL_ACTION_MEMORY]);
        expect(VGL_ACTION_MEMORY, &up[VGL_ACTION_MEMORY], VGL_ACTION_APPLIED, "512 MiB");
        assert_int_equal(balloon_kib(), MAX_MIB * 1024);

        /* A hot-added CPU is present in the guest; onlining it is the
         * guest's business (no udev in the microVM), so it is shown only. */
        enf_guest_line(&vm, "ls -d /sys/devices/system/cpu/cpu1", present, sizeof(present));
        enf_guest_line(&vm, "cat /sys/devices/system/cpu/online", online, sizeof(online));
        fprintf(stderr, "# guest: %s present, online CPUs %s, MemTotal %llu kB\n",
                present[0] ? "cpu1" : "no cpu1", online, (unsigned long long)guest_memtotal_kb());
        if (up[VGL_ACTION_VCPUS].state == VGL_ACTION_APPLIED)
                assert_string_equal(present, "/sys/devices/system/cpu/cpu1");
}

static int group_setup(void **state)
{
        struct enf_vm_opts o = {
                .vcpus = 2, .max_vcpus = 2, .memory_mib = MAX_MIB, .max_memory_mib = MAX_MIB};
        struct vgl_error e = {0};
        uint64_t t0 = vm_now_ns();

        if (enf_vm_start(&vm, "enf", &img, &o, BOOT_TIMEOUT_S, &e) < 0) {
                fprintf(stderr, "# setup: %s\n", e.msg);
                return -1;
        }
        fprintf(stderr, "# booted (%s) in %.1f s\n", vgl_virt_domain_type(),
                (double)(vm_now_ns() - t0) / 1e9);
        memtotal_boot_kb = guest_memtotal_kb();
        return memtotal_boot_kb ? 0 : -1;
}

static int group_teardown(void **state)
{
        vm_fini(&vm);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_down),
                cmocka_unit_test(test_nwfilter_embed),
                cmocka_unit_test(test_up),
        };
        const int n = (int)(sizeof(tests) / sizeof(tests[0]));
        struct vgl_error e = {0};
        int failed;

        if (vm_find_image(&img, &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        failed = cmocka_run_group_tests_name("enforce-vm", tests, group_setup, group_teardown);
        if (failed < 0 || failed > n)
                failed = n;
        printf("enforce-vm: %d passed, %d failed\n", n - failed, failed);
        return failed ? 1 : 0;
}
