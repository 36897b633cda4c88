/* Internals shared by adjust.c (rounds) and adjust-update.c (UpdateProfile). */
#pragma once

#include "adjust.h"

/* Tolerance of trust comparisons: trust is kept to 6 decimals
 * (vgl_adjust_quantize), tier borders are decimal fractions. */
#define VGL_TRUST_EPS 1e-9

/* Rounds trust to 6 decimals within [0, 1]: repeated steps of 0.01 land
 * exactly on 0.5, not on 0.49999999999999994. */
double vgl_adjust_quantize(double trust);

/* Index of t in the set (0: least restrictive). */
size_t vgl_adjust_tier_index(const struct vgl_tier_set *tiers, const struct vgl_tier *t);

/* True if trust lies in t's hysteresis band: not below min_trust -
 * demote_margin, and below max_trust (the top tier includes 1.0). */
bool vgl_adjust_in_band(const struct vgl_adjust_policy *pol, const struct vgl_tier *t,
                        double trust);

/* Fills the "before" half of d from p. */
void vgl_adjust_decision_begin(struct vgl_adjust_decision *d, const struct vgl_profile *p);

/* Moves p into tier t (name, posture, limits) and fills d's "after" half,
 * its kind (DEMOTE/PROMOTE, or `kind` if t is p's tier) and hop. */
void vgl_adjust_enter(struct vgl_profile *p, const struct vgl_tier *t, enum vgl_adjust_kind kind,
                      struct vgl_adjust_decision *d);

/* Completes d from p: trust, tier, posture and limits after, achieved,
 * changed. */
void vgl_adjust_finish(const struct vgl_profile *p, struct vgl_adjust_decision *d);

/* Pushes d as a history entry (kind, trust and tiers, reason). */
void vgl_adjust_push(struct vgl_profile *p, const struct vgl_adjust_decision *d, int64_t now);

/* Appends ", <text>" (or "<text>" to an empty buf), cut to size. */
void vgl_adjust_reason_add(char *buf, size_t size, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
