/* UpdateProfile: an admin's validated, all-or-nothing partial update. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjust-priv.h"
#include "cleanup.h"
#include "profile-priv.h"
#include "proto-msg.h"

static const char *const update_keys[] = {
        "trust_score",
        "desired_trust_level",
        "ceiling",
        "tier",
        "limits.vcpus",
        "limits.cpu_quota_percent",
        "limits.memory_mib",
        "limits.net_in_kbps",
        "limits.net_out_kbps",
        "limits.disk_iops",
        "limits.disk_bytes_per_s",
        NULL,
};

/* What the update asks for, read and range-checked. */
struct update {
        bool has_trust, has_desired, has_ceiling;
        double trust, desired, ceiling;
        const struct vgl_tier *tier; /* NULL: not given */
        uint64_t lim[7];             /* in the order of update_keys[4..] */
        bool has_lim[7];
};

static int check_keys(struct json_object *changes, struct vgl_error *err)
{
        if (json_object_object_length(changes) == 0)
                return vgl_error_set(err, EINVAL, "no changes given");
        json_object_object_foreach(changes, key, val)
        {
                (void)val;
                bool found = false;
                for (size_t i = 0; update_keys[i] && !found; i++)
                        found = strcmp(update_keys[i], key) == 0;
                if (!found)
                        return vgl_error_set(err, EINVAL,
                                             "unknown key '%.40s' (trust_score, "
                                             "desired_trust_level, ceiling, tier, limits.vcpus, "
                                             "limits.cpu_quota_percent, limits.memory_mib, "
                                             "limits.net_in_kbps, limits.net_out_kbps, "
                                             "limits.disk_iops, limits.disk_bytes_per_s)",
                                             key);
        }
        return 0;
}

static int read_tier(const struct vgl_jf *c, const struct vgl_tier_set *tiers,
                     struct json_object *changes, struct update *u)
{
        char name[VGL_TIER_NAME_MAX];
        int r = vgl_jf_string(c, changes, "tier", false, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                              name, sizeof(name));
        if (r <= 0)
                return r;
        u->tier = vgl_tier_set_find(tiers, name);
        if (!u->tier) {
                char known[VGL_TIER_MAX * (VGL_TIER_NAME_MAX + 2)] = "";
                for (size_t i = 0; i < tiers->n_tiers; i++)
                        vgl_adjust_reason_add(known, sizeof(known), "%s", tiers->tiers[i].name);
                return vgl_jf_fail(c, "tier", "unknown tier '%s' (%s)", name, known);
        }
        return 0;
}

static int read_update(const struct vgl_tier_set *tiers, struct json_object *changes,
                       struct update *u, struct vgl_error *err)
{
        static const uint64_t lim_min[7] = {1, 1, VGL_LIMIT_MEMORY_MIB_MIN, 0, 0, 0, 0};
        static const uint64_t lim_max[7] = {
                VGL_LIMIT_VCPUS_MAX,       100,
                VGL_LIMIT_MEMORY_MIB_MAX,  VGL_LIMIT_KBPS_MAX,
                VGL_LIMIT_KBPS_MAX,        VGL_LIMIT_IOPS_MAX,
                VGL_LIMIT_BYTES_PER_S_MAX,
        };
        struct vgl_jf c = {.where = "", .code = EINVAL, .err = err};
        int r = check_keys(changes, err);
        if (r >= 0 && (r = vgl_jf_number(&c, changes, "trust_score", false, 0, 1, &u->trust)) > 0)
                u->has_trust = true;
        if (r >= 0 &&
            (r = vgl_jf_number(&c, changes, "desired_trust_level", false, 0, 1, &u->desired)) > 0)
                u->has_desired = true;
        if (r >= 0 && (r = vgl_jf_number(&c, changes, "ceiling", false, 0, 1, &u->ceiling)) > 0)
                u->has_ceiling = true;
        if (r >= 0)
                r = read_tier(&c, tiers, changes, u);
        for (size_t i = 0; r >= 0 && i < 7; i++)
                if ((r = vgl_jf_uint(&c, changes, update_keys[4 + i], false, lim_min[i], lim_max[i],
                                     &u->lim[i])) > 0)
                        u->has_lim[i] = true;
        return r < 0 ? r : 0;
}

