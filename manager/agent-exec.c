/* Command execution over the agent channel: requests out, output and exit in. */
#include "agent-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_ready(struct vgl_agent *a, struct vgl_error *err)
{
        if (a->state == VGL_AGENT_MISMATCH)
                return vgl_error_set(err, EPROTONOSUPPORT, "agent speaks another protocol version");
        if (a->state != VGL_AGENT_READY)
                return vgl_error_set(err, ENOTCONN, "agent not connected");
        return 0;
}

int vgl_agent_exec(struct vgl_agent *a, const struct vgl_exec_request *r,
                   const struct vgl_exec_callbacks *cb, void *userdata, uint32_t *ret_id,
                   struct vgl_error *err)
{
        struct vgl_agent_stream *s = NULL;
        size_t before = vgl_agent_output_pending(a);
        int k = check_ready(a, err);

        if (k < 0)
                return k;
        k = vgl_agent_stream_new(a, VGL_STREAM_EXEC, &s);
        if (k < 0)
                return vgl_error_set(err, -k, "too many commands and transfers in flight");
        k = vgl_msg_exec_append(&a->out, s->id, r);
        if (k < 0) {
                vgl_agent_stream_drop(a, s);
                return vgl_error_set(err, -k, "cannot queue exec request");
        }
        s->exec_cb = *cb;
        s->userdata = userdata;
        vgl_agent_output_kick(a, before);
        *ret_id = s->id;
        return 0;
}

static int queue_frame(struct vgl_agent *a, uint32_t id, uint8_t type, const void *p, size_t n)
{
        size_t before = vgl_agent_output_pending(a);
        struct vgl_agent_stream *s = vgl_agent_stream_find(a, id);
        int r;

        if (a->state != VGL_AGENT_READY)
                return -ENOTCONN;
        if (!s || s->kind != VGL_STREAM_EXEC)
                return -ENOENT;
        r = vgl_frame_append(&a->out, type, id, p, n);
        if (r < 0)
                return r;
        vgl_agent_output_kick(a, before);
        return 0;
}

int vgl_agent_exec_stdin(struct vgl_agent *a, uint32_t id, const void *data, size_t len)
{
        return queue_frame(a, id, VGL_MSG_STDIN, data, len);
}

int vgl_agent_exec_signal(struct vgl_agent *a, uint32_t id, int sig)
{
        size_t before = vgl_agent_output_pending(a);
        int r;

        if (a->state != VGL_AGENT_READY)
                return -ENOTCONN;
        if (!vgl_agent_stream_find(a, id))
                return -ENOENT;
        r = vgl_msg_signal_append(&a->out, id, sig);
        if (r < 0)
                return r;
        vgl_agent_output_kick(a, before);
        return 0;
}

/* Removes the stream first so the callback may start new work re-entrantly. */
static void finish(struct vgl_agent *a, struct vgl_agent_stream *s, const struct vgl_exec_exit *x)
{
        struct vgl_exec_callbacks cb = s->exec_cb;
        void *userdata = s->userdata;
        uint32_t id = s->id;

        vgl_agent_stream_drop(a, s);
        if (cb.on_exit)
                cb.on_exit(a, id, x, userdata);
}

void vgl_agent_exec_fail(struct vgl_agent *a, struct vgl_agent_stream *s, const char *why)
{
        struct vgl_exec_exit x = {.status = VGL_EXIT_FAILED, .code = -1};

        snprintf(x.error, sizeof(x.error), "%s", why);
        finish(a, s, &x);
}

void vgl_agent_exec_frame(struct vgl_agent *a, struct vgl_agent_stream *s,
                          const struct vgl_frame *f)
{
        struct vgl_error e = {};
        struct vgl_exec_exit x;
        int64_t pid;

        switch (f->type) {
        case VGL_MSG_EXEC_STARTED:
                if (vgl_msg_exec_started_parse(f, &pid, &e) < 0)
                        return vgl_agent_report(a, EBADMSG, "bad exec-started: %s", e.msg);
                if (s->exec_cb.on_started)
                        s->exec_cb.on_started(a, s->id, pid, s->userdata);
                return;
        case VGL_MSG_STDOUT:
        case VGL_MSG_STDERR:
                if (s->exec_cb.on_output)
                        s->exec_cb.on_output(a, s->id, f->type == VGL_MSG_STDOUT ? 1 : 2,
                                             f->payload, f->length, s->userdata);
                return;
        case VGL_MSG_EXEC_EXIT:
                if (vgl_msg_exec_exit_parse(f, &x, &e) < 0) {
                        vgl_agent_report(a, EBADMSG, "bad exec-exit: %s", e.msg);
                        return vgl_agent_exec_fail(a, s, "agent sent a malformed exit message");
                }
                return finish(a, s, &x);
        default:
                return;
        }
}
