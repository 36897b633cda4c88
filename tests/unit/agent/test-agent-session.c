/* End-to-end tests of the connection: handshake states, telemetry, hostile
 * input, and a host that stops reading. The real agent binary on a socketpair. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static char tmpdir[] = "/tmp/vigil-agent-session.XXXXXX";

static void send_frame(struct harness *h, uint8_t type, uint32_t stream, const void *p, size_t len)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_frame_append(&b, type, stream, p, len), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

static void check_echo(struct harness *h, uint32_t stream)
{
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        const char *argv[] = {"echo", "still here", NULL};
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_exec(h, stream, argv, 0, false);
        h_collect(h, stream, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_int_equal(out.len, 11);
        assert_memory_equal(out.data, "still here\n", 11);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
}

static void test_not_ready_before_ack(void **state)
{
        struct harness h;
        const char *argv[] = {"true", NULL};
        h_start(&h, false, 0, 0);
        h_exec(&h, 1, argv, 0, false);
        assert_string_equal(h_wait_error(&h, 1).code, "not-ready");
        h_stop(&h);
}

static void test_version_mismatch(void **state)
{
        struct harness h;
        const char *argv[] = {"true", NULL};
        h_start(&h, false, 0, 0);
        /* A host speaking only a future protocol version. */
        static const char ack[] = "{\"proto_version\":99,\"host_version\":\"9.9\"}";
        send_frame(&h, VGL_MSG_HELLO_ACK, 0, ack, strlen(ack));
        struct vgl_error_msg e = h_wait_error(&h, 0);
        assert_string_equal(e.code, "version-mismatch");
        assert_non_null(strstr(e.message, "99"));
        h_exec(&h, 2, argv, 0, false);
        assert_string_equal(h_wait_error(&h, 2).code, "version-mismatch");
        h_stop(&h);

        /* The host says it first: the agent answers once, clearly. */
        h_start(&h, false, 0, 0);
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(
                vgl_msg_error_append(&b, 0, "version-mismatch", VGL_MSG_HELLO, "host speaks 7..9"),
                0);
        h_send(&h, &b);
        vgl_buf_free(&b);
        assert_string_equal(h_wait_error(&h, 0).code, "version-mismatch");
        h_stop(&h);
}

static void test_heartbeats_and_samples(void **state)
{
        struct harness h;
        h_start(&h, true, 20, 20);
        for (int i = 0; i < 600 && (h.heartbeats < 3 || h.samples < 3); i++)
                h_pump(&h, 100);
        assert_true(h.heartbeats >= 3);
        assert_true(h.samples >= 3);
        assert_int_equal(h.bad_telemetry, 0);
        assert_true(h.last_hb.seq >= 3);
        assert_true(h.last_hb.uptime_ms > 0);
        assert_true(h.last_sample.time_ms > 0);
        assert_true(h.last_sample.mem_total_kb > 0);
        assert_true(h.last_sample.mem_available_kb <= h.last_sample.mem_total_kb);
        assert_true(h.last_sample.ncpus >= 1);
        assert_true(h.last_sample.cpu_user_ticks + h.last_sample.cpu_idle_ticks > 0);
        assert_true(h.last_sample.procs_total >= 1);
        h_stop(&h);
}

