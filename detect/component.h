/* The detectors' common shape (internal to detect/).
 *
 * A component is one trained model. Its raw score of a trace is higher for
 * more anomalous traces; the detector calibrates and combines raw scores.
 * Two shapes:
 *   per call: the component keeps a small per-process state and gives each
 *     call a contribution (a mismatch, a negative log-likelihood, ...); the
 *     raw score of a stretch of calls is the mean contribution (NAN
 *     contributions, e.g. between strided evaluations, are skipped). The
 *     online stream keeps a ring of recent contributions per process.
 *   per set: the raw score is a function of the call counts of the stretch
 *     (which calls occur, how often), recomputed on demand.
 * Components are read-only once trained: any number of threads may score
 * with one, each with its own state. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bin.h"
#include "error.h"
#include "model-file.h"
#include "vocab.h"

/* Training traces as call ids. */
struct vgl_corpus {
        uint32_t n;
        const uint16_t *const *ids;
        const uint32_t *len;
        uint32_t vocab; /* ids are < vocab */
};

struct vgl_train_params {
        uint64_t seed;
        uint32_t stide_n;   /* STIDE n-gram length */
        uint32_t ngram_n;   /* n-gram language model order */
        uint32_t lm_hidden; /* GRU units */
        uint32_t lm_epochs; /* GRU passes over the data */
        uint32_t ae_window; /* calls per autoencoder window */
        uint32_t ae_hidden; /* autoencoder code size */
        uint32_t ae_epochs; /* autoencoder passes */
        uint32_t folds;     /* cross-fitting folds for calibration */
};

enum vgl_component_shape {
        VGL_SHAPE_PER_CALL,
        VGL_SHAPE_PER_SET,
};

struct vgl_component_ops {
        const char *name;
        uint16_t kind; /* enum vgl_model_kind of its file */
        enum vgl_component_shape shape;
        int (*train)(const struct vgl_corpus *c, const struct vgl_train_params *p, void **ret,
                     struct vgl_error *err);
        void (*write)(const void *m, struct vgl_wr *w);
        int (*read)(void **ret, struct vgl_rd *r, uint32_t vocab, struct vgl_error *err);
        void (*free)(void *m);

        /* per call: bytes of per-process state, its reset, one call's contribution */
        size_t (*state_size)(const void *m);
        void (*state_init)(const void *m, void *st);
        float (*call)(const void *m, void *st, uint16_t id);

        /* per set: raw score from counts[0..vocab) summing to total */
        float (*counts)(const void *m, const uint32_t *counts, uint32_t total);
};

extern const struct vgl_component_ops vgl_stide_ops;
extern const struct vgl_component_ops vgl_ngram_ops;
extern const struct vgl_component_ops vgl_lm_ops;
extern const struct vgl_component_ops vgl_ae_ops;
extern const struct vgl_component_ops vgl_knn_ops;

/* The ops of a component by name; NULL if unknown. */
const struct vgl_component_ops *vgl_component_find(const char *name);

/* Raw score of ids[0..n) (a whole trace, fresh state). Thread-safe; -ENOMEM. */
int vgl_component_score(const struct vgl_component_ops *ops, const void *m, uint32_t vocab,
                        const uint16_t *ids, uint32_t n, double *ret);
