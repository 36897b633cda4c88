/* Writes the committed seed corpus and its expectations.
 *
 *   gen-corpus OUT_DIR EXPECT_FILE
 *
 * OUT_DIR/frame/ holds inputs of fuzz-frame (byte 0: chunking, see
 * fuzz-common.h; then a byte stream), OUT_DIR/msg/ inputs of fuzz-msg (byte 0:
 * type, byte 1: stream, then a payload). EXPECT_FILE gets one line per seed
 * with what the decoder and parsers must make of it; test-proto-corpus checks
 * those lines. Rerun after a protocol change:
 *   build/tests/fuzz/gen-corpus tests/fuzz/corpus tests/fuzz/corpus.expect */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto-msg.h"

static const char *out_dir;
static FILE *expect;

static void die(const char *what)
{
        fprintf(stderr, "gen-corpus: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void write_file(const char *sub, const char *name, const void *p, size_t n)
{
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
        FILE *f = fopen(path, "wbe");
        if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
                die(path);
}

/* A frame-harness seed: chunking byte + stream, with its expectation. */
static void frame_seed(const char *name, uint8_t chunking, const struct vgl_buf *b,
                       const char *expectation)
{
        uint8_t *p = malloc(b->len + 1);
        if (!p)
                die("malloc");
        p[0] = chunking;
        memcpy(p + 1, b->data, b->len);
        write_file("frame", name, p, b->len + 1);
        free(p);
        fprintf(expect, "frame/%s %s\n", name, expectation);
}

static void msg_seed(const char *name, uint8_t type, uint8_t stream, const char *json, size_t len,
                     bool ok)
{
        uint8_t p[2 + 8192];
        if (len > sizeof(p) - 2)
                die("seed too large");
        p[0] = type;
        p[1] = stream;
        memcpy(p + 2, json, len);
        write_file("msg", name, p, len + 2);
        fprintf(expect, "msg/%s %s\n", name, ok ? "ok" : "fail");
}

#define CHECK(x)                                                                                   \
        do {                                                                                       \
                if ((x) < 0)                                                                       \
                        die(#x);                                                                   \
        } while (0)

/* One valid frame of every type, appended to b. */
static void all_types(struct vgl_buf *b)
{
        struct vgl_hello h = {.proto_version = 1,
                              .proto_min = 1,
                              .agent_version = "0.1.0",
                              .kernel = "6.1.0-28-amd64",
                              .machine = "x86_64",
                              .hostname = "vigil",
                              .uptime_ms = 1834,
                              .init_mode = true,
                              .caps = VGL_CAP_EXEC | VGL_CAP_FILES | VGL_CAP_RESOURCES};
        struct vgl_hello_ack a = {.proto_version = 1,
                                  .host_version = "0.1.0",
                                  .heartbeat_ms = 1000,
                                  .sample_ms = 1000};
        struct vgl_heartbeat hb = {.seq = 1, .uptime_ms = 2000, .telemetry_sent = 2};
        struct vgl_resource_sample s = {.time_ms = 2000, .mem_total_kb = 131072, .ncpus = 1};
        uint8_t hbw[VGL_HEARTBEAT_SIZE], rec[2 * VGL_RESOURCE_SAMPLE_SIZE];
        char *argv[] = {"uname", "-r", NULL}, *env[] = {"PATH=/bin", NULL};
        struct vgl_exec_request x = {.argv = argv,
                                     .env = env,
                                     .cwd = "/",
                                     .uid = 0,
                                     .gid = 0,
                                     .timeout_ms = 1000,
                                     .stdin_pipe = true};
        struct vgl_exec_exit xe = {
                .status = VGL_EXIT_EXITED, .code = 0, .duration_ms = 3, .stdout_bytes = 15};
        struct vgl_file_result fr = {.ok = true, .size = 5, .mode = 0644};
        static const char policy[] = "{\"generation\":1,\"rules\":[]}";

        vgl_heartbeat_encode(&hb, hbw);
        vgl_resource_sample_encode(&s, rec);
        vgl_resource_sample_encode(&s, rec + VGL_RESOURCE_SAMPLE_SIZE);
        CHECK(vgl_msg_hello_append(b, &h));
        CHECK(vgl_msg_hello_ack_append(b, &a));
        CHECK(vgl_msg_error_append(b, 0, "bad-request", VGL_MSG_EXEC, "no such stream"));
        CHECK(vgl_frame_append(b, VGL_MSG_HEARTBEAT, 0, hbw, sizeof(hbw)));
        CHECK(vgl_telemetry_frame_append(b, VGL_REC_RESOURCE, VGL_RESOURCE_SAMPLE_SIZE, rec, 2));
        CHECK(vgl_msg_shutdown_append(b, false));
        CHECK(vgl_frame_append(b, VGL_MSG_POLICY, 0, policy, strlen(policy)));
        CHECK(vgl_msg_policy_ack_append(b, 1));
        CHECK(vgl_msg_exec_append(b, 1, &x));
        CHECK(vgl_msg_exec_started_append(b, 1, 77));
        CHECK(vgl_frame_append(b, VGL_MSG_STDIN, 1, "input", 5));
        CHECK(vgl_frame_append(b, VGL_MSG_STDOUT, 1, "6.1.0-28-amd64\n", 15));
        CHECK(vgl_frame_append(b, VGL_MSG_STDERR, 1, NULL, 0));
        CHECK(vgl_msg_exec_exit_append(b, 1, &xe));
        CHECK(vgl_msg_signal_append(b, 1, 15));
        CHECK(vgl_msg_file_put_append(b, 2, "/tmp/in.txt", 5, 0644));
        CHECK(vgl_msg_file_get_append(b, 3, "/tmp/out.txt", 1 << 20));
        CHECK(vgl_frame_append(b, VGL_MSG_FILE_DATA, 2, "hello", 5));
        CHECK(vgl_msg_file_result_append(b, 2, &fr));
}
#define ALL_TYPES_FRAMES 19

/* Each frame of all_types() as its own seed. */
static void single_frames(void)
{
        struct vgl_buf all, one;
        char name[64];

        vgl_buf_init(&all, 0);
        vgl_buf_init(&one, 0);
        all_types(&all);
        for (size_t pos = 0; pos < all.len;) {
                size_t n = VGL_FRAME_HEADER_SIZE + vgl_get_le32(all.data + pos + 12);
                one.len = 0;
                CHECK(vgl_buf_append(&one, all.data + pos, n));
                snprintf(name, sizeof(name), "valid-%s", vgl_msg_type_name(all.data[pos + 5]));
                frame_seed(name, 0, &one, "frames=1 ok=1 fail=0 errors=-");
                pos += n;
        }
        vgl_buf_free(&all);
        vgl_buf_free(&one);
}

static void stream_seeds(void)
{
        struct vgl_buf b;
        char expectation[64];

        vgl_buf_init(&b, 0);
        all_types(&b);
        snprintf(expectation, sizeof(expectation), "frames=%d ok=%d fail=0 errors=-",
                 ALL_TYPES_FRAMES, ALL_TYPES_FRAMES);
        frame_seed("stream-all-types", 0, &b, expectation);
        /* Same stream, fed in small chunks with stops (byte 0 = 7). */
        frame_seed("stream-all-types-chunked", 7, &b, expectation);
        frame_seed("stream-all-types-chunked-2", 2, &b, expectation);
        vgl_buf_free(&b);
}

/* A malformed prefix, then a valid stdout frame. */
static void bad_then_good(const char *name, const void *bad, size_t n, const char *expectation)
{
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        CHECK(vgl_buf_append(&b, bad, n));
        CHECK(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, "ok", 2));
        frame_seed(name, 0, &b, expectation);
        vgl_buf_free(&b);
}

static void header(uint8_t *h, uint8_t version, uint8_t type, uint16_t flags, uint32_t length)
{
        vgl_put_le32(h, VGL_FRAME_MAGIC);
        h[4] = version;
        h[5] = type;
        vgl_put_le16(h + 6, flags);
        vgl_put_le32(h + 8, 1);
        vgl_put_le32(h + 12, length);
}

static void malformed_stream_seeds(void)
{
        uint8_t h[16 + 8] = {0};
        struct vgl_buf b;

        bad_then_good("garbage-before", "garbage!", 8, "frames=1 ok=1 fail=0 errors=garbage");
        bad_then_good("garbage-partial-magics", "VIGVIVxVVIGx", 12,
                      "frames=1 ok=1 fail=0 errors=garbage");
        header(h, 1, VGL_MSG_STDOUT, 0, VGL_FRAME_MAX_PAYLOAD + 1);
        bad_then_good("oversize", h, 16, "frames=1 ok=1 fail=0 errors=oversize");
        header(h, 1, VGL_MSG_STDOUT, 0, 0xffffffffu);
        bad_then_good("oversize-max", h, 16, "frames=1 ok=1 fail=0 errors=oversize");
        header(h, 2, VGL_MSG_STDOUT, 0, 8);
        bad_then_good("bad-version", h, 24, "frames=1 ok=1 fail=0 errors=bad-version");
        header(h, 0x7a, VGL_MSG_STDOUT, 0, 0x7a7a7a7a);
        bad_then_good("bad-version-resync", h, 16, "frames=1 ok=1 fail=0 errors=bad-version");
        header(h, 1, VGL_MSG_STDOUT, 0x0100, 8);
        bad_then_good("bad-flags", h, 24, "frames=1 ok=1 fail=0 errors=bad-flags");
        header(h, 1, 99, 0, 8);
        bad_then_good("unknown-type", h, 24, "frames=1 ok=1 fail=0 errors=unknown-type");
        header(h, 1, 0, 0, 0);
        bad_then_good("unknown-type-zero", h, 16, "frames=1 ok=1 fail=0 errors=unknown-type");

        vgl_buf_init(&b, 0);
        CHECK(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, "0123456789", 10));
        b.len = 10;
        frame_seed("truncated-header", 0, &b, "frames=0 ok=0 fail=0 errors=truncated");
        b.len = 20;
        frame_seed("truncated-payload", 0, &b, "frames=0 ok=0 fail=0 errors=truncated");
        b.len = 0;
        CHECK(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, "a", 1));
        CHECK(vgl_buf_append(&b, "zz", 2));
        CHECK(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, "b", 1));
        header(h, 1, 200, 0, 100);
        CHECK(vgl_buf_append(&b, h, 20));
        frame_seed("mixed-garbage-truncated-skip", 0, &b,
                   "frames=2 ok=2 fail=0 errors=garbage,truncated");
        vgl_buf_free(&b);
}

