#include "proto-test-util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void rec_init(struct rec *r)
{
        memset(r, 0, sizeof(*r));
        vgl_buf_init(&r->log, 0);
}

void rec_free(struct rec *r)
{
        vgl_buf_free(&r->log);
}

int rec_on_frame(const struct vgl_frame *f, void *userdata)
{
        struct rec *r = userdata;
        uint8_t h[9];

        h[0] = f->type;
        vgl_put_le32(h + 1, f->stream);
        vgl_put_le32(h + 5, f->length);
        if (vgl_buf_append(&r->log, h, sizeof(h)) < 0 ||
            vgl_buf_append(&r->log, f->payload, f->length) < 0)
                abort();
        r->frames++;
        r->frame_bytes += VGL_FRAME_HEADER_SIZE + f->length;
        if (r->chunk && f->payload >= r->chunk && f->payload < r->chunk + r->chunk_len)
                r->in_place++;
        if (r->stop_every && r->frames % r->stop_every == 0)
                return -ECANCELED;
        return 0;
}

void rec_on_error(const struct vgl_decode_report *rep, void *userdata)
{
        struct rec *r = userdata;

        if (r->nerr < REC_MAX_ERRORS)
                r->errs[r->nerr] = *rep;
        r->nerr++;
        r->err_bytes += rep->bytes;
}

void rec_decode(struct rec *r, const uint8_t *data, size_t len, const size_t *sizes, size_t nsizes)
{
        struct vgl_decoder *d = NULL;
        size_t pos = 0, k = 0;

        if (vgl_decoder_new(rec_on_frame, rec_on_error, r, &d) < 0)
                abort();
        while (pos < len) {
                size_t n = sizes ? sizes[k++ % nsizes] : len;
                if (n == 0 || n > len - pos)
                        n = len - pos;
                r->chunk = data + pos;
                r->chunk_len = n;
                int q = vgl_decoder_feed(d, data + pos, n);
                r->chunk = NULL;
                while (q == -ECANCELED)
                        q = vgl_decoder_feed(d, NULL, 0);
                if (q < 0)
                        abort();
                pos += n;
        }
        vgl_decoder_finish(d);

        struct vgl_decoder_stats st;
        vgl_decoder_get_stats(d, &st);
        /* Every byte fed is either in a delivered frame or in one report. */
        if (st.bytes != len || st.frames != r->frames || st.errors != r->nerr ||
            st.skipped_bytes != r->err_bytes || r->frame_bytes + r->err_bytes != len)
                abort();
        vgl_decoder_free(d);
}

size_t rec_count(const struct rec *r, enum vgl_decode_error e, size_t *ret_bytes)
{
        size_t n = 0, bytes = 0;

        for (size_t i = 0; i < r->nerr && i < REC_MAX_ERRORS; i++)
                if (r->errs[i].error == e) {
                        n++;
                        bytes += r->errs[i].bytes;
                }
        if (ret_bytes)
                *ret_bytes = bytes;
        return n;
}

void raw_header(uint8_t out[VGL_FRAME_HEADER_SIZE], uint32_t magic, uint8_t version, uint8_t type,
                uint16_t flags, uint32_t stream, uint32_t length)
{
        vgl_put_le32(out, magic);
        out[4] = version;
        out[5] = type;
        vgl_put_le16(out + 6, flags);
        vgl_put_le32(out + 8, stream);
        vgl_put_le32(out + 12, length);
}
