/* Reserve, Release, List, Get. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "api.h"
#include "boot.h"
#include "cleanup.h"
#include "events.h"
#include "labels.h"
#include "log.h"
#include "pool.h"
#include "proto-msg.h"
#include "registry.h"
#include "reserve.h"
#include "sandbox.h"
#include "trail.h"

static int no_capacity(struct vgl_varlink_call *call, const char *reason)
{
        return vgd_api_error1(call, VGD_IFACE ".NoCapacity", "reason", reason);
}

/* desired_trust_level, tier -> where the reservation starts (req->tier,
 * trust, ceiling); answers and returns -EINVAL on error. */
static int pick_start(struct vgd_daemon *d, struct vgl_varlink_call *call,
                      struct json_object *params, struct vgd_reserve_req *req)
{
        const struct vgl_tier *t = NULL;
        struct json_object *v;
        const char *name = NULL;
        struct vgl_error e = {};
        double level;

        if (!json_object_object_get_ex(params, "desired_trust_level", &v) || !v ||
            !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) ||
            !isfinite(level = json_object_get_double(v)) || level < 0 || level > 1) {
                vgl_varlink_call_error_invalid_parameter(call, "desired_trust_level");
                return -EINVAL;
        }
        if (vgd_api_opt_string(call, params, "tier", VGL_TIER_NAME_MAX, &name) < 0)
                return -EINVAL;
        if (name && !(t = vgl_tier_set_find(&d->policy, name))) {
                vgd_api_error1(call, VGD_IFACE ".NoSuchTier", "tier", name);
                return -EINVAL;
        }
        req->level = level;
        if (vgd_reserve_start(d, t, req, &e) < 0) {
                vgd_debug(NULL, "Reserve: %s", e.msg);
                vgl_varlink_call_error_invalid_parameter(call,
                                                         name ? "tier" : "desired_trust_level");
                return -EINVAL;
        }
        return 0;
}

static int parse_request(struct vgd_daemon *d, struct vgl_varlink_call *call,
                         struct json_object *params, struct vgd_reserve_req *req)
{
        const struct vgl_tier *t = req->tier;
        struct json_object *labels = NULL;
        int64_t ttl = 0;

        if (vgd_api_opt_int(call, params, "ttl_s", 0, (int64_t)t->ttl_max_s, &ttl) < 0)
                return -EINVAL;
        req->ttl_s = ttl ? (uint64_t)ttl : t->ttl_default_s;
        if (json_object_object_get_ex(params, "labels", &labels) && labels &&
            vgd_labels_validate(labels, NULL) < 0) {
                vgl_varlink_call_error_invalid_parameter(call, "labels");
                return -EINVAL;
        }
        req->labels = labels;
        return 0;
}

/* Room for one more VM: evict an idle pool VM when at the limit. */
static bool make_room(struct vgd_daemon *d, const char *tier)
{
        if (vgd_registry_count_live(d) < d->cfg.max_sandboxes)
                return true;
        return vgd_pool_evict(d, tier) && vgd_registry_count_live(d) < d->cfg.max_sandboxes;
}

/* A ready pool VM for the caller: answered now, or NoCapacity when the
 * reservation cannot be audited (the VM stays in its pool). */
static int reserve_ready(struct vgl_varlink_call *call, struct vgd_sandbox *s,
                         const struct vgd_reserve_req *req)
{
        struct vgl_error e = {};

        if (vgd_reserve_assign(s, req) < 0)
                return -ENOMEM;
        if (vgd_reserve_activate(s, &e) < 0) {
                vgd_reserve_unassign(s);
                return no_capacity(call, e.msg);
        }
        vgd_pool_schedule(s->d);
        return vgd_reply_sandbox(call, s);
}

int vgd_api_reserve(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"desired_trust_level", "tier", "ttl_s", "labels",
                                             NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_json_ struct json_object *empty = json_object_new_object();
        struct vgd_reserve_req req = {.uid = vgl_varlink_call_get_peer(call)->uid};
        const struct vgl_tier *t;
        struct vgd_sandbox *s;
        struct vgl_error e = {};
        char reason[VGL_ERROR_MSG_MAX + 64];

        if (!empty)
                return -ENOMEM;
        if (vgd_api_unknown_field(call, params, fields) || pick_start(d, call, params, &req) < 0 ||
            parse_request(d, call, params, &req) < 0)
                return 0;
        t = req.tier;
        if (!req.labels)
                req.labels = empty;
        if (d->quitting)
                return no_capacity(call, "vigild is stopping");
        if ((s = vgd_pool_take_ready(d, t->name)))
                return reserve_ready(call, s, &req);
        if (!(s = vgd_pool_take_booting(d, t->name))) {
                if (!make_room(d, t->name)) {
                        snprintf(reason, sizeof(reason), "%u sandboxes running (--max-sandboxes)",
                                 d->cfg.max_sandboxes);
                        return no_capacity(call, reason);
                }
                if (vgd_boot_start(d, t, &s, &e) < 0) {
                        snprintf(reason, sizeof(reason), "cannot boot a %s VM: %s", t->name, e.msg);
                        vgd_error(NULL, "%s", reason);
                        return no_capacity(call, reason);
                }
        }
        if (vgd_reserve_assign(s, &req) < 0)
                return -ENOMEM;
        vgd_reserve_attach(s, call);
        vgd_pool_schedule(d);
        return 0;
}

int vgd_api_release(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgl_error e = {};

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)))
                return 0;
        if (vgd_trail_release(s, caller.uid, "released", &e) < 0)
                return vgd_api_error1(call, VGD_IFACE ".AuditFailed", "reason", e.msg);
        vgd_event(d, s, "released", "released by uid %u", (unsigned)caller.uid);
        vgd_sandbox_finish(s, true, "released", call);
        vgd_pool_schedule(d);
        return 0;
}

int vgd_api_list(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *arr = json_object_new_array();
        struct vgd_caller caller;

        if (!o || vgl_json_add(o, "sandboxes", arr) < 0)
                return -ENOMEM;
        if (vgd_api_unknown_field(call, params, fields))
                return 0;
        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next) {
                struct json_object *sb = NULL;
                if (!vgd_authz_can_see(&caller, s))
                        continue;
                if (vgd_sandbox_to_json(s, &sb) < 0 || json_object_array_add(arr, sb) < 0) {
                        json_object_put(sb);
                        return -ENOMEM;
                }
        }
        return vgl_varlink_call_reply(call, o);
}

int vgd_api_get(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct vgd_sandbox *s;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)))
                return 0;
        return vgd_reply_sandbox(call, s);
}
