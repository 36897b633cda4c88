/* Agent session: handshake, frame dispatch, send queue, stream table. */
#include "agent-priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cleanup.h"
#include "vigil-config.h"

#define OUT_COMPACT (256u * 1024u) /* compact the queue once this much was sent */

void vgl_agent_report(struct vgl_agent *a, int code, const char *fmt, ...)
{
        struct vgl_error e = {.code = code};
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
        va_end(ap);
        a->stats.protocol_errors++;
        if (a->cb.on_protocol_error)
                a->cb.on_protocol_error(a, &e, a->userdata);
}

static void on_decode_error(const struct vgl_decode_report *r, void *userdata)
{
        struct vgl_agent *a = userdata;

        vgl_agent_report(a, EBADMSG, "bad frame from agent: %s (%zu bytes, type %u, version %u)",
                         vgl_decode_error_name(r->error), r->bytes, r->type, r->version);
}

static void handle_hello(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_hello_ack ack = {.heartbeat_ms = a->heartbeat_ms, .sample_ms = a->sample_ms};
        struct vgl_error e = {};
        struct vgl_hello h;
        size_t before = vgl_agent_output_pending(a);
        int v;

        if (a->state != VGL_AGENT_WAIT_HELLO)
                return vgl_agent_report(a, EPROTO, "duplicate hello from agent");
        if (vgl_msg_hello_parse(f, &h, &e) < 0)
                return vgl_agent_report(a, EBADMSG, "bad hello: %s", e.msg);
        v = vgl_proto_negotiate(h.proto_min, h.proto_version, &e);
        if (v < 0) {
                a->state = VGL_AGENT_MISMATCH;
                vgl_msg_error_append(&a->out, 0, "version-mismatch", VGL_MSG_HELLO, e.msg);
                vgl_agent_output_kick(a, before);
                return vgl_agent_report(a, EPROTONOSUPPORT, "%s", e.msg);
        }
        ack.proto_version = (uint32_t)v;
        snprintf(ack.host_version, sizeof(ack.host_version), "%s", VIGIL_VERSION);
        if (vgl_msg_hello_ack_append(&a->out, &ack) < 0)
                return vgl_agent_report(a, ENOBUFS, "send queue full, hello not answered");
        vgl_agent_output_kick(a, before);
        a->hello = h;
        a->version = (uint32_t)v;
        a->state = VGL_AGENT_READY;
        if (a->cb.on_hello)
                a->cb.on_hello(a, &a->hello, a->version, a->userdata);
}

static void handle_heartbeat(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_heartbeat hb;

        if (vgl_heartbeat_decode(f->payload, f->length, &hb) < 0)
                return vgl_agent_report(a, EBADMSG, "bad heartbeat (%u bytes)", f->length);
        a->stats.heartbeats++;
        if (a->cb.on_heartbeat)
                a->cb.on_heartbeat(a, &hb, a->userdata);
}

static void handle_telemetry(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_telemetry_batch b;
        struct vgl_resource_sample s;

        if (vgl_telemetry_batch_parse(f->payload, f->length, &b) < 0)
                return vgl_agent_report(a, EBADMSG, "bad telemetry batch (%u bytes)", f->length);
        /* Other record types belong to later layers (behaviour.h). */
        if (b.record_type != VGL_REC_RESOURCE) {
                a->stats.record_batches++;
                if (a->cb.on_records)
                        a->cb.on_records(a, &b, a->userdata);
                return;
        }
        for (uint32_t i = 0; i < b.count; i++) {
                if (vgl_resource_sample_decode(b.records + (size_t)i * b.record_size, b.record_size,
                                               &s) < 0)
                        return vgl_agent_report(a, EBADMSG, "bad resource record");
                a->stats.resource_samples++;
                if (a->cb.on_resource)
                        a->cb.on_resource(a, &s, a->userdata);
        }
}

static void handle_error(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_agent_stream *s;
        struct vgl_error_msg m;
        struct vgl_error e = {};
        char why[VGL_ERROR_MSG_MAX + 40];

        if (vgl_msg_error_parse(f, &m, &e) < 0)
                return vgl_agent_report(a, EBADMSG, "bad error message: %s", e.msg);
        if (f->stream == 0) {
                if (a->cb.on_agent_error)
                        a->cb.on_agent_error(a, &m, a->userdata);
                return;
        }
        s = vgl_agent_stream_find(a, f->stream);
        if (!s)
                return vgl_agent_report(a, ENOENT, "error for unknown stream %u", f->stream);
        snprintf(why, sizeof(why), "agent: %s: %s", m.code, m.message);
        if (s->kind == VGL_STREAM_EXEC)
                vgl_agent_exec_fail(a, s, why);
        else
                vgl_agent_file_fail(a, s, why);
}

static void handle_stream_frame(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_agent_stream *s = vgl_agent_stream_find(a, f->stream);
        bool exec_type = f->type >= VGL_MSG_EXEC_STARTED && f->type <= VGL_MSG_EXEC_EXIT;

        if (!s)
                return vgl_agent_report(a, ENOENT, "%s for unknown stream %u",
                                        vgl_msg_type_name(f->type), f->stream);
        if (exec_type != (s->kind == VGL_STREAM_EXEC))
                return vgl_agent_report(a, EPROTO, "%s on stream %u of the wrong kind",
                                        vgl_msg_type_name(f->type), f->stream);
        if (exec_type)
                vgl_agent_exec_frame(a, s, f);
        else
                vgl_agent_file_frame(a, s, f);
}

