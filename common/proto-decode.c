/* The streaming frame decoder.
 *
 * Bytes arrive in arbitrary chunks. A frame that lies wholly inside a chunk
 * is handed to the callback in place (no copy); only a frame split across
 * chunks is assembled in the decoder's one buffer, allocated at creation.
 * Every byte fed ends up either in a delivered frame or in exactly one
 * report's `bytes`, so frames' sizes + skipped_bytes == bytes fed once
 * vgl_decoder_finish() has run. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const uint8_t magic[4] = {0x56, 0x49, 0x47, 0x4c};

struct vgl_decoder {
        vgl_frame_fn on_frame;
        vgl_decode_error_fn on_error;
        void *userdata;
        uint8_t *buf;   /* VGL_FRAME_MAX_SIZE: a frame split across feeds */
        size_t have;    /* bytes in buf (a magic prefix, a header, a frame) */
        size_t need;    /* size of the frame in buf once its header passed, else 0 */
        size_t discard; /* payload bytes of a rejected frame still to drop */
        struct vgl_decode_report pending; /* report being accumulated; .error 0 = none */
        struct vgl_buf stash;             /* unread rest of a chunk after on_frame stopped */
        size_t stash_off;
        struct vgl_decoder_stats stats;
};

enum verdict {
        HDR_FRAME,  /* deliver */
        HDR_SKIP,   /* drop the whole frame, trusting its length */
        HDR_RESYNC, /* length untrusted: drop the magic and scan for the next one */
};

int vgl_decoder_new(vgl_frame_fn on_frame, vgl_decode_error_fn on_error, void *userdata,
                    struct vgl_decoder **ret)
{
        _cleanup_free_ struct vgl_decoder *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->buf = malloc(VGL_FRAME_MAX_SIZE);
        if (!d->buf)
                return -ENOMEM;
        d->on_frame = on_frame;
        d->on_error = on_error;
        d->userdata = userdata;
        vgl_buf_init(&d->stash, 0);
        *ret = TAKE_PTR(d);
        return 0;
}

struct vgl_decoder *vgl_decoder_free(struct vgl_decoder *d)
{
        if (d) {
                free(d->buf);
                vgl_buf_free(&d->stash);
                free(d);
        }
        return NULL;
}

void vgl_decoder_get_stats(const struct vgl_decoder *d, struct vgl_decoder_stats *ret)
{
        *ret = d->stats;
}

static void report_flush(struct vgl_decoder *d)
{
        if (!d->pending.error)
                return;
        struct vgl_decode_report r = d->pending;
        d->pending = (struct vgl_decode_report){0};
        d->stats.errors++;
        d->stats.skipped_bytes += r.bytes;
        if (d->on_error)
                d->on_error(&r, d->userdata);
}

/* Skipped bytes extend the report in progress (garbage, or the resync after a
 * bad header), so one bad spot gives one report. */
static void garbage(struct vgl_decoder *d, size_t n)
{
        if (!n)
                return;
        if (!d->pending.error)
                d->pending.error = VGL_DECODE_GARBAGE;
        d->pending.bytes += n;
}

static enum verdict check_header(const uint8_t *h, struct vgl_decode_report *rep)
{
        uint32_t length = vgl_get_le32(h + 12);

        *rep = (struct vgl_decode_report){.version = h[4], .type = h[5], .length = length};
        if (h[4] != VGL_PROTO_VERSION) {
                rep->error = VGL_DECODE_BAD_VERSION;
                return length <= VGL_FRAME_MAX_PAYLOAD ? HDR_SKIP : HDR_RESYNC;
        }
        if (length > VGL_FRAME_MAX_PAYLOAD) {
                rep->error = VGL_DECODE_OVERSIZE;
                return HDR_RESYNC;
        }
        if (vgl_get_le16(h + 6) != 0) {
                rep->error = VGL_DECODE_BAD_FLAGS;
                return HDR_SKIP;
        }
        if (!vgl_msg_type_known(h[5])) {
                rep->error = VGL_DECODE_UNKNOWN_TYPE;
                return HDR_SKIP;
        }
        return HDR_FRAME;
}

