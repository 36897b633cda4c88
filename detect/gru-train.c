/* Training of the GRU language model: B lanes each stream whole traces
 * (hidden state reset at a trace's start), T steps forward, back-propagation
 * through those T steps, one Adam update; the hidden state carries over to
 * the next chunk without gradient. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gru.h"
#include "rng.h"
#include "vec.h"
#include "vocab.h"

#define ADAM_B1   0.9f
#define ADAM_B2   0.999f
#define ADAM_EPS  1e-8f
#define CLIP_NORM 5.0f

struct lane {
        uint32_t trace, pos;
        bool busy;
};

struct trainer {
        struct vgl_gru *g, *grad; /* grad: same layout, the gradient */
        float *m, *v;             /* Adam moments */
        uint32_t B, T, H, V;
        uint16_t *in, *tgt;       /* [T][B] */
        uint8_t *reset, *act;     /* [T][B] */
        float *hs;                /* [T+1][B][H]: hs[0] carried in, hs[t+1] after step t */
        float *zs, *rs, *ns, *qn; /* [T][B][H] gate values, qn = (Un hp + bu) */
        float *p;                 /* [T][B][V] softmax, then its gradient */
        float *dh;                /* [B][H] gradient flowing back in time */
        float *zero, *q, *tmp;    /* [3H] scratch */
        struct lane *lane;
        uint64_t updates;
};

static void trainer_free(struct trainer *t)
{
        vgl_gru_free(t->grad);
        free(t->m), free(t->v), free(t->in), free(t->tgt), free(t->reset), free(t->act);
        free(t->hs), free(t->zs), free(t->rs), free(t->ns), free(t->qn), free(t->p);
        free(t->dh), free(t->zero), free(t->q), free(t->tmp), free(t->lane);
}

static int trainer_init(struct trainer *t, struct vgl_gru *g, const struct vgl_gru_train_opts *o)
{
        size_t TB = (size_t)o->bptt * o->lanes, H = g->H, V = g->V;

        *t = (struct trainer){.g = g, .B = o->lanes, .T = o->bptt, .H = g->H, .V = g->V};
        if (vgl_gru_new(g->V, g->H, &t->grad) < 0)
                return -ENOMEM;
        t->m = calloc(g->nw, sizeof(float));
        t->v = calloc(g->nw, sizeof(float));
        t->in = calloc(TB, sizeof(uint16_t));
        t->tgt = calloc(TB, sizeof(uint16_t));
        t->reset = calloc(TB, 1);
        t->act = calloc(TB, 1);
        t->hs = calloc((TB + o->lanes) * H, sizeof(float));
        t->zs = calloc(TB * H, sizeof(float));
        t->rs = calloc(TB * H, sizeof(float));
        t->ns = calloc(TB * H, sizeof(float));
        t->qn = calloc(TB * H, sizeof(float));
        t->p = calloc(TB * V, sizeof(float));
        t->dh = calloc(o->lanes * H, sizeof(float));
        t->zero = calloc(3 * H, sizeof(float));
        t->q = calloc(3 * H, sizeof(float));
        t->tmp = calloc(3 * H + V, sizeof(float));
        t->lane = calloc(o->lanes, sizeof(struct lane));
        if (!t->m || !t->v || !t->in || !t->tgt || !t->reset || !t->act || !t->hs || !t->zs ||
            !t->rs || !t->ns || !t->qn || !t->p || !t->dh || !t->zero || !t->q || !t->tmp ||
            !t->lane)
                return -ENOMEM;
        return 0;
}

