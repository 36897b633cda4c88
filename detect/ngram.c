#include "ngram.h"

#include <errno.h>
#include <stdlib.h>

#include "vocab.h"

void vgl_ngram_at(const uint16_t *ids, uint32_t i, unsigned n, uint16_t *gram)
{
        for (unsigned k = 0; k < n; k++) {
                int64_t j = (int64_t)i - (int64_t)(n - 1) + k;
                gram[k] = j < 0 ? VGL_TOK_PAD : ids[j];
        }
}

int vgl_ngram_set_init(struct vgl_ngram_set *s, uint32_t expected)
{
        uint32_t cap = 1024;

        while (cap < 2 * (uint64_t)expected && cap < VGL_NGRAM_SET_MAX)
                cap *= 2;
        *s = (struct vgl_ngram_set){.slot = calloc(cap, sizeof(uint64_t)), .cap = cap};
        return s->slot ? 0 : -ENOMEM;
}

void vgl_ngram_set_free(struct vgl_ngram_set *s)
{
        free(s->slot);
        *s = (struct vgl_ngram_set){0};
}

static void insert(uint64_t *slot, uint32_t cap, uint64_t h)
{
        uint32_t i = (uint32_t)h & (cap - 1);

        while (slot[i])
                i = (i + 1) & (cap - 1);
        slot[i] = h;
}

static int grow(struct vgl_ngram_set *s)
{
        uint32_t cap = s->cap * 2;
        uint64_t *slot;

        if (cap > VGL_NGRAM_SET_MAX)
                return -E2BIG;
        if (!(slot = calloc(cap, sizeof(*slot))))
                return -ENOMEM;
        for (uint32_t i = 0; i < s->cap; i++)
                if (s->slot[i])
                        insert(slot, cap, s->slot[i]);
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
        return 0;
}

int vgl_ngram_set_add(struct vgl_ngram_set *s, uint64_t h)
{
        int r;

        if (vgl_ngram_set_has(s, h))
                return 0;
        if (2 * (s->count + 1) > s->cap && (r = grow(s)) < 0)
                return r;
        insert(s->slot, s->cap, h);
        s->count++;
        return 1;
}

/* Stored as the sorted-by-slot list of hashes; the table is rebuilt on load. */
void vgl_ngram_set_write(const struct vgl_ngram_set *s, struct vgl_wr *w)
{
        vgl_wr_u32(w, s->count);
        for (uint32_t i = 0; i < s->cap; i++)
                if (s->slot[i])
                        vgl_wr_u64(w, s->slot[i]);
}

int vgl_ngram_set_read(struct vgl_ngram_set *s, struct vgl_rd *r, struct vgl_error *err)
{
        uint32_t count = vgl_rd_u32(r);
        int ret;

        if (r->bad)
                return vgl_rd_error(r, err, "n-gram count");
        if (count > VGL_NGRAM_SET_MAX / 2 || vgl_rd_left(r) / 8 < count)
                return vgl_error_set(err, EBADMSG, "%s: n-gram count %u out of range", r->what,
                                     count);
        if ((ret = vgl_ngram_set_init(s, count)) < 0)
                return vgl_error_set(err, -ret, "%s: out of memory", r->what);
        for (uint32_t i = 0; i < count; i++) {
                uint64_t h = vgl_rd_u64(r);
                if (!h || (ret = vgl_ngram_set_add(s, h)) != 1) {
                        vgl_ngram_set_free(s);
                        return vgl_error_set(err, EBADMSG, "%s: n-gram %u is empty or repeated",
                                             r->what, i);
                }
        }
        return 0;
}
