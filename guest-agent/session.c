/* One host connection: handshake, decoding and dispatching frames, errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "agent.h"
#include "vigil-config.h"
#include "init.h"
#include "log.h"

void vgl_session_error(struct vgl_agent *a, uint32_t stream, const char *code, uint8_t ref_type,
                       const char *fmt, ...)
{
        char msg[VGL_ERROR_MSG_MAX];
        va_list ap;

        /* Errors answer host input: a host flooding us while not reading must
         * not grow the queue without bound, so beyond a limit they are dropped. */
        if (a->out.buf.len >= VGL_AGENT_ERR_LIMIT) {
                a->errors_dropped++;
                return;
        }
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (vgl_msg_error_append(&a->out.buf, stream, code, ref_type, msg) < 0)
                a->errors_dropped++;
}

bool vgl_session_stream_busy(const struct vgl_agent *a, uint32_t stream)
{
        return vgl_cmds_find(a, stream) || vgl_files_find(a, stream);
}

static void hello_fill(const struct vgl_agent *a, struct vgl_hello *h)
{
        struct utsname u;
        *h = (struct vgl_hello){
                .proto_version = VGL_PROTO_VERSION,
                .proto_min = VGL_PROTO_MIN_VERSION,
                .uptime_ms = vgl_boottime_ms(),
                .init_mode = a->cfg.init_mode,
                .caps = VGL_CAP_EXEC | VGL_CAP_FILES | VGL_CAP_RESOURCES,
        };
        snprintf(h->agent_version, sizeof(h->agent_version), "%s", VIGIL_VERSION);
        if (uname(&u) == 0) {
                snprintf(h->kernel, sizeof(h->kernel), "%.127s", u.release);
                snprintf(h->machine, sizeof(h->machine), "%.31s", u.machine);
        }
        if (gethostname(h->hostname, sizeof(h->hostname) - 1) < 0)
                h->hostname[0] = '\0';
        if (a->cgroup2)
                h->caps |= VGL_CAP_CGROUP2;
        if (a->seccomp_ok)
                h->caps |= VGL_CAP_SECCOMP_NOTIFY | VGL_CAP_POLICY;
        if (a->seccomp_ok && vgl_trace_bpf(a))
                h->caps |= VGL_CAP_TRACE_BPF;
}

/* 0 means the default; a tiny interval would turn telemetry into a busy loop. */
static uint32_t interval(uint32_t ms)
{
        if (ms == 0)
                return VGL_AGENT_DEFAULT_MS;
        return ms < VGL_AGENT_MIN_MS ? VGL_AGENT_MIN_MS : ms;
}

static void on_hello_ack(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_hello_ack ack;
        struct vgl_error err = {0};

        if (vgl_msg_hello_ack_parse(f, &ack, &err) < 0) {
                vgl_session_error(a, 0, "bad-request", f->type, "%s", err.msg);
                return;
        }
        if (vgl_proto_negotiate(ack.proto_version, ack.proto_version, &err) < 0) {
                vgl_log(LOG_ERR, "host protocol version %u is not supported: %s", ack.proto_version,
                        err.msg);
                a->state = VGL_SESSION_MISMATCH;
                a->mismatch_sent = true;
                vgl_session_error(a, 0, "version-mismatch", f->type, "%s", err.msg);
                return;
        }
        a->heartbeat_ms = interval(ack.heartbeat_ms);
        a->sample_ms = interval(ack.sample_ms);
        a->state = VGL_SESSION_READY;
        vgl_telemetry_start(a, vgl_now_ms());
        vgl_log(LOG_INFO, "host %s connected (protocol %u, heartbeat %u ms, samples %u ms)",
                ack.host_version, ack.proto_version, a->heartbeat_ms, a->sample_ms);
}

static void on_error_msg(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_error_msg e;
        struct vgl_error err = {0};

        /* Never answer an ERROR with an ERROR (two agents would loop), except
         * once for a version mismatch, so both logs say it. */
        if (vgl_msg_error_parse(f, &e, &err) < 0) {
                vgl_log(LOG_WARNING, "malformed ERROR from host: %s", err.msg);
                return;
        }
        vgl_log(LOG_WARNING, "host error on stream %u: %s: %s", f->stream, e.code, e.message);
        if (strcmp(e.code, "version-mismatch") != 0)
                return;
        a->state = VGL_SESSION_MISMATCH;
        if (!a->mismatch_sent) {
                a->mismatch_sent = true;
                vgl_session_error(a, 0, "version-mismatch", f->type, "agent speaks protocol %u..%u",
                                  VGL_PROTO_MIN_VERSION, VGL_PROTO_VERSION);
        }
}

