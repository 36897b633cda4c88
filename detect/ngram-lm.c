/* An n-gram language model of calls: Witten-Bell interpolation of orders
 * 1..N (Witten & Bell 1991; Chen & Goodman 1999), the unigram add-one
 * smoothed, so no call has probability 0. A call's contribution is its
 * negative log-likelihood given the N-1 calls before it. Counts live in one
 * open-addressing table keyed by 64-bit n-gram hashes: c(h w) under the
 * n-gram's hash, c(h) and the number of distinct followers of h under the
 * context's hash. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "component.h"
#include "ngram.h"

#define CONTEXT_TWEAK 0x6a09e667f3bcc909ull /* separates context keys from n-gram keys */
#define TABLE_MAX     (1u << 26)

struct entry {
        uint64_t key;
        uint32_t count, types;
};

struct nglm {
        uint32_t n, vocab;
        uint64_t total; /* calls in training */
        struct entry *slot;
        uint32_t cap, used;
};

struct nglm_state {
        uint16_t gram[VGL_NGRAM_MAX];
};

static void nglm_free(void *m)
{
        struct nglm *g = m;

        if (g) {
                free(g->slot);
                free(g);
        }
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct nglm *, nglm_free)

static struct entry *find(const struct nglm *g, uint64_t key)
{
        uint32_t i = (uint32_t)key & (g->cap - 1);

        while (g->slot[i].key && g->slot[i].key != key)
                i = (i + 1) & (g->cap - 1);
        return &g->slot[i];
}

static int grow(struct nglm *g)
{
        struct entry *old = g->slot;
        uint32_t cap = g->cap;

        if (g->cap * 2 > TABLE_MAX)
                return -E2BIG;
        if (!(g->slot = calloc((size_t)cap * 2, sizeof(*g->slot)))) {
                g->slot = old;
                return -ENOMEM;
        }
        g->cap = cap * 2;
        for (uint32_t i = 0; i < cap; i++)
                if (old[i].key)
                        *find(g, old[i].key) = old[i];
        free(old);
        return 0;
}

static struct entry *upsert(struct nglm *g, uint64_t key)
{
        struct entry *e = find(g, key);

        if (e->key)
                return e;
        if (2 * (g->used + 1) > g->cap) {
                if (grow(g) < 0)
                        return NULL;
                e = find(g, key);
        }
        e->key = key;
        g->used++;
        return e;
}

static int count_gram(struct nglm *g, const uint16_t *gram)
{
        for (uint32_t k = 1; k <= g->n; k++) {
                const uint16_t *s = gram + g->n - k;
                struct entry *e = upsert(g, vgl_ngram_hash(s, k)), *h;
                if (!e)
                        return -ENOMEM;
                bool fresh = e->count++ == 0;
                if (k == 1)
                        continue;
                if (!(h = upsert(g, vgl_ngram_hash(s, k - 1) ^ CONTEXT_TWEAK)))
                        return -ENOMEM;
                h->count++;
                h->types += fresh;
        }
        return 0;
}

static int nglm_train(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                      struct vgl_error *err)
{
        _cleanup_(nglm_freep) struct nglm *g = calloc(1, sizeof(*g));
        uint16_t gram[VGL_NGRAM_MAX];

        if (!g || !(g->slot = calloc(1u << 16, sizeof(*g->slot))))
                return vgl_error_set(err, ENOMEM, "ngram: out of memory");
        if (p->ngram_n < 1 || p->ngram_n > VGL_NGRAM_MAX)
                return vgl_error_set(err, EINVAL, "ngram: order must be 1..%u", VGL_NGRAM_MAX);
        g->cap = 1u << 16;
        g->n = p->ngram_n;
        g->vocab = c->vocab;
        for (uint32_t t = 0; t < c->n; t++)
                for (uint32_t i = 0; i < c->len[t]; i++) {
                        vgl_ngram_at(c->ids[t], i, g->n, gram);
                        if (count_gram(g, gram) < 0)
                                return vgl_error_set(err, ENOMEM, "ngram: table too large");
                        g->total++;
                }
        *ret = TAKE_PTR(g);
        return 0;
}

static void nglm_write(const void *m, struct vgl_wr *w)
{
        const struct nglm *g = m;

        vgl_wr_u32(w, g->n);
        vgl_wr_u64(w, g->total);
        vgl_wr_u32(w, g->used);
        for (uint32_t i = 0; i < g->cap; i++)
                if (g->slot[i].key) {
                        vgl_wr_u64(w, g->slot[i].key);
                        vgl_wr_u32(w, g->slot[i].count);
                        vgl_wr_u32(w, g->slot[i].types);
                }
}

static int nglm_read(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err)
{
        _cleanup_(nglm_freep) struct nglm *g = calloc(1, sizeof(*g));
        uint32_t used;

        if (!g)
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        g->n = vgl_rd_u32(r);
        g->total = vgl_rd_u64(r);
        used = vgl_rd_u32(r);
        g->vocab = vocab;
        if (r->bad || g->n < 1 || g->n > VGL_NGRAM_MAX || used > TABLE_MAX / 2 ||
            vgl_rd_left(r) / 16 < used)
                return vgl_error_set(err, EBADMSG, "%s: ngram order or table size out of range",
                                     r->what);
        for (g->cap = 1024; g->cap < 2 * used;)
                g->cap *= 2;
        if (!(g->slot = calloc(g->cap, sizeof(*g->slot))))
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        for (uint32_t i = 0; i < used; i++) {
                uint64_t key = vgl_rd_u64(r);
                struct entry *e = key ? find(g, key) : NULL;
                if (!e || e->key)
                        return vgl_error_set(err, EBADMSG, "%s: ngram entry %u empty or repeated",
                                             r->what, i);
                uint32_t count = vgl_rd_u32(r), types = vgl_rd_u32(r);
                *e = (struct entry){.key = key, .count = count, .types = types};
                g->used++;
        }
        *ret = TAKE_PTR(g);
        return 0;
}

static size_t nglm_state_size(const void *m)
{
        return sizeof(struct nglm_state);
}

static void nglm_state_init(const void *m, void *st)
{
        memset(st, 0, sizeof(struct nglm_state));
}

static float nglm_call(const void *m, void *st, uint16_t id)
{
        const struct nglm *g = m;
        struct nglm_state *x = st;
        const struct entry *e;
        double p;

        memmove(x->gram, x->gram + 1, (g->n - 1) * sizeof(uint16_t));
        x->gram[g->n - 1] = id;
        e = find(g, vgl_ngram_hash(x->gram + g->n - 1, 1));
        p = (e->count + 1.0) / ((double)g->total + g->vocab);
        for (uint32_t k = 2; k <= g->n; k++) {
                const uint16_t *s = x->gram + g->n - k;
                const struct entry *h = find(g, vgl_ngram_hash(s, k - 1) ^ CONTEXT_TWEAK);
                if (!h->count)
                        break; /* longer contexts were not seen either */
                e = find(g, vgl_ngram_hash(s, k));
                p = (e->count + h->types * p) / ((double)h->count + h->types);
        }
        return (float)-log(p);
}

const struct vgl_component_ops vgl_ngram_ops = {
        .name = "ngram",
        .kind = VGL_MODEL_NGRAM,
        .shape = VGL_SHAPE_PER_CALL,
        .train = nglm_train,
        .write = nglm_write,
        .read = nglm_read,
        .free = nglm_free,
        .state_size = nglm_state_size,
        .state_init = nglm_state_init,
        .call = nglm_call,
};
