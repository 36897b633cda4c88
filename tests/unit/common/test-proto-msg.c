/* Control messages: JSON round trips, hostile payloads, version negotiation,
 * path rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "proto-msg.h"

/* The single frame at the start of b. */
static struct vgl_frame frame_of(const struct vgl_buf *b)
{
        assert_true(b->len >= VGL_FRAME_HEADER_SIZE);
        struct vgl_frame f = {
                .version = b->data[4],
                .type = b->data[5],
                .stream = vgl_get_le32(b->data + 8),
                .length = vgl_get_le32(b->data + 12),
                .payload = b->data + VGL_FRAME_HEADER_SIZE,
        };
        assert_int_equal(f.length + VGL_FRAME_HEADER_SIZE, b->len);
        return f;
}

static struct vgl_frame json_frame(uint8_t type, uint32_t stream, const char *json, size_t len)
{
        return (struct vgl_frame){
                .version = VGL_PROTO_VERSION,
                .type = type,
                .stream = stream,
                .length = (uint32_t)len,
                .payload = (const uint8_t *)json,
        };
}

static void test_hello_round_trip(void **state)
{
        struct vgl_hello h = {
                .proto_version = 1,
                .proto_min = 1,
                .agent_version = "0.1.0",
                .kernel = "6.1.0-28-amd64",
                .machine = "x86_64",
                .hostname = "vigil",
                .uptime_ms = 1834,
                .init_mode = true,
                .caps = VGL_CAP_EXEC | VGL_CAP_FILES | VGL_CAP_POLICY | VGL_CAP_TRACE_BPF,
        };
        struct vgl_hello got;
        struct vgl_buf b;
        struct vgl_error err;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_hello_append(&b, &h), 0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(f.type, VGL_MSG_HELLO);
        assert_int_equal(f.stream, 0);
        memset(&got, 0xee, sizeof(got));
        assert_int_equal(vgl_msg_hello_parse(&f, &got, &err), 0);
        assert_int_equal(got.proto_version, 1);
        assert_int_equal(got.proto_min, 1);
        assert_string_equal(got.agent_version, "0.1.0");
        assert_string_equal(got.kernel, "6.1.0-28-amd64");
        assert_string_equal(got.machine, "x86_64");
        assert_string_equal(got.hostname, "vigil");
        assert_int_equal(got.uptime_ms, 1834);
        assert_true(got.init_mode);
        assert_int_equal(got.caps, h.caps);
        vgl_buf_free(&b);

        /* Minimal hello: defaults; unknown fields and capabilities ignored. */
        static const char min[] = "{\"proto_version\":3,\"agent_version\":\"9\",\"future\":[1,{}],"
                                  "\"caps\":[\"exec\",\"teleport\",\"trace-bpf\"]}";
        f = json_frame(VGL_MSG_HELLO, 0, min, strlen(min));
        assert_int_equal(vgl_msg_hello_parse(&f, &got, &err), 0);
        assert_int_equal(got.proto_min, 3);
        assert_int_equal(got.caps, VGL_CAP_EXEC | VGL_CAP_TRACE_BPF);
        assert_string_equal(got.kernel, "");
        assert_false(got.init_mode);
}

static void test_hello_ack_round_trip(void **state)
{
        struct vgl_hello_ack a = {.proto_version = 1,
                                  .host_version = "0.1.0",
                                  .heartbeat_ms = 500,
                                  .sample_ms = 2000};
        struct vgl_hello_ack got;
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_hello_ack_append(&b, &a), 0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(vgl_msg_hello_ack_parse(&f, &got, NULL), 0);
        assert_int_equal(got.proto_version, 1);
        assert_string_equal(got.host_version, "0.1.0");
        assert_int_equal(got.heartbeat_ms, 500);
        assert_int_equal(got.sample_ms, 2000);
        a.heartbeat_ms = 3600001;
        assert_int_equal(vgl_msg_hello_ack_append(&b, &a), -EINVAL);
        vgl_buf_free(&b);
}

static void test_negotiate(void **state)
{
        struct vgl_error err;

        assert_int_equal(vgl_proto_negotiate(1, 1, &err), 1);
        /* A newer peer that still speaks 1. */
        assert_int_equal(vgl_proto_negotiate(1, 5, &err), 1);
        /* A peer that only speaks newer versions. */
        assert_int_equal(vgl_proto_negotiate(2, 3, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err.msg, "peer speaks 2..3"));
        assert_non_null(strstr(err.msg, "this build speaks 1..1"));
        assert_int_equal(err.code, EPROTONOSUPPORT);
        assert_int_equal(vgl_proto_negotiate(0, 0, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err.msg, "peer speaks 0..0"));
        assert_int_equal(vgl_proto_negotiate(3, 2, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err.msg, "empty"));
        assert_int_equal(vgl_proto_negotiate(9, 9, NULL), -EPROTONOSUPPORT);
}