/* Frames that decode but whose payload the typed parser must reject. */
static void bad_payload_frame(const char *name, uint8_t type, uint32_t stream, const void *p,
                              size_t n)
{
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        CHECK(vgl_frame_append(&b, type, stream, p, n));
        frame_seed(name, 0, &b, "frames=1 ok=0 fail=1 errors=-");
        vgl_buf_free(&b);
}

static void bad_payload_seeds(void)
{
        uint8_t t[8 + 2 * 128] = {0};
        static const char hello_bad[] = "{\"proto_version\":1";

        vgl_put_le16(t, VGL_REC_RESOURCE);
        vgl_put_le16(t + 2, 128);
        vgl_put_le32(t + 4, 3);
        bad_payload_frame("telemetry-bad-count", VGL_MSG_TELEMETRY, 0, t, sizeof(t));
        vgl_put_le16(t + 2, 64);
        vgl_put_le32(t + 4, 4);
        bad_payload_frame("telemetry-small-record", VGL_MSG_TELEMETRY, 0, t, sizeof(t));
        vgl_put_le16(t + 2, 0xffff);
        vgl_put_le32(t + 4, 0xffffffffu);
        bad_payload_frame("telemetry-huge-count", VGL_MSG_TELEMETRY, 0, t, sizeof(t));
        bad_payload_frame("telemetry-short", VGL_MSG_TELEMETRY, 0, t, 5);
        bad_payload_frame("heartbeat-short", VGL_MSG_HEARTBEAT, 0, t, 39);
        bad_payload_frame("hello-truncated-json", VGL_MSG_HELLO, 0, hello_bad, strlen(hello_bad));
        bad_payload_frame("exec-empty-payload", VGL_MSG_EXEC, 1, NULL, 0);
}

