/* The adjust round: evidence -> trust -> tier -> limits and posture
 * (docs/trust.md has the formula and the reasons behind it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "adjust-priv.h"

static double min_d(double a, double b)
{
        return a < b ? a : b;
}

static double max_d(double a, double b)
{
        return a > b ? a : b;
}

double vgl_adjust_quantize(double trust)
{
        if (!(trust > 0)) /* NaN too */
                return 0;
        if (trust >= 1)
                return 1;
        return (double)(int64_t)(trust * 1e6 + 0.5) / 1e6;
}

size_t vgl_adjust_tier_index(const struct vgl_tier_set *tiers, const struct vgl_tier *t)
{
        return (size_t)(t - tiers->tiers);
}

bool vgl_adjust_in_band(const struct vgl_adjust_policy *pol, const struct vgl_tier *t, double trust)
{
        return trust >= t->min_trust - pol->demote_margin - VGL_TRUST_EPS &&
               (t->max_trust >= 1.0 || trust < t->max_trust - VGL_TRUST_EPS);
}

void vgl_adjust_reason_add(char *buf, size_t size, const char *fmt, ...)
{
        size_t len = strnlen(buf, size);
        if (len + 1 >= size)
                return;
        if (len > 0) {
                snprintf(buf + len, size - len, ", ");
                len = strnlen(buf, size);
        }
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

void vgl_adjust_decision_begin(struct vgl_adjust_decision *d, const struct vgl_profile *p)
{
        *d = (struct vgl_adjust_decision){
                .kind = VGL_ADJUST_HOLD,
                .trust_before = p->trust_score,
                .posture_before = p->posture,
                .limits_before = p->limits,
        };
        memcpy(d->tier_before, p->tier, sizeof(d->tier_before));
}

void vgl_adjust_enter(struct vgl_profile *p, const struct vgl_tier *t, enum vgl_adjust_kind kind,
                      struct vgl_adjust_decision *d)
{
        bool stricter = t->posture > p->posture, moved = strcmp(t->name, p->tier) != 0;
        d->kind = kind;
        if (kind == VGL_ADJUST_HOLD && stricter)
                d->kind = VGL_ADJUST_DEMOTE;
        else if (kind == VGL_ADJUST_HOLD && t->posture < p->posture)
                d->kind = VGL_ADJUST_PROMOTE;
        d->hop = moved && stricter && t->hop_on_entry;
        snprintf(p->tier, sizeof(p->tier), "%s", t->name);
        p->posture = t->posture;
        vgl_limits_from_tier(t, &p->limits);
}

static bool limits_equal(const struct vgl_limits *a, const struct vgl_limits *b)
{
        return a->vcpus == b->vcpus && a->cpu_quota_percent == b->cpu_quota_percent &&
               a->memory_mib == b->memory_mib && a->net_in_kbps == b->net_in_kbps &&
               a->net_out_kbps == b->net_out_kbps && a->disk_iops == b->disk_iops &&
               a->disk_bytes_per_s == b->disk_bytes_per_s;
}

void vgl_adjust_finish(const struct vgl_profile *p, struct vgl_adjust_decision *d)
{
        d->trust_after = p->trust_score;
        memcpy(d->tier_after, p->tier, sizeof(d->tier_after));
        d->posture_after = p->posture;
        d->limits_after = p->limits;
        d->achieved = p->achieved;
        d->changed = strcmp(d->tier_before, d->tier_after) != 0 ||
                     d->posture_before != d->posture_after ||
                     !limits_equal(&d->limits_before, &d->limits_after);
}

void vgl_adjust_push(struct vgl_profile *p, const struct vgl_adjust_decision *d, int64_t now)
{
        struct vgl_adjustment a = {
                .time = now,
                .kind = d->kind,
                .trust_before = d->trust_before,
                .trust_after = d->trust_after,
        };
        memcpy(a.tier_before, d->tier_before, sizeof(a.tier_before));
        memcpy(a.tier_after, d->tier_after, sizeof(a.tier_after));
        memcpy(a.reason, d->reason, sizeof(a.reason));
        vgl_profile_push_history(p, &a);
}

int vgl_adjust_start(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                     double desired, double *ret_trust, const struct vgl_tier **ret_tier,
                     double *ret_ceiling)
{
        if (!(desired >= 0 && desired <= 1))
                return -EINVAL;
        double ceiling = vgl_adjust_quantize(min_d(desired, pol->trust_max));
        double start = max_d(0, ceiling - pol->start_discount);
        if (pol->start_within_tier) {
                const struct vgl_tier *ct = vgl_tier_set_for_trust(tiers, ceiling);
                if (!ct)
                        return -ENOENT;
                start = max_d(start, ct->min_trust);
        }
        start = min_d(vgl_adjust_quantize(start), ceiling);
        const struct vgl_tier *t = vgl_tier_set_for_trust(tiers, start);
        if (!t)
                return -ENOENT;
        *ret_trust = start;
        *ret_tier = t;
        *ret_ceiling = ceiling;
        return 0;
}

int vgl_adjust_profile_new(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                           const char *id, double desired, struct vgl_profile *ret)
{
        double trust = 0, ceiling = 0;
        const struct vgl_tier *t = NULL;
        int r = vgl_adjust_start(pol, tiers, desired, &trust, &t, &ceiling);
        if (r < 0)
                return r;
        vgl_profile_init(ret, id, t, desired, trust, ceiling);
        return 0;
}

bool vgl_adjust_achieved(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                         const struct vgl_profile *p)
{
        const struct vgl_tier *dt = vgl_tier_set_for_trust(tiers, p->desired_trust_level);
        return dt && strcmp(dt->name, p->tier) == 0 &&
               p->trust_score >= p->desired_trust_level - pol->achieved_eps - VGL_TRUST_EPS &&
               p->clean_rounds >= pol->probation_rounds;
}

bool vgl_adjust_tags_high_severity(const struct vgl_adjust_policy *pol, uint32_t tags)
{
        return (tags & pol->severe_tags) != 0;
}

bool vgl_adjust_is_high_severity(const struct vgl_adjust_policy *pol, const struct vgl_evidence *ev)
{
        uint32_t tags = 0;
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                if (ev->tags[t])
                        tags |= VGL_TAG_BIT(t);
        return ev->high_severity || vgl_adjust_tags_high_severity(pol, tags) ||
               ev->anomaly >= pol->severe_anomaly || ev->risk >= pol->severe_risk;
}

/* A score in [floor, 1] costs weight * (score - floor) / (1 - floor). */
static double score_cost(double score, double weight, double floor_)
{
        return score > floor_ ? weight * (score - floor_) / (1 - floor_) : 0;
}

/* The round's penalty before the step bound; why lists what contributed. */
static double penalty_of(const struct vgl_adjust_policy *pol, const struct vgl_evidence *ev,
                         char *why, size_t size)
{
        double pen = 0;
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++) {
                if (!ev->tags[t] || pol->tag_weight[t] <= 0)
                        continue;
                uint32_t n = ev->tags[t] < pol->count_cap ? ev->tags[t] : pol->count_cap;
                pen += pol->tag_weight[t] * n;
                vgl_adjust_reason_add(why, size, "%s x%u", vgl_tag_name(t), ev->tags[t]);
        }
        if (ev->denials && pol->denial_weight > 0) {
                uint32_t n = ev->denials < pol->count_cap ? ev->denials : pol->count_cap;
                pen += pol->denial_weight * n;
                vgl_adjust_reason_add(why, size, "denials x%u", ev->denials);
        }
        double a = score_cost(ev->anomaly, pol->anomaly_weight, pol->anomaly_floor);
        if (a > 0)
                vgl_adjust_reason_add(why, size, "anomaly %.2f", ev->anomaly);
        double r = score_cost(ev->risk, pol->risk_weight, pol->risk_floor);
        if (r > 0)
                vgl_adjust_reason_add(why, size, "risk %.2f", ev->risk);
        pen += a + r;
        if (ev->agent_silent) {
                pen += pol->silence_penalty;
                vgl_adjust_reason_add(why, size, "agent silent");
        }
        return pen;
}

