/* Parsing the profile's JSON form (docs/trust.md). It is untrusted: libvirt
 * users can edit the domain's <metadata>, so every member is type-checked,
 * bounded and named in errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behaviour.h"
#include "profile-priv.h"
#include "profile.h"
#include "proto-msg.h"

#define TRUST_SLACK 1e-9 /* a ceiling compared with a trust that went through text */

#define TIME_MAX ((int64_t)1 << 40) /* Unix seconds: beyond year 36000 is garbage */

static int parse_limits(const struct vgl_jf *top, struct json_object *o, struct vgl_limits *l)
{
        static const char *const known[] = {
                "vcpus",        "cpu_quota_percent", "memory_mib",       "net_in_kbps",
                "net_out_kbps", "disk_iops",         "disk_bytes_per_s", NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "resource_limits", true, &v);
        if (r < 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "resource_limits");
        uint64_t vcpus = 0, quota = 0;
        r = vgl_jf_known(&c, v, known);
        r = r ?: vgl_jf_uint(&c, v, "vcpus", true, 1, VGL_LIMIT_VCPUS_MAX, &vcpus);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "cpu_quota_percent", true, 1, 100, &quota);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "memory_mib", true, VGL_LIMIT_MEMORY_MIB_MIN,
                                VGL_LIMIT_MEMORY_MIB_MAX, &l->memory_mib);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "net_in_kbps", false, 0, VGL_LIMIT_KBPS_MAX,
                                &l->net_in_kbps);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "net_out_kbps", false, 0, VGL_LIMIT_KBPS_MAX,
                                &l->net_out_kbps);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "disk_iops", false, 0, VGL_LIMIT_IOPS_MAX, &l->disk_iops);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "disk_bytes_per_s", false, 0, VGL_LIMIT_BYTES_PER_S_MAX,
                                &l->disk_bytes_per_s);
        l->vcpus = (unsigned)vcpus;
        l->cpu_quota_percent = (unsigned)quota;
        return r < 0 ? r : 0;
}

static int parse_tags(const struct vgl_jf *sig, struct json_object *o, struct vgl_signature *s)
{
        const char *known[VGL_PROFILE_TAGS + 1] = {NULL};
        for (unsigned i = 0; i < VGL_PROFILE_TAGS; i++)
                known[i] = vgl_tag_name(i);
        struct json_object *v = NULL;
        int r = vgl_jf_object(sig, o, "tags", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(sig, "tags");
        r = vgl_jf_known(&c, v, known);
        for (unsigned i = 0; r >= 0 && i < VGL_PROFILE_TAGS; i++)
                r = vgl_jf_uint(&c, v, known[i], false, 0, INT64_MAX, &s->tag_totals[i]);
        return r < 0 ? r : 0;
}

static int parse_top_syscalls(const struct vgl_jf *sig, struct json_object *o,
                              struct vgl_signature *s)
{
        static const char *const known[] = {"nr", "count", NULL};
        struct json_object *arr = NULL;
        int r = vgl_jf_array(sig, o, "top_syscalls", false, VGL_PROFILE_TOP_SYSCALL, &arr);
        if (r <= 0)
                return r;
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof(name), "top_syscalls[%zu]", i);
                struct json_object *e = json_object_array_get_idx(arr, i);
                if (!json_object_is_type(e, json_type_object))
                        return vgl_jf_fail(sig, name, "expected an object");
                struct vgl_jf c = vgl_jf_sub(sig, name);
                uint64_t nr = 0, count = 0;
                r = vgl_jf_known(&c, e, known);
                if (r >= 0)
                        r = vgl_jf_uint(&c, e, "nr", true, 0, UINT16_MAX, &nr);
                if (r >= 0)
                        r = vgl_jf_uint(&c, e, "count", true, 0, UINT32_MAX, &count);
                if (r < 0)
                        return r;
                s->top_syscalls[i].nr = (uint16_t)nr;
                s->top_syscalls[i].count = (uint32_t)count;
        }
        s->n_top_syscalls = n;
        return 0;
}

static int parse_endpoints(const struct vgl_jf *sig, struct json_object *o, struct vgl_signature *s)
{
        struct json_object *arr = NULL;
        int r = vgl_jf_array(sig, o, "endpoints", false, VGL_PROFILE_ENDPOINTS, &arr);
        if (r <= 0)
                return r;
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof(name), "endpoints[%zu]", i);
                r = vgl_jf_value_string(sig, json_object_array_get_idx(arr, i), name,
                                        VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY, s->endpoints[i],
                                        sizeof(s->endpoints[i]));
                if (r < 0)
                        return r;
        }
        s->n_endpoints = n;
        return 0;
}

