/* Parsing the persisted sandbox record (restore at start). The text comes
 * from a domain's <metadata>, which anyone with access to libvirt can
 * change: every field is checked. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "adjust.h"
#include "cleanup.h"
#include "domain-xml.h"
#include "labels.h"
#include "proto-msg.h"
#include "sandbox.h"

#define RECORD_MAX (64u * 1024u)

static int get_double(struct json_object *o, const char *name, double min, double max, double *ret,
                      struct vgl_error *err)
{
        struct json_object *v;
        double x;

        if (!json_object_object_get_ex(o, name, &v) ||
            (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)))
                return vgl_error_set(err, EBADMSG, "record: '%s' missing or not a number", name);
        x = json_object_get_double(v);
        if (!isfinite(x) || x < min || x > max)
                return vgl_error_set(err, EBADMSG, "record: '%s' out of range", name);
        *ret = x;
        return 0;
}

static int parse_resources(struct json_object *o, struct vgd_resources *ret, struct vgl_error *err)
{
        struct json_object *r;
        uint64_t v[5];
        static const char *const names[] = {"vcpus", "max_vcpus", "memory_mib", "max_memory_mib",
                                            "cpu_quota_percent"};

        if (!json_object_object_get_ex(o, "resources", &r) ||
            !json_object_is_type(r, json_type_object))
                return vgl_error_set(err, EBADMSG, "record: 'resources' missing");
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                int k = vgl_json_get_u64(r, names[i], true, 1u << 24, &v[i], err);
                if (k < 0)
                        return k;
        }
        *ret = (struct vgd_resources){(unsigned)v[0], (unsigned)v[1], v[2], v[3], (unsigned)v[4]};
        return 0;
}

static int parse_names(struct json_object *o, struct vgd_sandbox *t, struct vgl_error *err)
{
        char buf[64];
        int r;

        if ((r = vgl_json_get_string(o, "id", true, VGL_JSON_STR_NAME, t->id, sizeof(t->id), err)) <
                    0 ||
            (r = vgl_sandbox_id_validate(t->id, err)) < 0)
                return r;
        if ((r = vgl_json_get_string(o, "tier", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                                     t->tier, sizeof(t->tier), err)) < 0)
                return r;
        if ((r = vgl_json_get_string(o, "posture", true, VGL_JSON_STR_NAME, buf, sizeof(buf),
                                     err)) < 0)
                return r;
        if (vgl_posture_from_name(buf, &t->posture) < 0)
                return vgl_error_set(err, EBADMSG, "record: unknown posture '%s'", buf);
        if ((r = vgl_json_get_string(o, "state", true, VGL_JSON_STR_NAME, buf, sizeof(buf), err)) <
            0)
                return r;
        if (vgd_state_from_name(buf, &t->state) < 0)
                return vgl_error_set(err, EBADMSG, "record: unknown state '%s'", buf);
        return 0;
}

static int parse_numbers(struct json_object *o, struct vgd_sandbox *t, struct vgl_error *err)
{
        int64_t owner = -1, created = 0, expires = 0;
        int r;

        if ((r = vgl_json_get_i64(o, "owner_uid", true, -1, UINT32_MAX - 1, &owner, err)) < 0 ||
            (r = vgl_json_get_i64(o, "created", true, 0, INT64_MAX / 2, &created, err)) < 0 ||
            (r = vgl_json_get_i64(o, "expires", false, 0, INT64_MAX / 2, &expires, err)) < 0 ||
            (r = get_double(o, "desired_trust_level", 0, 1, &t->desired_trust_level, err)) < 0 ||
            (r = get_double(o, "trust_score", 0, 1, &t->trust_score, err)) < 0)
                return r;
        t->owned = owner >= 0;
        t->owner_uid = owner >= 0 ? (uid_t)owner : 0;
        t->created = created;
        t->expires = expires;
        return 0;
}

/* A record written before profiles existed: a profile in its tier (or the
 * tier serving its trust), nothing enforced yet. */
static int profile_for_v1(const struct vgd_sandbox *t, struct vgl_profile *p, struct vgl_error *err)
{
        const struct vgl_tier_set *tiers = &t->d->policy;
        const struct vgl_tier *tier = vgl_tier_set_find(tiers, t->tier);
        double ceiling = t->desired_trust_level;

        if (t->d->adjust.trust_max < ceiling)
                ceiling = t->d->adjust.trust_max;
        if (!tier)
                tier = vgl_tier_set_for_trust(tiers, t->trust_score);
        if (!tier)
                return vgl_error_set(err, EBADMSG, "record: no tier for a profile");
        vgl_profile_init(p, t->id, tier, t->desired_trust_level,
                         t->trust_score < ceiling ? t->trust_score : ceiling, ceiling);
        return 0;
}

/* The record's profile into *ret (heap), or NULL when it has none and
 * needs none. */
static int parse_profile(struct json_object *o, const struct vgd_sandbox *t,
                         struct vgl_profile **ret, struct vgl_error *err)
{
        _cleanup_free_ struct vgl_profile *p = calloc(1, sizeof(*p));
        struct json_object *v;
        struct vgl_error e = {};
        int r;

        *ret = NULL;
        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (!json_object_object_get_ex(o, "profile", &v) || !v) {
                if (t->state != VGD_RESERVED || !t->d)
                        return 0;
                if ((r = profile_for_v1(t, p, err)) < 0)
                        return r;
                *ret = TAKE_PTR(p);
                return 0;
        }
        if (vgl_profile_from_json(v, p, &e) < 0)
                return vgl_error_set(err, EBADMSG, "record: %s", e.msg);
        if (strcmp(p->profile_id, t->id) != 0)
                return vgl_error_set(err, EBADMSG, "record: profile.profile_id '%s' is not the id",
                                     p->profile_id);
        r = t->d ? vgl_adjust_check_profile(&t->d->policy, p, &e) : 0;
        if (r < 0 && r != -ENOENT) /* a tier gone: the next round places it */
                return vgl_error_set(err, EBADMSG, "record: profile: %s", e.msg);
        *ret = TAKE_PTR(p);
        return 0;
}

int vgd_sandbox_record_parse(struct vgd_sandbox *s, const char *text, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *labels;
        struct vgd_sandbox t = *s;
        struct vgl_profile *profile = NULL;
        enum json_tokener_error jerr;
        int r;

        if (!text || strlen(text) > RECORD_MAX)
                return vgl_error_set(err, EBADMSG, "record missing or too large");
        o = json_tokener_parse_verbose(text, &jerr);
        if (!o || !json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "record is not a JSON object");
        if ((r = parse_names(o, &t, err)) < 0 || (r = parse_numbers(o, &t, err)) < 0 ||
            (r = parse_resources(o, &t.res, err)) < 0)
                return -EBADMSG;
        if (!json_object_object_get_ex(o, "labels", &labels) ||
            vgd_labels_validate(labels, err) < 0)
                return vgl_error_set(err, EBADMSG, "record: bad 'labels'");
        if ((r = parse_profile(o, &t, &profile, err)) < 0)
                return r;
        snprintf(t.domain, sizeof(t.domain), VGL_DOMAIN_PREFIX "%s", t.id);
        json_object_put(s->labels);
        t.labels = json_object_get(labels);
        free(s->profile);
        t.profile = profile;
        *s = t;
        return 0;
}
