/* Parsing one tier template file. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "policy.h"
#include "profile.h"
#include "proto-msg.h"

static const char *const tier_fields[] = {
        "name",
        "posture",
        "description",
        "min_trust",
        "max_trust",
        "image",
        "vcpus",
        "memory_mib",
        "cpu_quota_percent",
        "network",
        "pool",
        "ttl_s",
        "bandwidth_kbps",
        "disk",
        "hop",
        NULL,
};

static int check_known_fields(struct json_object *o, const char *const *known, const char *where,
                              struct vgl_error *err)
{
        json_object_object_foreach(o, key, val)
        {
                (void)val;
                bool found = false;
                for (size_t i = 0; known[i]; i++)
                        found = found || strcmp(known[i], key) == 0;
                if (!found)
                        return vgl_error_set(err, EINVAL, "unknown field '%s%s'", where, key);
        }
        return 0;
}

static int get_trust(struct json_object *o, const char *name, double *ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, name, &v) || !v)
                return vgl_error_set(err, EINVAL, "missing field '%s'", name);
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
                return vgl_error_set(err, EINVAL, "field '%s' must be a number", name);
        double d = json_object_get_double(v);
        if (!isfinite(d) || d < 0.0 || d > 1.0)
                return vgl_error_set(err, EINVAL, "field '%s' must be within [0, 1]", name);
        *ret = d;
        return 0;
}

/* {"<first>": N, "max": M} with min <= N <= M <= limit; first is "current" or "default". */
static int get_pair(struct json_object *o, const char *name, const char *first, uint64_t min,
                    uint64_t limit, uint64_t *ret_cur, uint64_t *ret_max, struct vgl_error *err)
{
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_object))
                return vgl_error_set(err, EINVAL, "field '%s' must be {\"%s\": N, \"max\": M}",
                                     name, first);
        const char *const pair_fields[] = {first, "max", NULL};
        char where[64];
        snprintf(where, sizeof(where), "%s.", name);
        int r = check_known_fields(v, pair_fields, where, err);
        if (r < 0)
                return r;
        uint64_t cur = 0, max = 0;
        struct vgl_error e = {0};
        r = vgl_json_get_u64(v, first, true, limit, &cur, &e);
        if (r >= 0)
                r = vgl_json_get_u64(v, "max", true, limit, &max, &e);
        if (r < 0)
                return vgl_error_set(err, EINVAL, "%s: %s", name, e.msg);
        if (cur < min || cur > max)
                return vgl_error_set(err, EINVAL,
                                     "field '%s': need %llu <= %s <= max, got %llu and %llu", name,
                                     (unsigned long long)min, first, (unsigned long long)cur,
                                     (unsigned long long)max);
        *ret_cur = cur;
        *ret_max = max;
        return 0;
}

/* Reads a short name field into buf (VGL_TIER_NAME_MAX bytes). */
static int get_name(struct json_object *o, const char *name, char *buf, struct vgl_error *err)
{
        return vgl_json_get_string(o, name, true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY, buf,
                                   VGL_TIER_NAME_MAX, err);
}

static int parse_names(struct json_object *o, struct vgl_tier *t, struct vgl_error *err)
{
        char posture[VGL_TIER_NAME_MAX], network[VGL_TIER_NAME_MAX];
        int r = get_name(o, "name", t->name, err);
        if (r >= 0)
                r = vgl_json_get_string(o, "description", false, 0, t->description,
                                        sizeof(t->description), err);
        if (r >= 0)
                r = vgl_json_get_string(o, "image", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                                        t->image, sizeof(t->image), err);
        if (r >= 0)
                r = get_name(o, "posture", posture, err);
        if (r >= 0 && vgl_posture_from_name(posture, &t->posture) < 0)
                r = vgl_error_set(
                        err, EINVAL,
                        "field 'posture': unknown value '%s' (low, medium, high, paranoid)",
                        posture);
        if (r >= 0)
                r = get_name(o, "network", network, err);
        if (r >= 0 && vgl_network_mode_from_name(network, &t->network) < 0)
                r = vgl_error_set(
                        err, EINVAL,
                        "field 'network': unknown value '%s' (open, allowlist, declared, none)",
                        network);
        return r < 0 ? r : 0;
}

