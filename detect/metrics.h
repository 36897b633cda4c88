/* Detection figures from anomaly scores (higher = more anomalous) of normal
 * and attack traces: ROC AUC with ties counted half, the detection rate at a
 * false-alarm budget and the false-alarm rate at a detection target. An
 * alarm is raised when score >= threshold. */
#pragma once

#include <stddef.h>

struct vgl_eval {
        double auc;
        double dr_at_fa5;  /* best detection rate with false alarms <= 5% */
        double fa_at_dr90; /* fewest false alarms with detection >= 90% */
};

/* ROC AUC: P(attack > normal) + P(tie) / 2. -EINVAL if either set is empty. */
int vgl_auc(const double *normal, size_t nn, const double *attack, size_t na, double *ret_auc);

/* The highest detection rate among thresholds whose false-alarm rate is <= fa. */
int vgl_dr_at_fa(const double *normal, size_t nn, const double *attack, size_t na, double fa,
                 double *ret_dr);

/* The lowest false-alarm rate among thresholds whose detection rate is >= dr. */
int vgl_fa_at_dr(const double *normal, size_t nn, const double *attack, size_t na, double dr,
                 double *ret_fa);

/* All three figures of struct vgl_eval. */
int vgl_evaluate(const double *normal, size_t nn, const double *attack, size_t na,
                 struct vgl_eval *ret);
