/* Network filters on a real microVM: a libvirtd of the test's own inside a
 * network namespace the test creates (netns-libvirtd), an isolated libvirt
 * network there (no forward), a microVM with a NIC on it. The guest pings
 * the host side of the bridge: it gets through with the relaxed filter,
 * not with the paranoid one, and again after the relaxed one is bound
 * back; high and medium let the host side through too. Bandwidth limits
 * on this host's kernel (no sch_sfq, no act_police) come out UNSUPPORTED
 * with tc's reason, and tc itself shows that nothing was installed.
 *
 * No traffic leaves the namespace. Everything (daemons, namespace, VM) is
 * removed at the end, also when a case fails or the test is killed. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "enf-harness.h"
#include "enforce-priv.h"
#include "enforce.h"
#include "nwfilter.h"

#define BOOT_TIMEOUT_S 600
#define NET_NAME       "vgl-enf"
#define HOST_IP        "192.168.213.1"
#define GUEST_IP       "192.168.213.2"
#define GUEST_MAC      "52:54:00:76:67:01"

static struct vm vm;
static struct vgl_image img;
static char script[512], ns_dir[64], ns_name[32], uri[160], tap[64];

static const char *const state_names[] = {"pending", "applied", "unsupported", "not_applicable",
                                          "failed"};

/* ---- the daemon in its namespace ---- */

static void daemon_stop(void)
{
        char *argv[] = {script, "stop", ns_dir, ns_name, NULL};
        pid_t pid;

        if (!ns_dir[0])
                return;
        pid = fork();
        if (pid == 0) {
                execv(script, argv);
                _exit(127);
        }
        if (pid > 0)
                waitpid(pid, NULL, 0);
        ns_dir[0] = '\0';
}

static void on_signal(int sig)
{
        daemon_stop();
        signal(sig, SIG_DFL);
        raise(sig);
}

static int daemon_start(void)
{
        _cleanup_free_ char *cmd = NULL;
        FILE *p;
        int st;

        snprintf(ns_dir, sizeof(ns_dir), "/tmp/vgl-ns-XXXXXX");
        if (!mkdtemp(ns_dir)) {
                ns_dir[0] = '\0';
                return -errno;
        }
        snprintf(ns_name, sizeof(ns_name), "vgl-enf-%d", (int)getpid());
        atexit(daemon_stop);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        if (asprintf(&cmd, "'%s' start '%s' '%s'", script, ns_dir, ns_name) < 0)
                return -ENOMEM;
        p = popen(cmd, "re");
        if (!p)
                return -errno;
        if (!fgets(uri, sizeof(uri), p))
                uri[0] = '\0';
        st = pclose(p);
        uri[strcspn(uri, "\n")] = '\0';
        if (st != 0 || !uri[0]) {
                fprintf(stderr, "# netns-libvirtd start failed (status %d)\n", st);
                return -EIO;
        }
        fprintf(stderr, "# libvirtd in netns %s: %s\n", ns_name, uri);
        return 0;
}

/* Runs cmd inside the namespace; its first output line into out. */
static int in_ns(const char *cmd, char *out, size_t size)
{
        _cleanup_free_ char *full = NULL;
        FILE *p;
        size_t n = 0;

        if (asprintf(&full, "ip netns exec '%s' %s 2>&1", ns_name, cmd) < 0)
                return -ENOMEM;
        p = popen(full, "re");
        if (!p)
                return -errno;
        if (out && size) {
                n = fread(out, 1, size - 1, p);
                out[n] = '\0';
        }
        return pclose(p);
}

/* ---- guest side ---- */

static bool reaches_host(void)
{
        char out[512];
        int r = enf_sh(&vm, "ping -c 2 -W 2 " HOST_IP, out, sizeof(out), 120);

        return r == 0;
}

/* The binding of the tap as libvirt reports it to anyone asking. */
static void binding_has(const char *filter, const char *param)
{
        virNWFilterBindingPtr b = virNWFilterBindingLookupByPortDev(vm.conn, tap);
        _cleanup_free_ char *xml = NULL;
        char want[96];

        assert_non_null(b);
        xml = virNWFilterBindingGetXMLDesc(b, 0);
        virNWFilterBindingFree(b);
        assert_non_null(xml);
        snprintf(want, sizeof(want), "filter='%s'", filter);
        assert_non_null(strstr(xml, want));
        if (param)
                assert_non_null(strstr(xml, param));
}

