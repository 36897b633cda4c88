#include "calib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

void vgl_calib_free(struct vgl_calib *c)
{
        if (c) {
                free(c->x);
                free(c->f);
                *c = (struct vgl_calib){0};
        }
}

int vgl_calib_fit(struct vgl_calib *c, const double *normal, size_t n)
{
        _cleanup_free_ double *s = NULL;
        struct vgl_calib k = {0};
        size_t step;

        if (!n)
                return -EINVAL;
        if (!(s = malloc(n * sizeof(*s))))
                return -ENOMEM;
        memcpy(s, normal, n * sizeof(*s));
        qsort(s, n, sizeof(*s), cmp_double);
        k.x = malloc(VGL_CALIB_KNOTS_MAX * sizeof(double));
        k.f = malloc(VGL_CALIB_KNOTS_MAX * sizeof(double));
        if (!k.x || !k.f) {
                vgl_calib_free(&k);
                return -ENOMEM;
        }
        /* One knot per distinct score (at most KNOTS_MAX, evenly spaced in
         * rank), valued at its mid-rank so ties sit in the middle. */
        step = (n + VGL_CALIB_KNOTS_MAX - 2) / (VGL_CALIB_KNOTS_MAX - 1);
        step = step ? step : 1;
        for (size_t i = 0; i < n && k.n < VGL_CALIB_KNOTS_MAX;) {
                size_t j = i;
                while (j < n && s[j] == s[i])
                        j++;
                k.x[k.n] = s[i];
                k.f[k.n] = ((double)(i + j) / 2.0 + 0.5) / (double)(n + 1);
                k.n++;
                i = j > i + step ? j : i + step;
                while (i < n && i > 0 && s[i] == s[i - 1])
                        i++;
        }
        k.scale = (s[n - 1] - s[0]) / 8.0;
        if (!(k.scale > 1e-12))
                k.scale = 1e-12 + fabs(s[0]) * 1e-6;
        vgl_calib_free(c);
        *c = k;
        return 0;
}

double vgl_calib_apply(const struct vgl_calib *c, double x)
{
        size_t lo = 0, hi;

        /* Tails decay like 1 / distance: slowly enough that scores far past
         * every normal one still differ (an exponential would round to 1). */
        if (x <= c->x[0])
                return c->f[0] / (1.0 + (c->x[0] - x) / c->scale);
        if (x >= c->x[c->n - 1])
                return 1.0 - (1.0 - c->f[c->n - 1]) / (1.0 + (x - c->x[c->n - 1]) / c->scale);
        hi = c->n - 1;
        while (hi - lo > 1) {
                size_t mid = (lo + hi) / 2;
                if (c->x[mid] <= x)
                        lo = mid;
                else
                        hi = mid;
        }
        return c->f[lo] + (c->f[hi] - c->f[lo]) * (x - c->x[lo]) / (c->x[hi] - c->x[lo]);
}

void vgl_calib_write(const struct vgl_calib *c, struct vgl_wr *w)
{
        vgl_wr_u32(w, c->n);
        vgl_wr_f64(w, c->scale);
        for (uint32_t i = 0; i < c->n; i++) {
                vgl_wr_f64(w, c->x[i]);
                vgl_wr_f64(w, c->f[i]);
        }
}

int vgl_calib_read(struct vgl_calib *c, struct vgl_rd *r, struct vgl_error *err)
{
        struct vgl_calib k = {.n = vgl_rd_u32(r)};

        k.scale = vgl_rd_f64(r);
        if (r->bad || k.n < 1 || k.n > VGL_CALIB_KNOTS_MAX || !(k.scale > 0) ||
            !isfinite(k.scale) || vgl_rd_left(r) / 16 < k.n)
                return vgl_error_set(err, EBADMSG, "%s: calibration table size or scale invalid",
                                     r->what);
        k.x = malloc(k.n * sizeof(double));
        k.f = malloc(k.n * sizeof(double));
        if (!k.x || !k.f) {
                vgl_calib_free(&k);
                return vgl_error_set(err, ENOMEM, "%s: out of memory", r->what);
        }
        for (uint32_t i = 0; i < k.n; i++) {
                k.x[i] = vgl_rd_f64(r);
                k.f[i] = vgl_rd_f64(r);
                if (!isfinite(k.x[i]) || !(k.f[i] > 0 && k.f[i] < 1) ||
                    (i && !(k.x[i] > k.x[i - 1] && k.f[i] > k.f[i - 1]))) {
                        vgl_calib_free(&k);
                        return vgl_error_set(err, EBADMSG,
                                             "%s: calibration knot %u not increasing or out "
                                             "of range",
                                             r->what, i);
                }
        }
        *c = k;
        return 0;
}