static void test_error_round_trip(void **state)
{
        struct vgl_error_msg got;
        struct vgl_buf b;
        char long_msg[600];

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_error_append(&b, 7, "version-mismatch", VGL_MSG_HELLO,
                                              "peer speaks 2..3 \xc3\xa9"),
                         0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(f.stream, 7);
        assert_int_equal(vgl_msg_error_parse(&f, &got, NULL), 0);
        assert_string_equal(got.code, "version-mismatch");
        assert_string_equal(got.message, "peer speaks 2..3 \xc3\xa9");
        assert_int_equal(got.ref_type, VGL_MSG_HELLO);
        b.len = 0;

        /* Long or non-UTF-8 messages are cut and cleaned, never refused. */
        memset(long_msg, 'x', sizeof(long_msg));
        long_msg[10] = (char)0xff;
        long_msg[sizeof(long_msg) - 1] = '\0';
        assert_int_equal(vgl_msg_error_append(&b, 0, "internal", 0, long_msg), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_error_parse(&f, &got, NULL), 0);
        assert_int_equal(strlen(got.message), VGL_ERROR_MSG_MAX - 1);
        assert_int_equal(got.message[10], '?');
        b.len = 0;
        assert_int_equal(vgl_msg_error_append(&b, 0, NULL, 0, "x"), -EINVAL);
        assert_int_equal(vgl_msg_error_append(&b, 0, "", 0, "x"), -EINVAL);
        assert_int_equal(vgl_msg_error_append(&b, 0, "a\nb", 0, "x"), -EINVAL);
        assert_int_equal(vgl_msg_error_append(&b, 0, "0123456789012345678901234567890123", 0, "x"),
                         -EINVAL);
        assert_int_equal(vgl_msg_error_append(&b, 0, "busy", 0, NULL), 0);
        assert_int_equal(b.len, frame_of(&b).length + VGL_FRAME_HEADER_SIZE);
        vgl_buf_free(&b);
}

static void test_exec_round_trip(void **state)
{
        char *argv[] = {"sh", "-c", "echo \"hi\" \\ caf\xc3\xa9", NULL};
        char *env[] = {"PATH=/bin", "EMPTY=", NULL};
        struct vgl_exec_request x = {.argv = argv,
                                     .env = env,
                                     .cwd = "/tmp",
                                     .uid = 1000,
                                     .gid = -1,
                                     .timeout_ms = 5000,
                                     .stdin_pipe = true};
        struct vgl_exec_request got = {0};
        struct vgl_buf b;
        struct vgl_error err;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_exec_append(&b, 42, &x), 0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(f.stream, 42);
        assert_int_equal(vgl_msg_exec_parse(&f, &got, &err), 0);
        for (int i = 0; i < 3; i++)
                assert_string_equal(got.argv[i], argv[i]);
        assert_null(got.argv[3]);
        assert_string_equal(got.env[0], "PATH=/bin");
        assert_string_equal(got.env[1], "EMPTY=");
        assert_null(got.env[2]);
        assert_string_equal(got.cwd, "/tmp");
        assert_int_equal(got.uid, 1000);
        assert_int_equal(got.gid, -1);
        assert_int_equal(got.timeout_ms, 5000);
        assert_true(got.stdin_pipe);
        vgl_exec_request_done(&got);
        assert_null(got.argv);
        vgl_buf_free(&b);

        /* Defaults. */
        static const char min[] = "{\"argv\":[\"uname\",\"-r\"]}";
        f = json_frame(VGL_MSG_EXEC, 1, min, strlen(min));
        assert_int_equal(vgl_msg_exec_parse(&f, &got, &err), 0);
        assert_null(got.env);
        assert_null(got.cwd);
        assert_int_equal(got.uid, -1);
        assert_int_equal(got.gid, -1);
        assert_int_equal(got.timeout_ms, 0);
        assert_false(got.stdin_pipe);
        assert_int_equal(got.supervise, VGL_EXEC_SUP_DEFAULT);
        vgl_exec_request_done(&got);
}

/* "supervise": every value round trips; "default" is left out of the JSON,
 * so encodings without it stay what they were. */