static int on_frame(const struct vgl_frame *f, void *userdata)
{
        struct vgl_agent *a = userdata;

        a->stats.frames_in++;
        if (a->state == VGL_AGENT_MISMATCH || a->state == VGL_AGENT_CLOSED)
                return 0;
        if (f->type == VGL_MSG_HELLO)
                return handle_hello(a, f), 0;
        if (a->state != VGL_AGENT_READY) {
                vgl_agent_report(a, EPROTO, "%s before hello", vgl_msg_type_name(f->type));
                return 0;
        }
        switch (f->type) {
        case VGL_MSG_HEARTBEAT:
                handle_heartbeat(a, f);
                break;
        case VGL_MSG_TELEMETRY:
                handle_telemetry(a, f);
                break;
        case VGL_MSG_ERROR:
                handle_error(a, f);
                break;
        case VGL_MSG_EXEC_STARTED:
        case VGL_MSG_STDOUT:
        case VGL_MSG_STDERR:
        case VGL_MSG_EXEC_EXIT:
        case VGL_MSG_FILE_DATA:
        case VGL_MSG_FILE_RESULT:
                handle_stream_frame(a, f);
                break;
        case VGL_MSG_POLICY_ACK:
                if (a->cb.on_other_frame)
                        a->cb.on_other_frame(a, f, a->userdata);
                break;
        default:
                vgl_agent_report(a, EPROTO, "unexpected %s from agent", vgl_msg_type_name(f->type));
        }
        return 0;
}

/* Commands of an earlier session (before a host restart, or a hop) may
 * still run in the guest under their stream ids: a new session starts its
 * ids at a random point, so they do not collide. */
static uint32_t first_stream_id(void)
{
        uint32_t r = 0;

        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
                r = (uint32_t)time(NULL) * 2654435761u;
        return 1 + r % 0x7fff0000u;
}

int vgl_agent_new(const struct vgl_agent_callbacks *cb, void *userdata, struct vgl_agent **ret)
{
        _cleanup_free_ struct vgl_agent *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        r = vgl_decoder_new(on_frame, on_decode_error, a, &a->decoder);
        if (r < 0)
                return r;
        if (cb)
                a->cb = *cb;
        a->userdata = userdata;
        a->next_id = first_stream_id();
        vgl_buf_init(&a->out, VGL_AGENT_QUEUE_MAX);
        *ret = TAKE_PTR(a);
        return 0;
}

struct vgl_agent *vgl_agent_free(struct vgl_agent *a)
{
        if (!a)
                return NULL;
        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++)
                if (a->streams[i])
                        vgl_agent_stream_drop(a, a->streams[i]);
        vgl_decoder_free(a->decoder);
        vgl_buf_free(&a->out);
        free(a);
        return NULL;
}

int vgl_agent_feed(struct vgl_agent *a, const void *data, size_t len)
{
        if (a->state == VGL_AGENT_CLOSED)
                return 0;
        a->stats.bytes_in += len;
        vgl_decoder_feed(a->decoder, data, len);
        return 0;
}

void vgl_agent_eof(struct vgl_agent *a, const struct vgl_error *why)
{
        const char *msg = why && why->msg[0] ? why->msg : "agent channel closed";

        if (a->state == VGL_AGENT_CLOSED)
                return;
        vgl_decoder_finish(a->decoder);
        a->state = VGL_AGENT_CLOSED;
        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++) {
                struct vgl_agent_stream *s = a->streams[i];
                if (!s)
                        continue;
                if (s->kind == VGL_STREAM_EXEC)
                        vgl_agent_exec_fail(a, s, msg);
                else
                        vgl_agent_file_fail(a, s, msg);
        }
        if (a->cb.on_closed)
                a->cb.on_closed(a, why, a->userdata);
}

size_t vgl_agent_output_pending(const struct vgl_agent *a)
{
        return a->out.len - a->out_off;
}

size_t vgl_agent_output_peek(struct vgl_agent *a, const uint8_t **ret)
{
        *ret = a->out.data + a->out_off;
        return vgl_agent_output_pending(a);
}

void vgl_agent_output_consume(struct vgl_agent *a, size_t n)
{
        if (n > vgl_agent_output_pending(a))
                n = vgl_agent_output_pending(a);
        a->out_off += n;
        a->stats.bytes_out += n;
        /* Compact lazily: moving the tail on every partial send would be quadratic. */
        if (a->out_off == a->out.len) {
                a->out.len = 0;
                a->out_off = 0;
        } else if (a->out_off >= OUT_COMPACT) {
                vgl_buf_consume(&a->out, a->out_off);
                a->out_off = 0;
        }
        vgl_agent_file_pump(a);
}

void vgl_agent_output_kick(struct vgl_agent *a, size_t before)
{
        if (before == 0 && vgl_agent_output_pending(a) > 0 && a->output_hook)
                a->output_hook(a->output_hook_data);
}

void vgl_agent_set_output_hook(struct vgl_agent *a, void (*fn)(void *data), void *data)
{
        a->output_hook = fn;
        a->output_hook_data = data;
}

bool vgl_agent_ready(const struct vgl_agent *a)
{
        return a->state == VGL_AGENT_READY;
}

const struct vgl_hello *vgl_agent_hello(const struct vgl_agent *a)
{
        return a->state == VGL_AGENT_WAIT_HELLO || a->version == 0 ? NULL : &a->hello;
}

void vgl_agent_get_stats(const struct vgl_agent *a, struct vgl_agent_stats *ret)
{
        *ret = a->stats;
}

void vgl_agent_set_intervals(struct vgl_agent *a, uint32_t heartbeat_ms, uint32_t sample_ms)
{
        a->heartbeat_ms = heartbeat_ms;
        a->sample_ms = sample_ms;
}
