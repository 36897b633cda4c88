/* A growable byte buffer with a hard capacity limit. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct vgl_buf {
        uint8_t *data;
        size_t len;   /* bytes in use */
        size_t cap;   /* bytes allocated */
        size_t limit; /* never grow past this; 0 = SIZE_MAX */
};

/* Initialises an empty buffer that refuses to grow beyond limit bytes (0: no limit). */
void vgl_buf_init(struct vgl_buf *b, size_t limit);

/* Frees the storage; the buffer is empty and reusable afterwards. */
void vgl_buf_free(struct vgl_buf *b);

/* Makes room for n more bytes. -ENOBUFS past the limit, -ENOMEM on allocation failure. */
int vgl_buf_reserve(struct vgl_buf *b, size_t n);

/* Appends n bytes. Same errors as vgl_buf_reserve; on error the buffer is unchanged. */
int vgl_buf_append(struct vgl_buf *b, const void *p, size_t n);

/* Drops the first n bytes (n <= len), moving the rest to the front. */
void vgl_buf_consume(struct vgl_buf *b, size_t n);

static inline void vgl_buf_freep(struct vgl_buf *b)
{
        vgl_buf_free(b);
}
