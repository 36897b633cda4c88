/* Unit tests of the agent session over a fake byte pipe: the test plays the
 * guest, encoding frames with the common codec and decoding what the host
 * session queues. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent-priv.h"
#include "agent.h"
#include "proto-msg.h"

#define MAX_SEEN 256

struct seen_frame {
        uint8_t type;
        uint32_t stream;
        uint32_t length;
        uint8_t payload[VGL_FRAME_MAX_PAYLOAD];
};

/* What the host side did, as seen by the fake guest. */
struct fx {
        struct vgl_agent *a;
        int hellos, heartbeats, resources, closed, hook_calls;
        int proto_errors, last_proto_code;
        char last_proto_msg[VGL_ERROR_MSG_MAX];
        struct vgl_resource_sample last_sample;
        /* exec */
        int started, exits;
        int64_t pid;
        struct vgl_buf out, err;
        int out_eof, err_eof;
        struct vgl_exec_exit exit;
        /* files */
        int dones;
        struct vgl_file_result result;
        struct vgl_buf got;
        /* frames the host sent */
        struct seen_frame *frames;
        size_t nframes;
        int host_decode_errors;
};

static void on_hello(struct vgl_agent *a, const struct vgl_hello *h, uint32_t v, void *u)
{
        ((struct fx *)u)->hellos++;
}
static void on_heartbeat(struct vgl_agent *a, const struct vgl_heartbeat *hb, void *u)
{
        ((struct fx *)u)->heartbeats++;
}
static void on_resource(struct vgl_agent *a, const struct vgl_resource_sample *s, void *u)
{
        struct fx *f = u;
        f->resources++;
        f->last_sample = *s;
}
static void on_proto(struct vgl_agent *a, const struct vgl_error *e, void *u)
{
        struct fx *f = u;
        f->proto_errors++;
        f->last_proto_code = e->code;
        snprintf(f->last_proto_msg, sizeof(f->last_proto_msg), "%s", e->msg);
}
static void on_closed(struct vgl_agent *a, const struct vgl_error *why, void *u)
{
        ((struct fx *)u)->closed++;
}
static void hook(void *u)
{
        ((struct fx *)u)->hook_calls++;
}

static const struct vgl_agent_callbacks cbs = {
        .on_hello = on_hello,
        .on_heartbeat = on_heartbeat,
        .on_resource = on_resource,
        .on_protocol_error = on_proto,
        .on_closed = on_closed,
};

static void ex_started(struct vgl_agent *a, uint32_t id, int64_t pid, void *u)
{
        struct fx *f = u;
        f->started++;
        f->pid = pid;
}
static void ex_output(struct vgl_agent *a, uint32_t id, int fd, const uint8_t *p, size_t n, void *u)
{
        struct fx *f = u;
        if (n == 0)
                *(fd == 1 ? &f->out_eof : &f->err_eof) += 1;
        else
                assert_int_equal(vgl_buf_append(fd == 1 ? &f->out : &f->err, p, n), 0);
}
static void ex_exit(struct vgl_agent *a, uint32_t id, const struct vgl_exec_exit *x, void *u)
{
        struct fx *f = u;
        f->exits++;
        f->exit = *x;
}
static const struct vgl_exec_callbacks ecbs = {ex_started, ex_output, ex_exit};

static void file_done(struct vgl_agent *a, uint32_t id, const struct vgl_file_result *r,
                      const uint8_t *p, size_t n, void *u)
{
        struct fx *f = u;
        f->dones++;
        f->result = *r;
        if (n)
                assert_int_equal(vgl_buf_append(&f->got, p, n), 0);
}

static int collect(const struct vgl_frame *fr, void *u)
{
        struct fx *f = u;
        struct seen_frame *s;

        assert_true(f->nframes < MAX_SEEN);
        s = &f->frames[f->nframes++];
        s->type = fr->type;
        s->stream = fr->stream;
        s->length = fr->length;
        memcpy(s->payload, fr->payload, fr->length);
        return 0;
}
static void collect_error(const struct vgl_decode_report *r, void *u)
{
        ((struct fx *)u)->host_decode_errors++;
}

