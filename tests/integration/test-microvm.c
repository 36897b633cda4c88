/* Integration test: boots the built microVM image through qemu:///embed in
 * a fresh state dir (no daemon), talks to vigil-agent over
 * virDomainOpenChannel, and checks handshake, exec (output byte for byte,
 * exit codes), file transfer both ways, heartbeats and resource samples.
 * One VM is shared by all cases: TCG boots are slow. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm-harness.h"

#define BOOT_TIMEOUT_S 600
#define OP_TIMEOUT_S   300

static struct vm vm;
static struct vgl_image img;

static int group_setup(void **state)
{
        struct vgl_error e = {};

        if (vm_start_agent(&vm, "it", &img, BOOT_TIMEOUT_S, &e) < 0) {
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

static void run(char **argv, struct vm_exec_result *res)
{
        struct vgl_error e = {};

        if (vm_exec(&vm, argv, res, OP_TIMEOUT_S, &e) < 0)
                fail_msg("exec %s: %s", argv[0], e.msg);
}

static void test_handshake(void **state)
{
        assert_true(vm.hello);
        assert_int_equal(vm.version, VGL_PROTO_VERSION);
        assert_string_equal(vm.h.kernel, img.kernel_version);
        assert_true(vm.h.caps & VGL_CAP_EXEC);
        assert_true(vm.h.caps & VGL_CAP_FILES);
        assert_int_equal(vm.protocol_errors, 0);
}

static void test_uname(void **state)
{
        char *argv[] = {"uname", "-r", NULL};
        struct vm_exec_result res;
        char expect[200];

        run(argv, &res);
        snprintf(expect, sizeof(expect), "%s\n", img.kernel_version);
        assert_int_equal(res.exit.status, VGL_EXIT_EXITED);
        assert_int_equal(res.exit.code, 0);
        assert_true(res.started);
        assert_int_equal(res.out.len, strlen(expect));
        assert_memory_equal(res.out.data, expect, res.out.len);
        assert_int_equal(res.exit.stdout_bytes, res.out.len);
        vm_exec_result_done(&res);
}

static void check_exit(char **argv, enum vgl_exit_status status, int code)
{
        struct vm_exec_result res;

        run(argv, &res);
        if (res.exit.status != status || res.exit.code != code)
                fail_msg("%s: got %s %d (%s), want %s %d", argv[0],
                         vgl_exit_status_name(res.exit.status), res.exit.code, res.exit.error,
                         vgl_exit_status_name(status), code);
        vm_exec_result_done(&res);
}

static void test_exit_codes(void **state)
{
        char *zero[] = {"true", NULL};
        char *one[] = {"false", NULL};
        char *three[] = {"sh", "-c", "exit 3", NULL};
        char *missing[] = {"/no/such/command", NULL};
        char *missing2[] = {"no-such-command-anywhere", "x", NULL};

        check_exit(zero, VGL_EXIT_EXITED, 0);
        check_exit(one, VGL_EXIT_EXITED, 1);
        check_exit(three, VGL_EXIT_EXITED, 3);
        check_exit(missing, VGL_EXIT_EXITED, 127);
        check_exit(missing2, VGL_EXIT_EXITED, 127);
        /* the agent is fine afterwards */
        check_exit(zero, VGL_EXIT_EXITED, 0);
}

static void test_stderr(void **state)
{
        char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 5", NULL};
        struct vm_exec_result res;

        run(argv, &res);
        assert_int_equal(res.exit.code, 5);
        assert_int_equal(res.out.len, 4);
        assert_memory_equal(res.out.data, "out\n", 4);
        assert_int_equal(res.err.len, 4);
        assert_memory_equal(res.err.data, "err\n", 4);
        vm_exec_result_done(&res);
}

/* 65536 lines of 16 bytes: exactly 1 MiB, easy to regenerate here. */
static void test_one_mib_stdout(void **state)
{
        char *argv[] = {"awk", "BEGIN { for (i = 0; i < 65536; i++) printf \"%015d\\n\", i }",
                        NULL};
        struct vm_exec_result res;
        char *expect = malloc(1 << 20);
        char line[17];

        for (int i = 0; i < 65536; i++) {
                snprintf(line, sizeof(line), "%015d\n", i);
                memcpy(expect + (size_t)i * 16, line, 16);
        }
        run(argv, &res);
        assert_int_equal(res.exit.status, VGL_EXIT_EXITED);
        assert_int_equal(res.exit.code, 0);
        assert_int_equal(res.out.len, 1 << 20);
        assert_memory_equal(res.out.data, expect, 1 << 20);
        assert_int_equal(res.exit.stdout_bytes, 1 << 20);
        assert_int_equal(res.err.len, 0);
        vm_exec_result_done(&res);
        free(expect);
}

