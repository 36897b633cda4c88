/* Writing the profile's JSON form (docs/trust.md): what GetProfile returns
 * and what is persisted in the domain's <metadata>. Parsing is in
 * profile-parse.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "behaviour.h"
#include "profile.h"
#include "proto-msg.h"

/* Appends v to arr, taking ownership of v even on failure. */
static int array_add(struct json_object *arr, struct json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(arr, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static struct json_object *limits_to_json(const struct vgl_limits *l)
{
        struct json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        int r = vgl_json_add(o, "vcpus", json_object_new_int64(l->vcpus));
        r = r ?: vgl_json_add(o, "cpu_quota_percent", json_object_new_int64(l->cpu_quota_percent));
        r = r ?: vgl_json_add(o, "memory_mib", json_object_new_int64((int64_t)l->memory_mib));
        r = r ?: vgl_json_add(o, "net_in_kbps", json_object_new_int64((int64_t)l->net_in_kbps));
        r = r ?: vgl_json_add(o, "net_out_kbps", json_object_new_int64((int64_t)l->net_out_kbps));
        r = r ?: vgl_json_add(o, "disk_iops", json_object_new_int64((int64_t)l->disk_iops));
        r = r
                    ?: vgl_json_add(o, "disk_bytes_per_s",
                                    json_object_new_int64((int64_t)l->disk_bytes_per_s));
        if (r < 0)
                return json_object_put(o), NULL;
        return o;
}

static int signature_lists_to_json(const struct vgl_signature *s, struct json_object *o)
{
        struct json_object *top = json_object_new_array(), *eps = json_object_new_array(),
                           *ser = json_object_new_array();
        int r = vgl_json_add(o, "top_syscalls", top);
        r = r ?: vgl_json_add(o, "endpoints", eps);
        r = r ?: vgl_json_add(o, "series", ser);
        for (size_t i = 0; r == 0 && i < s->n_top_syscalls && i < VGL_PROFILE_TOP_SYSCALL; i++) {
                struct json_object *e = json_object_new_object();
                r = array_add(top, e);
                r = r ?: vgl_json_add(e, "nr", json_object_new_int64(s->top_syscalls[i].nr));
                r = r ?: vgl_json_add(e, "count", json_object_new_int64(s->top_syscalls[i].count));
        }
        for (size_t i = 0; r == 0 && i < s->n_endpoints && i < VGL_PROFILE_ENDPOINTS; i++)
                r = array_add(eps, json_object_new_string(s->endpoints[i]));
        for (size_t i = 0; r == 0 && i < s->n_series && i < VGL_PROFILE_SERIES; i++) {
                size_t k = (s->series_head + i) % VGL_PROFILE_SERIES; /* oldest first */
                struct json_object *e = json_object_new_object();
                r = array_add(ser, e);
                r = r ?: vgl_json_add(e, "time", json_object_new_int64(s->series[k].time));
                r = r
                            ?: vgl_json_add(e, "cpu_permille",
                                            json_object_new_int64(s->series[k].cpu_permille));
                r = r
                            ?: vgl_json_add(
                                       e, "mem_used_kb",
                                       json_object_new_int64((int64_t)s->series[k].mem_used_kb));
        }
        return r < 0 ? -ENOMEM : 0;
}

static struct json_object *signature_to_json(const struct vgl_signature *s)
{
        struct json_object *o = json_object_new_object(), *tags = json_object_new_object();
        int r = o ? vgl_json_add(o, "tags", tags) : (json_object_put(tags), -ENOMEM);
        for (unsigned i = 0; r == 0 && i < VGL_PROFILE_TAGS; i++)
                r = vgl_json_add(tags, vgl_tag_name(i),
                                 json_object_new_int64((int64_t)s->tag_totals[i]));
        r = r ?: vgl_json_add(o, "events", json_object_new_int64((int64_t)s->events));
        r = r ?: vgl_json_add(o, "syscalls", json_object_new_int64((int64_t)s->syscalls));
        r = r ?: vgl_json_add(o, "denials", json_object_new_int64((int64_t)s->denials));
        r = r ?: signature_lists_to_json(s, o);
        r = r ?: vgl_json_add(o, "anomaly", json_object_new_double(s->anomaly));
        r = r ?: vgl_json_add(o, "risk", json_object_new_double(s->risk));
        r = r ?: vgl_json_add(o, "model", json_object_new_string(s->model));
        if (r < 0)
                return json_object_put(o), NULL;
        return o;
}

static struct json_object *actions_to_json(const struct vgl_profile *p)
{
        struct json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;
        for (size_t i = 0; r == 0 && i < VGL_ACTION_COUNT; i++) {
                const struct vgl_action_result *a = &p->actions[i];
                struct json_object *e = json_object_new_object();
                r = vgl_json_add(o, vgl_action_name((enum vgl_action)i), e);
                r = r
                            ?: vgl_json_add(
                                       e, "state",
                                       json_object_new_string(vgl_action_state_name(a->state)));
                r = r ?: vgl_json_add(e, "time", json_object_new_int64(a->time));
                r = r ?: vgl_json_add(e, "value", json_object_new_string(a->value));
                r = r ?: vgl_json_add(e, "reason", json_object_new_string(a->reason));
        }
        if (r < 0)
                return json_object_put(o), NULL;
        return o;
}

static struct json_object *history_to_json(const struct vgl_profile *p)
{
        struct json_object *arr = json_object_new_array();
        int r = arr ? 0 : -ENOMEM;
        for (size_t i = 0; r == 0 && i < p->n_history && i < VGL_PROFILE_HISTORY; i++) {
                const struct vgl_adjustment *a = vgl_profile_history_at(p, i);
                struct json_object *e = json_object_new_object();
                r = array_add(arr, e);
                r = r ?: vgl_json_add(e, "time", json_object_new_int64(a->time));
                r = r
                            ?: vgl_json_add(e, "kind",
                                            json_object_new_string(vgl_adjust_kind_name(a->kind)));
                r = r ?: vgl_json_add(e, "trust_before", json_object_new_double(a->trust_before));
                r = r ?: vgl_json_add(e, "trust_after", json_object_new_double(a->trust_after));
                r = r ?: vgl_json_add(e, "tier_before", json_object_new_string(a->tier_before));
                r = r ?: vgl_json_add(e, "tier_after", json_object_new_string(a->tier_after));
                r = r ?: vgl_json_add(e, "reason", json_object_new_string(a->reason));
        }
        if (r < 0)
                return json_object_put(arr), NULL;
        return arr;
}

int vgl_profile_to_json(const struct vgl_profile *p, struct json_object **ret)
{
        struct json_object *o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        int r = vgl_json_add(o, "profile_id", json_object_new_string(p->profile_id));
        r = r ?: vgl_json_add(o, "tier", json_object_new_string(p->tier));
        r = r
                    ?: vgl_json_add(o, "security_posture",
                                    json_object_new_string(vgl_posture_name(p->posture)));
        r = r ?: vgl_json_add(o, "resource_limits", limits_to_json(&p->limits));
        r = r ?: vgl_json_add(o, "trust_score", json_object_new_double(p->trust_score));
        r = r
                    ?: vgl_json_add(o, "desired_trust_level",
                                    json_object_new_double(p->desired_trust_level));
        r = r ?: vgl_json_add(o, "ceiling", json_object_new_double(p->ceiling));
        r = r ?: vgl_json_add(o, "achieved", json_object_new_boolean(p->achieved));
        r = r ?: vgl_json_add(o, "clean_rounds", json_object_new_int64(p->clean_rounds));
        r = r ?: vgl_json_add(o, "rounds", json_object_new_int64((int64_t)p->rounds));
        r = r ?: vgl_json_add(o, "last_round", json_object_new_int64(p->last_round));
        r = r ?: vgl_json_add(o, "hops", json_object_new_int64((int64_t)p->hops));
        r = r ?: vgl_json_add(o, "behavioral_signatures", signature_to_json(&p->signature));
        r = r ?: vgl_json_add(o, "actions", actions_to_json(p));
        r = r ?: vgl_json_add(o, "history", history_to_json(p));
        if (r < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}
