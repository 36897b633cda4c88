/* See reserve.h. */
#include "reserve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "boot.h"
#include "cleanup.h"
#include "control.h"
#include "events.h"
#include "jobs.h"
#include "log.h"
#include "metadata.h"
#include "pool.h"
#include "proto-msg.h"
#include "registry.h"
#include "sandbox.h"
#include "trail.h"

int vgd_reply_sandbox(struct vgl_varlink_call *call, struct vgd_sandbox *s)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *sb = NULL;

        if (!o || vgd_sandbox_to_json(s, &sb) < 0 || vgl_json_add(o, "sandbox", sb) < 0)
                return -ENOMEM;
        return vgl_varlink_call_reply(call, o);
}

int vgd_reserve_start(struct vgd_daemon *d, const struct vgl_tier *explicit_tier,
                      struct vgd_reserve_req *req, struct vgl_error *err)
{
        const struct vgl_tier *t = NULL;
        double trust = 0, ceiling = 0;
        int r = vgl_adjust_start(&d->adjust, &d->policy, req->level, &trust, &t, &ceiling);

        if (r < 0)
                return vgl_error_set(err, -r, "no tier serves trust %g", req->level);
        if (explicit_tier && explicit_tier != t) {
                if (explicit_tier->min_trust > ceiling)
                        return vgl_error_set(err, EINVAL,
                                             "tier '%s' needs trust %g, above the ceiling %g of "
                                             "desired_trust_level %g",
                                             explicit_tier->name, explicit_tier->min_trust, ceiling,
                                             req->level);
                if (vgl_tier_set_for_trust(&d->policy, trust) != explicit_tier)
                        trust = explicit_tier->min_trust;
                t = explicit_tier;
        }
        req->tier = t;
        req->trust = trust;
        req->ceiling = ceiling;
        return 0;
}

int vgd_reserve_assign(struct vgd_sandbox *s, const struct vgd_reserve_req *req)
{
        struct vgl_profile *p = calloc(1, sizeof(*p));

        if (!p)
                return -ENOMEM;
        vgl_profile_init(p, s->id, req->tier, req->level, req->trust, req->ceiling);
        if (vgd_control_attach(s, p) < 0)
                return -ENOMEM;
        s->owned = true;
        s->owner_uid = req->uid;
        s->reserve_ttl_s = req->ttl_s;
        json_object_put(s->labels);
        s->labels = json_object_get(req->labels);
        return 0;
}

void vgd_reserve_unassign(struct vgd_sandbox *s)
{
        struct json_object *empty = json_object_new_object();
        const struct vgl_tier *t = vgd_sandbox_tier(s->d, s);

        vgd_control_detach(s, "the reservation was not made");
        s->owned = false;
        s->reserve_ttl_s = 0;
        if (empty) {
                json_object_put(s->labels);
                s->labels = empty;
        }
        if (t) { /* back to what a pool VM of its tier shows */
                s->trust_score = 1.0;
                s->desired_trust_level = (t->min_trust + t->max_trust) / 2;
        }
}

static void ttl_fire(int timer, void *opaque)
{
        struct vgd_sandbox *s = opaque;

        virEventRemoveTimeout(timer);
        s->ttl_timer = -1;
        /* vigild's own decision: the VM goes even when it cannot be audited */
        vgd_trail_release(s, VGL_AUDIT_ACTOR_VIGILD, "time-to-live reached", NULL);
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

static struct json_object *reservation_details(const struct vgd_sandbox *s)
{
        const struct vgl_profile *p = s->profile;

        return vgd_trail_details(
                "tier", json_object_new_string(p->tier), "desired_trust_level",
                vgd_json_double(p->desired_trust_level), "trust_score",
                vgd_json_double(p->trust_score), "ceiling", vgd_json_double(p->ceiling), "ttl_s",
                json_object_new_int64((int64_t)s->reserve_ttl_s), "owner_uid",
                json_object_new_int64(s->owner_uid), "labels", json_object_get(s->labels), NULL);
}

int vgd_reserve_activate(struct vgd_sandbox *s, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *details = NULL;
        int r;

        if (!s->profile)
                return vgl_error_set(err, EINVAL, "no profile");
        details = reservation_details(s);
        if (!details)
                return vgl_error_set(err, ENOMEM, "out of memory");
        /* Durable before the caller hears of it. */
        if ((r = vgd_trail_append(s->d, VGL_AUDIT_RESERVATION, s, s->owner_uid, details, err)) < 0)
                return r;
        s->state = VGD_RESERVED;
        s->expires = s->reserve_ttl_s ? vgd_wall_s() + (int64_t)s->reserve_ttl_s : 0;
        vgd_reserve_arm(s);
        vgd_metadata_save(s);
        vgd_event(s->d, s, "reserved",
                  "%s sandbox reserved by uid %u (trust %.2f of %.2f, ttl %llu s)", s->tier,
                  (unsigned)s->owner_uid, s->trust_score, s->desired_trust_level,
                  (unsigned long long)s->reserve_ttl_s);
        /* The agent got its tier's permission set before the VM joined the pool. */
        if (s->perm_applied) {
                snprintf(s->ctl->perm_tier, sizeof(s->ctl->perm_tier), "%s", s->tier);
                vgd_jobs_record_permissions(s, 0, NULL);
        }
        vgd_jobs_enforce(s, NULL);
        return 0;
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
        _cleanup_json_ struct json_object *p = NULL;
        struct vgl_error e = {};

        vgd_sandbox_ref(s);
        detach(s);
        if (vgd_reserve_activate(s, &e) < 0) {
                p = json_object_new_object();
                if (p)
                        vgl_json_add(p, "reason", json_object_new_string(e.msg));
                vgl_varlink_call_error(call, "io.vigil.Manager.NoCapacity", p);
                vgd_sandbox_finish(s, true, e.msg, NULL);
                vgd_pool_schedule(s->d);
        } else if (vgd_reply_sandbox(call, s) < 0) {
                vgl_varlink_call_error(call, VGL_VARLINK_ERROR_SYSTEM, NULL);
        }
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

        vgd_sandbox_ref(s);
        detach(s);
        vgd_reserve_unassign(s);
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
