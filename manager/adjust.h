/* The adjuster: how trust follows behaviour, and tier, limits and posture
 * follow trust (docs/trust.md).
 *
 * Pure logic: no libvirt, no I/O besides loading the policy file, no clock
 * (the caller passes `now`). vigild keeps one struct vgl_profile per sandbox,
 * gathers a struct vgl_evidence between rounds, calls vgl_adjust_round every
 * period_ms (and at once when vgl_adjust_is_high_severity says so), then
 * enforces the decision's limits, posture and hop and records the outcomes
 * in the profile (vgl_profile_set_action).
 *
 * The policy comes from policies/adjust.json: every field optional (the
 * defaults are those of the shipped file), unknown fields, wrong types and
 * out-of-range or inconsistent values are errors naming the file and the
 * field. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "behaviour.h"
#include "error.h"
#include "policy.h"
#include "profile.h"

#define VGL_ADJUST_FILE_MAX (16u * 1024u)

struct vgl_adjust_policy {
        uint32_t period_ms;  /* "period_ms": the caller's round timer, 100..3600000 */
        double trust_max;    /* "trust_max": no ceiling above this, whatever was desired */
        double achieved_eps; /* "achieved_epsilon": desired - eps counts as reached */

        /* "start": where a reservation starts */
        double start_discount;  /* "discount": start this far below the ceiling ... */
        bool start_within_tier; /* "within_tier": ... but not below the ceiling's tier */

        /* "rise" and "fall": how fast trust moves */
        uint32_t probation_rounds; /* "rise.probation_rounds": clean rounds before any rise */
        double step_up;            /* "rise.step": per clean round after probation */
        double max_step_down;      /* "fall.max_step": most one round's penalty takes */

        /* "hysteresis": the band in which the tier holds */
        double demote_margin;  /* "demote_margin": demote below tier.min_trust - this */
        double promote_margin; /* "promote_margin": promote at tier.max_trust + this
                                * (or the ceiling, if lower) */

        /* "penalty": what one round's evidence costs */
        double tag_weight[VGL_TAG_COUNT];     /* "tags": {"<tag>": w}, per event */
        uint32_t count_cap;                   /* "count_cap": events counted per tag per round */
        double denial_weight;                 /* "denial": per denial (capped too) */
        double anomaly_weight, anomaly_floor; /* "anomaly": {"weight", "floor"} */
        double risk_weight, risk_floor;       /* "risk": {"weight", "floor"} */
        double silence_penalty;               /* "agent_silent" */

        /* "high_severity": what triggers an immediate round, and its cost */
        uint32_t severe_tags;   /* "tags": VGL_TAG_BIT()s */
        double severe_anomaly;  /* "anomaly_at_least" */
        double severe_risk;     /* "risk_at_least" */
        double severe_penalty;  /* "penalty": added to the round's penalty */
        double severe_max_step; /* "max_step": replaces fall.max_step */
};

/* What happened between two rounds (or since a high-severity event). */
struct vgl_evidence {
        uint32_t tags[VGL_TAG_COUNT]; /* events carrying each tag */
        uint32_t denials;             /* denied calls reported by the agent */
        double anomaly;               /* the detectors' score, [0, 1] */
        double risk;                  /* the rules' risk, [0, 1] */
        bool agent_silent;            /* no heartbeat within the silence timeout */
        bool high_severity;           /* the caller saw a high-severity event */
};

/* What a round (or an update) decided. The profile already holds the new
 * state; the caller enforces limits_after/posture_after and, when hop is
 * set, moves the workload into tier_after's template. */
struct vgl_adjust_decision {
        enum vgl_adjust_kind kind; /* HOLD, DEMOTE, PROMOTE; UPDATE for vgl_adjust_update */
        bool changed;              /* tier, posture or limits changed: enforce */
        bool hop;                  /* demoted into a tier with hop_on_entry */
        bool high_severity;        /* this round counted as high severity */
        bool achieved;             /* the profile's achieved flag after the round */
        double penalty;            /* this round's penalty before the step bound */
        double trust_before, trust_after;
        char tier_before[VGL_TIER_NAME_MAX], tier_after[VGL_TIER_NAME_MAX];
        enum vgl_posture posture_before, posture_after;
        struct vgl_limits limits_before, limits_after;
        char reason[VGL_PROFILE_REASON_MAX]; /* "sensitive_data_access x3, ...; medium -> high" */
};