static void test_exec_supervise(void **state)
{
        char *argv[] = {"true", NULL};
        struct vgl_exec_request x = {.argv = argv, .uid = -1, .gid = -1};
        struct vgl_exec_request got = {0};
        struct vgl_buf b;
        struct vgl_error err;

        for (int s = VGL_EXEC_SUP_DEFAULT; s <= VGL_EXEC_SUP_OFF; s++) {
                vgl_buf_init(&b, 0);
                x.supervise = (enum vgl_exec_supervise)s;
                assert_int_equal(vgl_msg_exec_append(&b, 7, &x), 0);
                struct vgl_frame f = frame_of(&b);
                bool present = memmem(f.payload, f.length, "\"supervise\"", 11) != NULL;
                assert_int_equal(present, s != VGL_EXEC_SUP_DEFAULT);
                assert_int_equal(vgl_msg_exec_parse(&f, &got, &err), 0);
                assert_int_equal(got.supervise, s);
                vgl_exec_request_done(&got);
                vgl_buf_free(&b);
        }
        assert_string_equal(vgl_exec_supervise_name(VGL_EXEC_SUP_TRACE), "trace");
        assert_string_equal(vgl_exec_supervise_name(VGL_EXEC_SUP_OFF), "off");
        assert_string_equal(vgl_exec_supervise_name((enum vgl_exec_supervise)9), "unknown");
        /* explicit "default" and null mean the default */
        static const char *const same[] = {"{\"argv\":[\"a\"],\"supervise\":\"default\"}",
                                           "{\"argv\":[\"a\"],\"supervise\":null}"};
        for (size_t i = 0; i < 2; i++) {
                struct vgl_frame f = json_frame(VGL_MSG_EXEC, 1, same[i], strlen(same[i]));
                assert_int_equal(vgl_msg_exec_parse(&f, &got, &err), 0);
                assert_int_equal(got.supervise, VGL_EXEC_SUP_DEFAULT);
                vgl_exec_request_done(&got);
        }
        /* an encoder never sends what the parser would refuse */
        vgl_buf_init(&b, 0);
        x.supervise = (enum vgl_exec_supervise)4;
        assert_int_equal(vgl_msg_exec_append(&b, 7, &x), -EINVAL);
        assert_int_equal(b.len, 0);
        vgl_buf_free(&b);
}

static void test_exec_append_rejects(void **state)
{
        struct vgl_buf b;
        char *empty[] = {NULL};
        char *blank[] = {"", NULL};
        char *ok[] = {"true", NULL};
        char *bad_env[] = {"NOEQUALS", NULL};
        char *bad_utf8[] = {"\xff", NULL};
        static char *many[VGL_MAX_ARGS + 2];
        static char huge[VGL_MAX_ARG_LEN + 2];

        vgl_buf_init(&b, 0);
        struct vgl_exec_request x = {.argv = ok, .uid = -1, .gid = -1};
        assert_int_equal(vgl_msg_exec_append(&b, 0, &x), -EINVAL);
        x.argv = NULL;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.argv = empty;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.argv = blank;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.argv = bad_utf8;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.argv = ok;
        x.env = bad_env;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.env = NULL;
        x.cwd = "relative";
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.cwd = NULL;
        x.uid = -2;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        x.uid = -1;
        for (int i = 0; i <= VGL_MAX_ARGS; i++)
                many[i] = "a";
        x.argv = many;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        memset(huge, 'a', VGL_MAX_ARG_LEN + 1);
        many[0] = huge;
        many[1] = NULL;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EINVAL);
        /* Within every per-field limit but beyond one frame. */
        huge[VGL_MAX_ARG_LEN] = '\0';
        for (int i = 0; i < 20; i++)
                many[i] = huge;
        many[20] = NULL;
        assert_int_equal(vgl_msg_exec_append(&b, 1, &x), -EMSGSIZE);
        assert_int_equal(b.len, 0);
        vgl_buf_free(&b);
}

static void test_exec_started_signal_shutdown(void **state)
{
        struct vgl_buf b;
        int64_t pid = 0;
        int32_t sig = 0;
        uint64_t gen = 0;
        bool reboot = true;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_exec_started_append(&b, 3, 4242), 0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(vgl_msg_exec_started_parse(&f, &pid, NULL), 0);
        assert_int_equal(pid, 4242);
        assert_int_equal(vgl_msg_exec_started_append(&b, 3, 0), -EINVAL);
        b.len = 0;

        assert_int_equal(vgl_msg_signal_append(&b, 3, 15), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_signal_parse(&f, &sig, NULL), 0);
        assert_int_equal(sig, 15);
        assert_int_equal(vgl_msg_signal_append(&b, 3, 65), -EINVAL);
        b.len = 0;

        assert_int_equal(vgl_msg_shutdown_append(&b, false), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_shutdown_parse(&f, &reboot, NULL), 0);
        assert_false(reboot);
        b.len = 0;
        assert_int_equal(vgl_msg_shutdown_append(&b, true), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_shutdown_parse(&f, &reboot, NULL), 0);
        assert_true(reboot);
        b.len = 0;

        assert_int_equal(vgl_msg_policy_ack_append(&b, 77), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_policy_ack_parse(&f, &gen, NULL), 0);
        assert_int_equal(gen, 77);
        vgl_buf_free(&b);
}