/* Where trust puts the sandbox now: the tier holds inside its band; below
 * it the tier serving the trust (any number of tiers down); above it, on a
 * round that may promote, one tier up. */
static const struct vgl_tier *place(const struct vgl_adjust_policy *pol,
                                    const struct vgl_tier_set *tiers, const struct vgl_tier *cur,
                                    const struct vgl_profile *p, bool may_promote)
{
        double trust = p->trust_score;
        if (!cur || trust < cur->min_trust - pol->demote_margin - VGL_TRUST_EPS)
                return vgl_tier_set_for_trust(tiers, trust);
        size_t i = vgl_adjust_tier_index(tiers, cur);
        if (!may_promote || i == 0 || p->ceiling < cur->max_trust - VGL_TRUST_EPS)
                return cur;
        /* The margin keeps a sandbox from flapping over the border; a ceiling
         * just above the border still lets it reach its own tier. */
        double threshold = min_d(cur->max_trust + pol->promote_margin, p->ceiling);
        return trust >= threshold - VGL_TRUST_EPS ? &tiers->tiers[i - 1] : cur;
}

static bool evidence_valid(const struct vgl_evidence *ev)
{
        return ev->anomaly >= 0 && ev->anomaly <= 1 && ev->risk >= 0 && ev->risk <= 1;
}