/* Drains everything the host queued into f->frames, in small odd-sized writes. */
static void drain(struct fx *f)
{
        struct vgl_decoder *d = NULL;
        const uint8_t *p;
        size_t n;

        assert_int_equal(vgl_decoder_new(collect, collect_error, f, &d), 0);
        f->nframes = 0;
        while ((n = vgl_agent_output_peek(f->a, &p)) > 0) {
                size_t k = n < 4099 ? n : 4099;
                vgl_decoder_feed(d, p, k);
                vgl_agent_output_consume(f->a, k);
        }
        vgl_decoder_free(d);
        assert_int_equal(f->host_decode_errors, 0);
}

/* Feeds b to the host in chunks of `step` bytes, then empties b. */
static void guest_send(struct fx *f, struct vgl_buf *b, size_t step)
{
        for (size_t off = 0; off < b->len; off += step)
                vgl_agent_feed(f->a, b->data + off, b->len - off < step ? b->len - off : step);
        b->len = 0;
}

static void send_hello(struct fx *f, uint32_t min, uint32_t max)
{
        struct vgl_hello h = {.proto_version = max,
                              .proto_min = min,
                              .uptime_ms = 5,
                              .init_mode = true,
                              .caps = VGL_CAP_EXEC | VGL_CAP_FILES};
        struct vgl_buf b;

        snprintf(h.agent_version, sizeof(h.agent_version), "0.1.0");
        snprintf(h.kernel, sizeof(h.kernel), "6.1.0-test");
        snprintf(h.machine, sizeof(h.machine), "x86_64");
        snprintf(h.hostname, sizeof(h.hostname), "vigil");
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_hello_append(&b, &h), 0);
        guest_send(f, &b, 3);
        vgl_buf_free(&b);
}

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));

        f->frames = calloc(MAX_SEEN, sizeof(*f->frames));
        vgl_buf_init(&f->out, 0);
        vgl_buf_init(&f->err, 0);
        vgl_buf_init(&f->got, 0);
        assert_int_equal(vgl_agent_new(&cbs, f, &f->a), 0);
        vgl_agent_set_output_hook(f->a, hook, f);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;

        vgl_agent_free(f->a);
        vgl_buf_free(&f->out);
        vgl_buf_free(&f->err);
        vgl_buf_free(&f->got);
        free(f->frames);
        free(f);
        return 0;
}

/* Setup plus a completed handshake. */
static int setup_ready(void **state)
{
        struct fx *f;

        setup(state);
        f = *state;
        send_hello(f, 1, VGL_PROTO_VERSION);
        assert_true(vgl_agent_ready(f->a));
        drain(f);
        return 0;
}

static void test_handshake(void **state)
{
        struct fx *f = *state;
        struct vgl_hello_ack ack;
        struct vgl_frame fr;
        struct vgl_error e = {};

        assert_false(vgl_agent_ready(f->a));
        assert_null(vgl_agent_hello(f->a));
        send_hello(f, 1, VGL_PROTO_VERSION);
        assert_int_equal(f->hellos, 1);
        assert_true(vgl_agent_ready(f->a));
        assert_string_equal(vgl_agent_hello(f->a)->kernel, "6.1.0-test");
        assert_int_equal(f->hook_calls, 1);
        drain(f);
        assert_int_equal(f->nframes, 1);
        assert_int_equal(f->frames[0].type, VGL_MSG_HELLO_ACK);
        fr = (struct vgl_frame){.version = 1,
                                .type = VGL_MSG_HELLO_ACK,
                                .length = f->frames[0].length,
                                .payload = f->frames[0].payload};
        assert_int_equal(vgl_msg_hello_ack_parse(&fr, &ack, &e), 0);
        assert_int_equal(ack.proto_version, VGL_PROTO_VERSION);
        /* a second hello is reported, not obeyed */
        send_hello(f, 1, VGL_PROTO_VERSION);
        assert_int_equal(f->hellos, 1);
        assert_int_equal(f->last_proto_code, EPROTO);
}