static void test_exec_exit_round_trip(void **state)
{
        static const struct vgl_exec_exit cases[] = {
                {.status = VGL_EXIT_EXITED, .code = 0, .duration_ms = 12, .stdout_bytes = 6},
                {.status = VGL_EXIT_EXITED, .code = 127, .error = ""},
                {.status = VGL_EXIT_SIGNALED, .code = 9, .stderr_bytes = 1ull << 40},
                {.status = VGL_EXIT_TIMEOUT, .code = 9, .duration_ms = 5000},
                {.status = VGL_EXIT_FAILED, .code = -1, .error = "exec: No such file"},
        };
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vgl_exec_exit got;
                b.len = 0;
                assert_int_equal(vgl_msg_exec_exit_append(&b, 5, &cases[i]), 0);
                struct vgl_frame f = frame_of(&b);
                assert_int_equal(vgl_msg_exec_exit_parse(&f, &got, NULL), 0);
                assert_int_equal(got.status, cases[i].status);
                assert_int_equal(got.code, cases[i].code);
                assert_int_equal(got.duration_ms, cases[i].duration_ms);
                assert_int_equal(got.stdout_bytes, cases[i].stdout_bytes);
                assert_int_equal(got.stderr_bytes, cases[i].stderr_bytes);
                assert_string_equal(got.error, cases[i].error);
        }
        struct vgl_exec_exit bad = {.status = VGL_EXIT_EXITED, .code = 256};
        assert_int_equal(vgl_msg_exec_exit_append(&b, 5, &bad), -EINVAL);
        bad = (struct vgl_exec_exit){.status = 17};
        assert_int_equal(vgl_msg_exec_exit_append(&b, 5, &bad), -EINVAL);
        assert_string_equal(vgl_exit_status_name(VGL_EXIT_TIMEOUT), "timeout");
        assert_string_equal(vgl_exit_status_name(17), "unknown");
        vgl_buf_free(&b);
}

static void test_file_round_trip(void **state)
{
        struct vgl_file_request q;
        struct vgl_file_result res, got;
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_file_put_append(&b, 9, "/tmp/x y", 1024, 0755), 0);
        struct vgl_frame f = frame_of(&b);
        assert_int_equal(f.type, VGL_MSG_FILE_PUT);
        assert_int_equal(vgl_msg_file_request_parse(&f, &q, NULL), 0);
        assert_string_equal(q.path, "/tmp/x y");
        assert_int_equal(q.size, 1024);
        assert_int_equal(q.mode, 0755);
        b.len = 0;

        assert_int_equal(vgl_msg_file_get_append(&b, 9, "/var/log/out.txt", 1 << 20), 0);
        f = frame_of(&b);
        assert_int_equal(f.type, VGL_MSG_FILE_GET);
        assert_int_equal(vgl_msg_file_request_parse(&f, &q, NULL), 0);
        assert_string_equal(q.path, "/var/log/out.txt");
        assert_int_equal(q.size, 1 << 20);
        b.len = 0;

        /* PUT mode defaults to 0644; GET max_size to 0 (the agent's limit). */
        static const char put[] = "{\"path\":\"/a\",\"size\":0}";
        f = json_frame(VGL_MSG_FILE_PUT, 1, put, strlen(put));
        assert_int_equal(vgl_msg_file_request_parse(&f, &q, NULL), 0);
        assert_int_equal(q.mode, 0644);
        static const char get[] = "{\"path\":\"/a\"}";
        f = json_frame(VGL_MSG_FILE_GET, 1, get, strlen(get));
        assert_int_equal(vgl_msg_file_request_parse(&f, &q, NULL), 0);
        assert_int_equal(q.size, 0);

        assert_int_equal(vgl_msg_file_put_append(&b, 9, "tmp/x", 1, 0644), -EINVAL);
        assert_int_equal(vgl_msg_file_put_append(&b, 9, "/tmp/../etc/shadow", 1, 0644), -EINVAL);
        assert_int_equal(vgl_msg_file_put_append(&b, 9, "/tmp/x", 1, 010000), -EINVAL);
        assert_int_equal(vgl_msg_file_put_append(&b, 0, "/tmp/x", 1, 0644), -EINVAL);
        assert_int_equal(vgl_msg_file_get_append(&b, 9, "", 1), -EINVAL);
        assert_int_equal(b.len, 0);

        res = (struct vgl_file_result){
                .ok = false, .size = 3, .mode = 0600, .error = "open: Permission denied"};
        assert_int_equal(vgl_msg_file_result_append(&b, 9, &res), 0);
        f = frame_of(&b);
        assert_int_equal(vgl_msg_file_result_parse(&f, &got, NULL), 0);
        assert_false(got.ok);
        assert_int_equal(got.size, 3);
        assert_int_equal(got.mode, 0600);
        assert_string_equal(got.error, "open: Permission denied");
        vgl_buf_free(&b);
}

