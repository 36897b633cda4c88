/* Integration test of vigild on real microVMs (qemu:///embed, TCG when no
 * /dev/kvm): vigild runs as a child process in a temporary directory with a
 * warm pool of one "high" VM; the cases reserve from the pool and cold, run
 * commands with streamed output, copy files both ways, check that a second
 * uid sees nothing of the first's sandboxes, abuse the API from bad clients
 * while another client's Exec completes, kill a QEMU behind vigild's back,
 * release, and drive vigilctl end to end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "test-adjust-policies.h"
#include "test-daemon.h"

char warm_id[64];
char cold_id[64];

/* The pool VM is listed (to root) as "ready"; Reserve hands out that one. */
void test_reserve_warm(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_client_reserve_request req = {.desired_trust_level = POOL_TRUST};
        struct vgl_client_sandbox *all = NULL;
        struct vgl_error e = {};
        char pool_id[64] = "";
        size_t n = 0;

        assert_int_equal(vgl_client_list(c, &all, &n, &e), 0);
        for (size_t i = 0; i < n; i++)
                if (strcmp(all[i].state, "ready") == 0 && strcmp(all[i].tier, POOL_TIER) == 0)
                        snprintf(pool_id, sizeof(pool_id), "%s", all[i].id);
        vgl_client_sandboxes_free(all, n);
        if (!pool_id[0])
                fail_msg("no ready %s pool VM in List", POOL_TIER);

        if (vgl_client_reserve(c, &req, &s, &e) < 0)
                fail_msg("Reserve: %s", e.msg);
        assert_string_equal(s.id, pool_id);
        assert_string_equal(s.tier, POOL_TIER);
        assert_string_equal(s.state, "reserved");
        assert_int_equal(s.owner_uid, 0);
        assert_true(s.has_agent);
        assert_true(s.has_expires);
        assert_int_equal(s.resources.vcpus, 1);
        assert_int_equal(s.resources.memory_mib, 256);
        snprintf(warm_id, sizeof(warm_id), "%s", s.id);
        fprintf(stderr, "# warm: %s (agent %s, kernel %s)\n", s.id, s.agent.agent_version,
                s.agent.kernel);
}

void test_reserve_cold(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        const struct vgl_client_label labels[] = {{"suite", "integration-daemon"}};
        struct vgl_client_reserve_request req = {
                .desired_trust_level = COLD_TRUST,
                .ttl_s = 600,
                .labels = labels,
                .n_labels = 1,
        };
        const char *const argv[] = {"cat", "/proc/meminfo", NULL};
        struct exec_out o;
        struct vgl_error e = {};

        if (vgl_client_reserve(c, &req, &s, &e) < 0)
                fail_msg("cold Reserve: %s", e.msg);
        assert_string_equal(s.tier, COLD_TIER);
        assert_string_equal(s.posture, "paranoid");
        assert_string_equal(s.state, "reserved");
        assert_true(s.has_agent);
        assert_int_equal(s.n_labels, 1);
        assert_string_equal(s.labels[0].key, "suite");
        assert_string_equal(s.labels[0].value, "integration-daemon");
        if (!s.has_expires || s.expires < s.created + 600 || s.expires > s.created + 600 + 60)
                fail_msg("ttl_s 600: created %lld, expires %lld", (long long)s.created,
                         (long long)s.expires);
        snprintf(cold_id, sizeof(cold_id), "%s", s.id);
        /* exec-ready at once: the guest has the tier's memory */
        if (exec_collect(c, s.id, argv, &o, &e) < 0)
                fail_msg("Exec: %s", e.msg);
        assert_true(o.got_exit);
        assert_int_equal(o.exit.code, 0);
        assert_non_null(strstr(o.out, "MemTotal:"));
        fprintf(stderr, "# cold: %s (%s)\n", s.id, s.tier);
}