static void test_version_mismatch(void **state)
{
        struct fx *f = *state;
        struct vgl_error e = {};
        struct vgl_exec_request r = {.argv = (char *[]){"true", NULL}, .uid = -1, .gid = -1};
        uint32_t id;

        send_hello(f, VGL_PROTO_VERSION + 1, VGL_PROTO_VERSION + 5);
        assert_int_equal(f->hellos, 0);
        assert_int_equal(f->last_proto_code, EPROTONOSUPPORT);
        assert_false(vgl_agent_ready(f->a));
        drain(f);
        assert_int_equal(f->nframes, 1);
        assert_int_equal(f->frames[0].type, VGL_MSG_ERROR);
        assert_non_null(strstr((char *)f->frames[0].payload, "version-mismatch"));
        assert_int_equal(vgl_agent_exec(f->a, &r, &ecbs, f, &id, &e), -EPROTONOSUPPORT);
}

static void test_before_hello_and_garbage(void **state)
{
        struct fx *f = *state;
        struct vgl_heartbeat hb = {.seq = 1};
        uint8_t p[VGL_HEARTBEAT_SIZE];
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_heartbeat_encode(&hb, p);
        vgl_frame_append(&b, VGL_MSG_HEARTBEAT, 0, p, sizeof(p));
        guest_send(f, &b, 7);
        assert_int_equal(f->heartbeats, 0);
        assert_int_equal(f->last_proto_code, EPROTO);
        vgl_buf_append(&b, "this is not a frame at all, just noise", 38);
        guest_send(f, &b, 5);
        assert_int_equal(f->last_proto_code, EBADMSG);
        /* the session still works afterwards */
        send_hello(f, 1, VGL_PROTO_VERSION);
        assert_int_equal(f->hellos, 1);
        vgl_buf_free(&b);
}

static void test_heartbeat_and_telemetry(void **state)
{
        struct fx *f = *state;
        struct vgl_heartbeat hb = {.seq = 7, .uptime_ms = 1000};
        struct vgl_resource_sample s[3] = {};
        uint8_t rec[3][VGL_RESOURCE_SAMPLE_SIZE], p[VGL_HEARTBEAT_SIZE];
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_heartbeat_encode(&hb, p);
        vgl_frame_append(&b, VGL_MSG_HEARTBEAT, 0, p, sizeof(p));
        vgl_frame_append(&b, VGL_MSG_HEARTBEAT, 0, p, 3); /* wrong size */
        for (int i = 0; i < 3; i++) {
                s[i].mem_total_kb = 1000 + i;
                s[i].ncpus = 1;
                vgl_resource_sample_encode(&s[i], rec[i]);
        }
        vgl_telemetry_frame_append(&b, VGL_REC_RESOURCE, VGL_RESOURCE_SAMPLE_SIZE, &rec[0][0], 3);
        vgl_frame_append(&b, VGL_MSG_TELEMETRY, 0, "\x01\x00", 2); /* truncated batch */
        guest_send(f, &b, 1);
        assert_int_equal(f->heartbeats, 1);
        assert_int_equal(f->resources, 3);
        assert_int_equal(f->last_sample.mem_total_kb, 1002);
        assert_int_equal(f->proto_errors, 2);
        vgl_buf_free(&b);
}

