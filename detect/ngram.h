/* N-grams of call ids: a 64-bit hash per n-gram and a compact set of such
 * hashes (open addressing, 8 bytes a slot, load <= 1/2). With 64-bit hashes a
 * false "seen" needs a collision among ~2^32 n-grams: negligible here. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bin.h"
#include "error.h"

#define VGL_NGRAM_MAX     16u        /* largest n */
#define VGL_NGRAM_SET_MAX (1u << 26) /* slots, a bound on loaded files */

/* Hash of gram[0..n) (never 0, the empty slot). */
static inline uint64_t vgl_ngram_hash(const uint16_t *gram, unsigned n)
{
        uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

        for (unsigned i = 0; i < n; i++)
                h = (h ^ gram[i]) * 0xff51afd7ed558ccdull + 0x632be59bd9b4e5ull;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
        return h ? h : 1;
}

/* Fills gram[0..n) with the n-gram ending at ids[i], VGL_TOK_PAD before ids[0]. */
void vgl_ngram_at(const uint16_t *ids, uint32_t i, unsigned n, uint16_t *gram);

struct vgl_ngram_set {
        uint64_t *slot;
        uint32_t cap; /* power of two */
        uint32_t count;
};

int vgl_ngram_set_init(struct vgl_ngram_set *s, uint32_t expected);
void vgl_ngram_set_free(struct vgl_ngram_set *s);
/* Adds h; 1 if it was new, 0 if present, -ENOMEM / -E2BIG. */
int vgl_ngram_set_add(struct vgl_ngram_set *s, uint64_t h);

static inline bool vgl_ngram_set_has(const struct vgl_ngram_set *s, uint64_t h)
{
        uint32_t mask = s->cap - 1, i = (uint32_t)h & mask;

        while (s->slot[i]) {
                if (s->slot[i] == h)
                        return true;
                i = (i + 1) & mask;
        }
        return false;
}

void vgl_ngram_set_write(const struct vgl_ngram_set *s, struct vgl_wr *w);
int vgl_ngram_set_read(struct vgl_ngram_set *s, struct vgl_rd *r, struct vgl_error *err);
