/* The sequence language model (after Kim et al. 2016): a GRU predicts each
 * call from the calls before it in the same process; a call's contribution
 * is its negative log-likelihood, capped so that one never-seen call cannot
 * outweigh a whole trace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "component.h"
#include "gru.h"

#define NLL_CAP 15.0f

struct lm_state {
        uint16_t prev;
        uint16_t pad[7];
        float h[]; /* H */
};

static void lm_free(void *m)
{
        vgl_gru_free(m);
}

static int lm_train(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                    struct vgl_error *err)
{
        struct vgl_gru_train_opts o = {
                .hidden = p->lm_hidden,
                .epochs = p->lm_epochs,
                .lanes = 16,
                .bptt = 32,
                .lr = 0.005f,
                .seed = p->seed,
        };
        struct vgl_gru *g = NULL;
        int r;

        if ((r = vgl_gru_new(c->vocab, p->lm_hidden, &g)) < 0)
                return vgl_error_set(err, -r, "lm: cannot make a GRU of %u units for %u calls",
                                     p->lm_hidden, c->vocab);
        if ((r = vgl_gru_train(g, c->ids, c->len, c->n, &o)) < 0) {
                vgl_gru_free(g);
                return vgl_error_set(err, -r, "lm: training failed");
        }
        *ret = g;
        return 0;
}

static void lm_write(const void *m, struct vgl_wr *w)
{
        vgl_gru_write(m, w);
}

static int lm_read(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err)
{
        struct vgl_gru *g = NULL;
        int k = vgl_gru_read(&g, r, err);

        if (k < 0)
                return k;
        if (g->V != vocab) {
                vgl_gru_free(g);
                return vgl_error_set(err, EBADMSG, "%s: GRU has %u ids, the vocabulary %u", r->what,
                                     g->V, vocab);
        }
        *ret = g;
        return 0;
}

static size_t lm_state_size(const void *m)
{
        const struct vgl_gru *g = m;

        return sizeof(struct lm_state) + g->H * sizeof(float);
}

static void lm_state_init(const void *m, void *st)
{
        memset(st, 0, lm_state_size(m)); /* prev = VGL_TOK_PAD, h = 0 */
}

static float lm_call(const void *m, void *st, uint16_t id)
{
        const struct vgl_gru *g = m;
        struct lm_state *x = st;
        float scratch[VGL_GRU_SCRATCH(VGL_GRU_HIDDEN_MAX, VGL_VOCAB_MAX)];
        float h[VGL_GRU_HIDDEN_MAX], nll;

        vgl_gru_step(g, x->prev, x->h, h, scratch);
        memcpy(x->h, h, g->H * sizeof(float));
        x->prev = id < g->V ? id : VGL_TOK_UNK;
        nll = vgl_gru_nll(g, h, x->prev, scratch);
        return nll < NLL_CAP ? nll : NLL_CAP;
}

const struct vgl_component_ops vgl_lm_ops = {
        .name = "lm",
        .kind = VGL_MODEL_LM,
        .shape = VGL_SHAPE_PER_CALL,
        .train = lm_train,
        .write = lm_write,
        .read = lm_read,
        .free = lm_free,
        .state_size = lm_state_size,
        .state_init = lm_state_init,
        .call = lm_call,
};
