/* Training a detector: the vocabulary, then for each component K fold
 * models that score the traces they did not see (cross-fitting), whose
 * scores calibrate the component, then the component trained on all traces.
 * The combined evidence of the held-out scores calibrates the final score. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "detector-priv.h"
#include "rng.h"

struct method {
        const char *name;
        const char *parts[VGL_DETECT_COMPONENTS_MAX];
        double weights[VGL_DETECT_COMPONENTS_MAX];
};

/* The ensemble's members and weights: the nearest-neighbour distance over
 * call sets is the strongest single detector on ADFA-LD's validation and
 * attack traces, the GRU adds sequence evidence, the n-gram model and the
 * autoencoder add a little detection at low false-alarm rates. STIDE is a
 * special case of the n-gram model (unseen n-grams) and adds nothing to it.
 * docs/detectors.md has the figures behind these choices. */
static const struct method methods[] = {
        {"ensemble", {"knn", "lm", "ngram", "ae"}, {2, 1, 0.5, 0.5}},
        {"stide", {"stide"}, {1}},
        {"ngram", {"ngram"}, {1}},
        {"lm", {"lm"}, {1}},
        {"ae", {"ae"}, {1}},
        {"knn", {"knn"}, {1}},
};

static const struct method *find_method(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(methods); i++)
                if (!strcmp(methods[i].name, name))
                        return &methods[i];
        return NULL;
}

int vgl_detect_method_valid(const char *name)
{
        return find_method(name) != NULL;
}

void vgl_detect_train_opts_default(struct vgl_detect_train_opts *o)
{
        if (!o->method)
                o->method = VGL_DETECT_DEFAULT_METHOD;
        o->stide_n = o->stide_n ? o->stide_n : 6;
        o->ngram_n = o->ngram_n ? o->ngram_n : 6;
        o->lm_hidden = o->lm_hidden ? o->lm_hidden : 32;
        o->lm_epochs = o->lm_epochs ? o->lm_epochs : 8;
        o->ae_window = o->ae_window ? o->ae_window : 16;
        o->ae_hidden = o->ae_hidden ? o->ae_hidden : 16;
        o->ae_epochs = o->ae_epochs ? o->ae_epochs : 3;
        o->folds = o->folds ? o->folds : 3;
}

static struct vgl_train_params params_of(const struct vgl_detect_train_opts *o, uint64_t salt)
{
        return (struct vgl_train_params){
                .seed = o->seed * 1000003u + salt,
                .stide_n = o->stide_n,
                .ngram_n = o->ngram_n,
                .lm_hidden = o->lm_hidden,
                .lm_epochs = o->lm_epochs,
                .ae_window = o->ae_window,
                .ae_hidden = o->ae_hidden,
                .ae_epochs = o->ae_epochs,
                .folds = o->folds,
        };
}

/* Raw scores of every trace from models that did not see it. */
static int cross_fit(const struct vgl_component_ops *ops, const struct vgl_corpus *all,
                     const uint32_t *fold, const struct vgl_detect_train_opts *o, double *oof,
                     struct vgl_error *err)
{
        _cleanup_free_ const uint16_t **ids = malloc(all->n * sizeof(*ids));
        _cleanup_free_ uint32_t *len = malloc(all->n * sizeof(*len));
        int r;

        if (!ids || !len)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (uint32_t f = 0; f < o->folds; f++) {
                struct vgl_corpus c = {.ids = ids, .len = len, .vocab = all->vocab};
                struct vgl_train_params p = params_of(o, f + 1);
                void *m = NULL;
                for (uint32_t t = 0; t < all->n; t++)
                        if (fold[t] != f) {
                                ids[c.n] = all->ids[t];
                                len[c.n++] = all->len[t];
                        }
                if ((r = ops->train(&c, &p, &m, err)) < 0)
                        return r;
                for (uint32_t t = 0; t < all->n && r >= 0; t++)
                        if (fold[t] == f)
                                r = vgl_component_score(ops, m, all->vocab, all->ids[t],
                                                        all->len[t], &oof[t]);
                ops->free(m);
                if (r < 0)
                        return vgl_error_set(err, -r, "%s: out of memory", ops->name);
        }
        return 0;
}

static int train_part(struct vgl_detector_part *part, const struct vgl_corpus *c,
                      const uint32_t *fold, const struct vgl_detect_train_opts *o, double *oof,
                      struct vgl_error *err)
{
        struct vgl_train_params p = params_of(o, 0);
        int r;

        if ((r = cross_fit(part->ops, c, fold, o, oof, err)) < 0)
                return r;
        if ((r = vgl_calib_fit(&part->calib, oof, c->n)) < 0)
                return vgl_error_set(err, -r, "%s: calibration failed", part->ops->name);
        return part->ops->train(c, &p, &part->model, err);
}

