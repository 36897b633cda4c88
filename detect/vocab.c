#include "vocab.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static void index_numbers(struct vgl_vocab *v)
{
        memset(v->id, 0, sizeof(v->id));
        for (uint32_t i = 0; i <= VGL_TRACE_NR_MAX; i++)
                v->id[i] = VGL_TOK_UNK;
        for (uint32_t t = VGL_TOK_FIRST; t < v->n; t++)
                v->id[v->nr[t]] = (uint16_t)t;
}

int vgl_vocab_build(struct vgl_vocab *v, const struct vgl_traceset *s, struct vgl_error *err)
{
        _cleanup_free_ bool *seen = calloc(VGL_TRACE_NR_MAX + 1, sizeof(bool));
        uint32_t n = VGL_TOK_FIRST;

        if (!seen)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < s->n; i++)
                for (uint32_t j = 0; j < s->v[i].len; j++)
                        seen[s->v[i].calls[j]] = true;
        memset(v->nr, 0, sizeof(v->nr));
        for (uint32_t nr = 0; nr <= VGL_TRACE_NR_MAX; nr++) {
                if (!seen[nr])
                        continue;
                if (n >= VGL_VOCAB_MAX)
                        return vgl_error_set(err, E2BIG,
                                             "more than %u distinct system calls in training",
                                             VGL_VOCAB_MAX - VGL_TOK_FIRST);
                v->nr[n++] = (uint16_t)nr;
        }
        v->n = n;
        index_numbers(v);
        return 0;
}

void vgl_vocab_map(const struct vgl_vocab *v, const uint16_t *calls, uint32_t n, uint16_t *out)
{
        for (uint32_t i = 0; i < n; i++)
                out[i] = v->id[calls[i]];
}

void vgl_vocab_write(const struct vgl_vocab *v, struct vgl_wr *w)
{
        vgl_wr_u32(w, v->n);
        for (uint32_t t = VGL_TOK_FIRST; t < v->n; t++)
                vgl_wr_u16(w, v->nr[t]);
}

int vgl_vocab_read(struct vgl_vocab *v, struct vgl_rd *r, struct vgl_error *err)
{
        uint32_t n = vgl_rd_u32(r);

        if (r->bad)
                return vgl_rd_error(r, err, "vocabulary size");
        if (n < VGL_TOK_FIRST || n > VGL_VOCAB_MAX)
                return vgl_error_set(err, EBADMSG, "%s: vocabulary size %u out of range", r->what,
                                     n);
        memset(v->nr, 0, sizeof(v->nr));
        v->n = n;
        for (uint32_t t = VGL_TOK_FIRST; t < n; t++) {
                v->nr[t] = vgl_rd_u16(r);
                if (t > VGL_TOK_FIRST && v->nr[t] <= v->nr[t - 1] && !r->bad)
                        return vgl_error_set(err, EBADMSG,
                                             "%s: vocabulary numbers not strictly increasing",
                                             r->what);
        }
        if (r->bad)
                return vgl_rd_error(r, err, "vocabulary numbers");
        index_numbers(v);
        return 0;
}