/* Moves trust by the evidence; returns true if the round was clean. */
static bool move_trust(const struct vgl_adjust_policy *pol, struct vgl_profile *p,
                       const struct vgl_evidence *ev, struct vgl_adjust_decision *d)
{
        d->penalty = penalty_of(pol, ev, d->reason, sizeof(d->reason));
        d->high_severity = vgl_adjust_is_high_severity(pol, ev);
        double bound = pol->max_step_down, trust = p->trust_score;
        if (d->high_severity) {
                d->penalty += pol->severe_penalty;
                bound = pol->severe_max_step;
                vgl_adjust_reason_add(d->reason, sizeof(d->reason), "high severity");
        }
        bool clean = d->penalty <= 0 && !d->high_severity && !ev->agent_silent;
        if (!clean) {
                trust -= min_d(d->penalty, bound);
                p->clean_rounds = 0;
        } else {
                if (p->clean_rounds < UINT32_MAX)
                        p->clean_rounds++;
                if (p->clean_rounds > pol->probation_rounds)
                        trust += pol->step_up;
        }
        p->trust_score = vgl_adjust_quantize(min_d(trust, p->ceiling));
        return clean;
}

int vgl_adjust_round(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                     struct vgl_profile *p, const struct vgl_evidence *ev, int64_t now,
                     struct vgl_adjust_decision *ret)
{
        if (!evidence_valid(ev))
                return -EINVAL;
        struct vgl_adjust_decision d;
        vgl_adjust_decision_begin(&d, p);
        bool was_achieved = p->achieved;
        bool clean = move_trust(pol, p, ev, &d);

        const struct vgl_tier *cur = vgl_tier_set_find(tiers, p->tier);
        bool may_promote = clean && p->clean_rounds > pol->probation_rounds;
        const struct vgl_tier *to = place(pol, tiers, cur, p, may_promote);
        if (to && to != cur) {
                vgl_adjust_enter(p, to, VGL_ADJUST_HOLD, &d);
                vgl_adjust_reason_add(d.reason, sizeof(d.reason), "%s %s -> %s%s",
                                      d.kind == VGL_ADJUST_DEMOTE    ? "demoted"
                                      : d.kind == VGL_ADJUST_PROMOTE ? "promoted"
                                                                     : "moved",
                                      d.tier_before, to->name, d.hop ? " (hop)" : "");
        }
        p->achieved = vgl_adjust_achieved(pol, tiers, p);
        p->rounds++;
        p->last_round = now;
        if (p->achieved != was_achieved)
                vgl_adjust_reason_add(d.reason, sizeof(d.reason), "%s",
                                      p->achieved ? "desired level achieved"
                                                  : "desired level no longer achieved");
        vgl_adjust_finish(p, &d);
        /* Slow rises are not history: only what a reader wants to find. */
        if (d.changed || !clean || p->achieved != was_achieved)
                vgl_adjust_push(p, &d, now);
        if (!d.reason[0])
                snprintf(d.reason, sizeof(d.reason), "clean round %u (probation %u)",
                         p->clean_rounds, pol->probation_rounds);
        *ret = d;
        return 0;
}

int vgl_adjust_check_profile(const struct vgl_tier_set *tiers, const struct vgl_profile *p,
                             struct vgl_error *err)
{
        const struct vgl_tier *t = vgl_tier_set_find(tiers, p->tier);
        if (!t)
                return vgl_error_set(err, ENOENT, "profile.tier: no tier '%s' in the policies",
                                     p->tier);
        if (t->posture != p->posture)
                return vgl_error_set(
                        err, EINVAL, "profile.security_posture: '%s', but tier '%s' is '%s'",
                        vgl_posture_name(p->posture), t->name, vgl_posture_name(t->posture));
        return 0;
}