/* Maps the traces to ids; *ret_ids[i] point into one allocation *ret_store. */
static int map_corpus(const struct vgl_traceset *s, const struct vgl_vocab *v, struct vgl_corpus *c,
                      uint16_t ***ret_ids, uint32_t **ret_len, uint16_t **ret_store)
{
        uint64_t total = vgl_traceset_calls(s), off = 0;
        uint16_t **ids = calloc(s->n ? s->n : 1, sizeof(*ids));
        uint32_t *len = calloc(s->n ? s->n : 1, sizeof(*len));
        uint16_t *store = malloc((total ? total : 1) * sizeof(uint16_t));

        if (!ids || !len || !store) {
                free(ids), free(len), free(store);
                return -ENOMEM;
        }
        for (size_t i = 0; i < s->n; i++) {
                ids[i] = store + off;
                len[i] = s->v[i].len;
                vgl_vocab_map(v, s->v[i].calls, s->v[i].len, ids[i]);
                off += s->v[i].len;
        }
        *c = (struct vgl_corpus){.n = (uint32_t)s->n,
                                 .ids = (const uint16_t *const *)ids,
                                 .len = len,
                                 .vocab = v->n};
        *ret_ids = ids;
        *ret_len = len;
        *ret_store = store;
        return 0;
}

static int train_parts(struct vgl_detector *d, const struct method *m, const struct vgl_corpus *c,
                       struct vgl_error *err)
{
        _cleanup_free_ uint32_t *fold = malloc(c->n * sizeof(uint32_t));
        _cleanup_free_ double *oof = malloc(c->n * VGL_DETECT_COMPONENTS_MAX * sizeof(double));
        _cleanup_free_ double *combined = malloc(c->n * sizeof(double));
        struct vgl_rng rng = {d->opts.seed ^ 0xf01d};
        int r;

        if (!fold || !oof || !combined)
                return vgl_error_set(err, ENOMEM, "out of memory");
        /* Folds of equal size in a seeded random order. */
        for (uint32_t t = 0; t < c->n; t++)
                fold[t] = t;
        vgl_rng_shuffle(&rng, fold, c->n);
        for (uint32_t t = 0; t < c->n; t++)
                fold[t] %= d->opts.folds;
        for (uint32_t i = 0; i < VGL_DETECT_COMPONENTS_MAX && m->parts[i]; i++) {
                struct vgl_detector_part *p = &d->part[d->nparts++];
                p->ops = vgl_component_find(m->parts[i]);
                p->weight = m->weights[i];
                if ((r = train_part(p, c, fold, &d->opts, oof + (size_t)i * c->n, err)) < 0)
                        return r;
        }
        for (uint32_t t = 0; t < c->n; t++) {
                double raw[VGL_DETECT_COMPONENTS_MAX], sum = 0, wsum = 0;
                for (uint32_t i = 0; i < d->nparts; i++)
                        raw[i] = oof[(size_t)i * c->n + t];
                for (uint32_t i = 0; i < d->nparts; i++) {
                        sum += d->part[i].weight * vgl_detector_evidence(&d->part[i], raw[i]);
                        wsum += d->part[i].weight;
                }
                combined[t] = sum / wsum;
        }
        if ((r = vgl_calib_fit(&d->final, combined, c->n)) < 0)
                return vgl_error_set(err, -r, "final calibration failed");
        return 0;
}

int vgl_detector_train(const struct vgl_traceset *normal, const struct vgl_detect_train_opts *o,
                       struct vgl_detector **ret, struct vgl_error *err)
{
        _cleanup_free_ uint16_t **ids = NULL;
        _cleanup_free_ uint32_t *len = NULL;
        _cleanup_free_ uint16_t *store = NULL;
        struct vgl_detector *d = calloc(1, sizeof(*d));
        const struct method *m;
        struct vgl_corpus c;
        int r;

        if (!d || !(d->vocab = malloc(sizeof(*d->vocab)))) {
                vgl_detector_free(d);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        d->opts = *o;
        vgl_detect_train_opts_default(&d->opts);
        if (!(m = find_method(d->opts.method))) {
                vgl_detector_free(d);
                return vgl_error_set(err, EINVAL, "unknown method '%s'", d->opts.method);
        }
        snprintf(d->method, sizeof(d->method), "%s", m->name);
        d->opts.method = d->method;
        if (normal->n < 2 * d->opts.folds || d->opts.folds < 2) {
                vgl_detector_free(d);
                return vgl_error_set(err, EINVAL, "need at least %u traces for %u folds",
                                     2 * d->opts.folds, d->opts.folds);
        }
        if ((r = vgl_vocab_build(d->vocab, normal, err)) < 0 ||
            (r = map_corpus(normal, d->vocab, &c, &ids, &len, &store)) < 0 ||
            (r = train_parts(d, m, &c, err)) < 0) {
                vgl_detector_free(d);
                return r == -ENOMEM ? vgl_error_set(err, ENOMEM, "out of memory") : r;
        }
        *ret = d;
        return 0;
}