static uint32_t start_exec(struct fx *f)
{
        char *argv[] = {"uname", "-r", NULL};
        struct vgl_exec_request r = {.argv = argv, .uid = -1, .gid = -1};
        struct vgl_exec_request parsed = {};
        struct vgl_error e = {};
        struct vgl_frame fr;
        uint32_t id = 0;

        assert_int_equal(vgl_agent_exec(f->a, &r, &ecbs, f, &id, &e), 0);
        assert_int_not_equal(id, 0);
        drain(f);
        assert_int_equal(f->nframes, 1);
        assert_int_equal(f->frames[0].type, VGL_MSG_EXEC);
        assert_int_equal(f->frames[0].stream, id);
        fr = (struct vgl_frame){.version = 1,
                                .type = VGL_MSG_EXEC,
                                .stream = id,
                                .length = f->frames[0].length,
                                .payload = f->frames[0].payload};
        assert_int_equal(vgl_msg_exec_parse(&fr, &parsed, &e), 0);
        assert_string_equal(parsed.argv[1], "-r");
        vgl_exec_request_done(&parsed);
        return id;
}

static void test_exec_flow(void **state)
{
        struct fx *f = *state;
        struct vgl_exec_exit x = {.status = VGL_EXIT_EXITED, .code = 3, .stdout_bytes = 11};
        uint32_t id = start_exec(f);
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_msg_exec_started_append(&b, id, 42);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id, "hello ", 6);
        vgl_frame_append(&b, VGL_MSG_STDERR, id, "oops", 4);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id, "world", 5);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id, NULL, 0);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id + 100, "stray", 5); /* unknown stream */
        vgl_msg_exec_exit_append(&b, id, &x);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id, "late", 4); /* after exit */
        guest_send(f, &b, 2);
        assert_int_equal(f->started, 1);
        assert_int_equal(f->pid, 42);
        assert_int_equal(f->out.len, 11);
        assert_memory_equal(f->out.data, "hello world", 11);
        assert_memory_equal(f->err.data, "oops", 4);
        assert_int_equal(f->out_eof, 1);
        assert_int_equal(f->exits, 1);
        assert_int_equal(f->exit.status, VGL_EXIT_EXITED);
        assert_int_equal(f->exit.code, 3);
        assert_int_equal(f->proto_errors, 2);
        assert_int_equal(f->last_proto_code, ENOENT);
        assert_null(vgl_agent_stream_find(f->a, id));
        vgl_buf_free(&b);
}

static void test_exec_error_and_eof(void **state)
{
        struct fx *f = *state;
        uint32_t id1 = start_exec(f), id2 = start_exec(f);
        struct vgl_buf b;

        assert_int_not_equal(id1, id2);
        vgl_buf_init(&b, 0);
        vgl_msg_error_append(&b, id1, "bad-request", VGL_MSG_EXEC, "nope");
        guest_send(f, &b, 64);
        assert_int_equal(f->exits, 1);
        assert_int_equal(f->exit.status, VGL_EXIT_FAILED);
        assert_non_null(strstr(f->exit.error, "nope"));
        /* a malformed exit fails the exec instead of leaving it hanging */
        vgl_frame_append(&b, VGL_MSG_EXEC_EXIT, id2, "{]", 2);
        guest_send(f, &b, 64);
        assert_int_equal(f->exits, 2);
        assert_int_equal(f->last_proto_code, EBADMSG);
        id1 = start_exec(f);
        vgl_agent_eof(f->a, NULL);
        assert_int_equal(f->exits, 3);
        assert_int_equal(f->exit.status, VGL_EXIT_FAILED);
        assert_int_equal(f->closed, 1);
        assert_false(vgl_agent_ready(f->a));
        vgl_buf_free(&b);
}

static void test_stream_table_full(void **state)
{
        struct fx *f = *state;
        char *argv[] = {"sleep", "1", NULL};
        struct vgl_exec_request r = {.argv = argv, .uid = -1, .gid = -1};
        struct vgl_error e = {};
        uint32_t id;

        for (int i = 0; i < VGL_AGENT_MAX_STREAMS; i++)
                assert_int_equal(vgl_agent_exec(f->a, &r, &ecbs, f, &id, &e), 0);
        assert_int_equal(vgl_agent_exec(f->a, &r, &ecbs, f, &id, &e), -EBUSY);
        assert_true(vgl_agent_output_pending(f->a) <= VGL_AGENT_QUEUE_MAX);
}

