/* Small float32 kernels for the learned models, written with GCC vector
 * extensions so they vectorize on any target (SSE2 by default, AVX2 in the
 * clones that vec.c builds). Lengths are multiples of VGL_VEC (8). */
#pragma once

#include <stddef.h>

#define VGL_VEC 8u

/* sum a[i] * b[i] */
float vgl_dot(const float *a, const float *b, size_t n);

/* y[i] += a * x[i] */
void vgl_axpy(float *y, float a, const float *x, size_t n);

/* y[r] (+)= dot(m[r * n .. r * n + n), x) for r < rows: y = M x, M row-major rows x n. */
void vgl_matvec(float *y, const float *m, const float *x, size_t rows, size_t n, int accumulate);

/* y += M^T x: y[c] += sum_r m[r * n + c] * x[r]. */
void vgl_matvec_t(float *y, const float *m, const float *x, size_t rows, size_t n);

/* m[r * n + c] += x[r] * y[c] */
void vgl_outer_add(float *m, const float *x, const float *y, size_t rows, size_t n);

/* In place, n a multiple of 8: x = 1 / (1 + exp(-x)); x = tanh(x). */
void vgl_sigmoid(float *x, size_t n);
void vgl_tanh(float *x, size_t n);

/* log(sum exp(x[i])) over any n >= 1. */
float vgl_logsumexp(const float *x, size_t n);

/* In place, any n >= 1: x = exp(x - logsumexp(x)). */
void vgl_softmax(float *x, size_t n);

/* sum log(1 + exp(x[i])) over any n. */
float vgl_softplus_sum(const float *x, size_t n);