static void on_shutdown(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_error err = {0};
        bool reboot = false;

        if (vgl_msg_shutdown_parse(f, &reboot, &err) < 0) {
                vgl_session_error(a, 0, "bad-request", f->type, "%s", err.msg);
                return;
        }
        vgl_log(LOG_INFO, "shutdown requested (%s)", reboot ? "reboot" : "poweroff");
        a->shutdown_requested = true;
        a->shutdown_reboot = reboot;
        a->quit = true;
}

/* Requests that need a completed handshake. */
static void dispatch_ready(struct vgl_agent *a, const struct vgl_frame *f)
{
        switch (f->type) {
        case VGL_MSG_EXEC:
                vgl_cmds_on_exec(a, f);
                break;
        case VGL_MSG_STDIN:
                vgl_cmds_on_stdin(a, f);
                break;
        case VGL_MSG_SIGNAL:
                vgl_cmds_on_signal(a, f);
                break;
        case VGL_MSG_FILE_PUT:
                vgl_files_on_put(a, f);
                break;
        case VGL_MSG_FILE_GET:
                vgl_files_on_get(a, f);
                break;
        case VGL_MSG_FILE_DATA:
                vgl_files_on_data(a, f);
                break;
        case VGL_MSG_POLICY:
                vgl_policy_on_frame(a, f);
                break;
        default:
                vgl_session_error(a, f->stream, "bad-request", f->type,
                                  "%s is not a message the host sends", vgl_msg_type_name(f->type));
                break;
        }
}

static int on_frame(const struct vgl_frame *f, void *userdata)
{
        struct vgl_agent *a = userdata;

        switch (f->type) {
        case VGL_MSG_HELLO_ACK:
                on_hello_ack(a, f);
                return 0;
        case VGL_MSG_ERROR:
                on_error_msg(a, f);
                return 0;
        case VGL_MSG_SHUTDOWN:
                on_shutdown(a, f);
                return 0;
        default:
                break;
        }
        if (a->state != VGL_SESSION_READY)
                vgl_session_error(
                        a, f->stream,
                        a->state == VGL_SESSION_MISMATCH ? "version-mismatch" : "not-ready",
                        f->type, "%s refused: no completed handshake", vgl_msg_type_name(f->type));
        else
                dispatch_ready(a, f);
        return 0;
}

static void on_decode_error(const struct vgl_decode_report *r, void *userdata)
{
        struct vgl_agent *a = userdata;
        a->decode_errors++;
        vgl_session_error(a, 0, "bad-request", r->type, "undecodable input: %s (%zu bytes)",
                          vgl_decode_error_name(r->error), r->bytes);
}

int vgl_session_feed(struct vgl_agent *a, const void *data, size_t len)
{
        if (!a->dec)
                return 0;
        return vgl_decoder_feed(a->dec, data, len);
}

int vgl_session_connect(struct vgl_agent *a)
{
        struct vgl_buf frame;
        struct vgl_hello h;
        struct vgl_decoder *dec = NULL;
        int r;

        r = vgl_decoder_new(on_frame, on_decode_error, a, &dec);
        if (r < 0)
                return r;
        hello_fill(a, &h);
        vgl_buf_init(&frame, 0);
        r = vgl_msg_hello_append(&frame, &h);
        /* A reconnecting host has a new decoder: the interrupted frame goes again whole. */
        vgl_outq_rewind(&a->out);
        vgl_outq_clear(&a->tel);
        if (r >= 0)
                r = vgl_outq_prepend(&a->out, &frame);
        vgl_buf_free(&frame);
        if (r < 0) {
                vgl_decoder_free(dec);
                return r;
        }
        vgl_decoder_free(a->dec);
        a->dec = dec;
        a->connected = true;
        a->state = VGL_SESSION_HELLO_SENT;
        a->mismatch_sent = false;
        return 0;
}

void vgl_session_disconnect(struct vgl_agent *a)
{
        /* Commands keep running (their output waits in the queue); uploads
         * cannot complete, since the rest of their data is lost with the host. */
        vgl_files_abort_all(a);
        a->connected = false;
        a->state = VGL_SESSION_DOWN;
        a->dec = vgl_decoder_free(a->dec);
}
