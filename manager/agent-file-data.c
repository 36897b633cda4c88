/* File transfer data path: pumping PUT data out, taking GET data in, and
 * ending transfers. */
#include "agent-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define CHUNK     ((size_t)VGL_FRAME_MAX_PAYLOAD)
#define LOW_WATER (256u * 1024u) /* keep at most about this much file data queued */

/* Reads up to n bytes of s's source into p. Returns bytes read or < 0. */
static ssize_t source_read(struct vgl_agent_stream *s, uint8_t *p, size_t n)
{
        ssize_t k;

        if (s->fd < 0) {
                memcpy(p, s->data.data + s->put_off, n);
                s->put_off += n;
                return (ssize_t)n;
        }
        do
                k = read(s->fd, p, n);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -errno : k;
}

/* Appends one FILE_DATA frame of s (empty at the end). 0, or < 0 if the queue is full. */
static int pump_one(struct vgl_agent *a, struct vgl_agent_stream *s)
{
        uint64_t left = s->size - s->moved;
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        uint8_t *hdr;
        ssize_t k;
        int r;

        r = vgl_buf_reserve(&a->out, VGL_FRAME_HEADER_SIZE + n);
        if (r < 0)
                return r;
        hdr = a->out.data + a->out.len;
        k = n ? source_read(s, hdr + VGL_FRAME_HEADER_SIZE, n) : 0;
        if (k <= 0 && n > 0) {
                /* The source shrank or failed: end early; the agent sees the short size. */
                snprintf(s->error, sizeof(s->error), "reading the source: %s",
                         k < 0 ? strerror((int)-k) : "file shrank");
                k = 0;
        }
        vgl_frame_header_encode(hdr, VGL_MSG_FILE_DATA, s->id, (uint32_t)k);
        a->out.len += VGL_FRAME_HEADER_SIZE + (size_t)k;
        s->moved += (uint64_t)k;
        if (k == 0)
                s->data_done = true;
        return 0;
}

void vgl_agent_file_pump(struct vgl_agent *a)
{
        size_t before = vgl_agent_output_pending(a);

        if (a->state != VGL_AGENT_READY)
                return;
        for (size_t i = 0; i < VGL_AGENT_MAX_STREAMS; i++) {
                struct vgl_agent_stream *s = a->streams[i];

                while (s && s->kind == VGL_STREAM_PUT && !s->data_done && !s->failed &&
                       vgl_agent_output_pending(a) < LOW_WATER)
                        if (pump_one(a, s) < 0)
                                break;
        }
        vgl_agent_output_kick(a, before);
}

/* Calls done (if still due) and frees s; the stream leaves the table first. */
static void finish(struct vgl_agent *a, struct vgl_agent_stream *s, const struct vgl_file_result *r)
{
        struct vgl_buf data = s->data;
        vgl_file_done_fn done = s->failed ? NULL : s->done;
        bool keep = s->kind == VGL_STREAM_GET && s->fd < 0;
        void *userdata = s->userdata;
        uint32_t id = s->id;

        if (keep)
                vgl_buf_init(&s->data, 0);
        vgl_agent_stream_drop(a, s);
        if (done)
                done(a, id, r, keep ? data.data : NULL, keep ? data.len : 0, userdata);
        if (keep)
                vgl_buf_free(&data);
}

void vgl_agent_file_fail(struct vgl_agent *a, struct vgl_agent_stream *s, const char *why)
{
        struct vgl_file_result r = {.ok = false};

        snprintf(r.error, sizeof(r.error), "%s", why);
        s->data.len = 0;
        finish(a, s, &r);
}

/* Fails the transfer now but keeps the entry so the agent's remaining
 * frames for it are absorbed quietly until its FILE_RESULT. */
static void fail_early(struct vgl_agent *a, struct vgl_agent_stream *s, const char *why)
{
        struct vgl_file_result r = {.ok = false};

        snprintf(r.error, sizeof(r.error), "%s", why);
        if (s->done)
                s->done(a, s->id, &r, NULL, 0, s->userdata);
        s->failed = true;
        vgl_buf_free(&s->data);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t)k;
        }
        return 0;
}

static void get_data(struct vgl_agent *a, struct vgl_agent_stream *s, const struct vgl_frame *f)
{
        char why[VGL_ERROR_MSG_MAX];
        int r;

        if (f->length == 0) {
                s->data_done = true;
                return;
        }
        if (s->data_done || s->moved + f->length > s->size) {
                snprintf(why, sizeof(why), "agent sent more than the %llu bytes allowed",
                         (unsigned long long)s->size);
                return fail_early(a, s, why);
        }
        r = s->fd >= 0 ? write_all(s->fd, f->payload, f->length)
                       : vgl_buf_append(&s->data, f->payload, f->length);
        if (r < 0) {
                snprintf(why, sizeof(why), "storing received data: %s", strerror(-r));
                return fail_early(a, s, why);
        }
        s->moved += f->length;
}

static void result(struct vgl_agent *a, struct vgl_agent_stream *s, const struct vgl_frame *f)
{
        struct vgl_file_result r;
        struct vgl_error e = {};
        uint64_t expect = s->kind == VGL_STREAM_PUT ? s->size : s->moved;

        if (vgl_msg_file_result_parse(f, &r, &e) < 0) {
                vgl_agent_report(a, EBADMSG, "bad file-result: %s", e.msg);
                return vgl_agent_file_fail(a, s, "agent sent a malformed file result");
        }
        if (r.ok && s->error[0]) {
                r.ok = false;
                snprintf(r.error, sizeof(r.error), "%s", s->error);
        } else if (r.ok && r.size != expect) {
                r.ok = false;
                snprintf(r.error, sizeof(r.error), "size mismatch: agent says %llu, host has %llu",
                         (unsigned long long)r.size, (unsigned long long)expect);
        }
        finish(a, s, &r);
}

void vgl_agent_file_frame(struct vgl_agent *a, struct vgl_agent_stream *s,
                          const struct vgl_frame *f)
{
        if (f->type == VGL_MSG_FILE_RESULT)
                return result(a, s, f);
        if (s->failed)
                return;
        if (s->kind == VGL_STREAM_PUT)
                return vgl_agent_report(a, EPROTO, "file data from agent on put stream %u", s->id);
        get_data(a, s, f);
}