static int parse_series(const struct vgl_jf *sig, struct json_object *o, struct vgl_signature *s)
{
        static const char *const known[] = {"time", "cpu_permille", "mem_used_kb", NULL};
        struct json_object *arr = NULL;
        int r = vgl_jf_array(sig, o, "series", false, VGL_PROFILE_SERIES, &arr);
        if (r <= 0)
                return r;
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof(name), "series[%zu]", i);
                struct json_object *e = json_object_array_get_idx(arr, i);
                if (!json_object_is_type(e, json_type_object))
                        return vgl_jf_fail(sig, name, "expected an object");
                struct vgl_jf c = vgl_jf_sub(sig, name);
                uint64_t cpu = 0;
                r = vgl_jf_known(&c, e, known);
                if (r >= 0)
                        r = vgl_jf_int(&c, e, "time", true, 0, TIME_MAX, &s->series[i].time);
                if (r >= 0)
                        r = vgl_jf_uint(&c, e, "cpu_permille", true, 0, 1000, &cpu);
                if (r >= 0)
                        r = vgl_jf_uint(&c, e, "mem_used_kb", true, 0, INT64_MAX,
                                        &s->series[i].mem_used_kb);
                if (r < 0)
                        return r;
                s->series[i].cpu_permille = (uint32_t)cpu;
        }
        s->series_head = 0;
        s->n_series = n;
        return 0;
}

static int parse_signature(const struct vgl_jf *top, struct json_object *o, struct vgl_signature *s)
{
        static const char *const known[] = {"tags",         "events",    "syscalls", "denials",
                                            "top_syscalls", "endpoints", "series",   "anomaly",
                                            "risk",         "model",     NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "behavioral_signatures", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "behavioral_signatures");
        r = vgl_jf_known(&c, v, known);
        r = r ?: parse_tags(&c, v, s);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "events", false, 0, INT64_MAX, &s->events);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "syscalls", false, 0, INT64_MAX, &s->syscalls);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "denials", false, 0, INT64_MAX, &s->denials);
        if (r >= 0)
                r = parse_top_syscalls(&c, v, s);
        if (r >= 0)
                r = parse_endpoints(&c, v, s);
        if (r >= 0)
                r = parse_series(&c, v, s);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "anomaly", false, 0, 1, &s->anomaly);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "risk", false, 0, 1, &s->risk);
        if (r >= 0)
                r = vgl_jf_string(&c, v, "model", false, VGL_JSON_STR_NAME, s->model,
                                  sizeof(s->model));
        return r < 0 ? r : 0;
}

static int parse_action(const struct vgl_jf *acts, const char *key, struct json_object *e,
                        struct vgl_action_result *a)
{
        static const char *const known[] = {"state", "time", "value", "reason", NULL};
        if (!json_object_is_type(e, json_type_object))
                return vgl_jf_fail(acts, key, "expected an object");
        struct vgl_jf c = vgl_jf_sub(acts, key);
        char state[32] = "";
        int r = vgl_jf_known(&c, e, known);
        r = r ?: vgl_jf_string(&c, e, "state", true, VGL_JSON_STR_NAME, state, sizeof(state));
        if (r >= 0 && vgl_action_state_from_name(state, &a->state) < 0)
                r = vgl_jf_fail(&c, "state",
                                "unknown value '%s' (pending, applied, unsupported, "
                                "not_applicable, failed)",
                                state);
        if (r >= 0)
                r = vgl_jf_int(&c, e, "time", false, 0, TIME_MAX, &a->time);
        if (r >= 0)
                r = vgl_jf_string(&c, e, "value", false, 0, a->value, sizeof(a->value));
        if (r >= 0)
                r = vgl_jf_string(&c, e, "reason", false, 0, a->reason, sizeof(a->reason));
        return r < 0 ? r : 0;
}

