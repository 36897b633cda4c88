#include "gru.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "vec.h"
#include "vocab.h"

int vgl_gru_new(uint32_t V, uint32_t H, struct vgl_gru **ret)
{
        _cleanup_free_ struct vgl_gru *g = NULL;

        if (!H || H % VGL_VEC || H > VGL_GRU_HIDDEN_MAX || V < VGL_TOK_FIRST || V > VGL_VOCAB_MAX)
                return -EINVAL;
        if (!(g = calloc(1, sizeof(*g))))
                return -ENOMEM;
        g->V = V;
        g->H = H;
        g->nw = (size_t)V * 3 * H + (size_t)H * 3 * H + H + (size_t)V * H + V;
        if (!(g->w = calloc(g->nw, sizeof(float))))
                return -ENOMEM;
        g->X = g->w;
        g->Ut = g->X + (size_t)V * 3 * H;
        g->bu = g->Ut + (size_t)H * 3 * H;
        g->Wo = g->bu + H;
        g->bo = g->Wo + (size_t)V * H;
        *ret = TAKE_PTR(g);
        return 0;
}

int vgl_gru_prepare(struct vgl_gru *g)
{
        g->Vp = (g->V + VGL_VEC - 1) / VGL_VEC * VGL_VEC;
        free(g->WoT);
        if (!(g->WoT = calloc((size_t)g->H * g->Vp, sizeof(float))))
                return -ENOMEM;
        for (uint32_t v = 0; v < g->V; v++)
                for (uint32_t k = 0; k < g->H; k++)
                        g->WoT[(size_t)k * g->Vp + v] = g->Wo[(size_t)v * g->H + k];
        return 0;
}

void vgl_gru_free(struct vgl_gru *g)
{
        if (g) {
                free(g->WoT);
                free(g->w);
                free(g);
        }
}

void vgl_gru_step(const struct vgl_gru *g, uint16_t in, const float *hp, float *h, float *scratch)
{
        const uint32_t H = g->H;
        const float *x = g->X + (size_t)in * 3 * H;
        float *q = scratch, *zr = scratch + 3 * H, *n = zr + 2 * H;

        memset(q, 0, 3 * H * sizeof(float));
        vgl_matvec_t(q, g->Ut, hp, H, 3 * H);
        for (uint32_t j = 0; j < 2 * H; j++)
                zr[j] = x[j] + q[j];
        vgl_sigmoid(zr, 2 * H);
        for (uint32_t j = 0; j < H; j++)
                n[j] = x[2 * H + j] + zr[H + j] * (q[2 * H + j] + g->bu[j]);
        vgl_tanh(n, H);
        for (uint32_t j = 0; j < H; j++)
                h[j] = (1.0f - zr[j]) * n[j] + zr[j] * hp[j];
}

float vgl_gru_nll(const struct vgl_gru *g, const float *h, uint16_t next, float *scratch)
{
        float *logit = scratch + 6 * g->H;

        memcpy(logit, g->bo, g->V * sizeof(float));
        memset(logit + g->V, 0, (g->Vp - g->V) * sizeof(float));
        vgl_matvec_t(logit, g->WoT, h, g->H, g->Vp);
        return vgl_logsumexp(logit, g->V) - logit[next];
}

void vgl_gru_write(const struct vgl_gru *g, struct vgl_wr *w)
{
        vgl_wr_u32(w, g->V);
        vgl_wr_u32(w, g->H);
        vgl_wr_f32s(w, g->w, g->nw);
}

int vgl_gru_read(struct vgl_gru **ret, struct vgl_rd *r, struct vgl_error *err)
{
        uint32_t V = vgl_rd_u32(r), H = vgl_rd_u32(r);
        struct vgl_gru *g = NULL;
        int k;

        if (r->bad)
                return vgl_rd_error(r, err, "GRU shape");
        if ((k = vgl_gru_new(V, H, &g)) < 0)
                return k == -EINVAL
                               ? vgl_error_set(err, EBADMSG, "%s: GRU shape %u x %u out of range",
                                               r->what, V, H)
                               : vgl_error_set(err, -k, "%s: out of memory", r->what);
        if (!vgl_rd_f32s(r, g->w, g->nw)) {
                vgl_gru_free(g);
                return vgl_rd_error(r, err, "GRU weights");
        }
        if (vgl_gru_prepare(g) < 0) {
                vgl_gru_free(g);
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        }
        *ret = g;
        return 0;
}
