/* A small deterministic random generator (splitmix64): the same seed gives
 * the same model on every run and machine. */
#pragma once

#include <stdint.h>

struct vgl_rng {
        uint64_t s;
};

static inline uint64_t vgl_rng_next(struct vgl_rng *r)
{
        uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static inline double vgl_rng_unit(struct vgl_rng *r)
{
        return (double)(vgl_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [-a, a). */
static inline float vgl_rng_sym(struct vgl_rng *r, float a)
{
        return (float)((2.0 * vgl_rng_unit(r) - 1.0) * a);
}

/* Uniform in [0, n), n > 0. */
static inline uint32_t vgl_rng_below(struct vgl_rng *r, uint32_t n)
{
        return (uint32_t)(vgl_rng_unit(r) * n);
}

/* Fisher-Yates shuffle of v[0..n). */
static inline void vgl_rng_shuffle(struct vgl_rng *r, uint32_t *v, uint32_t n)
{
        for (uint32_t i = n; i > 1; i--) {
                uint32_t j = vgl_rng_below(r, i), t = v[i - 1];
                v[i - 1] = v[j];
                v[j] = t;
        }
}