/* Trust and ceiling; then the tier they (or the admin) put the sandbox in. */
static int apply_trust(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                       const struct update *u, struct vgl_profile *q, struct vgl_error *err)
{
        if (u->has_desired) {
                q->desired_trust_level = u->desired;
                if (!u->has_ceiling)
                        q->ceiling = vgl_adjust_quantize(
                                u->desired < pol->trust_max ? u->desired : pol->trust_max);
        }
        if (u->has_ceiling)
                q->ceiling = vgl_adjust_quantize(u->ceiling);
        if (u->has_trust && u->trust > q->ceiling + VGL_TRUST_EPS)
                return vgl_error_set(err, EINVAL, "trust_score: %g is above the ceiling %g",
                                     u->trust, q->ceiling);
        if (u->has_trust)
                q->trust_score = vgl_adjust_quantize(u->trust);
        else if (q->trust_score > q->ceiling) /* a lower ceiling pulls trust down */
                q->trust_score = q->ceiling;
        const struct vgl_tier *t = u->tier;
        if (!t)
                return 0;
        bool inside = q->trust_score >= t->min_trust - VGL_TRUST_EPS &&
                      (t->max_trust >= 1.0 || q->trust_score < t->max_trust - VGL_TRUST_EPS);
        if (!inside && u->has_trust)
                return vgl_error_set(err, EINVAL,
                                     "tier: '%s' serves trust [%g, %g), not trust_score %g",
                                     t->name, t->min_trust, t->max_trust, q->trust_score);
        if (!inside && t->min_trust > q->ceiling + VGL_TRUST_EPS)
                return vgl_error_set(err, EINVAL, "tier: '%s' needs trust %g, above the ceiling %g",
                                     t->name, t->min_trust, q->ceiling);
        if (!inside) /* into the tier's range, at its bottom: it earns the rest */
                q->trust_score = t->min_trust;
        return 0;
}

static int apply_limits(const struct update *u, const struct vgl_tier_set *tiers,
                        struct vgl_profile *q, struct vgl_error *err)
{
        struct vgl_limits *l = &q->limits;
        uint64_t *field[7] = {NULL,
                              NULL,
                              &l->memory_mib,
                              &l->net_in_kbps,
                              &l->net_out_kbps,
                              &l->disk_iops,
                              &l->disk_bytes_per_s};
        if (u->has_lim[0])
                l->vcpus = (unsigned)u->lim[0];
        if (u->has_lim[1])
                l->cpu_quota_percent = (unsigned)u->lim[1];
        for (size_t i = 2; i < 7; i++)
                if (u->has_lim[i])
                        *field[i] = u->lim[i];
        /* The tier's maxima are what its domains are built with. */
        const struct vgl_tier *t = vgl_tier_set_find(tiers, q->tier);
        if (t && l->vcpus > t->max_vcpus)
                return vgl_error_set(err, EINVAL,
                                     "limits.vcpus: %u is above tier '%s''s maximum %u", l->vcpus,
                                     t->name, t->max_vcpus);
        if (t && l->memory_mib > t->max_memory_mib)
                return vgl_error_set(err, EINVAL,
                                     "limits.memory_mib: %llu is above tier '%s''s maximum %llu",
                                     (unsigned long long)l->memory_mib, t->name,
                                     (unsigned long long)t->max_memory_mib);
        return 0;
}

/* "admin: trust_score=0.3, tier=\"high\"" */
static void describe(struct json_object *changes, char *buf, size_t size)
{
        snprintf(buf, size, "admin:");
        bool first = true;
        json_object_object_foreach(changes, key, val)
        {
                size_t len = strnlen(buf, size);
                snprintf(buf + len, size - len, "%s%s=%s", first ? " " : ", ", key,
                         json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
                first = false;
        }
}

int vgl_adjust_update(const struct vgl_adjust_policy *pol, const struct vgl_tier_set *tiers,
                      struct vgl_profile *p, struct json_object *changes, int64_t now,
                      struct vgl_adjust_decision *ret, struct vgl_error *err)
{
        if (!changes || !json_object_is_type(changes, json_type_object))
                return vgl_error_set(err, EINVAL, "changes: expected a JSON object");
        struct update u = {0};
        int r = read_update(tiers, changes, &u, err);
        if (r < 0)
                return r;
        _cleanup_free_ struct vgl_profile *q = malloc(sizeof(*q));
        if (!q)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *q = *p;
        struct vgl_adjust_decision d;
        vgl_adjust_decision_begin(&d, q);
        d.kind = VGL_ADJUST_UPDATE;
        if ((r = apply_trust(pol, tiers, &u, q, err)) < 0)
                return r;
        const struct vgl_tier *cur = vgl_tier_set_find(tiers, q->tier), *to = u.tier;
        if (!to && (!cur || !vgl_adjust_in_band(pol, cur, q->trust_score)))
                to = vgl_tier_set_for_trust(tiers, q->trust_score);
        if (to)
                vgl_adjust_enter(q, to, VGL_ADJUST_UPDATE, &d);
        if ((r = apply_limits(&u, tiers, q, err)) < 0)
                return r;
        q->achieved = vgl_adjust_achieved(pol, tiers, q);
        describe(changes, d.reason, sizeof(d.reason));
        vgl_adjust_finish(q, &d);
        vgl_adjust_push(q, &d, now);
        *p = *q;
        *ret = d;
        return 0;
}