static void test_path_validate(void **state)
{
        static const char *good[] = {"/",        "/tmp",    "/tmp/a.b", "/tmp/..a",
                                     "/tmp/a..", "//x//y/", "/.hidden", "/a/.../b"};
        static const char *bad[] = {"",       "tmp",      "./x",       "/.",       "/..",
                                    "/tmp/.", "/tmp/./x", "/tmp/../x", "/a//../b", "/a/.."};
        struct vgl_error err;
        static char long_path[VGL_MAX_PATH_LEN + 2];

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                assert_int_equal(vgl_path_validate(good[i], &err), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(vgl_path_validate(bad[i], &err), -EINVAL);
                assert_true(err.msg[0] != '\0');
        }
        assert_int_equal(vgl_path_validate(NULL, &err), -EINVAL);
        memset(long_path, 'a', VGL_MAX_PATH_LEN);
        long_path[0] = '/';
        assert_int_equal(vgl_path_validate(long_path, &err), 0);
        long_path[VGL_MAX_PATH_LEN] = 'a';
        assert_int_equal(vgl_path_validate(long_path, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "longer"));
}

struct bad_case {
        uint8_t type;
        uint32_t stream;
        const char *json;
        size_t len;       /* 0: strlen(json) */
        const char *want; /* substring of the error message */
};

/* Runs the typed parser for a frame; returns its result. */
static int parse_any(const struct vgl_frame *f, struct vgl_error *err)
{
        struct vgl_hello h;
        struct vgl_hello_ack a;
        struct vgl_error_msg e;
        struct vgl_exec_request x = {0};
        struct vgl_exec_exit xx;
        struct vgl_file_request q;
        struct vgl_file_result fr;
        int64_t i64;
        int32_t i32;
        uint64_t u64;
        bool b;
        int r;

        switch (f->type) {
        case VGL_MSG_HELLO:
                return vgl_msg_hello_parse(f, &h, err);
        case VGL_MSG_HELLO_ACK:
                return vgl_msg_hello_ack_parse(f, &a, err);
        case VGL_MSG_ERROR:
                return vgl_msg_error_parse(f, &e, err);
        case VGL_MSG_EXEC:
                r = vgl_msg_exec_parse(f, &x, err);
                vgl_exec_request_done(&x);
                return r;
        case VGL_MSG_EXEC_STARTED:
                return vgl_msg_exec_started_parse(f, &i64, err);
        case VGL_MSG_EXEC_EXIT:
                return vgl_msg_exec_exit_parse(f, &xx, err);
        case VGL_MSG_SIGNAL:
                return vgl_msg_signal_parse(f, &i32, err);
        case VGL_MSG_FILE_PUT:
        case VGL_MSG_FILE_GET:
                return vgl_msg_file_request_parse(f, &q, err);
        case VGL_MSG_FILE_RESULT:
                return vgl_msg_file_result_parse(f, &fr, err);
        case VGL_MSG_SHUTDOWN:
                return vgl_msg_shutdown_parse(f, &b, err);
        case VGL_MSG_POLICY_ACK:
                return vgl_msg_policy_ack_parse(f, &u64, err);
        }
        fail();
        return 0;
}

#define HELLO_OK "\"proto_version\":1,\"agent_version\":\"a\""