static void test_garbage(void **state)
{
        struct harness h;
        static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: nothing\r\n\r\n";
        uint8_t hdr[VGL_FRAME_HEADER_SIZE];
        h_start(&h, true, 0, 0);

        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_buf_append(&b, junk, sizeof(junk)), 0);
        h_send(&h, &b);
        assert_string_equal(h_wait_error(&h, 0).code, "bad-request");
        check_echo(&h, 1);

        /* A header announcing more than the maximum payload. */
        assert_int_equal(vgl_frame_header_encode(hdr, VGL_MSG_EXEC, 2, 1), 0);
        vgl_put_le32(hdr + 12, 0x7fffffff);
        assert_int_equal(vgl_buf_append(&b, hdr, sizeof(hdr)), 0);
        h_send(&h, &b);
        assert_string_equal(h_wait_error(&h, 0).code, "bad-request");
        check_echo(&h, 3);

        /* An unknown type, a reply type the host must not send, bad JSON. */
        send_frame(&h, 0xee, 4, "x", 1);
        assert_string_equal(h_wait_error(&h, 0).code, "bad-request");
        send_frame(&h, VGL_MSG_STDOUT, 5, "x", 1);
        assert_string_equal(h_wait_error(&h, 5).code, "bad-request");
        send_frame(&h, VGL_MSG_EXEC, 6, "{\"argv\":", 8);
        assert_string_equal(h_wait_error(&h, 6).code, "bad-request");
        send_frame(&h, VGL_MSG_EXEC, 7, "{\"argv\":[]}", 11);
        assert_string_equal(h_wait_error(&h, 7).code, "bad-request");
        check_echo(&h, 8);
        vgl_buf_free(&b);
        h_stop(&h);
}

/* The host stops reading while a command writes 8 MiB: the agent must keep
 * reading the channel (here: 1 MiB of stdin for another command), lose no
 * output, and carry on once the host reads again. */
static void test_stalled_host(void **state)
{
        struct harness h;
        char big[256], sink[256], script[600];
        size_t n_big = 8u << 20, n_in = 1u << 20;
        uint8_t *data = malloc(n_big);
        assert_non_null(data);
        for (size_t i = 0; i < n_big; i++)
                data[i] = (uint8_t)(i ^ (i >> 13));
        snprintf(big, sizeof(big), "%s/big", tmpdir);
        snprintf(sink, sizeof(sink), "%s/sink", tmpdir);
        FILE *f = fopen(big, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n_big, f), n_big);
        fclose(f);

        h_start(&h, true, 50, 50);
        const char *writer[] = {"cat", big, NULL};
        snprintf(script, sizeof(script), "cat > '%s'", sink);
        const char *reader[] = {"sh", "-c", script, NULL};
        h_exec(&h, 1, writer, 0, false);
        h_exec(&h, 2, reader, 0, true);

        /* Stalled host: write without reading a single byte. */
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        for (size_t off = 0; off < n_in; off += 32768)
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 2, data + off, 32768), 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDIN, 2, NULL, 0), 0);
        h_send_noread(&h, b.data, b.len);
        vgl_buf_free(&b);

        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_collect(&h, 1, &out, &err, &x);
        assert_int_equal(x.code, 0);
        assert_int_equal(out.len, n_big);
        assert_memory_equal(out.data, data, n_big);
        out.len = err.len = 0;
        h_collect(&h, 2, &out, &err, &x);
        assert_int_equal(x.code, 0);
        check_echo(&h, 3);

        f = fopen(sink, "re");
        assert_non_null(f);
        assert_int_equal(fread(data + n_in, 1, n_in + 1, f), n_in);
        fclose(f);
        assert_memory_equal(data + n_in, data, n_in);
        assert_true(h.heartbeats >= 1);
        free(data);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        unlink(big);
        unlink(sink);
        h_stop(&h);
}

static void test_shutdown_outside_vm(void **state)
{
        struct harness h;
        struct vgl_buf b;
        h_start(&h, true, 0, 0);
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_shutdown_append(&b, false), 0);
        h_send(&h, &b);
        vgl_buf_free(&b);
        /* Not init: SHUTDOWN ends the agent (it never powers off a host). */
        while (!h.eof)
                h_pump(&h, 100);
        int status = h_stop(&h);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state)
{
        return mkdtemp(tmpdir) ? 0 : -1;
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
                cmocka_unit_test(test_not_ready_before_ack),
                cmocka_unit_test(test_version_mismatch),
                cmocka_unit_test(test_heartbeats_and_samples),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_stalled_host),
                cmocka_unit_test(test_shutdown_outside_vm),
        };
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, setup, teardown);
}