static int parse_limits(struct json_object *o, struct vgl_tier *t, struct vgl_error *err)
{
        uint64_t vc = 0, vm = 0, q = 0, pool = 0;
        int r = get_pair(o, "vcpus", "current", 1, VGL_LIMIT_VCPUS_MAX, &vc, &vm, err);
        if (r >= 0)
                r = get_pair(o, "memory_mib", "current", VGL_LIMIT_MEMORY_MIB_MIN,
                             VGL_LIMIT_MEMORY_MIB_MAX, &t->memory_mib, &t->max_memory_mib, err);
        if (r >= 0)
                r = get_pair(o, "ttl_s", "default", 1, 366 * 86400, &t->ttl_default_s,
                             &t->ttl_max_s, err);
        if (r >= 0)
                r = vgl_json_get_u64(o, "cpu_quota_percent", true, 100, &q, err);
        if (r >= 0 && q == 0)
                r = vgl_error_set(err, EINVAL, "field 'cpu_quota_percent' must be 1..100");
        if (r >= 0)
                r = vgl_json_get_u64(o, "pool", false, 16, &pool, err);
        if (r < 0)
                return r;
        t->vcpus = (unsigned)vc;
        t->max_vcpus = (unsigned)vm;
        t->cpu_quota_percent = (unsigned)q;
        t->pool = (unsigned)pool;
        return 0;
}

/* An optional object of optional caps: {"<a>": N, "<b>": M}, absent or 0: no cap. */
static int get_caps(struct json_object *o, const char *name, const char *a, uint64_t max_a,
                    const char *b, uint64_t max_b, uint64_t *ret_a, uint64_t *ret_b,
                    struct vgl_error *err)
{
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, name, &v) || !v)
                return 0;
        if (!json_object_is_type(v, json_type_object))
                return vgl_error_set(err, EINVAL, "field '%s' must be {\"%s\": N, \"%s\": M}", name,
                                     a, b);
        const char *const fields[] = {a, b, NULL};
        char where[64];
        snprintf(where, sizeof(where), "%s.", name);
        int r = check_known_fields(v, fields, where, err);
        if (r < 0)
                return r;
        struct vgl_error e = {0};
        r = vgl_json_get_u64(v, a, false, max_a, ret_a, &e);
        if (r >= 0)
                r = vgl_json_get_u64(v, b, false, max_b, ret_b, &e);
        if (r < 0)
                return vgl_error_set(err, EINVAL, "%s: %s", name, e.msg);
        return 0;
}

/* The live-adjustable extras: bandwidth and disk caps, hop on entry. */
static int parse_caps(struct json_object *o, struct vgl_tier *t, struct vgl_error *err)
{
        int r = get_caps(o, "bandwidth_kbps", "in", VGL_LIMIT_KBPS_MAX, "out", VGL_LIMIT_KBPS_MAX,
                         &t->net_in_kbps, &t->net_out_kbps, err);
        if (r >= 0)
                r = get_caps(o, "disk", "iops", VGL_LIMIT_IOPS_MAX, "bytes_per_s",
                             VGL_LIMIT_BYTES_PER_S_MAX, &t->disk_iops, &t->disk_bytes_per_s, err);
        if (r >= 0)
                r = vgl_json_get_bool(o, "hop", false, &t->hop_on_entry, err);
        return r < 0 ? r : 0;
}

static int parse_object(struct json_object *o, struct vgl_tier *ret, struct vgl_error *err)
{
        struct vgl_tier t = {0};
        int r = check_known_fields(o, tier_fields, "", err);
        if (r >= 0)
                r = parse_names(o, &t, err);
        if (r >= 0)
                r = get_trust(o, "min_trust", &t.min_trust, err);
        if (r >= 0)
                r = get_trust(o, "max_trust", &t.max_trust, err);
        if (r >= 0 && t.min_trust >= t.max_trust)
                r = vgl_error_set(err, EINVAL, "min_trust must be below max_trust");
        if (r >= 0)
                r = parse_limits(o, &t, err);
        if (r >= 0)
                r = parse_caps(o, &t, err);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

int vgl_tier_parse(const char *path, const char *text, size_t len, struct vgl_tier *ret,
                   struct vgl_error *err)
{
        if (len > VGL_TIER_FILE_MAX)
                return vgl_error_set(err, EFBIG, "%s: larger than %u bytes", path,
                                     VGL_TIER_FILE_MAX);
        struct json_tokener *tok = json_tokener_new();
        if (!tok)
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        _cleanup_json_ struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = (size_t)json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        while (used < len && strchr(" \t\r\n", text[used]))
                used++;
        if (!o || jerr != json_tokener_success || used != len)
                return vgl_error_set(err, EINVAL, "%s: not valid JSON (%s)", path,
                                     o ? "trailing bytes" : json_tokener_error_desc(jerr));
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "%s: must be a JSON object", path);
        struct vgl_error e = {0};
        int r = parse_object(o, ret, &e);
        if (r < 0)
                return vgl_error_set(err, -r, "%s: %s", path, e.msg);
        return 0;
}
