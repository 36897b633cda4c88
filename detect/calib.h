/* Calibration of raw scores on held-out normal traces: a monotone map from a
 * raw score to (0, 1), the empirical distribution function of the normal
 * scores, linear between knots and with tails decaying like 1 / distance past
 * the lowest and highest normal score (strictly increasing, so rankings and the AUC are
 * unchanged). 1 - vgl_calib_apply(c, t) is the false-alarm rate that the
 * threshold t gave on the held normal traces. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bin.h"
#include "error.h"

#define VGL_CALIB_KNOTS_MAX 4096u

struct vgl_calib {
        uint32_t n;    /* knots */
        double *x, *f; /* knot scores (increasing) and their distribution values */
        double scale;  /* width of the tails */
};

/* Fits c to the raw scores of n >= 1 normal traces. */
int vgl_calib_fit(struct vgl_calib *c, const double *normal, size_t n);
void vgl_calib_free(struct vgl_calib *c);

/* In (0, 1); increasing in x. */
double vgl_calib_apply(const struct vgl_calib *c, double x);

void vgl_calib_write(const struct vgl_calib *c, struct vgl_wr *w);
int vgl_calib_read(struct vgl_calib *c, struct vgl_rd *r, struct vgl_error *err);
