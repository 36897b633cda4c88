/* STIDE (Forrest et al. 1996; Warrender et al. 1999): the set of every
 * n-gram of calls seen in normal traces. A call's contribution is 1 when the
 * n-gram it ends is not in the set, so a stretch's raw score is its mismatch
 * rate; the online stream's window is the locality frame. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "component.h"
#include "ngram.h"

struct stide {
        uint32_t n;
        struct vgl_ngram_set set;
};

struct stide_state {
        uint16_t gram[VGL_NGRAM_MAX]; /* the last n ids, oldest first */
};

static void stide_free(void *m)
{
        struct stide *s = m;

        if (s) {
                vgl_ngram_set_free(&s->set);
                free(s);
        }
}

static int stide_train(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                       struct vgl_error *err)
{
        _cleanup_free_ struct stide *s = calloc(1, sizeof(*s));
        uint16_t gram[VGL_NGRAM_MAX];
        int r;

        if (!s)
                return vgl_error_set(err, ENOMEM, "stide: out of memory");
        if (p->stide_n < 1 || p->stide_n > VGL_NGRAM_MAX)
                return vgl_error_set(err, EINVAL, "stide: n must be 1..%u", VGL_NGRAM_MAX);
        s->n = p->stide_n;
        if (vgl_ngram_set_init(&s->set, 1 << 16) < 0)
                return vgl_error_set(err, ENOMEM, "stide: out of memory");
        for (uint32_t t = 0; t < c->n; t++)
                for (uint32_t i = 0; i < c->len[t]; i++) {
                        vgl_ngram_at(c->ids[t], i, s->n, gram);
                        if ((r = vgl_ngram_set_add(&s->set, vgl_ngram_hash(gram, s->n))) < 0) {
                                vgl_ngram_set_free(&s->set);
                                return vgl_error_set(err, -r, "stide: n-gram set too large");
                        }
                }
        *ret = TAKE_PTR(s);
        return 0;
}

static void stide_write(const void *m, struct vgl_wr *w)
{
        const struct stide *s = m;

        vgl_wr_u32(w, s->n);
        vgl_ngram_set_write(&s->set, w);
}

static int stide_read(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err)
{
        _cleanup_free_ struct stide *s = calloc(1, sizeof(*s));
        int k;

        if (!s)
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        s->n = vgl_rd_u32(r);
        if (r->bad || s->n < 1 || s->n > VGL_NGRAM_MAX)
                return vgl_error_set(err, EBADMSG, "%s: stide n missing or out of range", r->what);
        if ((k = vgl_ngram_set_read(&s->set, r, err)) < 0)
                return k;
        *ret = TAKE_PTR(s);
        return 0;
}

static size_t stide_state_size(const void *m)
{
        return sizeof(struct stide_state);
}

static void stide_state_init(const void *m, void *st)
{
        memset(st, 0, sizeof(struct stide_state)); /* VGL_TOK_PAD is 0 */
}

static float stide_call(const void *m, void *st, uint16_t id)
{
        const struct stide *s = m;
        struct stide_state *x = st;

        memmove(x->gram, x->gram + 1, (s->n - 1) * sizeof(uint16_t));
        x->gram[s->n - 1] = id;
        return vgl_ngram_set_has(&s->set, vgl_ngram_hash(x->gram, s->n)) ? 0.0f : 1.0f;
}

const struct vgl_component_ops vgl_stide_ops = {
        .name = "stide",
        .kind = VGL_MODEL_STIDE,
        .shape = VGL_SHAPE_PER_CALL,
        .train = stide_train,
        .write = stide_write,
        .read = stide_read,
        .free = stide_free,
        .state_size = stide_state_size,
        .state_init = stide_state_init,
        .call = stide_call,
};
