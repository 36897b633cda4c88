/* The call vocabulary of a model: the system-call numbers seen in training,
 * mapped to dense ids. Models work on ids, so they do not depend on a
 * numbering; a number never seen in training maps to VGL_TOK_UNK. */
#pragma once

#include <stdint.h>

#include "bin.h"
#include "error.h"
#include "trace.h"

#define VGL_TOK_PAD   0u    /* context before a process's first call */
#define VGL_TOK_UNK   1u    /* a call not seen in training */
#define VGL_TOK_FIRST 2u    /* first id of a known call */
#define VGL_VOCAB_MAX 1024u /* ids, the reserved ones included */

struct vgl_vocab {
        uint32_t n;                        /* ids in use, reserved ones included */
        uint16_t nr[VGL_VOCAB_MAX];        /* id -> system-call number (ids >= VGL_TOK_FIRST) */
        uint16_t id[VGL_TRACE_NR_MAX + 1]; /* number -> id */
};

/* Builds the vocabulary of every number in s, in number order. -E2BIG when
 * there are more distinct numbers than fit. */
int vgl_vocab_build(struct vgl_vocab *v, const struct vgl_traceset *s, struct vgl_error *err);

static inline uint16_t vgl_vocab_id(const struct vgl_vocab *v, uint16_t nr)
{
        return v->id[nr];
}

/* Maps calls[0..n) to ids in out[0..n). */
void vgl_vocab_map(const struct vgl_vocab *v, const uint16_t *calls, uint32_t n, uint16_t *out);

void vgl_vocab_write(const struct vgl_vocab *v, struct vgl_wr *w);

/* Reads what vgl_vocab_write wrote; -EBADMSG naming what is wrong. */
int vgl_vocab_read(struct vgl_vocab *v, struct vgl_rd *r, struct vgl_error *err);
