/* Little-endian encoding of model payloads: a writer that appends to a
 * growable buffer and a bounds-checked reader. Neither fails per call: the
 * writer records an allocation failure, the reader a read past the end, and
 * the caller checks once (w->err, r->bad). Floats travel as their IEEE-754
 * bit patterns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct vgl_wr {
        struct vgl_buf b;
        int err; /* first error (negative errno), 0 if none */
};

struct vgl_rd {
        const uint8_t *p;
        size_t len, off;
        bool bad;         /* read past the end */
        const char *what; /* file name for messages */
};

void vgl_wr_init(struct vgl_wr *w);
void vgl_wr_free(struct vgl_wr *w);
void vgl_wr_bytes(struct vgl_wr *w, const void *p, size_t n);
void vgl_wr_u16(struct vgl_wr *w, uint16_t v);
void vgl_wr_u32(struct vgl_wr *w, uint32_t v);
void vgl_wr_u64(struct vgl_wr *w, uint64_t v);
void vgl_wr_f32(struct vgl_wr *w, float v);
void vgl_wr_f64(struct vgl_wr *w, double v);
void vgl_wr_f32s(struct vgl_wr *w, const float *v, size_t n);

void vgl_rd_init(struct vgl_rd *r, const void *p, size_t len, const char *what);
uint16_t vgl_rd_u16(struct vgl_rd *r);
uint32_t vgl_rd_u32(struct vgl_rd *r);
uint64_t vgl_rd_u64(struct vgl_rd *r);
float vgl_rd_f32(struct vgl_rd *r);
double vgl_rd_f64(struct vgl_rd *r);
/* Reads n floats; false (and r->bad) when fewer remain or one is not finite. */
bool vgl_rd_f32s(struct vgl_rd *r, float *v, size_t n);

/* Bytes left to read. */
static inline size_t vgl_rd_left(const struct vgl_rd *r)
{
        return r->len - r->off;
}

/* -EBADMSG "FILE: truncated or invalid at FIELD". */
int vgl_rd_error(const struct vgl_rd *r, struct vgl_error *err, const char *field);