/* Forward step t of lane b; returns -log p(target). */
static float forward(struct trainer *t, uint32_t s, uint32_t b)
{
        const struct vgl_gru *g = t->g;
        const uint32_t H = t->H, V = t->V;
        size_t i = (size_t)s * t->B + b;
        const float *hp = t->reset[i] ? t->zero : t->hs + i * H;
        const float *x = g->X + (size_t)t->in[i] * 3 * H;
        float *h = t->hs + (i + t->B) * H, *q = t->q, *p = t->p + i * V;
        float *zs = t->zs + i * H, *rs = t->rs + i * H, *ns = t->ns + i * H, *qn = t->qn + i * H;

        memset(q, 0, 3 * H * sizeof(float));
        vgl_matvec_t(q, g->Ut, hp, H, 3 * H);
        for (uint32_t j = 0; j < H; j++) {
                zs[j] = x[j] + q[j];
                rs[j] = x[H + j] + q[H + j];
        }
        vgl_sigmoid(zs, H);
        vgl_sigmoid(rs, H);
        for (uint32_t j = 0; j < H; j++) {
                qn[j] = q[2 * H + j] + g->bu[j];
                ns[j] = x[2 * H + j] + rs[j] * qn[j];
        }
        vgl_tanh(ns, H);
        for (uint32_t j = 0; j < H; j++)
                h[j] = (1.0f - zs[j]) * ns[j] + zs[j] * hp[j];
        vgl_matvec(p, g->Wo, h, V, H, 0);
        for (uint32_t v = 0; v < V; v++)
                p[v] += g->bo[v];
        vgl_softmax(p, V);
        return -logf(p[t->tgt[i]] > 1e-30f ? p[t->tgt[i]] : 1e-30f);
}

/* Backward step s of lane b, the loss scaled by `scale`. */
static void backward(struct trainer *t, uint32_t s, uint32_t b, float scale)
{
        const struct vgl_gru *g = t->g;
        struct vgl_gru *d = t->grad;
        const uint32_t H = t->H, V = t->V;
        size_t i = (size_t)s * t->B + b;
        const float *hp = t->reset[i] ? t->zero : t->hs + i * H, *h = t->hs + (i + t->B) * H;
        const float *z = t->zs + i * H, *r = t->rs + i * H, *n = t->ns + i * H, *qn = t->qn + i * H;
        float *dl = t->p + i * V, *dh = t->dh + (size_t)b * H, *dq = t->q, *dhp = t->tmp;
        float *dx = d->X + (size_t)t->in[i] * 3 * H;

        dl[t->tgt[i]] -= 1.0f;
        for (uint32_t v = 0; v < V; v++) {
                dl[v] *= scale;
                d->bo[v] += dl[v];
        }
        vgl_outer_add(d->Wo, dl, h, V, H);
        vgl_matvec_t(dh, g->Wo, dl, V, H);
        for (uint32_t j = 0; j < H; j++) {
                float dn = dh[j] * (1.0f - z[j]), dz = dh[j] * (hp[j] - n[j]);
                float dan = dn * (1.0f - n[j] * n[j]), dr = dan * qn[j];
                dq[j] = dz * z[j] * (1.0f - z[j]);
                dq[H + j] = dr * r[j] * (1.0f - r[j]);
                dq[2 * H + j] = dan * r[j];
                dx[j] += dq[j];
                dx[H + j] += dq[H + j];
                dx[2 * H + j] += dan;
                d->bu[j] += dq[2 * H + j];
        }
        vgl_outer_add(d->Ut, hp, dq, H, 3 * H);
        vgl_matvec(dhp, g->Ut, dq, H, 3 * H, 0);
        for (uint32_t j = 0; j < H; j++)
                dh[j] = t->reset[i] ? 0.0f : dhp[j] + dh[j] * z[j];
}

static void adam(struct trainer *t, float lr)
{
        float *w = t->g->w, *gr = t->grad->w, norm = 0, c;
        size_t nw = t->g->nw;
        double b1t, b2t;

        for (size_t k = 0; k < nw; k++)
                norm += gr[k] * gr[k];
        norm = sqrtf(norm);
        c = norm > CLIP_NORM ? CLIP_NORM / norm : 1.0f;
        t->updates++;
        b1t = 1.0 - pow(ADAM_B1, (double)t->updates);
        b2t = 1.0 - pow(ADAM_B2, (double)t->updates);
        for (size_t k = 0; k < nw; k++) {
                float gk = gr[k] * c;
                t->m[k] = ADAM_B1 * t->m[k] + (1.0f - ADAM_B1) * gk;
                t->v[k] = ADAM_B2 * t->v[k] + (1.0f - ADAM_B2) * gk * gk;
                w[k] -= lr * (float)(t->m[k] / b1t) / (sqrtf((float)(t->v[k] / b2t)) + ADAM_EPS);
        }
        memset(gr, 0, nw * sizeof(float));
}