static void bind_posture(enum vgl_posture p)
{
        struct vgl_action_result r = {0};
        uint64_t t0 = vm_now_ns();
        int st = vgl_nwfilter_bind(vm.conn, vm.dom, p, &r);

        fprintf(stderr, "# bind %s: %s (%.2f s) value '%s' reason '%s'\n", vgl_nwfilter_name(p),
                state_names[r.state], (double)(vm_now_ns() - t0) / 1e9, r.value, r.reason);
        assert_int_equal(st, VGL_ACTION_APPLIED);
        assert_string_equal(r.value, vgl_nwfilter_name(p));
        binding_has(vgl_nwfilter_name(p), NULL);
}

/* ---- cases ---- */

static void test_unfiltered(void **state)
{
        assert_true(reaches_host());
}

static void test_define_all(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        _cleanup_free_ char *dir = NULL;
        struct vgl_error e = {0};

        assert_true(asprintf(&dir, "%s/policies", src ?: ".") > 0);
        if (vgl_nwfilter_define_all(vm.conn, dir, &e) < 0)
                fail_msg("define_all: %s", e.msg);
        /* again: redefining updates in place */
        if (vgl_nwfilter_define_all(vm.conn, dir, &e) < 0)
                fail_msg("define_all again: %s", e.msg);
}

/* The proof: relaxed, paranoid, relaxed again. */
static void test_relaxed_paranoid_relaxed(void **state)
{
        bind_posture(VGL_POSTURE_LOW);
        assert_true(reaches_host());
        bind_posture(VGL_POSTURE_PARANOID);
        assert_false(reaches_host());
        bind_posture(VGL_POSTURE_LOW);
        assert_true(reaches_host());
}

/* high and medium allow the host side; the binding carries its address. */
static void test_high_medium(void **state)
{
        bind_posture(VGL_POSTURE_HIGH);
        binding_has("vigil-high", "value='" HOST_IP "'");
        assert_true(reaches_host());
        bind_posture(VGL_POSTURE_MEDIUM);
        assert_true(reaches_host());
        bind_posture(VGL_POSTURE_PARANOID);
        assert_false(reaches_host());
}

/* Limits through the daemon; bandwidth is what this host's kernel allows. */
static void test_limits(void **state)
{
        struct vgl_limits want = {.vcpus = 1,
                                  .cpu_quota_percent = 50,
                                  .memory_mib = 256,
                                  .net_in_kbps = 800,
                                  .net_out_kbps = 400};
        struct vgl_action_result out[VGL_ACTION_COUNT] = {0};
        const struct vgl_action_result *bw = &out[VGL_ACTION_BANDWIDTH];
        struct vgl_error e = {0};
        char cmd[96], qdisc[1024];

        assert_true(vgl_enforce_limits(vm.dom, &want, out, &e) >= 0);
        for (int a = 0; a < VGL_ACTION_COUNT; a++)
                if (out[a].time)
                        fprintf(stderr, "# action %d: %s value '%s' reason '%s'\n", a,
                                state_names[out[a].state], out[a].value, out[a].reason);
        assert_int_equal(out[VGL_ACTION_VCPUS].state, VGL_ACTION_APPLIED);
        assert_int_equal(out[VGL_ACTION_MEMORY].state, VGL_ACTION_APPLIED);
        /* applied where the daemon sees the cgroup hierarchies (netns-libvirtd
         * mounts them again), said so where it does not */
        assert_int_not_equal(out[VGL_ACTION_CPU_QUOTA].state, VGL_ACTION_FAILED);
        assert_int_equal(out[VGL_ACTION_BLKIO].state, VGL_ACTION_NOT_APPLICABLE);

        snprintf(cmd, sizeof(cmd), "tc qdisc show dev %s", tap);
        assert_int_equal(in_ns(cmd, qdisc, sizeof(qdisc)), 0);
        fprintf(stderr, "# tc: %s", qdisc);
        if (bw->state == VGL_ACTION_UNSUPPORTED) {
                assert_non_null(strstr(bw->reason, "(tc: "));
                assert_non_null(strstr(bw->reason, "lacks"));
                assert_null(strstr(qdisc, "htb")); /* nothing claimed, nothing there */
        } else {
                assert_int_equal(bw->state, VGL_ACTION_APPLIED);
                assert_non_null(strstr(qdisc, "htb"));
        }
}

