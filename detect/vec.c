#include "vec.h"

#include <math.h>
#include <string.h>

typedef float v8 __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));

/* Build each kernel for plain x86-64 and for AVX2, picked at load time
 * (ifunc), so one binary is fast on recent CPUs and runs on any. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
        !defined(__SANITIZE_ADDRESS__)
#define VGL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VGL_CLONES
#endif

static inline v8 load8(const float *p)
{
        v8 v;

        memcpy(&v, p, sizeof(v));
        return v;
}

static inline void store8(float *p, v8 v)
{
        memcpy(p, &v, sizeof(v));
}

static inline float hsum(v8 v)
{
        return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

static inline __attribute__((always_inline)) float dot(const float *a, const float *b, size_t n)
{
        v8 s0 = {0}, s1 = {0};
        size_t i = 0;

        for (; i + 16 <= n; i += 16) {
                s0 += load8(a + i) * load8(b + i);
                s1 += load8(a + i + 8) * load8(b + i + 8);
        }
        for (; i < n; i += 8)
                s0 += load8(a + i) * load8(b + i);
        return hsum(s0 + s1);
}

static inline __attribute__((always_inline)) void axpy(float *y, float a, const float *x, size_t n)
{
        v8 av = {a, a, a, a, a, a, a, a};

        for (size_t i = 0; i < n; i += 8)
                store8(y + i, load8(y + i) + av * load8(x + i));
}

VGL_CLONES float vgl_dot(const float *a, const float *b, size_t n)
{
        return dot(a, b, n);
}

VGL_CLONES void vgl_axpy(float *y, float a, const float *x, size_t n)
{
        axpy(y, a, x, n);
}

VGL_CLONES void vgl_matvec(float *y, const float *m, const float *x, size_t rows, size_t n,
                           int accumulate)
{
        for (size_t r = 0; r < rows; r++) {
                float d = dot(m + r * n, x, n);
                y[r] = accumulate ? y[r] + d : d;
        }
}

VGL_CLONES void vgl_matvec_t(float *y, const float *m, const float *x, size_t rows, size_t n)
{
        for (size_t r = 0; r < rows; r++)
                if (x[r] != 0.0f)
                        axpy(y, x[r], m + r * n, n);
}

VGL_CLONES void vgl_outer_add(float *m, const float *x, const float *y, size_t rows, size_t n)
{
        for (size_t r = 0; r < rows; r++)
                if (x[r] != 0.0f)
                        axpy(m + r * n, x[r], y, n);
}

static inline v8 splat(float a)
{
        return (v8){a, a, a, a, a, a, a, a};
}

static inline v8 select8(v8i mask, v8 a, v8 b)
{
        return (v8)((mask & (v8i)a) | (~mask & (v8i)b));
}

/* exp(x), relative error ~2e-7, x clamped to [-87, 88]. */
static inline __attribute__((always_inline)) v8 exp8(v8 x)
{
        const v8 round = splat(12582912.0f); /* 1.5 * 2^23: adding rounds to an integer */
        v8 t, n, r, p;

        x = select8(x < splat(-87.0f), splat(-87.0f), x);
        x = select8(x > splat(88.0f), splat(88.0f), x);
        t = x * splat(1.44269504f) + round;
        n = t - round;
        r = x - n * splat(0.693145752f) - n * splat(1.42860677e-6f);
        p = splat(1.0f / 120) * r + splat(1.0f / 24);
        p = p * r + splat(1.0f / 6);
        p = p * r + splat(0.5f);
        p = p * r + splat(1.0f);
        p = p * r + splat(1.0f);
        return (v8)((v8i)p + (__builtin_convertvector(n, v8i) << 23));
}

VGL_CLONES void vgl_sigmoid(float *x, size_t n)
{
        for (size_t i = 0; i < n; i += 8)
                store8(x + i, splat(1.0f) / (splat(1.0f) + exp8(-load8(x + i))));
}

VGL_CLONES void vgl_tanh(float *x, size_t n)
{
        for (size_t i = 0; i < n; i += 8)
                store8(x + i, splat(2.0f) / (splat(1.0f) + exp8(splat(-2.0f) * load8(x + i))) -
                                      splat(1.0f));
}

VGL_CLONES float vgl_logsumexp(const float *x, size_t n)
{
        float max = -INFINITY, tail = 0;
        v8 s = {0};
        size_t i = 0;

        for (size_t k = 0; k < n; k++)
                max = x[k] > max ? x[k] : max;
        for (; i + 8 <= n; i += 8)
                s += exp8(load8(x + i) - splat(max));
        for (; i < n; i++)
                tail += expf(x[i] - max);
        return max + logf(hsum(s) + tail);
}

VGL_CLONES void vgl_softmax(float *x, size_t n)
{
        float lse = vgl_logsumexp(x, n);
        size_t i = 0;

        for (; i + 8 <= n; i += 8)
                store8(x + i, exp8(load8(x + i) - splat(lse)));
        for (; i < n; i++)
                x[i] = expf(x[i] - lse);
}

VGL_CLONES float vgl_softplus_sum(const float *x, size_t n)
{
        v8 acc = {0};
        float tail = 0;
        size_t i = 0;

        /* softplus(l) = max(l, 0) + log1p(exp(-|l|)); with e = exp(-|l|) in
         * (0, 1], log1p(e) = 2 atanh(s) for s = e / (2 + e) in (0, 1/3]. */
        for (; i + 8 <= n; i += 8) {
                v8 l = load8(x + i), a = select8(l < splat(0.0f), -l, l);
                v8 e = exp8(-a), t = e / (splat(2.0f) + e), t2 = t * t;
                v8 p = splat(1.0f / 11) * t2 + splat(1.0f / 9);
                p = p * t2 + splat(1.0f / 7);
                p = p * t2 + splat(1.0f / 5);
                p = p * t2 + splat(1.0f / 3);
                p = p * t2 + splat(1.0f);
                acc += (l + a) * splat(0.5f) + splat(2.0f) * t * p;
        }
        for (; i < n; i++)
                tail += x[i] > 0 ? x[i] + log1pf(expf(-x[i])) : log1pf(expf(x[i]));
        return hsum(acc) + tail;
}
