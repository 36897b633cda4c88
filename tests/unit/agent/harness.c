#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto-event.h"
#include "proto-policy.h"

#define ELEMENTSOF_H(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const char *h_agent_path(void)
{
        static char path[4096];
        const char *root = getenv("VIGIL_BUILD_ROOT");
        snprintf(path, sizeof(path), "%s/guest-agent/vigil-agent", root ? root : ".");
        return path;
}

/* Observation records are kept (at the size this build knows) for h_wait_event. */
static void on_events(struct harness *h, const struct vgl_telemetry_batch *b)
{
        size_t size = vgl_ev_record_size(b->record_type);
        if (b->record_size < size) {
                h->bad_telemetry++;
                return;
        }
        for (uint32_t i = 0; i < b->count; i++)
                assert_int_equal(vgl_buf_append(&h->ev[b->record_type],
                                                b->records + (size_t)i * b->record_size, size),
                                 0);
        h->ev_count[b->record_type] += b->count;
}

static void on_telemetry(struct harness *h, const struct vgl_frame *f)
{
        struct vgl_telemetry_batch b;
        h->telemetry_frames++;
        if (vgl_telemetry_batch_parse(f->payload, f->length, &b) < 0) {
                h->bad_telemetry++;
                return;
        }
        if (vgl_ev_record_size(b.record_type)) {
                on_events(h, &b);
                return;
        }
        if (b.record_type != VGL_REC_RESOURCE) {
                h->bad_telemetry++;
                return;
        }
        for (uint32_t i = 0; i < b.count; i++)
                if (vgl_resource_sample_decode(b.records + (size_t)i * b.record_size, b.record_size,
                                               &h->last_sample) == 0)
                        h->samples++;
}

static int on_frame(const struct vgl_frame *f, void *userdata)
{
        struct harness *h = userdata;
        if (f->type == VGL_MSG_HEARTBEAT) {
                assert_int_equal(vgl_heartbeat_decode(f->payload, f->length, &h->last_hb), 0);
                h->heartbeats++;
                return 0;
        }
        if (f->type == VGL_MSG_TELEMETRY) {
                on_telemetry(h, f);
                return 0;
        }
        if (h->n_frames == h->cap_frames) {
                h->cap_frames = h->cap_frames ? h->cap_frames * 2 : 64;
                h->frames = realloc(h->frames, h->cap_frames * sizeof(*h->frames));
                assert_non_null(h->frames);
        }
        struct h_frame *c = &h->frames[h->n_frames++];
        *c = (struct h_frame){.type = f->type, .stream = f->stream, .len = f->length};
        c->data = malloc(f->length + 1);
        assert_non_null(c->data);
        memcpy(c->data, f->payload, f->length);
        c->data[f->length] = '\0';
        return 0;
}

static void on_error(const struct vgl_decode_report *r, void *userdata)
{
        fail_msg("agent sent undecodable bytes: %s", vgl_decode_error_name(r->error));
}

void h_pump(struct harness *h, int timeout_ms)
{
        static uint8_t chunk[256 * 1024];
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (h->eof || poll(&p, 1, timeout_ms) <= 0)
                return;
        for (;;) {
                ssize_t n = read(h->fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0) {
                        h->eof = true;
                        return;
                }
                assert_int_equal(vgl_decoder_feed(h->dec, chunk, (size_t)n), 0);
        }
}

static ssize_t find(struct harness *h, uint8_t type, uint32_t stream)
{
        for (size_t i = 0; i < h->n_frames; i++)
                if (h->frames[i].type == type && h->frames[i].stream == stream)
                        return (ssize_t)i;
        return -1;
}

static struct h_frame take(struct harness *h, size_t i)
{
        struct h_frame f = h->frames[i];
        memmove(&h->frames[i], &h->frames[i + 1], (h->n_frames - i - 1) * sizeof(f));
        h->n_frames--;
        return f;
}

struct h_frame h_wait(struct harness *h, uint8_t type, uint32_t stream)
{
        uint64_t end = now_ms() + H_GUARD_MS;
        ssize_t i;
        while ((i = find(h, type, stream)) < 0) {
                if (h->eof || now_ms() > end)
                        fail_msg("no %s frame on stream %u (%s)", vgl_msg_type_name(type), stream,
                                 h->eof ? "agent closed the channel" : "guard expired");
                h_pump(h, 100);
        }
        return take(h, (size_t)i);
}

