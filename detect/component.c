#include "component.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const struct vgl_component_ops *const all[] = {
        &vgl_stide_ops, &vgl_ngram_ops, &vgl_lm_ops, &vgl_ae_ops, &vgl_knn_ops,
};

const struct vgl_component_ops *vgl_component_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (!strcmp(all[i]->name, name))
                        return all[i];
        return NULL;
}

int vgl_component_score(const struct vgl_component_ops *ops, const void *m, uint32_t vocab,
                        const uint16_t *ids, uint32_t n, double *ret)
{
        if (ops->shape == VGL_SHAPE_PER_SET) {
                _cleanup_free_ uint32_t *counts = calloc(vocab, sizeof(uint32_t));
                if (!counts)
                        return -ENOMEM;
                for (uint32_t i = 0; i < n; i++)
                        counts[ids[i] < vocab ? ids[i] : VGL_TOK_UNK]++;
                *ret = ops->counts(m, counts, n);
                return 0;
        }
        _cleanup_free_ void *st = malloc(ops->state_size(m));
        double sum = 0;
        uint32_t used = 0;

        if (!st)
                return -ENOMEM;
        ops->state_init(m, st);
        for (uint32_t i = 0; i < n; i++) {
                float c = ops->call(m, st, ids[i]);
                if (!isnan(c)) {
                        sum += c;
                        used++;
                }
        }
        *ret = used ? sum / used : 0.0;
        return 0;
}
