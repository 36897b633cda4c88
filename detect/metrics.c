#include "metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double *sorted_copy(const double *v, size_t n)
{
        double *c = malloc(n * sizeof(*c));

        if (c) {
                memcpy(c, v, n * sizeof(*c));
                qsort(c, n, sizeof(*c), cmp_double);
        }
        return c;
}

/* Number of elements of sorted v that are >= t (binary search). */
static size_t count_ge(const double *v, size_t n, double t)
{
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (v[mid] < t)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return n - lo;
}

int vgl_auc(const double *normal, size_t nn, const double *attack, size_t na, double *ret_auc)
{
        _cleanup_free_ double *sn = NULL;
        double wins = 0;

        if (!nn || !na)
                return -EINVAL;
        if (!(sn = sorted_copy(normal, nn)))
                return -ENOMEM;
        for (size_t i = 0; i < na; i++) {
                size_t below = nn - count_ge(sn, nn, attack[i]), ties = 0;
                for (size_t j = below; j < nn && sn[j] == attack[i]; j++)
                        ties++;
                wins += (double)below + 0.5 * (double)ties;
        }
        *ret_auc = wins / ((double)nn * (double)na);
        return 0;
}

/* Sweeps every distinct score as a threshold; want_fa selects which figure. */
static int sweep(const double *normal, size_t nn, const double *attack, size_t na, bool want_fa,
                 double limit, double *ret)
{
        _cleanup_free_ double *sn = NULL, *sa = NULL, *all = NULL;
        double best = want_fa ? 1.0 : 0.0;

        if (!nn || !na)
                return -EINVAL;
        if (!(sn = sorted_copy(normal, nn)) || !(sa = sorted_copy(attack, na)) ||
            !(all = malloc((nn + na) * sizeof(*all))))
                return -ENOMEM;
        memcpy(all, sn, nn * sizeof(*all));
        memcpy(all + nn, sa, na * sizeof(*all));
        for (size_t i = 0; i < nn + na; i++) {
                double fa = (double)count_ge(sn, nn, all[i]) / (double)nn;
                double dr = (double)count_ge(sa, na, all[i]) / (double)na;
                if (want_fa && dr >= limit && fa < best)
                        best = fa;
                if (!want_fa && fa <= limit && dr > best)
                        best = dr;
        }
        *ret = best;
        return 0;
}

int vgl_dr_at_fa(const double *normal, size_t nn, const double *attack, size_t na, double fa,
                 double *ret_dr)
{
        return sweep(normal, nn, attack, na, false, fa, ret_dr);
}

int vgl_fa_at_dr(const double *normal, size_t nn, const double *attack, size_t na, double dr,
                 double *ret_fa)
{
        return sweep(normal, nn, attack, na, true, dr, ret_fa);
}

int vgl_evaluate(const double *normal, size_t nn, const double *attack, size_t na,
                 struct vgl_eval *ret)
{
        struct vgl_eval e;
        int r;

        if ((r = vgl_auc(normal, nn, attack, na, &e.auc)) < 0 ||
            (r = vgl_dr_at_fa(normal, nn, attack, na, 0.05, &e.dr_at_fa5)) < 0 ||
            (r = vgl_fa_at_dr(normal, nn, attack, na, 0.90, &e.fa_at_dr90)) < 0)
                return r;
        *ret = e;
        return 0;
}
