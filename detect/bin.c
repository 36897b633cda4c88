#include "bin.h"

#include <errno.h>
#include <math.h>
#include <string.h>

void vgl_wr_init(struct vgl_wr *w)
{
        vgl_buf_init(&w->b, 0);
        w->err = 0;
}

void vgl_wr_free(struct vgl_wr *w)
{
        vgl_buf_free(&w->b);
}

void vgl_wr_bytes(struct vgl_wr *w, const void *p, size_t n)
{
        int r;

        if (!w->err && (r = vgl_buf_append(&w->b, p, n)) < 0)
                w->err = r;
}

void vgl_wr_u16(struct vgl_wr *w, uint16_t v)
{
        uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

        vgl_wr_bytes(w, b, sizeof(b));
}

void vgl_wr_u32(struct vgl_wr *w, uint32_t v)
{
        uint8_t b[4];

        for (int i = 0; i < 4; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        vgl_wr_bytes(w, b, sizeof(b));
}

void vgl_wr_u64(struct vgl_wr *w, uint64_t v)
{
        vgl_wr_u32(w, (uint32_t)v);
        vgl_wr_u32(w, (uint32_t)(v >> 32));
}

void vgl_wr_f32(struct vgl_wr *w, float v)
{
        uint32_t u;

        memcpy(&u, &v, sizeof(u));
        vgl_wr_u32(w, u);
}

void vgl_wr_f64(struct vgl_wr *w, double v)
{
        uint64_t u;

        memcpy(&u, &v, sizeof(u));
        vgl_wr_u64(w, u);
}

void vgl_wr_f32s(struct vgl_wr *w, const float *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                vgl_wr_f32(w, v[i]);
}

void vgl_rd_init(struct vgl_rd *r, const void *p, size_t len, const char *what)
{
        *r = (struct vgl_rd){.p = p, .len = len, .what = what};
}

static const uint8_t *take(struct vgl_rd *r, size_t n)
{
        if (r->bad || vgl_rd_left(r) < n) {
                r->bad = true;
                return NULL;
        }
        r->off += n;
        return r->p + r->off - n;
}

uint16_t vgl_rd_u16(struct vgl_rd *r)
{
        const uint8_t *b = take(r, 2);

        return b ? (uint16_t)(b[0] | b[1] << 8) : 0;
}

uint32_t vgl_rd_u32(struct vgl_rd *r)
{
        const uint8_t *b = take(r, 4);

        return b ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                               (uint32_t)b[3] << 24
                 : 0;
}

uint64_t vgl_rd_u64(struct vgl_rd *r)
{
        uint64_t lo = vgl_rd_u32(r);

        return lo | (uint64_t)vgl_rd_u32(r) << 32;
}

float vgl_rd_f32(struct vgl_rd *r)
{
        uint32_t u = vgl_rd_u32(r);
        float v;

        memcpy(&v, &u, sizeof(v));
        return v;
}

double vgl_rd_f64(struct vgl_rd *r)
{
        uint64_t u = vgl_rd_u64(r);
        double v;

        memcpy(&v, &u, sizeof(v));
        return v;
}

bool vgl_rd_f32s(struct vgl_rd *r, float *v, size_t n)
{
        if (r->bad || vgl_rd_left(r) / 4 < n) {
                r->bad = true;
                return false;
        }
        for (size_t i = 0; i < n; i++) {
                v[i] = vgl_rd_f32(r);
                if (!isfinite(v[i])) {
                        r->bad = true;
                        return false;
                }
        }
        return true;
}

int vgl_rd_error(const struct vgl_rd *r, struct vgl_error *err, const char *field)
{
        return vgl_error_set(err, EBADMSG, "%s: truncated or invalid at %s (offset %zu of %zu)",
                             r->what, field, r->off, r->len);
}