static void test_file_roundtrip(void **state)
{
        size_t n = 300 * 1024 + 17;
        uint8_t *data = malloc(n);
        char *wc[] = {"wc", "-c", "/tmp/vigil-it.bin", NULL};
        struct vm_file_result put, get;
        struct vm_exec_result res;
        struct vgl_error e = {};

        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t)(i * 131 + (i >> 8));
        assert_int_equal(vm_put(&vm, "/tmp/vigil-it.bin", data, n, &put, OP_TIMEOUT_S, &e), 0);
        if (!put.r.ok)
                fail_msg("put: %s", put.r.error);
        assert_int_equal(put.r.size, n);
        run(wc, &res);
        assert_int_equal(res.exit.code, 0);
        assert_int_equal(strtoull((char *)res.out.data, NULL, 10), n);
        vm_exec_result_done(&res);
        assert_int_equal(vm_get(&vm, "/tmp/vigil-it.bin", n, &get, OP_TIMEOUT_S, &e), 0);
        if (!get.r.ok)
                fail_msg("get: %s", get.r.error);
        assert_int_equal(get.data.len, n);
        assert_memory_equal(get.data.data, data, n);
        vgl_buf_free(&get.data);
        vgl_buf_free(&put.data);
        free(data);
}

static void test_file_errors(void **state)
{
        struct vm_file_result res;
        struct vgl_error e = {};

        assert_int_equal(vm_get(&vm, "/no/such/file", 1024, &res, OP_TIMEOUT_S, &e), 0);
        assert_false(res.r.ok);
        assert_true(res.r.error[0] != '\0');
        vgl_buf_free(&res.data);
        /* over max_size: refused */
        assert_int_equal(vm_get(&vm, "/tmp/vigil-it.bin", 100, &res, OP_TIMEOUT_S, &e), 0);
        assert_false(res.r.ok);
        vgl_buf_free(&res.data);
        /* a bad path never leaves the host */
        assert_int_equal(vm_put(&vm, "tmp/relative", "x", 1, &res, OP_TIMEOUT_S, &e), -EINVAL);
}

static bool two_each(struct vm *v, void *arg)
{
        return (v->heartbeats >= 2 && v->samples >= 2) || v->closed;
}

static void test_heartbeats_and_samples(void **state)
{
        struct vgl_resource_sample s;
        struct vgl_heartbeat hb;

        assert_true(vm_wait(&vm, two_each, NULL, OP_TIMEOUT_S));
        pthread_mutex_lock(&vm.lock);
        s = vm.last_sample;
        hb = vm.last_hb;
        pthread_mutex_unlock(&vm.lock);
        assert_false(vm.closed);
        assert_true(hb.seq >= 1);
        assert_true(hb.uptime_ms > 0);
        assert_true(s.time_ms > 0);
        assert_true(s.mem_total_kb > 32 * 1024 && s.mem_total_kb <= 512 * 1024);
        assert_true(s.mem_available_kb <= s.mem_total_kb);
        assert_true(s.ncpus >= 1 && s.ncpus <= 2);
        assert_true(s.procs_total >= 1);
        assert_true(s.cpu_user_ticks + s.cpu_system_ticks + s.cpu_idle_ticks > 0);
        fprintf(stderr, "# %d heartbeats, %d samples; mem %llu/%llu kB, %u cpus, %u procs\n",
                vm.heartbeats, vm.samples, (unsigned long long)s.mem_available_kb,
                (unsigned long long)s.mem_total_kb, s.ncpus, s.procs_total);
        assert_int_equal(vm.protocol_errors, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_handshake),
                cmocka_unit_test(test_uname),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_stderr),
                cmocka_unit_test(test_one_mib_stdout),
                cmocka_unit_test(test_file_roundtrip),
                cmocka_unit_test(test_file_errors),
                cmocka_unit_test(test_heartbeats_and_samples),
        };
        struct vgl_error e = {};

        if (vm_find_image(&img, &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