const uint8_t *h_wait_event(struct harness *h, uint16_t type, h_ev_pred pred, void *ctx)
{
        uint64_t end = now_ms() + H_GUARD_MS;
        size_t size = vgl_ev_record_size(type);
        assert_true(size > 0 && type < 8);
        for (;;) {
                for (uint32_t i = 0; i < h->ev_count[type]; i++)
                        if (pred(h->ev[type].data + (size_t)i * size, ctx))
                                return h->ev[type].data + (size_t)i * size;
                if (h->eof || now_ms() > end)
                        fail_msg("no matching record of type %u (%u seen)", type,
                                 h->ev_count[type]);
                h_pump(h, 100);
        }
}

void h_policy(struct harness *h, const struct vgl_policy *p, struct vgl_policy_ack *ret)
{
        struct vgl_buf b;
        struct vgl_error err = {0};
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_policy_append(&b, p), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
        struct h_frame f = h_wait(h, VGL_MSG_POLICY_ACK, 0);
        struct vgl_frame vf = {.type = f.type, .payload = f.data, .length = f.len};
        if (vgl_msg_policy_ack_ext_parse(&vf, ret, &err) < 0)
                fail_msg("bad policy-ack: %s", err.msg);
        h_frame_free(&f);
        assert_int_equal(ret->generation, p->generation);
}

bool h_has(struct harness *h, uint8_t type, uint32_t stream)
{
        h_pump(h, 0);
        return find(h, type, stream) >= 0;
}

void h_frame_free(struct h_frame *f)
{
        free(f->data);
        f->data = NULL;
}

const char *h_agent_trace_method;

static void spawn(struct harness *h)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        h->pid = fork();
        assert_true(h->pid >= 0);
        if (h->pid == 0) {
                if (dup2(sv[1], 3) < 0)
                        _exit(120);
                if (h_agent_trace_method)
                        execl(h_agent_path(), "vigil-agent", "--fd", "3", "--trace-method",
                              h_agent_trace_method, (char *)NULL);
                else
                        execl(h_agent_path(), "vigil-agent", "--fd", "3", (char *)NULL);
                fprintf(stderr, "exec %s: %s\n", h_agent_path(), strerror(errno));
                _exit(121);
        }
        close(sv[1]);
        h->fd = sv[0];
        assert_int_equal(fcntl(h->fd, F_SETFL, O_NONBLOCK), 0);
}

