/* Nearest normal neighbour over call sets: a stretch of calls is the set of
 * calls it makes; its distance to a normal trace is one minus their weighted
 * Jaccard similarity, each call weighted by its inverse document frequency
 * in training (a call every program makes says little, a rare one much; a
 * call never seen in training weighs most). The raw score is the distance to
 * the nearest training trace. Identical training sets are stored once. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "component.h"

#define KNN_SETS_MAX (1u << 20)

struct knn {
        uint32_t vocab, words; /* 64-bit words per set */
        uint32_t nsets;
        uint64_t *bits; /* nsets x words */
        float *weight;  /* per id */
        float *mass;    /* per set: sum of its weights */
};

static void knn_free(void *m)
{
        struct knn *k = m;

        if (k) {
                free(k->bits);
                free(k->weight);
                free(k->mass);
                free(k);
        }
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct knn *, knn_free)

static struct knn *knn_new(uint32_t vocab, uint32_t nsets)
{
        _cleanup_(knn_freep) struct knn *k = calloc(1, sizeof(*k));

        if (!k)
                return NULL;
        k->vocab = vocab;
        k->words = (vocab + 63) / 64;
        k->nsets = nsets;
        k->bits = calloc((size_t)nsets * k->words + 1, sizeof(uint64_t));
        k->weight = calloc(vocab, sizeof(float));
        k->mass = calloc(nsets + 1, sizeof(float));
        return k->bits && k->weight && k->mass ? TAKE_PTR(k) : NULL;
}

static void finish(struct knn *k)
{
        for (uint32_t s = 0; s < k->nsets; s++) {
                const uint64_t *b = k->bits + (size_t)s * k->words;
                k->mass[s] = 0;
                for (uint32_t id = 0; id < k->vocab; id++)
                        if (b[id / 64] >> (id % 64) & 1)
                                k->mass[s] += k->weight[id];
        }
}

static int knn_train(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                     struct vgl_error *err)
{
        _cleanup_(knn_freep) struct knn *k = knn_new(c->vocab, c->n);
        _cleanup_free_ uint32_t *df = calloc(c->vocab, sizeof(uint32_t));
        uint32_t n = 0;

        if (!k || !df)
                return vgl_error_set(err, ENOMEM, "knn: out of memory");
        for (uint32_t t = 0; t < c->n; t++) {
                uint64_t *b = k->bits + (size_t)n * k->words;
                for (uint32_t i = 0; i < c->len[t]; i++)
                        b[c->ids[t][i] / 64] |= 1ull << (c->ids[t][i] % 64);
                for (uint32_t id = 0; id < c->vocab; id++)
                        df[id] += b[id / 64] >> (id % 64) & 1;
                bool dup = false;
                for (uint32_t s = 0; s < n && !dup; s++)
                        dup = !memcmp(b, k->bits + (size_t)s * k->words, k->words * 8);
                if (dup)
                        memset(b, 0, k->words * 8);
                else
                        n++;
        }
        k->nsets = n;
        for (uint32_t id = 0; id < c->vocab; id++)
                k->weight[id] = logf((float)(c->n + 1) / (float)(df[id] + 1)) + 1.0f;
        finish(k);
        *ret = TAKE_PTR(k);
        return 0;
}

static void knn_write(const void *m, struct vgl_wr *w)
{
        const struct knn *k = m;

        vgl_wr_u32(w, k->nsets);
        vgl_wr_f32s(w, k->weight, k->vocab);
        for (size_t i = 0; i < (size_t)k->nsets * k->words; i++)
                vgl_wr_u64(w, k->bits[i]);
}

static int knn_read(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err)
{
        uint32_t nsets = vgl_rd_u32(r);
        _cleanup_(knn_freep) struct knn *k = NULL;

        if (r->bad || nsets > KNN_SETS_MAX || vgl_rd_left(r) / 8 < nsets)
                return vgl_error_set(err, EBADMSG, "%s: knn set count missing or out of range",
                                     r->what);
        if (!(k = knn_new(vocab, nsets)))
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        if (!vgl_rd_f32s(r, k->weight, vocab))
                return vgl_rd_error(r, err, "knn weights");
        for (uint32_t id = 0; id < vocab; id++)
                if (k->weight[id] < 0)
                        return vgl_error_set(err, EBADMSG, "%s: knn weight %u negative", r->what,
                                             id);
        for (size_t i = 0; i < (size_t)nsets * k->words; i++)
                k->bits[i] = vgl_rd_u64(r);
        if (r->bad)
                return vgl_rd_error(r, err, "knn sets");
        finish(k);
        *ret = TAKE_PTR(k);
        return 0;
}

static float knn_counts(const void *m, const uint32_t *counts, uint32_t total)
{
        const struct knn *k = m;
        uint16_t ids[VGL_VOCAB_MAX];
        uint32_t n = 0;
        float mass = 0, best = 0;

        for (uint32_t id = 0; id < k->vocab; id++)
                if (counts[id]) {
                        ids[n++] = (uint16_t)id;
                        mass += k->weight[id];
                }
        if (!n)
                return 0.0f;
        for (uint32_t s = 0; s < k->nsets; s++) {
                const uint64_t *b = k->bits + (size_t)s * k->words;
                float inter = 0;
                for (uint32_t i = 0; i < n; i++)
                        if (b[ids[i] / 64] >> (ids[i] % 64) & 1)
                                inter += k->weight[ids[i]];
                float sim = inter / (mass + k->mass[s] - inter);
                best = sim > best ? sim : best;
        }
        return 1.0f - best;
}

const struct vgl_component_ops vgl_knn_ops = {
        .name = "knn",
        .kind = VGL_MODEL_KNN,
        .shape = VGL_SHAPE_PER_SET,
        .train = knn_train,
        .write = knn_write,
        .read = knn_read,
        .free = knn_free,
        .counts = knn_counts,
};
