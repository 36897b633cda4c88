/* End-to-end tests of command execution: the real agent binary on a socketpair. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char tmpdir[] = "/tmp/vigil-agent-test.XXXXXX";

static void run(struct harness *h, uint32_t stream, const char *const *argv, uint32_t timeout_ms,
                struct vgl_buf *out, struct vgl_buf *err, struct vgl_exec_exit *x)
{
        vgl_buf_init(out, 0);
        vgl_buf_init(err, 0);
        h_exec(h, stream, argv, timeout_ms, false);
        h_collect(h, stream, out, err, x);
}

static void test_handshake(void **state)
{
        struct harness h;
        struct utsname u;
        h_start(&h, true, 0, 0);
        assert_int_equal(uname(&u), 0);
        assert_int_equal(h.hello.proto_version, VGL_PROTO_VERSION);
        assert_true(h.hello.proto_min <= VGL_PROTO_VERSION);
        assert_string_equal(h.hello.kernel, u.release);
        assert_string_equal(h.hello.machine, u.machine);
        assert_true(h.hello.agent_version[0] != '\0');
        assert_false(h.hello.init_mode);
        assert_true(h.hello.caps & VGL_CAP_EXEC);
        assert_true(h.hello.caps & VGL_CAP_FILES);
        assert_true(h.hello.caps & VGL_CAP_RESOURCES);
        if (!(h.hello.caps & VGL_CAP_CGROUP2))
                print_message("note: no cgroup v2 on this host; the agent says so in caps\n");
        assert_int_equal(WEXITSTATUS(h_stop(&h)), 0);
}

static void test_uname(void **state)
{
        struct harness h;
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        struct utsname u;
        char want[sizeof(u.release) + 1];
        const char *argv[] = {"uname", "-r", NULL};

        h_start(&h, true, 0, 0);
        run(&h, 1, argv, 0, &out, &err, &x);
        assert_int_equal(uname(&u), 0);
        snprintf(want, sizeof(want), "%s\n", u.release);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_int_equal(x.code, 0);
        assert_int_equal(out.len, strlen(want));
        assert_memory_equal(out.data, want, out.len);
        assert_int_equal(err.len, 0);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

/* Writes n pseudo-random bytes to path and returns them (caller frees). */
static uint8_t *make_file(const char *path, size_t n, unsigned seed)
{
        uint8_t *p = malloc(n);
        uint32_t s = seed * 2654435761u + 1;
        assert_non_null(p);
        for (size_t i = 0; i < n; i++) {
                s = s * 1103515245u + 12345u;
                p[i] = (uint8_t)(s >> 16);
        }
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(p, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
        return p;
}

static void test_one_mib_stdout(void **state)
{
        struct harness h;
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        char path[256];
        snprintf(path, sizeof(path), "%s/mib", tmpdir);
        uint8_t *want = make_file(path, 1u << 20, 1);
        const char *argv[] = {"cat", path, NULL};

        h_start(&h, true, 0, 0);
        run(&h, 7, argv, 0, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_int_equal(x.code, 0);
        assert_int_equal(out.len, 1u << 20);
        assert_memory_equal(out.data, want, out.len);
        free(want);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

static void expect_exit(struct harness *h, uint32_t stream, const char *const *argv,
                        uint32_t timeout_ms, enum vgl_exit_status status, int code)
{
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        run(h, stream, argv, timeout_ms, &out, &err, &x);
        assert_int_equal(x.status, status);
        assert_int_equal(x.code, code);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
}

static void test_exit_codes(void **state)
{
        struct harness h;
        char noexec[256];
        const char *exit42[] = {"sh", "-c", "exit 42", NULL};
        const char *killed[] = {"sh", "-c", "kill -TERM $$", NULL};
        const char *slow[] = {"sleep", "30", NULL};
        const char *missing[] = {"vigil-no-such-command", NULL};
        const char *missing_abs[] = {"/nonexistent/cmd", NULL};
        const char *not_exec[] = {noexec, NULL};
        snprintf(noexec, sizeof(noexec), "%s/not-executable", tmpdir);
        free(make_file(noexec, 10, 2));

        h_start(&h, true, 0, 0);
        expect_exit(&h, 1, exit42, 0, VGL_EXIT_EXITED, 42);
        expect_exit(&h, 2, killed, 0, VGL_EXIT_SIGNALED, SIGTERM);
        expect_exit(&h, 3, slow, 200, VGL_EXIT_TIMEOUT, SIGKILL);
        expect_exit(&h, 4, missing, 0, VGL_EXIT_EXITED, 127);
        expect_exit(&h, 5, missing_abs, 0, VGL_EXIT_EXITED, 127);
        expect_exit(&h, 6, not_exec, 0, VGL_EXIT_EXITED, 126);
        /* The agent is fine afterwards. */
        expect_exit(&h, 7, exit42, 0, VGL_EXIT_EXITED, 42);
        assert_int_equal(WEXITSTATUS(h_stop(&h)), 0);
}

static void test_failed_start(void **state)
{
        struct harness h;
        struct vgl_buf out, err, b;
        struct vgl_exec_exit x;
        const char *argv[] = {"true", NULL};
        struct vgl_exec_request r = {
                .argv = (char **)argv, .uid = -1, .gid = -1, .cwd = "/nonexistent-dir"};

        h_start(&h, true, 0, 0);
        vgl_buf_init(&b, 0);
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        assert_int_equal(vgl_msg_exec_append(&b, 3, &r), 0);
        h_send(&h, &b);
        h_collect(&h, 3, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_FAILED);
        assert_non_null(strstr(x.error, "directory"));
        vgl_buf_free(&b);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

static void send_signal(struct harness *h, uint32_t stream, int sig)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_signal_append(&b, stream, sig), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

static void test_signal(void **state)
{
        struct harness h;
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        /* A shell with a child: the whole process group gets the signal. */
        const char *argv[] = {"sh", "-c", "sleep 30; echo not reached", NULL};

        h_start(&h, true, 0, 0);
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_exec(&h, 9, argv, 0, false);
        struct h_frame f = h_wait(&h, VGL_MSG_EXEC_STARTED, 9);
        h_frame_free(&f);
        send_signal(&h, 9, SIGINT);
        h_collect(&h, 9, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_SIGNALED);
        assert_int_equal(x.code, SIGINT);
        assert_int_equal(out.len, 0);
        /* SIGNAL to a finished or unknown stream is an error, not a crash. */
        send_signal(&h, 9, SIGTERM);
        assert_string_equal(h_wait_error(&h, 9).code, "unknown-stream");
        send_signal(&h, 1234, SIGTERM);
        assert_string_equal(h_wait_error(&h, 1234).code, "unknown-stream");
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

static void test_concurrent(void **state)
{
        struct harness h;
        enum { N = 8 };
        char script[N][96];
        h_start(&h, true, 0, 0);
        for (uint32_t i = 0; i < N; i++) {
                snprintf(script[i], sizeof(script[i]), "echo start %u; sleep 0.3; echo end %u >&2",
                         i, i);
                const char *argv[] = {"sh", "-c", script[i], NULL};
                h_exec(&h, 100 + i, argv, 0, false);
        }
        for (uint32_t i = 0; i < N; i++) {
                struct vgl_buf out, err;
                struct vgl_exec_exit x;
                char want_out[32], want_err[32];
                vgl_buf_init(&out, 0);
                vgl_buf_init(&err, 0);
                h_collect(&h, 100 + i, &out, &err, &x);
                snprintf(want_out, sizeof(want_out), "start %u\n", i);
                snprintf(want_err, sizeof(want_err), "end %u\n", i);
                assert_int_equal(x.status, VGL_EXIT_EXITED);
                assert_int_equal(x.code, 0);
                assert_int_equal(out.len, strlen(want_out));
                assert_memory_equal(out.data, want_out, out.len);
                assert_int_equal(err.len, strlen(want_err));
                assert_memory_equal(err.data, want_err, err.len);
                vgl_buf_free(&out);
                vgl_buf_free(&err);
        }
        h_stop(&h);
}

static void test_busy_and_duplicates(void **state)
{
        struct harness h;
        const char *argv[] = {"sleep", "30", NULL};
        h_start(&h, true, 0, 0);
        for (uint32_t i = 1; i <= 64; i++)
                h_exec(&h, i, argv, 0, false);
        for (uint32_t i = 1; i <= 64; i++) {
                struct h_frame f = h_wait(&h, VGL_MSG_EXEC_STARTED, i);
                h_frame_free(&f);
        }
        h_exec(&h, 65, argv, 0, false);
        assert_string_equal(h_wait_error(&h, 65).code, "busy");
        h_exec(&h, 3, argv, 0, false);
        assert_string_equal(h_wait_error(&h, 3).code, "bad-request");
        /* The encoder refuses stream 0; a hostile host does not use it. */
        static const char req[] = "{\"argv\":[\"true\"]}";
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_EXEC, 0, req, strlen(req)), 0);
        h_send(&h, &b);
        vgl_buf_free(&b);
        assert_string_equal(h_wait_error(&h, 0).code, "bad-request");
        for (uint32_t i = 1; i <= 64; i++)
                send_signal(&h, i, SIGKILL);
        for (uint32_t i = 1; i <= 64; i++) {
                struct vgl_buf out, err;
                struct vgl_exec_exit x;
                vgl_buf_init(&out, 0);
                vgl_buf_init(&err, 0);
                h_collect(&h, i, &out, &err, &x);
                assert_int_equal(x.status, VGL_EXIT_SIGNALED);
                vgl_buf_free(&out);
                vgl_buf_free(&err);
        }
        /* Slots are free again. */
        const char *ok[] = {"true", NULL};
        expect_exit(&h, 65, ok, 0, VGL_EXIT_EXITED, 0);
        h_stop(&h);
}

static void test_stdin_cat(void **state)
{
        struct harness h;
        struct vgl_buf out, err, b;
        struct vgl_exec_exit x;
        const char *argv[] = {"cat", NULL};
        size_t n = 300 * 1024;
        uint8_t *data = malloc(n);
        assert_non_null(data);
        for (size_t i = 0; i < n; i++)
                data[i] = (uint8_t)(i * 7 + i / 251);

        h_start(&h, true, 0, 0);
        h_exec(&h, 5, argv, 0, true);
        vgl_buf_init(&b, 0);
        for (size_t off = 0; off < n; off += 10000) {
                size_t len = n - off < 10000 ? n - off : 10000;
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 5, data + off, len), 0);
                h_send(&h, &b);
        }
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 5, NULL, 0), 0);
        h_send(&h, &b);
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_collect(&h, 5, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_int_equal(x.code, 0);
        assert_int_equal(out.len, n);
        assert_memory_equal(out.data, data, n);
        /* STDIN for a stream that does not exist. */
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 77, "x", 1), 0);
        h_send(&h, &b);
        assert_string_equal(h_wait_error(&h, 77).code, "unknown-stream");
        free(data);
        vgl_buf_free(&b);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

