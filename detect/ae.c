/* An autoencoder over windowed sequence features: the feature vector at a
 * call is the set of calls among the last W (one 0/1 dimension per id);
 * encoder tanh(W1 x + b1) to a small code, decoder sigmoid(W2 h + b2). A
 * window's anomaly is its reconstruction error (binary cross-entropy);
 * windows are evaluated every STRIDE calls (the other calls contribute
 * nothing). The input is sparse, so the encoder only adds a few rows of W1. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "component.h"
#include "rng.h"
#include "vec.h"

#define AE_WINDOW_MAX 64u
#define AE_HIDDEN_MAX 64u
#define STRIDE        4u
#define BATCH         32u
#define LR            0.003f

struct ae {
        uint32_t V, H, W;
        float *w; /* all weights: W1t (V x H), b1 (H), W2 (V x H), b2 (V) */
        size_t nw;
        float *W1t, *b1, *W2, *b2;
};

struct ae_state {
        uint32_t seen;
        uint16_t ring[AE_WINDOW_MAX];
};

static void ae_free(void *m)
{
        struct ae *a = m;

        if (a) {
                free(a->w);
                free(a);
        }
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct ae *, ae_free)

static struct ae *ae_new(uint32_t V, uint32_t H, uint32_t W)
{
        _cleanup_(ae_freep) struct ae *a = NULL;

        if (!H || H % VGL_VEC || H > AE_HIDDEN_MAX || !W || W > AE_WINDOW_MAX || V > VGL_VOCAB_MAX)
                return NULL;
        if (!(a = calloc(1, sizeof(*a))))
                return NULL;
        *a = (struct ae){.V = V, .H = H, .W = W, .nw = 2 * (size_t)V * H + H + V};
        if (!(a->w = calloc(a->nw, sizeof(float))))
                return NULL;
        a->W1t = a->w;
        a->b1 = a->W1t + (size_t)V * H;
        a->W2 = a->b1 + H;
        a->b2 = a->W2 + (size_t)V * H;
        return TAKE_PTR(a);
}

/* The distinct ids of the window ids[0..W) into set; returns how many. */
static uint32_t distinct(const struct ae *a, const uint16_t *ids, uint16_t *set)
{
        uint32_t n = 0;

        for (uint32_t k = 0; k < a->W; k++) {
                uint32_t j = 0;
                while (j < n && set[j] != ids[k])
                        j++;
                if (j == n)
                        set[n++] = ids[k];
        }
        return n;
}

/* Code h and output y of the window whose distinct ids are set[0..n);
 * returns the reconstruction error (binary cross-entropy). With grad, y then
 * holds its gradient with respect to the output logits (sigmoid - x). */
static float forward(const struct ae *a, const uint16_t *set, uint32_t n, float *h, float *y,
                     bool grad)
{
        float err;

        memcpy(h, a->b1, a->H * sizeof(float));
        for (uint32_t k = 0; k < n; k++)
                vgl_axpy(h, 1.0f, a->W1t + (size_t)set[k] * a->H, a->H);
        vgl_tanh(h, a->H);
        vgl_matvec(y, a->W2, h, a->V, a->H, 0);
        for (uint32_t v = 0; v < a->V; v++)
                y[v] += a->b2[v];
        /* -log(1 - sigmoid(l)) = softplus(l) for absent ids, softplus(-l) for present */
        err = vgl_softplus_sum(y, a->V);
        for (uint32_t k = 0; k < n; k++)
                err -= y[set[k]];
        if (!grad)
                return err;
        for (uint32_t v = 0; v < a->V; v++)
                y[v] = 1.0f / (1.0f + expf(-y[v]));
        for (uint32_t k = 0; k < n; k++)
                y[set[k]] -= 1.0f;
        return err;
}

/* Adds the gradient of the window's error to g (same layout as a->w). */
static void backward(const struct ae *a, const uint16_t *set, uint32_t n, const float *h,
                     const float *y, float *g, float *dh)
{
        float *gW1t = g, *gb1 = g + (size_t)a->V * a->H, *gW2 = gb1 + a->H,
              *gb2 = gW2 + (size_t)a->V * a->H;

        memset(dh, 0, a->H * sizeof(float));
        for (uint32_t v = 0; v < a->V; v++) {
                gb2[v] += y[v];
                vgl_axpy(gW2 + (size_t)v * a->H, y[v], h, a->H);
                vgl_axpy(dh, y[v], a->W2 + (size_t)v * a->H, a->H);
        }
        for (uint32_t j = 0; j < a->H; j++) {
                dh[j] *= 1.0f - h[j] * h[j];
                gb1[j] += dh[j];
        }
        for (uint32_t k = 0; k < n; k++)
                vgl_axpy(gW1t + (size_t)set[k] * a->H, 1.0f, dh, a->H);
}

static void adam_step(float *w, float *g, float *m, float *v, size_t n, uint64_t t, float scale)
{
        double c1 = 1.0 - pow(0.9, (double)t), c2 = 1.0 - pow(0.999, (double)t);

        for (size_t k = 0; k < n; k++) {
                float gk = g[k] * scale;
                m[k] = 0.9f * m[k] + 0.1f * gk;
                v[k] = 0.999f * v[k] + 0.001f * gk * gk;
                w[k] -= LR * (float)(m[k] / c1) / (sqrtf((float)(v[k] / c2)) + 1e-8f);
                g[k] = 0;
        }
}