static int parse_actions(const struct vgl_jf *top, struct json_object *o, struct vgl_profile *p)
{
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "actions", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "actions");
        json_object_object_foreach(v, key, val)
        {
                enum vgl_action a;
                if (vgl_action_from_name(key, &a) < 0) {
                        char shown[40];
                        snprintf(shown, sizeof(shown), "%s", key);
                        return vgl_jf_fail(&c, shown, "unknown action");
                }
                r = parse_action(&c, key, val, &p->actions[a]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_adjustment(const struct vgl_jf *c, struct json_object *e, struct vgl_adjustment *a)
{
        static const char *const known[] = {"time",        "kind",        "trust_before",
                                            "trust_after", "tier_before", "tier_after",
                                            "reason",      NULL};
        char kind[32] = "";
        int r = vgl_jf_known(c, e, known);
        r = r ?: vgl_jf_int(c, e, "time", true, 0, TIME_MAX, &a->time);
        if (r >= 0)
                r = vgl_jf_string(c, e, "kind", true, VGL_JSON_STR_NAME, kind, sizeof(kind));
        if (r >= 0 && vgl_adjust_kind_from_name(kind, &a->kind) < 0)
                r = vgl_jf_fail(c, "kind",
                                "unknown value '%s' (hold, demote, promote, hop, update)", kind);
        if (r >= 0)
                r = vgl_jf_number(c, e, "trust_before", true, 0, 1, &a->trust_before);
        if (r >= 0)
                r = vgl_jf_number(c, e, "trust_after", true, 0, 1, &a->trust_after);
        if (r >= 0)
                r = vgl_jf_string(c, e, "tier_before", true, VGL_JSON_STR_NAME, a->tier_before,
                                  sizeof(a->tier_before));
        if (r >= 0)
                r = vgl_jf_string(c, e, "tier_after", true, VGL_JSON_STR_NAME, a->tier_after,
                                  sizeof(a->tier_after));
        if (r >= 0)
                r = vgl_jf_string(c, e, "reason", false, 0, a->reason, sizeof(a->reason));
        return r < 0 ? r : 0;
}

static int parse_history(const struct vgl_jf *top, struct json_object *o, struct vgl_profile *p)
{
        struct json_object *arr = NULL;
        int r = vgl_jf_array(top, o, "history", false, VGL_PROFILE_HISTORY, &arr);
        if (r <= 0)
                return r;
        size_t n = json_object_array_length(arr);
        for (size_t i = 0; i < n; i++) {
                char name[32];
                snprintf(name, sizeof(name), "history[%zu]", i);
                struct json_object *e = json_object_array_get_idx(arr, i);
                if (!json_object_is_type(e, json_type_object))
                        return vgl_jf_fail(top, name, "expected an object");
                struct vgl_jf c = vgl_jf_sub(top, name);
                r = parse_adjustment(&c, e, &p->history[i]);
                if (r < 0)
                        return r;
        }
        p->history_head = 0;
        p->n_history = n;
        return 0;
}

static int parse_identity(const struct vgl_jf *c, struct json_object *o, struct vgl_profile *p)
{
        char posture[32] = "";
        int r = vgl_jf_string(c, o, "profile_id", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                              p->profile_id, sizeof(p->profile_id));
        if (r >= 0)
                r = vgl_jf_string(c, o, "tier", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                                  p->tier, sizeof(p->tier));
        if (r >= 0)
                r = vgl_jf_string(c, o, "security_posture", true, VGL_JSON_STR_NAME, posture,
                                  sizeof(posture));
        if (r >= 0 && vgl_posture_from_name(posture, &p->posture) < 0)
                r = vgl_jf_fail(c, "security_posture",
                                "unknown value '%s' (low, medium, high, paranoid)", posture);
        return r < 0 ? r : 0;
}

static int parse_trust(const struct vgl_jf *c, struct json_object *o, struct vgl_profile *p)
{
        uint64_t clean = 0;
        int r = vgl_jf_number(c, o, "trust_score", true, 0, 1, &p->trust_score);
        if (r >= 0)
                r = vgl_jf_number(c, o, "desired_trust_level", true, 0, 1, &p->desired_trust_level);
        if (r >= 0)
                r = vgl_jf_number(c, o, "ceiling", true, 0, 1, &p->ceiling);
        if (r >= 0 && p->trust_score > p->ceiling + TRUST_SLACK)
                r = vgl_jf_fail(c, "trust_score", "%g is above the ceiling %g", p->trust_score,
                                p->ceiling);
        if (r >= 0)
                r = vgl_jf_bool(c, o, "achieved", false, &p->achieved);
        if (r >= 0)
                r = vgl_jf_uint(c, o, "clean_rounds", false, 0, UINT32_MAX, &clean);
        if (r >= 0)
                r = vgl_jf_uint(c, o, "rounds", false, 0, INT64_MAX, &p->rounds);
        if (r >= 0)
                r = vgl_jf_int(c, o, "last_round", false, 0, TIME_MAX, &p->last_round);
        if (r >= 0)
                r = vgl_jf_uint(c, o, "hops", false, 0, INT64_MAX, &p->hops);
        p->clean_rounds = (uint32_t)clean;
        return r < 0 ? r : 0;
}

int vgl_profile_from_json(struct json_object *o, struct vgl_profile *ret, struct vgl_error *err)
{
        static const char *const known[] = {
                "profile_id",
                "tier",
                "security_posture",
                "resource_limits",
                "trust_score",
                "desired_trust_level",
                "ceiling",
                "achieved",
                "clean_rounds",
                "rounds",
                "last_round",
                "hops",
                "behavioral_signatures",
                "actions",
                "history",
                NULL,
        };
        struct vgl_jf c = {.where = "profile", .code = EBADMSG, .err = err};
        if (!o || !json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "profile: expected a JSON object");
        struct vgl_profile *p = calloc(1, sizeof(*p)); /* ~20 KiB: not on the stack */
        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        int r = vgl_jf_known(&c, o, known);
        r = r ?: parse_identity(&c, o, p);
        r = r ?: parse_limits(&c, o, &p->limits);
        r = r ?: parse_trust(&c, o, p);
        r = r ?: parse_signature(&c, o, &p->signature);
        r = r ?: parse_actions(&c, o, p);
        r = r ?: parse_history(&c, o, p);
        if (r >= 0)
                *ret = *p;
        free(p);
        return r < 0 ? r : 0;
}
