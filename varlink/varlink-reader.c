/* Bounded NUL framing of a varlink byte stream. */
#include "varlink-reader.h"

#include <errno.h>
#include <string.h>

#include "varlink-codec.h"

void vgl_varlink_reader_init(struct vgl_varlink_reader *r, size_t max_message)
{
        if (max_message == 0)
                max_message = VGL_VARLINK_MAX_MESSAGE_DEFAULT;
        *r = (struct vgl_varlink_reader){.max_message = max_message};
        vgl_buf_init(&r->buf, max_message + 1);
}

void vgl_varlink_reader_done(struct vgl_varlink_reader *r)
{
        vgl_buf_free(&r->buf);
        r->start = r->scanned = 0;
}

/* Drops the handed-out bytes at the front of the buffer. */
static void compact(struct vgl_varlink_reader *r)
{
        if (r->start == 0)
                return;
        vgl_buf_consume(&r->buf, r->start);
        r->scanned -= r->start;
        r->start = 0;
}

int vgl_varlink_reader_space(struct vgl_varlink_reader *r, size_t max_chunk, uint8_t **ret_ptr,
                             size_t *ret_size)
{
        size_t room;
        int ret;

        compact(r);
        room = r->buf.limit - r->buf.len;
        if (max_chunk && room > max_chunk)
                room = max_chunk;
        if (room > 0) {
                ret = vgl_buf_reserve(&r->buf, room);
                if (ret < 0)
                        return ret;
        }
        *ret_ptr = r->buf.data + r->buf.len;
        *ret_size = room;
        return 0;
}

void vgl_varlink_reader_advance(struct vgl_varlink_reader *r, size_t n)
{
        r->buf.len += n;
}

int vgl_varlink_reader_feed(struct vgl_varlink_reader *r, const void *data, size_t n)
{
        uint8_t *p = NULL;
        size_t room = 0;
        int ret;

        ret = vgl_varlink_reader_space(r, n ? n : 1, &p, &room);
        if (ret < 0)
                return ret;
        if (room > n)
                room = n;
        if (room)
                memcpy(p, data, room);
        vgl_varlink_reader_advance(r, room);
        return (int)(room > INT32_MAX ? INT32_MAX : room);
}

int vgl_varlink_reader_next(struct vgl_varlink_reader *r, const char **ret_msg, size_t *ret_len)
{
        const uint8_t *nul;

        if (r->scanned < r->start)
                r->scanned = r->start;
        nul = r->buf.len > r->scanned ? memchr(r->buf.data + r->scanned, 0, r->buf.len - r->scanned)
                                      : NULL;
        if (!nul) {
                r->scanned = r->buf.len;
                if (r->buf.len - r->start > r->max_message)
                        return -EMSGSIZE;
                return 0;
        }
        size_t end = (size_t)(nul - r->buf.data);
        *ret_msg = (const char *)r->buf.data + r->start;
        *ret_len = end - r->start;
        r->start = r->scanned = end + 1;
        return 1;
}

size_t vgl_varlink_reader_pending(const struct vgl_varlink_reader *r)
{
        return r->buf.len - r->start;
}