static void begin_skip(struct vgl_decoder *d, const struct vgl_decode_report *rep)
{
        report_flush(d);
        d->pending = *rep;
        d->pending.bytes = VGL_FRAME_HEADER_SIZE;
        d->discard = rep->length;
        if (!d->discard)
                report_flush(d);
}

static void begin_resync(struct vgl_decoder *d, const struct vgl_decode_report *rep)
{
        report_flush(d);
        d->pending = *rep;
        d->pending.bytes = sizeof(magic);
}

static int deliver(struct vgl_decoder *d, const uint8_t *h)
{
        struct vgl_frame f = {
                .version = h[4],
                .type = h[5],
                .flags = vgl_get_le16(h + 6),
                .stream = vgl_get_le32(h + 8),
                .length = vgl_get_le32(h + 12),
                .payload = h + VGL_FRAME_HEADER_SIZE,
        };
        d->stats.frames++;
        return d->on_frame ? d->on_frame(&f, d->userdata) : 0;
}

static int decode(struct vgl_decoder *d, const uint8_t *p, size_t n, size_t *ret_used);

/* The 12 header bytes after a rejected magic may hold the start of the next
 * frame; they are too few to complete one, so rescanning them never delivers. */
static void rescan_buffered_header(struct vgl_decoder *d)
{
        uint8_t tail[VGL_FRAME_HEADER_SIZE - sizeof(magic)];
        size_t used;

        memcpy(tail, d->buf + sizeof(magic), sizeof(tail));
        d->have = 0;
        (void)decode(d, tail, sizeof(tail), &used);
}

static size_t drop(struct vgl_decoder *d, size_t avail)
{
        size_t take = avail < d->discard ? avail : d->discard;
        d->discard -= take;
        d->pending.bytes += take;
        if (!d->discard)
                report_flush(d);
        return take;
}

/* Header complete in buf: decide. Returns true if payload bytes should follow. */
static bool buffered_header_done(struct vgl_decoder *d)
{
        struct vgl_decode_report rep;

        switch (check_header(d->buf, &rep)) {
        case HDR_FRAME:
                report_flush(d);
                d->need = VGL_FRAME_HEADER_SIZE + rep.length;
                return true;
        case HDR_SKIP:
                d->have = 0;
                begin_skip(d, &rep);
                return false;
        case HDR_RESYNC:
                begin_resync(d, &rep);
                rescan_buffered_header(d);
                return false;
        }
        return false;
}

/* Continues a frame held in buf. Returns bytes consumed (possibly 0 when
 * the held bytes turn out not to be a magic: the state then changed). */
static size_t fill(struct vgl_decoder *d, const uint8_t *p, size_t n, int *r)
{
        size_t used = 0;

        while (d->have < sizeof(magic) && used < n) {
                if (p[used] != magic[d->have]) {
                        /* "VIGL" has no self-overlap: none of the held bytes starts a magic. */
                        garbage(d, d->have);
                        d->have = 0;
                        return used;
                }
                d->buf[d->have++] = p[used++];
        }
        if (!d->need && d->have >= sizeof(magic)) {
                size_t take = VGL_FRAME_HEADER_SIZE - d->have;
                if (take > n - used)
                        take = n - used;
                memcpy(d->buf + d->have, p + used, take);
                d->have += take;
                used += take;
                if (d->have < VGL_FRAME_HEADER_SIZE || !buffered_header_done(d))
                        return used;
        }
        if (!d->need)
                return used;
        size_t take = d->need - d->have;
        if (take > n - used)
                take = n - used;
        memcpy(d->buf + d->have, p + used, take);
        d->have += take;
        used += take;
        if (d->have == d->need) {
                d->have = d->need = 0;
                *r = deliver(d, d->buf);
        }
        return used;
}