/* Window starts (trace, position) of the corpus, every STRIDE calls. */
static uint64_t *windows(const struct vgl_corpus *c, uint32_t *ret_n)
{
        uint64_t *v, n = 0;

        for (uint32_t t = 0; t < c->n; t++)
                n += (c->len[t] + STRIDE - 1) / STRIDE;
        if (n > UINT32_MAX || !(v = malloc((n ? n : 1) * sizeof(*v))))
                return NULL;
        n = 0;
        for (uint32_t t = 0; t < c->n; t++)
                for (uint32_t i = STRIDE - 1; i < c->len[t] + STRIDE - 1; i += STRIDE)
                        v[n++] = (uint64_t)t << 32 | (i < c->len[t] ? i : c->len[t] - 1);
        *ret_n = (uint32_t)n;
        return v;
}

static void window_at(const struct ae *a, const uint16_t *ids, uint32_t i, uint16_t *out)
{
        for (uint32_t k = 0; k < a->W; k++) {
                int64_t j = (int64_t)i - (int64_t)(a->W - 1) + k;
                out[k] = j < 0 ? VGL_TOK_PAD : ids[j];
        }
}

static int ae_train(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                    struct vgl_error *err)
{
        _cleanup_(ae_freep) struct ae *a = ae_new(c->vocab, p->ae_hidden, p->ae_window);
        _cleanup_free_ float *g = NULL, *m = NULL, *v = NULL, *y = NULL;
        _cleanup_free_ uint64_t *win = NULL;
        struct vgl_rng rng = {p->seed ^ 0xae};
        float h[AE_HIDDEN_MAX], dh[AE_HIDDEN_MAX];
        uint16_t ids[AE_WINDOW_MAX], set[AE_WINDOW_MAX];
        uint32_t nwin = 0;
        uint64_t t = 0;

        if (!a)
                return vgl_error_set(err, EINVAL,
                                     "ae: window 1..%u, code size a multiple of 8 "
                                     "up to %u",
                                     AE_WINDOW_MAX, AE_HIDDEN_MAX);
        if (!(g = calloc(a->nw, sizeof(float))) || !(m = calloc(a->nw, sizeof(float))) ||
            !(v = calloc(a->nw, sizeof(float))) || !(y = calloc(a->V, sizeof(float))) ||
            !(win = windows(c, &nwin)))
                return vgl_error_set(err, ENOMEM, "ae: out of memory");
        for (size_t k = 0; k < a->nw; k++)
                a->w[k] = vgl_rng_sym(&rng, 1.0f / sqrtf((float)a->H));
        for (uint32_t e = 0; e < p->ae_epochs; e++) {
                /* shuffle the windows */
                for (uint32_t i = nwin; i > 1; i--) {
                        uint32_t j = vgl_rng_below(&rng, i);
                        uint64_t x = win[i - 1];
                        win[i - 1] = win[j];
                        win[j] = x;
                }
                for (uint32_t i = 0; i < nwin; i++) {
                        uint32_t tr = (uint32_t)(win[i] >> 32), pos = (uint32_t)win[i];
                        window_at(a, c->ids[tr], pos, ids);
                        uint32_t n = distinct(a, ids, set);
                        forward(a, set, n, h, y, true);
                        backward(a, set, n, h, y, g, dh);
                        if ((i + 1) % BATCH == 0 || i + 1 == nwin)
                                adam_step(a->w, g, m, v, a->nw, ++t, 1.0f / BATCH);
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

static void ae_write(const void *m, struct vgl_wr *w)
{
        const struct ae *a = m;

        vgl_wr_u32(w, a->H);
        vgl_wr_u32(w, a->W);
        vgl_wr_f32s(w, a->w, a->nw);
}

static int ae_read(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err)
{
        uint32_t H = vgl_rd_u32(r), W = vgl_rd_u32(r);
        _cleanup_(ae_freep) struct ae *a = NULL;

        if (r->bad)
                return vgl_rd_error(r, err, "autoencoder shape");
        if (!(a = ae_new(vocab, H, W)))
                return vgl_error_set(err, EBADMSG, "%s: autoencoder shape %u x %u out of range",
                                     r->what, H, W);
        if (!vgl_rd_f32s(r, a->w, a->nw))
                return vgl_rd_error(r, err, "autoencoder weights");
        *ret = TAKE_PTR(a);
        return 0;
}

static size_t ae_state_size(const void *m)
{
        return sizeof(struct ae_state);
}

static void ae_state_init(const void *m, void *st)
{
        memset(st, 0, sizeof(struct ae_state));
}

static float ae_call(const void *m, void *st, uint16_t id)
{
        const struct ae *a = m;
        struct ae_state *x = st;
        float h[AE_HIDDEN_MAX], y[VGL_VOCAB_MAX];
        uint16_t set[AE_WINDOW_MAX];

        x->ring[x->seen % a->W] = id < a->V ? id : VGL_TOK_UNK;
        if (++x->seen % STRIDE)
                return NAN;
        /* The set does not depend on the ring's order. */
        return forward(a, set, distinct(a, x->ring, set), h, y, false);
}

const struct vgl_component_ops vgl_ae_ops = {
        .name = "ae",
        .kind = VGL_MODEL_AE,
        .shape = VGL_SHAPE_PER_CALL,
        .train = ae_train,
        .write = ae_write,
        .read = ae_read,
        .free = ae_free,
        .state_size = ae_state_size,
        .state_init = ae_state_init,
        .call = ae_call,
};