static const struct bad_case bad_cases[] = {
        /* not one JSON object */
        {VGL_MSG_HELLO, 0, "", 0, "empty payload"},
        {VGL_MSG_HELLO, 0, "[1]", 0, "JSON array, expected an object"},
        {VGL_MSG_HELLO, 0, "\"x\"", 0, "expected an object"},
        {VGL_MSG_HELLO, 0, "null", 0, "not a JSON object"},
        {VGL_MSG_HELLO, 0, " 12", 0, "not a JSON object"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK "} x", 0, "trailing bytes"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK "}{}", 0, "trailing bytes"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK "}", sizeof("{" HELLO_OK "}"), "trailing bytes"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK, 0, "truncated JSON"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",}", 0, "invalid JSON"},
        {VGL_MSG_HELLO, 0, "{\"k\":\"\xff\"," HELLO_OK "}", 0, "invalid JSON"},
        {VGL_MSG_HELLO, 0, "{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}", 0, "invalid JSON"},
        /* missing, mistyped and out-of-range fields */
        {VGL_MSG_HELLO, 0, "{\"agent_version\":\"a\"}", 0, "missing field \"proto_version\""},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":null,\"agent_version\":\"a\"}", 0,
         "missing field \"proto_version\""},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":1}", 0, "missing field \"agent_version\""},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":\"1\",\"agent_version\":\"a\"}", 0,
         "\"proto_version\": expected an integer"},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":1.0,\"agent_version\":\"a\"}", 0,
         "expected an integer"},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":true,\"agent_version\":\"a\"}", 0,
         "expected an integer"},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":0,\"agent_version\":\"a\"}", 0, "must be >= 1"},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":4294967296,\"agent_version\":\"a\"}", 0,
         "not in [0, 4294967295]"},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":-1,\"agent_version\":\"a\"}", 0, "not in"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"proto_min\":2}", 0, "\"proto_min\""},
        {VGL_MSG_HELLO, 0, "{\"proto_version\":1,\"agent_version\":\"\"}", 0, "empty"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"hostname\":\"a\\u0000b\"}", 0, "NUL"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"hostname\":\"a\\nb\"}", 0, "printable ASCII"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"machine\":\"0123456789012345678901234567890123\"}", 0,
         "longer than 31"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"caps\":\"exec\"}", 0, "expected an array"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"caps\":[1]}", 0, "expected a string"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"init\":1}", 0, "expected true or false"},
        {VGL_MSG_HELLO, 0, "{" HELLO_OK ",\"uptime_ms\":99999999999999999999}", 0, "out of range"},
        {VGL_MSG_HELLO_ACK, 0, "{}", 0, "missing field \"proto_version\""},
        {VGL_MSG_HELLO_ACK, 0, "{\"proto_version\":1,\"sample_ms\":3600001}", 0, "not in"},
        {VGL_MSG_ERROR, 0, "{\"message\":\"x\"}", 0, "missing field \"code\""},
        {VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"ref_type\":256}", 0, "not in [0, 255]"},
        {VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"message\":\"\xed\xa0\x80\"}", 0, "invalid UTF-8"},
        {VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"message\":\"\xc0\xaf\"}", 0, "invalid UTF-8"},
        /* exec */
        {VGL_MSG_EXEC, 0, "{\"argv\":[\"a\"]}", 0, "stream 0"},
        {VGL_MSG_EXEC, 1, "{}", 0, "exec: missing field \"argv\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[]}", 0, "\"argv\": empty"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"\"]}", 0, "empty program name"},
        {VGL_MSG_EXEC, 1, "{\"argv\":\"ls\"}", 0, "expected an array"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\",2]}", 0, "element 1: expected a string"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\\u0000b\"]}", 0, "NUL"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"env\":[\"NOEQ\"]}", 0, "NAME=VALUE"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"env\":[\"=x\"]}", 0, "NAME=VALUE"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"env\":{}}", 0, "expected an array"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"cwd\":\"tmp\"}", 0, "\"cwd\": path is not absolute"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"cwd\":\"/a/../b\"}", 0, "\"..\" component"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"uid\":-2}", 0, "\"uid\": -2 not in"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"gid\":4294967295}", 0, "\"gid\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"uid\":-99999999999999999999}", 0, "not in"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"timeout_ms\":-1}", 0, "\"timeout_ms\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"stdin\":\"yes\"}", 0, "\"stdin\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"supervise\":\"none\"}", 0, "unknown value \"none\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"supervise\":true}", 0, "\"supervise\""},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"supervise\":\"Trace\"}", 0, "unknown value"},
        {VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"supervise\":\"tracetracetracetrace\"}", 0,
         "\"supervise\""},
        {VGL_MSG_EXEC_STARTED, 1, "{\"pid\":0}", 0, "\"pid\""},
        {VGL_MSG_EXEC_STARTED, 0, "{\"pid\":1}", 0, "stream 0"},
        {VGL_MSG_EXEC_EXIT, 1, "{\"code\":0}", 0, "missing field \"status\""},
        {VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"exited\"}", 0, "missing field \"code\""},
        {VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"bogus\",\"code\":0}", 0, "unknown value"},
        {VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"exited\",\"code\":256}", 0, "invalid for status"},
        {VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"signaled\",\"code\":0}", 0, "invalid for status"},
        {VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"failed\",\"code\":2147483648}", 0, "not in"},
        {VGL_MSG_SIGNAL, 1, "{\"signal\":0}", 0, "\"signal\""},
        {VGL_MSG_SIGNAL, 1, "{\"signal\":65}", 0, "\"signal\""},
        /* files */
        {VGL_MSG_FILE_PUT, 1, "{\"size\":1}", 0, "missing field \"path\""},
        {VGL_MSG_FILE_PUT, 1, "{\"path\":\"/a\"}", 0, "missing field \"size\""},
        {VGL_MSG_FILE_PUT, 1, "{\"path\":\"/tmp/./x\",\"size\":1}", 0, "\".\" component"},
        {VGL_MSG_FILE_PUT, 1, "{\"path\":\"/a\",\"size\":1,\"mode\":4096}", 0, "\"mode\""},
        {VGL_MSG_FILE_PUT, 1, "{\"path\":\"/a\",\"size\":-5}", 0, "\"size\""},
        {VGL_MSG_FILE_GET, 1, "{\"path\":\"\"}", 0, "\"path\": empty"},
        {VGL_MSG_FILE_GET, 1, "{\"path\":[\"/a\"]}", 0, "expected a string"},
        {VGL_MSG_FILE_GET, 0, "{\"path\":\"/a\"}", 0, "stream 0"},
        {VGL_MSG_FILE_RESULT, 1, "{\"size\":1}", 0, "missing field \"ok\""},
        {VGL_MSG_SHUTDOWN, 0, "{\"action\":\"halt\"}", 0, "\"poweroff\" or \"reboot\""},
        {VGL_MSG_SHUTDOWN, 0, "{}", 0, "missing field \"action\""},
        {VGL_MSG_POLICY_ACK, 0, "{\"generation\":-1}", 0, "\"generation\""},
};

