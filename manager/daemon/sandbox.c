/* See sandbox.h. */
#include "sandbox.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "cleanup.h"
#include "control.h"
#include "observe.h"
#include "permissions.h"
#include "proto-msg.h"

static const char *const state_names[] = {
        [VGD_BOOTING] = "booting",   [VGD_READY] = "ready",       [VGD_RESERVED] = "reserved",
        [VGD_CRASHED] = "crashed",   [VGD_SHUTDOWN] = "shutdown", [VGD_GONE] = "gone",
        [VGD_RELEASED] = "released",
};

const char *vgd_state_name(enum vgd_state s)
{
        return (unsigned)s < ELEMENTSOF(state_names) ? state_names[s] : "unknown";
}

int vgd_state_from_name(const char *name, enum vgd_state *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(state_names); i++)
                if (!strcmp(name, state_names[i])) {
                        *ret = (enum vgd_state)i;
                        return 0;
                }
        return -EINVAL;
}

bool vgd_state_live(enum vgd_state s)
{
        return s == VGD_BOOTING || s == VGD_READY || s == VGD_RESERVED;
}

int vgd_sandbox_make_id(char *buf, size_t size)
{
        uint8_t raw[VGD_ID_LEN / 2];

        if (size < VGD_ID_LEN + 1)
                return -EINVAL;
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
                return -errno ?: -EIO;
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(buf + 2 * i, 3, "%02x", raw[i]);
        return 0;
}

int vgd_sandbox_new(struct vgd_daemon *d, const char *id, const struct vgl_tier *t,
                    struct vgd_sandbox **ret)
{
        struct vgd_sandbox *s = calloc(1, sizeof(*s));

        if (!s || !(s->labels = json_object_new_object())) {
                free(s);
                return -ENOMEM;
        }
        s->refs = 1;
        s->d = d;
        snprintf(s->id, sizeof(s->id), "%s", id);
        snprintf(s->domain, sizeof(s->domain), VGL_DOMAIN_PREFIX "%s", id);
        s->state = VGD_BOOTING;
        s->boot_timer = s->ttl_timer = -1;
        s->trust_score = 1.0;
        if (t) {
                snprintf(s->tier, sizeof(s->tier), "%s", t->name);
                s->posture = t->posture;
                s->res = (struct vgd_resources){t->vcpus, t->max_vcpus, t->memory_mib,
                                                t->max_memory_mib, t->cpu_quota_percent};
        }
        *ret = s;
        return 0;
}

struct vgd_sandbox *vgd_sandbox_ref(struct vgd_sandbox *s)
{
        if (s)
                s->refs++;
        return s;
}

struct vgd_sandbox *vgd_sandbox_unref(struct vgd_sandbox *s)
{
        if (!s || --s->refs > 0)
                return NULL;
        vgd_permissions_drop(s, "the sandbox is gone");
        vgd_control_detach(s, "the sandbox is gone");
        vgd_observe_free(s);
        json_object_put(s->labels);
        if (s->dom)
                virDomainFree(s->dom);
        free(s);
        return NULL;
}

/* ---- JSON ---- */

static struct json_object *resources_json(const struct vgd_resources *r)
{
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (vgl_json_add(o, "vcpus", json_object_new_int64(r->vcpus)) < 0 ||
            vgl_json_add(o, "max_vcpus", json_object_new_int64(r->max_vcpus)) < 0 ||
            vgl_json_add(o, "memory_mib", json_object_new_int64((int64_t)r->memory_mib)) < 0 ||
            vgl_json_add(o, "max_memory_mib", json_object_new_int64((int64_t)r->max_memory_mib)) <
                    0 ||
            vgl_json_add(o, "cpu_quota_percent", json_object_new_int64(r->cpu_quota_percent)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static struct json_object *agent_json(const struct vgd_sandbox *s)
{
        struct json_object *o = json_object_new_object();
        int64_t age = s->last_heartbeat_ms ? (int64_t)(vgd_now_ms() - s->last_heartbeat_ms) : -1;

        if (!o)
                return NULL;
        if (vgl_json_add(o, "agent_version", json_object_new_string(s->h.agent_version)) < 0 ||
            vgl_json_add(o, "kernel", json_object_new_string(s->h.kernel)) < 0 ||
            vgl_json_add(o, "proto_version", json_object_new_int64(s->proto_version)) < 0 ||
            vgl_json_add(o, "heartbeats", json_object_new_int64((int64_t)s->heartbeats)) < 0 ||
            vgl_json_add(o, "last_heartbeat_age_ms", json_object_new_int64(age)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* The fields the record and the API share. */
static int common_fields(const struct vgd_sandbox *s, struct json_object *o)
{
        if (vgl_json_add(o, "id", json_object_new_string(s->id)) < 0 ||
            vgl_json_add(o, "tier", json_object_new_string(s->tier)) < 0 ||
            vgl_json_add(o, "posture", json_object_new_string(vgl_posture_name(s->posture))) < 0 ||
            vgl_json_add(o, "state", json_object_new_string(vgd_state_name(s->state))) < 0 ||
            vgl_json_add(o, "owner_uid",
                         json_object_new_int64(s->owned ? (int64_t)s->owner_uid : -1)) < 0 ||
            vgl_json_add(o, "desired_trust_level", json_object_new_double(s->desired_trust_level)) <
                    0 ||
            vgl_json_add(o, "trust_score", json_object_new_double(s->trust_score)) < 0 ||
            vgl_json_add(o, "created", json_object_new_int64(s->created)) < 0 ||
            vgl_json_add(o, "resources", resources_json(&s->res)) < 0 ||
            vgl_json_add(o, "labels", json_object_get(s->labels)) < 0)
                return -ENOMEM;
        if (s->expires && vgl_json_add(o, "expires", json_object_new_int64(s->expires)) < 0)
                return -ENOMEM;
        return 0;
}

int vgd_sandbox_to_json(const struct vgd_sandbox *s, struct json_object **ret)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *b = NULL;

        if (!o || common_fields(s, o) < 0 ||
            vgl_json_add(o, "domain", json_object_new_string(s->domain)) < 0)
                return -ENOMEM;
        if (s->hello && vgl_json_add(o, "agent", agent_json(s)) < 0)
                return -ENOMEM;
        if (vgd_observe_json(s, &b) < 0 || vgl_json_add(o, "behaviour", b) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

int vgd_sandbox_record_text(const struct vgd_sandbox *s, char **ret)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *p = NULL;
        char *text;

        if (!o || common_fields(s, o) < 0 ||
            vgl_json_add(o, "record_version", json_object_new_int(VGD_RECORD_VERSION)) < 0)
                return -ENOMEM;
        if (s->profile &&
            (vgl_profile_to_json(s->profile, &p) < 0 || vgl_json_add(o, "profile", p) < 0))
                return -ENOMEM;
        text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}