static void test_unbind(void **state)
{
        struct vgl_error e = {0};
        virNWFilterBindingPtr b;

        assert_int_equal(vgl_nwfilter_unbind(vm.conn, vm.dom, &e), 0);
        b = virNWFilterBindingLookupByPortDev(vm.conn, tap);
        assert_null(b);
        virResetLastError();
        assert_true(reaches_host()); /* no filter, as at the start */
}

/* ---- setup ---- */

static int create_network(void)
{
        static const char xml[] = "<network>\n  <name>" NET_NAME "</name>\n"
                                  "  <bridge name='vglbr0' stp='off'/>\n  <dns enable='no'/>\n"
                                  "  <ip address='" HOST_IP "' netmask='255.255.255.0'/>\n"
                                  "</network>\n";
        virNetworkPtr n = virNetworkCreateXML(vm.conn, xml);

        if (!n) {
                fprintf(stderr, "# network: %s\n", virGetLastErrorMessage());
                return -1;
        }
        virNetworkFree(n);
        return 0;
}

static int group_setup(void **state)
{
        struct enf_vm_opts o = {.vcpus = 1,
                                .max_vcpus = 1,
                                .memory_mib = 384,
                                .max_memory_mib = 384,
                                .network = NET_NAME,
                                .mac = GUEST_MAC};
        struct vgl_dom_devices d;
        struct vgl_error e = {0};
        uint64_t t0;

        if (daemon_start() < 0 || enf_vm_init(&vm, uri, &e) < 0 || create_network() < 0) {
                fprintf(stderr, "# setup: %s\n", e.msg);
                return -1;
        }
        t0 = vm_now_ns();
        if (enf_vm_boot(&vm, "enfnet", &img, &o, BOOT_TIMEOUT_S, &e) < 0 ||
            vgl_dom_devices_read(vm.dom, &d, &e) < 0) {
                fprintf(stderr, "# boot: %s\n", e.msg);
                return -1;
        }
        fprintf(stderr, "# booted in %.1f s\n", (double)(vm_now_ns() - t0) / 1e9);
        if (d.n_nics != 1 || !d.nics[0].dev[0]) {
                fprintf(stderr, "# no tap device for the NIC\n");
                return -1;
        }
        snprintf(tap, sizeof(tap), "%s", d.nics[0].dev);
        if (enf_sh(&vm, "ip link set eth0 up && ip addr add " GUEST_IP "/24 dev eth0", NULL, 0,
                   120) != 0) {
                fprintf(stderr, "# could not configure the guest's eth0\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        struct vgl_error e = {0};

        if (vm.dom)
                vgl_nwfilter_unbind(vm.conn, vm.dom, &e);
        vm_fini(&vm);
        daemon_stop();
        return 0;
}

static const char *missing_tool(void)
{
        static const char *const tools[] = {"libvirtd", "virtlogd", "ip",     "ebtables",
                                            "iptables", "tc",       "unshare"};
        static char what[64];

        for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
                char cmd[96];

                snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tools[i]);
                if (system(cmd) != 0) {
                        snprintf(what, sizeof(what), "%s not found", tools[i]);
                        return what;
                }
        }
        return NULL;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unfiltered),
                cmocka_unit_test(test_define_all),
                cmocka_unit_test(test_relaxed_paranoid_relaxed),
                cmocka_unit_test(test_high_medium),
                cmocka_unit_test(test_limits),
                cmocka_unit_test(test_unbind),
        };
        const int n = (int)(sizeof(tests) / sizeof(tests[0]));
        const char *src = getenv("VIGIL_SOURCE_ROOT"), *missing;
        struct vgl_error e = {0};
        int failed;

        if (geteuid() != 0) {
                printf("SKIP: needs root (network namespace, libvirtd)\n");
                return 77;
        }
        if ((missing = missing_tool())) {
                printf("SKIP: %s\n", missing);
                return 77;
        }
        snprintf(script, sizeof(script), "%s/tests/integration-enforce/netns-libvirtd", src ?: ".");
        if (access(script, X_OK) != 0) {
                printf("SKIP: %s: %s\n", script, strerror(errno));
                return 77;
        }
        if (vm_find_image(&img, &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        failed = cmocka_run_group_tests_name("enforce-net", tests, group_setup, group_teardown);
        if (failed < 0 || failed > n)
                failed = n;
        printf("enforce-net: %d passed, %d failed\n", n - failed, failed);
        return failed ? 1 : 0;
}