static void test_bad_payloads(void **state)
{
        for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                const struct bad_case *c = &bad_cases[i];
                size_t len = c->len ? c->len : strlen(c->json);
                struct vgl_frame f = json_frame(c->type, c->stream, c->json, len);
                struct vgl_error err = {0};
                int r = parse_any(&f, &err);
                if (r != -EBADMSG || !strstr(err.msg, c->want) ||
                    strncmp(err.msg, vgl_msg_type_name(c->type),
                            strlen(vgl_msg_type_name(c->type))) != 0) {
                        print_error("case %zu (%s): r=%d msg=\"%s\", want \"%s\"\n", i, c->json, r,
                                    err.msg, c->want);
                        fail();
                }
                assert_int_equal(err.code, EBADMSG);
        }
}

/* Huge arrays and over-long strings, built at run time. */
static void test_bad_sizes(void **state)
{
        struct vgl_buf j;
        struct vgl_error err;
        struct vgl_exec_request x = {0};

        vgl_buf_init(&j, 0);
        assert_int_equal(vgl_buf_append(&j, "{\"argv\":[", 9), 0);
        for (int i = 0; i <= VGL_MAX_ARGS; i++)
                assert_int_equal(vgl_buf_append(&j, i ? ",\"a\"" : "\"a\"", i ? 4 : 3), 0);
        assert_int_equal(vgl_buf_append(&j, "]}", 2), 0);
        struct vgl_frame f = json_frame(VGL_MSG_EXEC, 1, (const char *)j.data, j.len);
        assert_int_equal(vgl_msg_exec_parse(&f, &x, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "more than 256 elements"));
        assert_null(x.argv);

        j.len = 0;
        assert_int_equal(vgl_buf_append(&j, "{\"argv\":[\"", 10), 0);
        for (int i = 0; i <= VGL_MAX_ARG_LEN; i++)
                assert_int_equal(vgl_buf_append(&j, "a", 1), 0);
        assert_int_equal(vgl_buf_append(&j, "\"]}", 3), 0);
        f = json_frame(VGL_MSG_EXEC, 1, (const char *)j.data, j.len);
        assert_int_equal(vgl_msg_exec_parse(&f, &x, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "longer than 4096 bytes"));

        /* An error in a late argv element frees the earlier ones (ASan/valgrind). */
        j.len = 0;
        static const char late[] = "{\"argv\":[\"a\",\"b\",\"c\",7]}";
        f = json_frame(VGL_MSG_EXEC, 1, late, strlen(late));
        assert_int_equal(vgl_msg_exec_parse(&f, &x, &err), -EBADMSG);
        assert_null(x.argv);
        vgl_buf_free(&j);
}

