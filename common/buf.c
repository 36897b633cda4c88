#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void vgl_buf_init(struct vgl_buf *b, size_t limit)
{
        *b = (struct vgl_buf){.limit = limit ? limit : SIZE_MAX};
}

void vgl_buf_free(struct vgl_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

int vgl_buf_reserve(struct vgl_buf *b, size_t n)
{
        if (n > b->limit || b->len > b->limit - n)
                return -ENOBUFS;
        size_t need = b->len + n;
        if (need <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
                cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        if (cap > b->limit)
                cap = b->limit;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

int vgl_buf_append(struct vgl_buf *b, const void *p, size_t n)
{
        int r = vgl_buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

void vgl_buf_consume(struct vgl_buf *b, size_t n)
{
        if (n >= b->len) {
                b->len = 0;
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
}