/* The built-in defaults (the values of the shipped policies/adjust.json). */
void vgl_adjust_policy_default(struct vgl_adjust_policy *ret);

/* Parses adjust.json's text over the defaults; path is only used in
 * messages. -EINVAL (-EFBIG) with *err "PATH: field: why". *ret untouched
 * on failure. */
int vgl_adjust_policy_parse(const char *path, const char *text, size_t len,
                            struct vgl_adjust_policy *ret, struct vgl_error *err);

/* Loads dir/adjust.json (dir: the policies directory). -ENOENT if absent. */
int vgl_adjust_policy_load(const char *dir, struct vgl_adjust_policy *ret, struct vgl_error *err);

/* Checks pol's consistency (what parsing does after reading the fields);
 * *err names the field. For policies built in code. */
int vgl_adjust_policy_validate(const struct vgl_adjust_policy *pol, struct vgl_error *err);

/* Where a reservation with desired_trust_level `desired` starts: its
 * ceiling (min(desired, trust_max)), its starting trust (ceiling - discount,
 * at least 0, and with within_tier not below the ceiling's tier) and the
 * tier serving that trust. -EINVAL for desired outside [0, 1]; -ENOENT if
 * the set has no tier for it. Outputs untouched on failure. */
int vgl_adjust_start(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                     double desired, double *ret_trust, const struct vgl_tier **ret_tier,
                     double *ret_ceiling);

/* vgl_adjust_start + vgl_profile_init: the profile of a new reservation. */
int vgl_adjust_profile_new(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                           const char *id, double desired, struct vgl_profile *ret);

/* The achieved rule: trust >= desired - achieved_epsilon, in the tier that
 * serves the desired level, and a full probation behind it
 * (clean_rounds >= probation_rounds). */
bool vgl_adjust_achieved(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                         const struct vgl_profile *p);

/* True if ev calls for an immediate round: its high_severity flag, a tag of
 * severe_tags, or anomaly/risk at the thresholds. */
bool vgl_adjust_is_high_severity(const struct vgl_adjust_policy *pol,
                                 const struct vgl_evidence *ev);

/* The same for one event's tags (VGL_TAG_BIT()s of a vgl_bhv_event). */
bool vgl_adjust_tags_high_severity(const struct vgl_adjust_policy *pol, uint32_t tags);

/* One round: trust moves by the evidence's penalty (bounded, fall) or, after
 * probation, up by rise.step (never above the ceiling); the tier follows
 * trust when it leaves the hysteresis band (demotion to the tier serving
 * the new trust, possibly several at once; promotion one tier per round,
 * only on a clean round after probation); limits and posture follow the
 * tier. Updates p (rounds, last_round, clean_rounds, achieved, and a
 * history entry when the tier changed, trust fell or achieved flipped) and
 * fills *ret. -EINVAL for evidence out of range (p untouched). A profile
 * whose tier is not in the set is placed by its trust. */
int vgl_adjust_round(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                     struct vgl_profile *p, const struct vgl_evidence *ev, int64_t now,
                     struct vgl_adjust_decision *ret);

/* An admin's UpdateProfile: changes is a JSON object of keys "trust_score",
 * "desired_trust_level", "ceiling", "tier", "limits.vcpus",
 * "limits.cpu_quota_percent", "limits.memory_mib", "limits.net_in_kbps",
 * "limits.net_out_kbps", "limits.disk_iops", "limits.disk_bytes_per_s".
 * All or nothing: -EINVAL with *err naming the key for an unknown key, a
 * bad value or an inconsistent result (trust above the ceiling, a tier that
 * does not serve the trust given with it, vCPUs or memory above the tier's
 * maximum); p is then untouched. Rules (docs/trust.md): desired moves the
 * ceiling unless ceiling is given; a lower ceiling pulls trust down; a tier
 * without a trust moves trust into the tier's range; trust without a tier
 * places the sandbox in the tier serving it; limits override the tier's.
 * Records an "update" history entry and fills *ret (kind UPDATE). */
int vgl_adjust_update(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                      struct vgl_profile *p, struct json_object *changes, int64_t now,
                      struct vgl_adjust_decision *ret, struct vgl_error *err);

/* Checks a restored profile against the tier set: its tier exists and its
 * posture is that tier's. -ENOENT / -EINVAL with *err. */
int vgl_adjust_check_profile(const struct vgl_tier_set *tiers, const struct vgl_profile *p,
                             struct vgl_error *err);