/* A failed parse leaves the output untouched; a wrong frame type is refused. */
static void test_untouched_and_wrong_type(void **state)
{
        struct vgl_hello h;
        struct vgl_error err;
        static const char ok[] = "{" HELLO_OK "}";

        memset(&h, 0x5a, sizeof(h));
        struct vgl_frame f = json_frame(VGL_MSG_HELLO, 0, "{\"proto_version\":1}", 19);
        assert_int_equal(vgl_msg_hello_parse(&f, &h, &err), -EBADMSG);
        for (size_t i = 0; i < sizeof(h); i++)
                assert_int_equal(((uint8_t *)&h)[i], 0x5a);

        f = json_frame(VGL_MSG_EXEC, 1, ok, strlen(ok));
        assert_int_equal(vgl_msg_hello_parse(&f, &h, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "hello: frame is of type exec"));
        f = json_frame(VGL_MSG_FILE_DATA, 1, ok, strlen(ok));
        struct vgl_file_request q;
        assert_int_equal(vgl_msg_file_request_parse(&f, &q, NULL), -EBADMSG);
}

static void test_json_helpers(void **state)
{
        struct json_object *o = NULL;
        struct vgl_error err;
        static const char js[] = "{\"s\":\"x\",\"n\":5,\"big\":9223372036854775807}";
        struct vgl_frame f = json_frame(VGL_MSG_POLICY, 0, js, strlen(js));
        uint64_t u = 1;
        int64_t i = 1;
        char s[4];

        assert_int_equal(vgl_msg_parse_json(&f, &o, &err), 0);
        assert_int_equal(vgl_json_get_u64(o, "absent", false, 10, &u, &err), 0);
        assert_int_equal(u, 1);
        assert_int_equal(vgl_json_get_u64(o, "n", false, 10, &u, &err), 1);
        assert_int_equal(u, 5);
        assert_int_equal(vgl_json_get_u64(o, "n", false, 4, &u, &err), -EBADMSG);
        assert_int_equal(vgl_json_get_u64(o, "big", true, UINT64_MAX, &u, &err), 1);
        assert_int_equal(u, INT64_MAX);
        assert_int_equal(vgl_json_get_i64(o, "s", true, 0, 1, &i, &err), -EBADMSG);
        assert_int_equal(vgl_json_get_string(o, "s", true, 0, s, sizeof(s), &err), 1);
        assert_string_equal(s, "x");
        assert_int_equal(vgl_json_get_string(o, "n", true, 0, s, sizeof(s), &err), -EBADMSG);
        json_object_put(o);

        /* json-c turns escaped lone surrogates into U+FFFD: harmless, accepted. */
        static const char sur[] = "{\"code\":\"x\",\"message\":\"\\ud800\"}";
        struct vgl_error_msg em;
        f = json_frame(VGL_MSG_ERROR, 0, sur, strlen(sur));
        assert_int_equal(vgl_msg_error_parse(&f, &em, &err), 0);
        assert_string_equal(em.message, "\xef\xbf\xbd");

        assert_true(vgl_utf8_valid("", 0));
        assert_true(vgl_utf8_valid("\xf0\x9f\x98\x80", 4));
        assert_false(vgl_utf8_valid("\xf0\x9f\x98", 3));
        assert_false(vgl_utf8_valid("\xf4\x90\x80\x80", 4));
        assert_false(vgl_utf8_valid("\xe0\x80\xaf", 3));
        assert_false(vgl_utf8_valid("\x80", 1));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hello_round_trip),
                cmocka_unit_test(test_hello_ack_round_trip),
                cmocka_unit_test(test_negotiate),
                cmocka_unit_test(test_error_round_trip),
                cmocka_unit_test(test_exec_round_trip),
                cmocka_unit_test(test_exec_supervise),
                cmocka_unit_test(test_exec_append_rejects),
                cmocka_unit_test(test_exec_started_signal_shutdown),
                cmocka_unit_test(test_exec_exit_round_trip),
                cmocka_unit_test(test_file_round_trip),
                cmocka_unit_test(test_path_validate),
                cmocka_unit_test(test_bad_payloads),
                cmocka_unit_test(test_bad_sizes),
                cmocka_unit_test(test_untouched_and_wrong_type),
                cmocka_unit_test(test_json_helpers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