/* Plays the agent's side of a PUT: collects FILE_DATA for stream id. */
static size_t put_collect(struct fx *f, uint32_t id, struct vgl_buf *into, bool *ended)
{
        size_t frames = 0;

        drain(f);
        for (size_t i = 0; i < f->nframes; i++) {
                if (f->frames[i].type != VGL_MSG_FILE_DATA || f->frames[i].stream != id)
                        continue;
                frames++;
                if (f->frames[i].length == 0)
                        *ended = true;
                vgl_buf_append(into, f->frames[i].payload, f->frames[i].length);
        }
        return frames;
}

static void fill_pattern(uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t)(i * 7 + (i >> 9));
}

static void test_put_buffer(void **state)
{
        struct fx *f = *state;
        size_t n = 700 * 1024 + 13; /* more than the low-water mark: pumped in rounds */
        uint8_t *src = malloc(n);
        struct vgl_file_result res = {.ok = true, .size = n, .mode = 0640};
        struct vgl_error e = {};
        struct vgl_buf got, b;
        bool ended = false;
        uint32_t id;

        fill_pattern(src, n);
        vgl_buf_init(&got, 0);
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_agent_put_buffer(f->a, "/tmp/x", src, n, 0640, file_done, f, &id, &e),
                         0);
        assert_true(vgl_agent_output_pending(f->a) < n); /* not all queued at once */
        put_collect(f, id, &got, &ended);
        assert_true(ended);
        assert_int_equal(got.len, n);
        assert_memory_equal(got.data, src, n);
        vgl_msg_file_result_append(&b, id, &res);
        guest_send(f, &b, 9);
        assert_int_equal(f->dones, 1);
        assert_true(f->result.ok);
        /* a path the codec refuses never leaves the host */
        assert_int_equal(vgl_agent_put_buffer(f->a, "../etc", src, 1, 0600, file_done, f, &id, &e),
                         -EINVAL);
        vgl_buf_free(&got);
        vgl_buf_free(&b);
        free(src);
}

static void test_put_fd_size_mismatch(void **state)
{
        struct fx *f = *state;
        char path[] = "/tmp/vigil-test-put-XXXXXX";
        int fd = mkstemp(path);
        struct vgl_file_result res = {.ok = true, .size = 3};
        struct vgl_error e = {};
        struct vgl_buf got, b;
        bool ended = false;
        uint32_t id;

        assert_true(fd >= 0);
        unlink(path);
        assert_int_equal(write(fd, "0123456789", 10), 10);
        lseek(fd, 2, SEEK_SET);
        vgl_buf_init(&got, 0);
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_agent_put_fd(f->a, "/tmp/y", fd, 0600, file_done, f, &id, &e), 0);
        put_collect(f, id, &got, &ended);
        assert_true(ended);
        assert_int_equal(got.len, 8);
        assert_memory_equal(got.data, "23456789", 8);
        vgl_msg_file_result_append(&b, id, &res);
        guest_send(f, &b, 100);
        assert_int_equal(f->dones, 1);
        assert_false(f->result.ok);
        assert_non_null(strstr(f->result.error, "size mismatch"));
        vgl_buf_free(&got);
        vgl_buf_free(&b);
}

static uint32_t start_get(struct fx *f, uint64_t max)
{
        struct vgl_file_request req;
        struct vgl_error e = {};
        struct vgl_frame fr;
        uint32_t id;

        assert_int_equal(vgl_agent_get_buffer(f->a, "/etc/os-release", max, file_done, f, &id, &e),
                         0);
        drain(f);
        assert_int_equal(f->nframes, 1);
        fr = (struct vgl_frame){.version = 1,
                                .type = VGL_MSG_FILE_GET,
                                .stream = id,
                                .length = f->frames[0].length,
                                .payload = f->frames[0].payload};
        assert_int_equal(vgl_msg_file_request_parse(&fr, &req, &e), 0);
        assert_int_equal(req.size, max);
        return id;
}