struct msg_case {
        const char *name;
        uint8_t type, stream;
        const char *json;
        bool ok;
};

static const struct msg_case msg_cases[] = {
        {"hello", VGL_MSG_HELLO, 0,
         "{\"proto_version\":1,\"proto_min\":1,\"agent_version\":\"0.1.0\",\"kernel\":\"6.1.0\","
         "\"machine\":\"x86_64\",\"hostname\":\"vigil\",\"uptime_ms\":1834,\"init\":true,"
         "\"caps\":[\"exec\",\"files\",\"resources\",\"cgroup2\",\"seccomp-notify\",\"policy\"]}",
         true},
        {"hello-newer", VGL_MSG_HELLO, 0,
         "{\"proto_version\":3,\"proto_min\":2,\"agent_version\":\"9.0\",\"extra\":{\"a\":[1]}}",
         true},
        {"hello-ack", VGL_MSG_HELLO_ACK, 0,
         "{\"proto_version\":1,\"host_version\":\"0.1.0\",\"heartbeat_ms\":1000,\"sample_ms\":"
         "1000}",
         true},
        {"error", VGL_MSG_ERROR, 3,
         "{\"code\":\"version-mismatch\",\"message\":\"peer speaks 2..3\",\"ref_type\":1}", true},
        {"shutdown", VGL_MSG_SHUTDOWN, 0, "{\"action\":\"reboot\"}", true},
        {"policy-ack", VGL_MSG_POLICY_ACK, 0, "{\"generation\":12}", true},
        {"policy", VGL_MSG_POLICY, 0, "{\"generation\":12,\"rules\":[{\"a\":\"b\"}]}", true},
        {"policy-full", VGL_MSG_POLICY, 0,
         "{\"generation\":7,\"mode\":\"trace\",\"uid\":1000,\"limits\":{\"pids_max\":64},"
         "\"egress\":[{\"cidr\":\"10.0.0.0/8\",\"ports\":\"443\"},{\"cidr\":\"::1\"}],"
         "\"writable\":[\"/tmp\"],\"exec\":[\"/usr/bin\"],"
         "\"sensitive\":[{\"pattern\":\"/etc/shadow\",\"action\":\"deny\"}],"
         "\"privileged\":[\"ptrace\"]}",
         true},
        {"bad-policy-cidr", VGL_MSG_POLICY, 0,
         "{\"generation\":7,\"egress\":[{\"cidr\":\"10.0.0.1/8\"}]}", false},
        {"bad-policy-path", VGL_MSG_POLICY, 0, "{\"generation\":7,\"writable\":[\"/a/../b\"]}",
         false},
        {"exec", VGL_MSG_EXEC, 1,
         "{\"argv\":[\"sh\",\"-c\",\"echo hi\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/tmp\","
         "\"uid\":1000,\"gid\":-1,\"timeout_ms\":5000,\"stdin\":true}",
         true},
        {"exec-supervise", VGL_MSG_EXEC, 1,
         "{\"argv\":[\"make\",\"test\"],\"cwd\":\"/tmp\",\"supervise\":\"trace\"}", true},
        {"bad-exec-supervise", VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"supervise\":\"none\"}", false},
        {"exec-started", VGL_MSG_EXEC_STARTED, 1, "{\"pid\":123}", true},
        {"exec-exit", VGL_MSG_EXEC_EXIT, 1,
         "{\"status\":\"signaled\",\"code\":9,\"duration_ms\":12,\"stdout_bytes\":6,"
         "\"stderr_bytes\":0,\"error\":\"\"}",
         true},
        {"signal", VGL_MSG_SIGNAL, 1, "{\"signal\":15}", true},
        {"file-put", VGL_MSG_FILE_PUT, 2, "{\"path\":\"/tmp/x\",\"size\":1024,\"mode\":420}", true},
        {"file-get", VGL_MSG_FILE_GET, 2, "{\"path\":\"/tmp/x\",\"max_size\":1048576}", true},
        {"file-result", VGL_MSG_FILE_RESULT, 2,
         "{\"ok\":false,\"size\":0,\"mode\":0,\"error\":\"open: No such file\"}", true},
        {"bad-not-object", VGL_MSG_HELLO, 0, "[1,2,3]", false},
        {"bad-trailing", VGL_MSG_SIGNAL, 1, "{\"signal\":15}}", false},
        {"bad-truncated", VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"", false},
        {"bad-missing-field", VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"exited\"}", false},
        {"bad-wrong-type", VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"uid\":\"root\"}", false},
        {"bad-float", VGL_MSG_SIGNAL, 1, "{\"signal\":15.5}", false},
        {"bad-big-number", VGL_MSG_FILE_PUT, 2,
         "{\"path\":\"/a\",\"size\":123456789012345678901234567890}", false},
        {"bad-nul-in-string", VGL_MSG_FILE_GET, 2, "{\"path\":\"/tmp/a\\u0000b\"}", false},
        /* json-c replaces an escaped lone surrogate with U+FFFD; raw surrogate bytes fail. */
        {"surrogate-escaped", VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"message\":\"\\udc00\"}", true},
        {"bad-surrogate-raw", VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"message\":\"\xed\xb0\x80\"}",
         false},
        {"bad-invalid-utf8", VGL_MSG_ERROR, 0, "{\"code\":\"x\",\"message\":\"\xc3\x28\"}", false},
        {"bad-path-dotdot", VGL_MSG_FILE_PUT, 2, "{\"path\":\"/tmp/../etc/passwd\",\"size\":1}",
         false},
        {"bad-path-relative", VGL_MSG_EXEC, 1, "{\"argv\":[\"a\"],\"cwd\":\"tmp\"}", false},
        {"bad-stream-zero", VGL_MSG_EXEC, 0, "{\"argv\":[\"a\"]}", false},
        {"bad-deep", VGL_MSG_POLICY, 0, "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]}",
         false},
        {"bad-status", VGL_MSG_EXEC_EXIT, 1, "{\"status\":\"vanished\",\"code\":0}", false},
        {"bad-shutdown", VGL_MSG_SHUTDOWN, 0, "{\"action\":\"halt\"}", false},
        {"bad-proto-range", VGL_MSG_HELLO, 0,
         "{\"proto_version\":1,\"proto_min\":2,\"agent_version\":\"a\"}", false},
        {"bad-empty", VGL_MSG_HELLO_ACK, 0, "", false},
};

