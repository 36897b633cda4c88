#include "outq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

void vgl_outq_init(struct vgl_outq *q, size_t soft, size_t hard)
{
        vgl_buf_init(&q->buf, hard);
        q->sent = 0;
        q->soft = soft;
}

void vgl_outq_free(struct vgl_outq *q)
{
        vgl_buf_free(&q->buf);
        q->sent = 0;
}

bool vgl_outq_has_room(const struct vgl_outq *q)
{
        return q->buf.len < q->soft && q->buf.limit - q->buf.len >= VGL_FRAME_MAX_SIZE;
}

size_t vgl_outq_pending(const struct vgl_outq *q)
{
        return q->buf.len - q->sent;
}

int vgl_outq_append(struct vgl_outq *q, uint8_t type, uint32_t stream, const void *p, size_t len)
{
        return vgl_frame_append(&q->buf, type, stream, p, len);
}

int vgl_outq_read_frame(struct vgl_outq *q, int fd, uint8_t type, uint32_t stream, size_t max)
{
        if (max > VGL_FRAME_MAX_PAYLOAD)
                max = VGL_FRAME_MAX_PAYLOAD;
        int r = vgl_buf_reserve(&q->buf, VGL_FRAME_HEADER_SIZE + max);
        if (r < 0)
                return r;
        uint8_t *hdr = q->buf.data + q->buf.len;
        ssize_t n;
        do
                n = read(fd, hdr + VGL_FRAME_HEADER_SIZE, max);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        vgl_frame_header_encode(hdr, type, stream, (uint32_t)n);
        q->buf.len += VGL_FRAME_HEADER_SIZE + (size_t)n;
        return (int)n;
}

int vgl_outq_prepend(struct vgl_outq *q, const struct vgl_buf *frame)
{
        if (q->sent)
                return -EBUSY;
        size_t limit = q->buf.limit;
        q->buf.limit = SIZE_MAX;
        int r = vgl_buf_reserve(&q->buf, frame->len);
        q->buf.limit = limit;
        if (r < 0)
                return r;
        memmove(q->buf.data + frame->len, q->buf.data, q->buf.len);
        memcpy(q->buf.data, frame->data, frame->len);
        q->buf.len += frame->len;
        return 0;
}

/* Bytes of the whole frames at the front that are completely written. */
static size_t written_frames(const struct vgl_outq *q)
{
        size_t off = 0;
        while (q->buf.len - off >= VGL_FRAME_HEADER_SIZE) {
                size_t fs = VGL_FRAME_HEADER_SIZE + vgl_get_le32(q->buf.data + off + 12);
                if (q->sent - off < fs)
                        break;
                off += fs;
        }
        return off;
}

int vgl_outq_write(struct vgl_outq *q, int fd)
{
        if (q->sent >= q->buf.len)
                return 0;
        ssize_t n;
        do
                n = write(fd, q->buf.data + q->sent, q->buf.len - q->sent);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        q->sent += (size_t)n;
        size_t done = written_frames(q);
        vgl_buf_consume(&q->buf, done);
        q->sent -= done;
        return (int)n;
}

void vgl_outq_rewind(struct vgl_outq *q)
{
        q->sent = 0;
}

void vgl_outq_clear(struct vgl_outq *q)
{
        q->buf.len = 0;
        q->sent = 0;
}