/* Fills the chunk's inputs from the lanes; false when every lane is idle. */
static bool plan_chunk(struct trainer *t, const uint16_t *const *ids, const uint32_t *len,
                       const uint32_t *order, uint32_t n, uint32_t *next)
{
        bool any = false;

        for (uint32_t s = 0; s < t->T; s++)
                for (uint32_t b = 0; b < t->B; b++) {
                        struct lane *l = &t->lane[b];
                        size_t i = (size_t)s * t->B + b;
                        while (!l->busy && *next < n) {
                                uint32_t k = order[(*next)++];
                                if (len[k])
                                        *l = (struct lane){.trace = k, .busy = true};
                        }
                        t->act[i] = l->busy;
                        t->reset[i] = l->busy && l->pos == 0;
                        if (!l->busy)
                                continue;
                        any = true;
                        t->in[i] = l->pos ? ids[l->trace][l->pos - 1] : VGL_TOK_PAD;
                        t->tgt[i] = ids[l->trace][l->pos];
                        if (++l->pos == len[l->trace])
                                l->busy = false;
                }
        return any;
}

static double run_chunk(struct trainer *t, float lr)
{
        uint32_t count = 0;
        double loss = 0;

        for (uint32_t s = 0; s < t->T; s++)
                for (uint32_t b = 0; b < t->B; b++)
                        if (t->act[(size_t)s * t->B + b]) {
                                loss += forward(t, s, b);
                                count++;
                        }
        memset(t->dh, 0, (size_t)t->B * t->H * sizeof(float));
        for (uint32_t s = t->T; s-- > 0;)
                for (uint32_t b = 0; b < t->B; b++)
                        if (t->act[(size_t)s * t->B + b])
                                backward(t, s, b, 1.0f / (float)count);
        adam(t, lr);
        /* The next chunk starts from where this one ended. */
        memcpy(t->hs, t->hs + (size_t)t->T * t->B * t->H, (size_t)t->B * t->H * sizeof(float));
        return loss;
}

static void init_weights(struct vgl_gru *g, uint64_t seed)
{
        struct vgl_rng rng = {seed};
        float a = 1.0f / sqrtf((float)g->H);

        for (size_t k = 0; k < g->nw; k++)
                g->w[k] = vgl_rng_sym(&rng, a);
        memset(g->bu, 0, g->H * sizeof(float));
        memset(g->bo, 0, g->V * sizeof(float));
}

int vgl_gru_train(struct vgl_gru *g, const uint16_t *const *ids, const uint32_t *len, uint32_t n,
                  const struct vgl_gru_train_opts *o)
{
        _cleanup_free_ uint32_t *order = malloc((n ? n : 1) * sizeof(uint32_t));
        struct vgl_rng rng = {o->seed ^ 0x5eed};
        struct trainer t;
        uint64_t total = 0, done = 0;
        int r;

        if (!order || (r = trainer_init(&t, g, o)) < 0) {
                trainer_free(&t);
                return -ENOMEM;
        }
        init_weights(g, o->seed);
        for (uint32_t k = 0; k < n; k++)
                total += len[k];
        total = total * o->epochs / ((uint64_t)o->lanes * o->bptt) + 1;
        for (uint32_t e = 0; e < o->epochs; e++) {
                uint32_t next = 0;
                for (uint32_t k = 0; k < n; k++)
                        order[k] = k;
                vgl_rng_shuffle(&rng, order, n);
                memset(t.lane, 0, t.B * sizeof(*t.lane));
                while (plan_chunk(&t, ids, len, order, n, &next)) {
                        /* Linear decay to a tenth of the step size. */
                        float lr = o->lr * (1.0f - 0.9f * (float)done / (float)total);
                        run_chunk(&t, lr);
                        done++;
                }
        }
        trainer_free(&t);
        return vgl_gru_prepare(g);
}