static void msg_seeds(void)
{
        char big[8192];
        size_t n = 0;

        for (size_t i = 0; i < sizeof(msg_cases) / sizeof(msg_cases[0]); i++) {
                const struct msg_case *c = &msg_cases[i];
                msg_seed(c->name, c->type, c->stream, c->json, strlen(c->json), c->ok);
        }
        /* 257 arguments: one over the limit. */
        n = (size_t)snprintf(big, sizeof(big), "{\"argv\":[\"a\"");
        for (int i = 1; i <= VGL_MAX_ARGS; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, ",\"%d\"", i);
        n += (size_t)snprintf(big + n, sizeof(big) - n, "]}");
        msg_seed("bad-too-many-args", VGL_MSG_EXEC, 1, big, n, false);
        msg_seed("bad-nul-after-object", VGL_MSG_SIGNAL, 1, "{\"signal\":1}\0", 13, false);
}

int main(int argc, char **argv)
{
        char path[4096];

        if (argc != 3) {
                fprintf(stderr, "usage: %s OUT_DIR EXPECT_FILE\n", argv[0]);
                return 2;
        }
        out_dir = argv[1];
        for (int i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/%s", out_dir, i ? "msg" : "frame");
                if (mkdir(out_dir, 0755) < 0 && errno != EEXIST)
                        die(out_dir);
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        die(path);
        }
        expect = fopen(argv[2], "we");
        if (!expect)
                die(argv[2]);
        fprintf(expect, "# Written by gen-corpus.c: what each seed must decode/parse to.\n");
        single_frames();
        stream_seeds();
        malformed_stream_seeds();
        bad_payload_seeds();
        msg_seeds();
        if (fclose(expect) != 0)
                die(argv[2]);
        return 0;
}