static void test_get_buffer(void **state)
{
        struct fx *f = *state;
        uint32_t id = start_get(f, 100);
        struct vgl_file_result res = {.ok = true, .size = 9, .mode = 0644};
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "abcd", 4);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "efghi", 5);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, NULL, 0);
        vgl_msg_file_result_append(&b, id, &res);
        guest_send(f, &b, 3);
        assert_int_equal(f->dones, 1);
        assert_true(f->result.ok);
        assert_int_equal(f->got.len, 9);
        assert_memory_equal(f->got.data, "abcdefghi", 9);
        vgl_buf_free(&b);
}

static void test_get_over_limit(void **state)
{
        struct fx *f = *state;
        uint32_t id = start_get(f, 6);
        struct vgl_file_result res = {.ok = true, .size = 9};
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "abcd", 4);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "efghi", 5);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "more", 4);
        guest_send(f, &b, 50);
        assert_int_equal(f->dones, 1);
        assert_false(f->result.ok);
        assert_non_null(strstr(f->result.error, "more than"));
        assert_int_equal(f->got.len, 0);
        /* the rest of the transfer is absorbed quietly, then the stream is gone */
        vgl_msg_file_result_append(&b, id, &res);
        guest_send(f, &b, 50);
        assert_int_equal(f->dones, 1);
        assert_int_equal(f->proto_errors, 0);
        assert_null(vgl_agent_stream_find(f->a, id));
        vgl_buf_free(&b);
}

static void test_wrong_kind(void **state)
{
        struct fx *f = *state;
        uint32_t id = start_get(f, 10);
        struct vgl_buf b;

        vgl_buf_init(&b, 0);
        vgl_frame_append(&b, VGL_MSG_STDOUT, id, "x", 1);
        vgl_frame_append(&b, VGL_MSG_EXEC, id, "{}", 2); /* a host->agent type */
        guest_send(f, &b, 50);
        assert_int_equal(f->proto_errors, 2);
        assert_int_equal(f->last_proto_code, EPROTO);
        assert_int_equal(f->dones, 0);
        vgl_buf_free(&b);
}

static void test_get_fd(void **state)
{
        struct fx *f = *state;
        char path[] = "/tmp/vigil-test-get-XXXXXX";
        int fd = mkstemp(path), check;
        struct vgl_file_result res = {.ok = true, .size = 6};
        struct vgl_error e = {};
        struct vgl_buf b;
        char back[16] = {};
        uint32_t id;

        assert_true(fd >= 0);
        check = open(path, O_RDONLY | O_CLOEXEC);
        unlink(path);
        assert_int_equal(vgl_agent_get_fd(f->a, "/x", fd, 0, file_done, f, &id, &e), 0);
        drain(f);
        vgl_buf_init(&b, 0);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "abc", 3);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, "def", 3);
        vgl_frame_append(&b, VGL_MSG_FILE_DATA, id, NULL, 0);
        vgl_msg_file_result_append(&b, id, &res);
        guest_send(f, &b, 5);
        assert_int_equal(f->dones, 1);
        assert_true(f->result.ok);
        assert_int_equal(f->got.len, 0); /* went to the fd, not a buffer */
        assert_int_equal(read(check, back, sizeof(back)), 6);
        assert_memory_equal(back, "abcdef", 6);
        close(check);
        vgl_buf_free(&b);
}

/* A valid session transcript, then many randomly damaged copies of it fed to
 * fresh sessions in random chunks: every problem must be a report, never a
 * crash (run under ASan/UBSan in the sanitizer build). */