void test_exec_streamed(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        const char *const argv[] = {
                "sh", "-c", "echo one; sleep 1; echo two; sleep 1; echo three >&2; exit 7", NULL};
        struct exec_out o;
        struct vgl_error e = {};

        SKIP_UNLESS(warm_id[0]);
        if (exec_collect(c, warm_id, argv, &o, &e) < 0)
                fail_msg("Exec: %s", e.msg);
        assert_true(o.got_exit);
        assert_string_equal(o.exit.status, "exited");
        assert_int_equal(o.exit.code, 7);
        assert_string_equal(o.out, "one\ntwo\n");
        assert_string_equal(o.err, "three\n");
        /* the output came as it was written: in separate replies, before the exit */
        assert_true(o.out_replies >= 2);
        assert_int_equal(o.replies_before_exit, o.out_replies + o.err_replies);
        fprintf(stderr, "# exec: %d stdout + %d stderr replies, exit %lld after %lld ms\n",
                o.out_replies, o.err_replies, (long long)o.exit.code,
                (long long)o.exit.duration_ms);
}

void test_exec_exit_status(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        const char *const ok[] = {"true", NULL};
        const char *const fail[] = {"false", NULL};
        /* inside the exec allow-list of every tier: outside it, the agent denies
         * the exec (EACCES, 126) before the kernel could say ENOENT */
        const char *const missing[] = {"/bin/no-such-program", NULL};
        const char *const killed[] = {"sh", "-c", "kill -9 $$", NULL};
        struct exec_out o;
        struct vgl_error e = {};

        SKIP_UNLESS(warm_id[0]);
        assert_int_equal(exec_collect(c, warm_id, ok, &o, &e), 0);
        assert_int_equal(o.exit.kind, VGL_CLIENT_EXITED);
        assert_int_equal(o.exit.code, 0);
        assert_int_equal(exec_collect(c, warm_id, fail, &o, &e), 0);
        assert_int_equal(o.exit.code, 1);
        assert_int_equal(exec_collect(c, warm_id, missing, &o, &e), 0);
        assert_int_equal(o.exit.code, 127);
        assert_int_equal(exec_collect(c, warm_id, killed, &o, &e), 0);
        assert_int_equal(o.exit.kind, VGL_CLIENT_SIGNALED);
        assert_int_equal(o.exit.code, SIGKILL);
}

void test_files(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        const char *const sum[] = {"md5sum", "/tmp/it-put.bin", NULL};
        const char *const make[] = {"sh", "-c", "seq 1 20000 > /tmp/it-guest.txt", NULL};
        size_t n = 200 * 1024 + 3;
        _cleanup_free_ uint8_t *data = malloc(n);
        struct vgl_client_file f = {};
        struct exec_out o;
        struct vgl_error e = {};
        int64_t size = -1;
        char expect[16];

        SKIP_UNLESS(warm_id[0]);
        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t)(i * 7 + (i >> 9));
        /* host -> guest, checked inside the guest */
        if (vgl_client_put_file(c, warm_id, "/tmp/it-put.bin", data, n, 0600, &size, &e) < 0)
                fail_msg("PutFile: %s", e.msg);
        assert_int_equal(size, n);
        assert_int_equal(exec_collect(c, warm_id, sum, &o, &e), 0);
        assert_int_equal(o.exit.code, 0);
        /* guest -> host: the same bytes back */
        if (vgl_client_get_file(c, warm_id, "/tmp/it-put.bin", 0, &f, &e) < 0)
                fail_msg("GetFile: %s", e.msg);
        assert_int_equal(f.size, n);
        assert_memory_equal(f.data, data, n);
        assert_int_equal(f.mode & 0777, 0600);
        free(f.data);
        /* a file the guest wrote */
        assert_int_equal(exec_collect(c, warm_id, make, &o, &e), 0);
        assert_int_equal(o.exit.code, 0);
        if (vgl_client_get_file(c, warm_id, "/tmp/it-guest.txt", 0, &f, &e) < 0)
                fail_msg("GetFile: %s", e.msg);
        snprintf(expect, sizeof(expect), "\n20000\n");
        assert_true(f.size > 100000);
        assert_memory_equal(f.data, "1\n2\n3\n", 6);
        assert_memory_equal(f.data + f.size - 7, expect, 7);
        free(f.data);
        /* errors are named */
        assert_true(vgl_client_get_file(c, warm_id, "/no/such/file", 0, &f, &e) < 0);
        assert_non_null(vgl_client_error_name(c));
        fprintf(stderr, "# files: %zu bytes each way; missing file -> %s\n", n,
                vgl_client_error_name(c));
}

