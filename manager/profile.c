/* The profile as data: names, initialisation, the history ring, action
 * outcomes and the signature's bounded bookkeeping. JSON is in
 * profile-json.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "behaviour.h"
#include "cleanup.h"
#include "profile.h"

_Static_assert(VGL_PROFILE_TAGS == VGL_TAG_COUNT, "the signature keeps one counter per tag");

static const char *const action_names[] = {
        [VGL_ACTION_VCPUS] = "vcpus",
        [VGL_ACTION_CPU_QUOTA] = "cpu_quota",
        [VGL_ACTION_MEMORY] = "memory",
        [VGL_ACTION_BANDWIDTH] = "bandwidth",
        [VGL_ACTION_NWFILTER] = "nwfilter",
        [VGL_ACTION_BLKIO] = "blkio",
        [VGL_ACTION_PERMISSIONS] = "permissions",
};

static const char *const state_names[] = {
        [VGL_ACTION_PENDING] = "pending",         [VGL_ACTION_APPLIED] = "applied",
        [VGL_ACTION_UNSUPPORTED] = "unsupported", [VGL_ACTION_NOT_APPLICABLE] = "not_applicable",
        [VGL_ACTION_FAILED] = "failed",
};

static const char *const kind_names[] = {
        [VGL_ADJUST_HOLD] = "hold",       [VGL_ADJUST_DEMOTE] = "demote",
        [VGL_ADJUST_PROMOTE] = "promote", [VGL_ADJUST_HOP] = "hop",
        [VGL_ADJUST_UPDATE] = "update",
};

_Static_assert(ELEMENTSOF(action_names) == VGL_ACTION_COUNT, "a name per action");

static int index_of(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; name && i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *vgl_action_name(enum vgl_action a)
{
        return (unsigned)a < ELEMENTSOF(action_names) ? action_names[a] : "unknown";
}

int vgl_action_from_name(const char *name, enum vgl_action *ret)
{
        int i = index_of(action_names, ELEMENTSOF(action_names), name);
        if (i < 0)
                return i;
        *ret = (enum vgl_action)i;
        return 0;
}

const char *vgl_action_state_name(enum vgl_action_state s)
{
        return (unsigned)s < ELEMENTSOF(state_names) ? state_names[s] : "unknown";
}

int vgl_action_state_from_name(const char *name, enum vgl_action_state *ret)
{
        int i = index_of(state_names, ELEMENTSOF(state_names), name);
        if (i < 0)
                return i;
        *ret = (enum vgl_action_state)i;
        return 0;
}

const char *vgl_adjust_kind_name(enum vgl_adjust_kind k)
{
        return (unsigned)k < ELEMENTSOF(kind_names) ? kind_names[k] : "unknown";
}

int vgl_adjust_kind_from_name(const char *name, enum vgl_adjust_kind *ret)
{
        int i = index_of(kind_names, ELEMENTSOF(kind_names), name);
        if (i < 0)
                return i;
        *ret = (enum vgl_adjust_kind)i;
        return 0;
}

void vgl_limits_from_tier(const struct vgl_tier *t, struct vgl_limits *ret)
{
        *ret = (struct vgl_limits){
                .vcpus = t->vcpus,
                .cpu_quota_percent = t->cpu_quota_percent,
                .memory_mib = t->memory_mib,
                .net_in_kbps = t->net_in_kbps,
                .net_out_kbps = t->net_out_kbps,
                .disk_iops = t->disk_iops,
                .disk_bytes_per_s = t->disk_bytes_per_s,
        };
}

void vgl_profile_init(struct vgl_profile *p, const char *id, const struct vgl_tier *t,
                      double desired_trust_level, double trust_score, double ceiling)
{
        memset(p, 0, sizeof(*p));
        snprintf(p->profile_id, sizeof(p->profile_id), "%s", id ? id : "");
        snprintf(p->tier, sizeof(p->tier), "%s", t->name);
        p->posture = t->posture;
        vgl_limits_from_tier(t, &p->limits);
        p->trust_score = trust_score;
        p->desired_trust_level = desired_trust_level;
        p->ceiling = ceiling;
        for (size_t i = 0; i < VGL_ACTION_COUNT; i++)
                p->actions[i].state = VGL_ACTION_PENDING;
}

void vgl_profile_push_history(struct vgl_profile *p, const struct vgl_adjustment *a)
{
        size_t slot = (p->history_head + p->n_history) % VGL_PROFILE_HISTORY;
        p->history[slot] = *a;
        if (p->n_history < VGL_PROFILE_HISTORY)
                p->n_history++;
        else
                p->history_head = (p->history_head + 1) % VGL_PROFILE_HISTORY;
}

const struct vgl_adjustment *vgl_profile_history_at(const struct vgl_profile *p, size_t i)
{
        if (i >= p->n_history)
                return NULL;
        return &p->history[(p->history_head + i) % VGL_PROFILE_HISTORY];
}

void vgl_profile_set_action(struct vgl_profile *p, enum vgl_action a, enum vgl_action_state st,
                            const char *value, const char *reason, int64_t now)
{
        if ((unsigned)a >= VGL_ACTION_COUNT)
                return;
        struct vgl_action_result *r = &p->actions[a];
        r->state = st;
        r->time = now;
        snprintf(r->value, sizeof(r->value), "%s", value ? value : "");
        snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
}

void vgl_signature_add_endpoint(struct vgl_signature *s, const char *endpoint)
{
        char e[sizeof(s->endpoints[0])];
        snprintf(e, sizeof(e), "%s", endpoint ? endpoint : "");
        if (!e[0])
                return;
        /* Newest first, each once: a repeat moves to the front. */
        size_t n = s->n_endpoints, at = n;
        for (size_t i = 0; i < n; i++)
                if (strcmp(s->endpoints[i], e) == 0)
                        at = i;
        if (at == n && n < VGL_PROFILE_ENDPOINTS)
                s->n_endpoints = ++n;
        if (at == n) /* full: the oldest goes */
                at = n - 1;
        memmove(s->endpoints[1], s->endpoints[0], at * sizeof(s->endpoints[0]));
        memcpy(s->endpoints[0], e, sizeof(e));
}

void vgl_signature_add_sample(struct vgl_signature *s, int64_t time, uint32_t cpu_permille,
                              uint64_t mem_used_kb)
{
        size_t slot = (s->series_head + s->n_series) % VGL_PROFILE_SERIES;
        if (s->n_series == VGL_PROFILE_SERIES) {
                slot = s->series_head;
                s->series_head = (s->series_head + 1) % VGL_PROFILE_SERIES;
        } else {
                s->n_series++;
        }
        s->series[slot].time = time;
        s->series[slot].cpu_permille = cpu_permille > 1000 ? 1000 : cpu_permille;
        s->series[slot].mem_used_kb = mem_used_kb;
}