/* At a magic (or a magic prefix at the end of the chunk). */
static size_t at_magic(struct vgl_decoder *d, const uint8_t *h, size_t n, int *r)
{
        struct vgl_decode_report rep;

        if (n < VGL_FRAME_HEADER_SIZE) {
                memcpy(d->buf, h, n);
                d->have = n;
                return n;
        }
        switch (check_header(h, &rep)) {
        case HDR_FRAME: {
                size_t size = VGL_FRAME_HEADER_SIZE + rep.length;
                report_flush(d);
                if (n >= size) {
                        *r = deliver(d, h);
                        return size;
                }
                memcpy(d->buf, h, n);
                d->have = n;
                d->need = size;
                return n;
        }
        case HDR_SKIP:
                begin_skip(d, &rep);
                return VGL_FRAME_HEADER_SIZE;
        case HDR_RESYNC:
                begin_resync(d, &rep);
                return sizeof(magic);
        }
        return n;
}

/* Nothing held: find the next magic in the chunk, counting what precedes it. */
static size_t scan(struct vgl_decoder *d, const uint8_t *p, size_t n, int *r)
{
        size_t i = 0;

        for (;;) {
                const uint8_t *v = memchr(p + i, magic[0], n - i);
                if (!v) {
                        garbage(d, n);
                        return n;
                }
                size_t k = (size_t)(v - p);
                size_t cmp = n - k < sizeof(magic) ? n - k : sizeof(magic);
                if (memcmp(v, magic, cmp) == 0) {
                        i = k;
                        break;
                }
                i = k + 1;
        }
        garbage(d, i);
        return i + at_magic(d, p + i, n - i, r);
}

static int decode(struct vgl_decoder *d, const uint8_t *p, size_t n, size_t *ret_used)
{
        size_t pos = 0;
        int r = 0;

        while (pos < n && r >= 0) {
                if (d->discard)
                        pos += drop(d, n - pos);
                else if (d->have)
                        pos += fill(d, p + pos, n - pos, &r);
                else
                        pos += scan(d, p + pos, n - pos, &r);
        }
        *ret_used = pos;
        return r;
}

/* Keeps the unread rest of a chunk after a stop. Should memory run out, the
 * bytes are reported as skipped rather than silently lost. */
static int stash_keep(struct vgl_decoder *d, const uint8_t *p, size_t n)
{
        if (!n)
                return 0;
        vgl_buf_consume(&d->stash, d->stash_off);
        d->stash_off = 0;
        int r = vgl_buf_append(&d->stash, p, n);
        if (r < 0)
                garbage(d, n);
        return r;
}

static int decode_stash(struct vgl_decoder *d)
{
        size_t used;
        int r = decode(d, d->stash.data + d->stash_off, d->stash.len - d->stash_off, &used);

        d->stash_off += used;
        if (d->stash_off == d->stash.len)
                d->stash.len = d->stash_off = 0;
        return r;
}

int vgl_decoder_feed(struct vgl_decoder *d, const void *data, size_t len)
{
        const uint8_t *p = data;
        size_t used = 0;
        int r = 0;

        d->stats.bytes += len;
        if (d->stash.len) {
                r = decode_stash(d);
                if (r < 0) {
                        int k = stash_keep(d, p, len);
                        len = 0;
                        if (k < 0)
                                r = k;
                }
        }
        if (len) {
                r = decode(d, p, len, &used);
                if (r < 0) {
                        int k = stash_keep(d, p + used, len - used);
                        if (k < 0)
                                r = k;
                }
        }
        /* Garbage is reported at the end of each feed, so a peer that sends
         * nothing but garbage is noticed without waiting for a magic. */
        if (!d->discard)
                report_flush(d);
        return r;
}

void vgl_decoder_finish(struct vgl_decoder *d)
{
        while (d->stash.len)
                (void)decode_stash(d);

        if (d->discard) {
                d->pending.error = VGL_DECODE_TRUNCATED;
                d->discard = 0;
        } else if (d->have >= sizeof(magic)) {
                report_flush(d);
                d->pending = (struct vgl_decode_report){
                        .error = VGL_DECODE_TRUNCATED,
                        .bytes = d->have,
                        .version = d->have > 4 ? d->buf[4] : 0,
                        .type = d->have > 5 ? d->buf[5] : 0,
                        .length = d->have >= VGL_FRAME_HEADER_SIZE ? vgl_get_le32(d->buf + 12) : 0,
                };
        } else {
                garbage(d, d->have);
        }
        d->have = d->need = 0;
        report_flush(d);
}