void test_release(void **state)
{
        _cleanup_client_ struct vgl_client *c = connect_or_fail();
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_error e = {};
        pid_t qemu = 0;
        int i;

        SKIP_UNLESS(warm_id[0]);
        assert_int_equal(vd_qemu_pid(&vd, warm_id, &qemu), 0);
        if (vgl_client_release(c, warm_id, &e) < 0)
                fail_msg("Release: %s", e.msg);
        assert_true(vgl_client_get(c, warm_id, &s, &e) < 0);
        assert_string_equal(vgl_client_error_name(c), "io.vigil.Manager.NoSuchSandbox");
        assert_true(vgl_client_release(c, warm_id, &e) < 0);
        assert_string_equal(vgl_client_error_name(c), "io.vigil.Manager.NoSuchSandbox");
        /* its QEMU goes away (the destroy runs in vigild's background) */
        for (i = 0; i < 600 && kill(qemu, 0) == 0; i++)
                usleep(100 * 1000);
        assert_int_not_equal(kill(qemu, 0), 0);
        warm_id[0] = '\0';
}

static int group_setup(void **state)
{
        const struct vd_pool pools[] = {{POOL_TIER, 1}};
        struct vgl_error e = {};
        struct stat st;

        /* The adjuster runs, but these cases are not about it: trust stays put. */
        if (vd_start_adjust(&vd, pools, 1, NULL, ADJUST_CALM, 120, &e) < 0) {
                fprintf(stderr, "# starting vigild: %s\n", e.msg);
                return -1;
        }
        if (stat(vd.sock, &st) < 0 || (st.st_mode & 0777) != 0660) {
                fprintf(stderr, "# socket %s: mode %o, want 0660\n", vd.sock, st.st_mode & 0777);
                return -1;
        }
        if (vd_wait_pool(&vd, POOL_TIER, 1, BOOT_TIMEOUT_S, &e) < 0) {
                fprintf(stderr, "# %s\n", e.msg);
                vd_dump_log(&vd, 40);
                return -1;
        }
        fprintf(stderr, "# vigild %d on %s; %s pool ready\n", (int)vd.pid, vd.sock, POOL_TIER);
        return 0;
}

static int group_teardown(void **state)
{
        if (!vd_alive(&vd))
                vd_dump_log(&vd, 40);
        vd_stop(&vd);
        return 0;
}

static int check_alive(void **state)
{
        if (!vd_alive(&vd)) {
                vd_dump_log(&vd, 40);
                fail_msg("vigild is gone");
        }
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup(test_reserve_warm, check_alive),
                cmocka_unit_test_setup(test_exec_streamed, check_alive),
                cmocka_unit_test_setup(test_exec_exit_status, check_alive),
                cmocka_unit_test_setup(test_files, check_alive),
                cmocka_unit_test_setup(test_reserve_cold, check_alive),
                cmocka_unit_test_setup(test_second_uid, check_alive),
                cmocka_unit_test_setup(test_bad_clients, check_alive),
                cmocka_unit_test_setup(test_vm_killed, check_alive),
                cmocka_unit_test_setup(test_ttl_expiry, check_alive),
                cmocka_unit_test_setup(test_vigilctl, check_alive),
                cmocka_unit_test_setup(test_observe, check_alive),
                cmocka_unit_test_setup(test_release, check_alive),
        };
        struct vgl_error e = {};
        char path[4096];
        int failed;

        if (geteuid() != 0) {
                printf("SKIP: needs root (qemu:///embed, other uids)\n");
                return 77;
        }
        if (vd_find_vigild(path, sizeof(path), &e) < 0) {
                printf("SKIP: %s\n", e.msg);
                return 77;
        }
        if (vd_find_image(path, sizeof(path), &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        failed = cmocka_run_group_tests_name("vigild", tests, group_setup, group_teardown);
        printf("# summary: %zu passed, %d failed, %d skipped\n",
               ELEMENTSOF(tests) - (size_t)failed - (size_t)skipped, failed, skipped);
        return failed ? 1 : 0;
}
