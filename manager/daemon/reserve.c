/* See reserve.h. */
#include "reserve.h"

#include <stdio.h>

#include "boot.h"
#include "cleanup.h"
#include "events.h"
#include "log.h"
#include "metadata.h"
#include "pool.h"
#include "proto-msg.h"
#include "registry.h"
#include "sandbox.h"

int vgd_reply_sandbox(struct vgl_varlink_call *call, struct vgd_sandbox *s)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *sb = NULL;

        if (!o || vgd_sandbox_to_json(s, &sb) < 0 || vgl_json_add(o, "sandbox", sb) < 0)
                return -ENOMEM;
        return vgl_varlink_call_reply(call, o);
}

void vgd_reserve_assign(struct vgd_sandbox *s, const struct vgd_reserve_req *req)
{
        s->owned = true;
        s->owner_uid = req->uid;
        s->desired_trust_level = req->level;
        s->reserve_ttl_s = req->ttl_s;
        json_object_put(s->labels);
        s->labels = json_object_get(req->labels);
}

static void ttl_fire(int timer, void *opaque)
{
        struct vgd_sandbox *s = opaque;

        virEventRemoveTimeout(timer);
        s->ttl_timer = -1;
        vgd_event(s->d, s, "expired", "time-to-live reached; destroying");
        vgd_sandbox_finish(s, true, "time-to-live reached", NULL);
        vgd_pool_schedule(s->d);
}

void vgd_reserve_arm(struct vgd_sandbox *s)
{
        int64_t left_ms;

        vgd_reserve_disarm(s);
        if (!s->expires)
                return;
        left_ms = (s->expires - vgd_wall_s()) * 1000;
        if (left_ms < 0)
                left_ms = 0;
        if (left_ms > INT32_MAX)
                left_ms = INT32_MAX;
        s->ttl_timer = virEventAddTimeout((int)left_ms, ttl_fire, s, NULL);
}

void vgd_reserve_disarm(struct vgd_sandbox *s)
{
        if (s->ttl_timer >= 0)
                virEventRemoveTimeout(s->ttl_timer);
        s->ttl_timer = -1;
}

void vgd_reserve_activate(struct vgd_sandbox *s)
{
        s->state = VGD_RESERVED;
        s->expires = s->reserve_ttl_s ? vgd_wall_s() + (int64_t)s->reserve_ttl_s : 0;
        vgd_reserve_arm(s);
        vgd_metadata_save(s);
        vgd_event(s->d, s, "reserved", "%s sandbox reserved by uid %u (trust %.2f, ttl %llu s)",
                  s->tier, (unsigned)s->owner_uid, s->desired_trust_level,
                  (unsigned long long)s->reserve_ttl_s);
}

static void detach(struct vgd_sandbox *s)
{
        struct vgl_varlink_call *call = s->reserve_call;

        s->reserve_call = NULL;
        vgl_varlink_call_set_cancel(call, NULL, NULL);
        vgl_varlink_call_unref(call);
        vgd_sandbox_unref(s);
}

void vgd_reserve_complete(struct vgd_sandbox *s)
{
        struct vgl_varlink_call *call = vgl_varlink_call_ref(s->reserve_call);

        vgd_sandbox_ref(s);
        detach(s);
        vgd_reserve_activate(s);
        if (vgd_reply_sandbox(call, s) < 0)
                vgl_varlink_call_error(call, VGL_VARLINK_ERROR_SYSTEM, NULL);
        vgl_varlink_call_unref(call);
        vgd_sandbox_unref(s);
}

void vgd_reserve_fail(struct vgd_sandbox *s, const char *reason)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();
        struct vgl_varlink_call *call;

        if (!s->reserve_call)
                return;
        call = vgl_varlink_call_ref(s->reserve_call);
        vgd_sandbox_ref(s);
        detach(s);
        if (p)
                vgl_json_add(p, "reason", json_object_new_string(reason));
        vgl_varlink_call_error(call, "io.vigil.Manager.NoCapacity", p);
        vgl_varlink_call_unref(call);
        vgd_sandbox_unref(s);
}

/* The caller left before its VM came up: keep the VM for the pool when
 * the pool has room, else destroy it. */
static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        struct vgd_sandbox *s = userdata;
        struct vgd_daemon *d = s->d;
        const struct vgl_tier *t = vgd_sandbox_tier(d, s);
        struct json_object *empty = json_object_new_object();

        vgd_sandbox_ref(s);
        detach(s);
        s->owned = false;
        s->reserve_ttl_s = 0;
        if (empty) {
                json_object_put(s->labels);
                s->labels = empty;
        }
        if (!d->quitting && t && s->state == VGD_BOOTING &&
            vgd_registry_count_pool(d, s->tier, false) <= vgd_pool_target(d, t)) {
                vgd_info(s->id, "Reserve caller left; the booting VM goes to the %s pool", s->tier);
        } else if (s->state == VGD_BOOTING) {
                vgd_info(s->id, "Reserve caller left; destroying the booting VM");
                vgd_sandbox_finish(s, true, "Reserve cancelled", NULL);
        }
        vgd_sandbox_unref(s);
}

void vgd_reserve_attach(struct vgd_sandbox *s, struct vgl_varlink_call *call)
{
        s->reserve_call = vgl_varlink_call_ref(call);
        vgd_sandbox_ref(s);
        vgl_varlink_call_set_cancel(call, on_cancel, s);
}