static void build_transcript(struct vgl_buf *b, uint32_t id)
{
        struct vgl_hello h = {.proto_version = 1, .proto_min = 1, .caps = VGL_CAP_EXEC};
        struct vgl_exec_exit x = {.status = VGL_EXIT_EXITED, .code = 0};
        struct vgl_file_result fr = {.ok = true, .size = 3};
        struct vgl_heartbeat hb = {.seq = 1};
        struct vgl_resource_sample rs = {.ncpus = 1};
        uint8_t p[VGL_RESOURCE_SAMPLE_SIZE];

        snprintf(h.kernel, sizeof(h.kernel), "k");
        vgl_msg_hello_append(b, &h);
        vgl_heartbeat_encode(&hb, p);
        vgl_frame_append(b, VGL_MSG_HEARTBEAT, 0, p, VGL_HEARTBEAT_SIZE);
        vgl_resource_sample_encode(&rs, p);
        vgl_telemetry_frame_append(b, VGL_REC_RESOURCE, VGL_RESOURCE_SAMPLE_SIZE, p, 1);
        vgl_msg_exec_started_append(b, id, 7);
        vgl_frame_append(b, VGL_MSG_STDOUT, id, "out", 3);
        vgl_msg_exec_exit_append(b, id, &x);
        vgl_frame_append(b, VGL_MSG_FILE_DATA, id + 1, "abc", 3);
        vgl_msg_file_result_append(b, id + 1, &fr);
        vgl_msg_error_append(b, 0, "internal", 0, "whatever");
}

static void test_damaged_streams(void **state)
{
        char *argv[] = {"x", NULL};
        struct vgl_exec_request r = {.argv = argv, .uid = -1, .gid = -1};
        struct vgl_buf clean, copy;
        unsigned seed = 12345;

        vgl_buf_init(&clean, 0);
        build_transcript(&clean, 1);
        for (int round = 0; round < 2000; round++) {
                struct fx f = {};
                struct vgl_error e = {};
                uint32_t id;

                f.frames = NULL;
                vgl_buf_init(&f.out, 0);
                vgl_buf_init(&f.err, 0);
                vgl_buf_init(&f.got, 0);
                assert_int_equal(vgl_agent_new(&cbs, &f, &f.a), 0);
                vgl_buf_init(&copy, 0);
                vgl_buf_append(&copy, clean.data, clean.len);
                for (int k = 0; k < 1 + round % 8; k++) {
                        size_t at = (size_t)rand_r(&seed) % copy.len;
                        copy.data[at] = (uint8_t)rand_r(&seed);
                }
                if (round % 5 == 0)
                        copy.len = (size_t)rand_r(&seed) % copy.len; /* truncation */
                for (size_t off = 0; off < copy.len;) {
                        size_t n = 1 + (size_t)rand_r(&seed) % 97;
                        n = n > copy.len - off ? copy.len - off : n;
                        vgl_agent_feed(f.a, copy.data + off, n);
                        off += n;
                        if (vgl_agent_ready(f.a) && off < 200) {
                                /* streams 1 and 2 exist, as in the clean run */
                                vgl_agent_exec(f.a, &r, &ecbs, &f, &id, &e);
                                vgl_agent_get_buffer(f.a, "/x", 10, file_done, &f, &id, &e);
                        }
                }
                vgl_agent_eof(f.a, NULL);
                assert_int_equal(f.closed, 1);
                assert_int_equal(f.started >= 0, 1);
                vgl_agent_free(f.a);
                vgl_buf_free(&f.out);
                vgl_buf_free(&f.err);
                vgl_buf_free(&f.got);
                vgl_buf_free(&copy);
        }
        vgl_buf_free(&clean);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
                cmocka_unit_test_setup_teardown(test_version_mismatch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_before_hello_and_garbage, setup, teardown),
                cmocka_unit_test_setup_teardown(test_heartbeat_and_telemetry, setup_ready,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_exec_flow, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_exec_error_and_eof, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_stream_table_full, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_put_buffer, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_put_fd_size_mismatch, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_get_buffer, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_get_over_limit, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_wrong_kind, setup_ready, teardown),
                cmocka_unit_test_setup_teardown(test_get_fd, setup_ready, teardown),
                cmocka_unit_test(test_damaged_streams),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