/* A command that stops reading stdin early: the rest is discarded quietly. */
static void test_stdin_closed_early(void **state)
{
        struct harness h;
        struct vgl_buf out, err, b;
        struct vgl_exec_exit x;
        static uint8_t chunk[60000];
        const char *head[] = {"head", "-c", "5", NULL};
        const char *no_stdin[] = {"sleep", "30", NULL};
        memset(chunk, 'z', sizeof(chunk));

        h_start(&h, true, 0, 0);
        vgl_buf_init(&b, 0);
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_exec(&h, 1, head, 0, true);
        /* 16 x 60000 bytes stay under the agent's 1 MiB stdin backlog, so
         * no "busy" ERROR can arise whatever the scheduling. */
        for (int i = 0; i < 16; i++) {
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 1, chunk, sizeof(chunk)), 0);
                h_send(&h, &b);
        }
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 1, NULL, 0), 0);
        h_send(&h, &b);
        h_collect(&h, 1, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_int_equal(x.code, 0);
        assert_int_equal(out.len, 5);
        assert_false(h_has(&h, VGL_MSG_ERROR, 1));

        /* STDIN for a command started without a stdin pipe. */
        h_exec(&h, 2, no_stdin, 0, false);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 2, "x", 1), 0);
        h_send(&h, &b);
        assert_string_equal(h_wait_error(&h, 2).code, "bad-request");
        vgl_buf_free(&b);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}