void h_start(struct harness *h, bool ack, uint32_t heartbeat_ms, uint32_t sample_ms)
{
        struct vgl_error err = {0};
        *h = (struct harness){.fd = -1};
        for (size_t i = 0; i < ELEMENTSOF_H(h->ev); i++)
                vgl_buf_init(&h->ev[i], 0);
        assert_int_equal(vgl_decoder_new(on_frame, on_error, h, &h->dec), 0);
        spawn(h);
        struct h_frame f = h_wait(h, VGL_MSG_HELLO, 0);
        struct vgl_frame vf = {.type = f.type, .payload = f.data, .length = f.len};
        if (vgl_msg_hello_parse(&vf, &h->hello, &err) < 0)
                fail_msg("bad hello: %s", err.msg);
        h_frame_free(&f);
        if (!ack)
                return;
        struct vgl_buf b;
        struct vgl_hello_ack a = {.proto_version = VGL_PROTO_VERSION,
                                  .heartbeat_ms = heartbeat_ms,
                                  .sample_ms = sample_ms};
        snprintf(a.host_version, sizeof(a.host_version), "test");
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_hello_ack_append(&b, &a), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

int h_stop(struct harness *h)
{
        int status = -1;
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
        if (h->pid > 0) {
                uint64_t end = now_ms() + H_GUARD_MS;
                while (waitpid(h->pid, &status, WNOHANG) == 0) {
                        if (now_ms() > end) {
                                kill(h->pid, SIGKILL);
                                waitpid(h->pid, &status, 0);
                                fail_msg("agent did not exit after the host closed the channel");
                        }
                        usleep(10000);
                }
        }
        h->pid = 0;
        for (size_t i = 0; i < h->n_frames; i++)
                free(h->frames[i].data);
        free(h->frames);
        h->frames = NULL;
        h->n_frames = h->cap_frames = 0;
        h->dec = vgl_decoder_free(h->dec);
        for (size_t i = 0; i < ELEMENTSOF_H(h->ev); i++)
                vgl_buf_free(&h->ev[i]);
        memset(h->ev_count, 0, sizeof(h->ev_count));
        return status;
}

static void send_bytes(struct harness *h, const uint8_t *p, size_t len, bool read_meanwhile)
{
        uint64_t end = now_ms() + H_GUARD_MS;
        while (len) {
                ssize_t n = write(h->fd, p, len);
                if (n > 0) {
                        p += n;
                        len -= (size_t)n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        fail_msg("write to agent: %s", strerror(errno));
                if (now_ms() > end)
                        fail_msg("agent stopped reading its channel");
                struct pollfd pf = {.fd = h->fd, .events = POLLOUT};
                if (read_meanwhile)
                        h_pump(h, 0);
                poll(&pf, 1, 100);
        }
}

void h_send(struct harness *h, struct vgl_buf *b)
{
        send_bytes(h, b->data, b->len, true);
        b->len = 0;
}

void h_send_noread(struct harness *h, const void *p, size_t len)
{
        send_bytes(h, p, len, false);
}

void h_exec_req(struct harness *h, uint32_t stream, const struct vgl_exec_request *r)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_exec_append(&b, stream, r), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

void h_exec(struct harness *h, uint32_t stream, const char *const *argv, uint32_t timeout_ms,
            bool stdin_pipe)
{
        struct vgl_exec_request r = {.argv = (char **)argv,
                                     .uid = -1,
                                     .gid = -1,
                                     .timeout_ms = timeout_ms,
                                     .stdin_pipe = stdin_pipe};
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_msg_exec_append(&b, stream, &r), 0);
        h_send(h, &b);
        vgl_buf_free(&b);
}

/* Appends a STDOUT/STDERR frame to its buffer; returns true at its EOF. */
static bool collect_one(struct h_frame *f, struct vgl_buf *to)
{
        if (f->len)
                assert_int_equal(vgl_buf_append(to, f->data, f->len), 0);
        return f->len == 0;
}

void h_collect(struct harness *h, uint32_t stream, struct vgl_buf *out, struct vgl_buf *err,
               struct vgl_exec_exit *x)
{
        struct vgl_error e = {0};
        bool out_eof = false, err_eof = false;
        uint64_t end = now_ms() + H_GUARD_MS;
        for (;;) {
                ssize_t i = -1;
                for (size_t k = 0; k < h->n_frames && i < 0; k++)
                        if (h->frames[k].stream == stream &&
                            (h->frames[k].type == VGL_MSG_STDOUT ||
                             h->frames[k].type == VGL_MSG_STDERR ||
                             h->frames[k].type == VGL_MSG_EXEC_EXIT))
                                i = (ssize_t)k;
                if (i < 0) {
                        if (h->eof || now_ms() > end)
                                fail_msg("exec %u did not finish", stream);
                        h_pump(h, 100);
                        continue;
                }
                struct h_frame f = take(h, (size_t)i);
                if (f.type == VGL_MSG_STDOUT) {
                        assert_false(out_eof);
                        out_eof = collect_one(&f, out);
                } else if (f.type == VGL_MSG_STDERR) {
                        assert_false(err_eof);
                        err_eof = collect_one(&f, err);
                } else {
                        struct vgl_frame vf = {.type = f.type,
                                               .stream = f.stream,
                                               .payload = f.data,
                                               .length = f.len};
                        if (vgl_msg_exec_exit_parse(&vf, x, &e) < 0)
                                fail_msg("bad exec-exit: %s", e.msg);
                        h_frame_free(&f);
                        break;
                }
                h_frame_free(&f);
        }
        /* Both streams end with an empty frame before EXEC_EXIT, counts agree. */
        assert_true(out_eof);
        assert_true(err_eof);
        assert_int_equal(x->stdout_bytes, out->len);
        assert_int_equal(x->stderr_bytes, err->len);
}

struct vgl_error_msg h_wait_error(struct harness *h, uint32_t stream)
{
        struct vgl_error_msg m;
        struct vgl_error e = {0};
        struct h_frame f = h_wait(h, VGL_MSG_ERROR, stream);
        struct vgl_frame vf = {
                .type = f.type, .stream = f.stream, .payload = f.data, .length = f.len};
        if (vgl_msg_error_parse(&vf, &m, &e) < 0)
                fail_msg("bad error message: %s", e.msg);
        h_frame_free(&f);
        return m;
}