static void test_host_eof_kills_commands(void **state)
{
        struct harness h;
        const char *argv[] = {"sleep", "30", NULL};
        struct vgl_error e = {0};
        int64_t pid = 0;
        h_start(&h, true, 0, 0);
        h_exec(&h, 1, argv, 0, false);
        struct h_frame f = h_wait(&h, VGL_MSG_EXEC_STARTED, 1);
        struct vgl_frame vf = {.type = f.type, .stream = 1, .payload = f.data, .length = f.len};
        assert_int_equal(vgl_msg_exec_started_parse(&vf, &pid, &e), 0);
        h_frame_free(&f);
        assert_true(pid > 0);
        int status = h_stop(&h);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* The agent killed and reaped its command before leaving. */
        assert_int_equal(kill((pid_t)pid, 0), -1);
}

static int setup(void **state)
{
        if (!mkdtemp(tmpdir))
                return -1;
        if (access(h_agent_path(), X_OK) < 0) {
                fprintf(stderr, "agent binary %s missing\n", h_agent_path());
                return -1;
        }
        return 0;
}

static int teardown(void **state)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_handshake),
                cmocka_unit_test(test_uname),
                cmocka_unit_test(test_one_mib_stdout),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_failed_start),
                cmocka_unit_test(test_signal),
                cmocka_unit_test(test_concurrent),
                cmocka_unit_test(test_busy_and_duplicates),
                cmocka_unit_test(test_stdin_cat),
                cmocka_unit_test(test_stdin_closed_early),
                cmocka_unit_test(test_host_eof_kills_commands),
        };
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, setup, teardown);
}
