/* GetProfile, UpdateProfile, Adjust, Hop: the personality profile and the
 * control loop over the API. The last three answer once what they decided
 * has been carried out (jobs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "control.h"
#include "jobs.h"
#include "log.h"
#include "proto-msg.h"
#include "sandbox.h"
#include "trail.h"

static int not_ready(struct vgl_varlink_call *call, struct vgd_sandbox *s, const char *state)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();

        if (p) {
                vgl_json_add(p, "id", json_object_new_string(s->id));
                vgl_json_add(p, "state", json_object_new_string(state));
        }
        return vgl_varlink_call_error(call, VGD_IFACE ".SandboxNotReady", p);
}

/* The caller's sandbox with a profile, or NULL after answering. */
static struct vgd_sandbox *profiled(struct vgd_daemon *d, struct vgl_varlink_call *call,
                                    struct json_object *params, const struct vgd_caller *caller)
{
        struct vgd_sandbox *s = vgd_api_sandbox(d, call, params, caller);

        if (s && !s->profile) {
                not_ready(call, s, vgd_state_name(s->state));
                return NULL;
        }
        return s;
}

/* Adds "profile" to o. -ENOMEM. */
static int add_profile(struct json_object *o, const struct vgd_sandbox *s)
{
        struct json_object *p = NULL;

        if (vgl_profile_to_json(s->profile, &p) < 0)
                return -ENOMEM;
        return vgl_json_add(o, "profile", p);
}

static int reply_profile(struct vgl_varlink_call *call, const struct vgd_sandbox *s,
                         const char *key, struct json_object *extra)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!o || add_profile(o, s) < 0 ||
            (key && vgl_json_add(o, key, json_object_get(extra)) < 0))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_SYSTEM, NULL);
        return vgl_varlink_call_reply(call, o);
}

static void hop_failed(struct vgl_varlink_call *call, const struct vgd_job_outcome *o)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();
        struct json_object *state = NULL;

        if (o->hop)
                json_object_object_get_ex(o->hop, "state", &state);
        if (p) {
                vgl_json_add(p, "reason", json_object_new_string(o->why));
                vgl_json_add(p, "state",
                             json_object_new_string(state ? json_object_get_string(state)
                                                          : "untouched"));
        }
        vgl_varlink_call_error(call, VGD_IFACE ".HopFailed", p);
}

/* How a job ended, for UpdateProfile, Adjust and Hop alike. */
static void answer(struct vgd_waiter *w, struct vgd_sandbox *s, const struct vgd_job_outcome *o,
                   const char *key, struct json_object *extra)
{
        if (o->r < 0 && o->hop)
                hop_failed(w->call, o);
        else if (!s->profile)
                vgd_api_error1(w->call, VGD_IFACE ".NoSuchSandbox", "id", s->id);
        else if (o->r < 0 && o->r != -ESRCH)
                vgd_api_error1(w->call, VGD_IFACE ".HopFailed", "reason", o->why);
        else
                reply_profile(w->call, s, key, extra);
}

static void answer_update(struct vgd_waiter *w, struct vgd_sandbox *s,
                          const struct vgd_job_outcome *o)
{
        answer(w, s, o, NULL, NULL);
}

static void answer_adjust(struct vgd_waiter *w, struct vgd_sandbox *s,
                          const struct vgd_job_outcome *o)
{
        answer(w, s, o, "decision", w->extra);
}

static void answer_hop(struct vgd_waiter *w, struct vgd_sandbox *s, const struct vgd_job_outcome *o)
{
        if (!o->hop && o->r >= 0) /* the job that ran was not the hop */
                vgd_api_error1(w->call, VGD_IFACE ".HopFailed", "reason", "the hop did not run");
        else
                answer(w, s, o, "hop", o->hop);
}

int vgd_api_get_profile(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct vgd_sandbox *s;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = profiled(d, call, params, &caller)))
                return 0;
        return reply_profile(call, s, NULL, NULL);
}

static int invalid_changes(struct vgl_varlink_call *call, const char *reason)
{
        return vgd_api_error1(call, VGD_IFACE ".InvalidChanges", "reason", reason);
}

/* The profile_update record: durable before the change is made. */
static int record_update(struct vgd_sandbox *s, const struct vgd_caller *caller,
                         struct json_object *changes, const struct vgl_adjust_decision *dec,
                         struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = vgd_trail_details(
                "changes", json_object_get(changes), "decision", vgd_decision_json(dec), NULL);

        if (!o)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgd_trail_append(s->d, VGL_AUDIT_PROFILE_UPDATE, s, caller->uid, o, err);
}

int vgd_api_update_profile(struct vgl_varlink_call *call, struct json_object *params,
                           void *userdata)
{
        static const char *const fields[] = {"id", "changes", NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_free_ struct vgl_profile *next = NULL;
        struct vgl_adjust_decision dec;
        struct json_object *changes;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgd_waiter *w;
        struct vgl_error e = {};

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller) ||
            !(s = profiled(d, call, params, &caller)))
                return 0;
        if (!json_object_object_get_ex(params, "changes", &changes) ||
            !json_object_is_type(changes, json_type_object))
                return vgl_varlink_call_error_invalid_parameter(call, "changes");
        if (s->state != VGD_RESERVED)
                return not_ready(call, s, vgd_state_name(s->state));
        if (!(next = malloc(sizeof(*next))))
                return -ENOMEM;
        *next = *s->profile;
        if (vgl_adjust_update(&d->adjust, &d->policy, next, changes, vgd_wall_s(), &dec, &e) < 0)
                return invalid_changes(call, e.msg);
        if (record_update(s, &caller, changes, &dec, &e) < 0)
                return vgd_api_error1(call, VGD_IFACE ".AuditFailed", "reason", e.msg);
        *s->profile = *next;
        vgd_info(s->id, "profile updated by uid %u: %s", (unsigned)caller.uid, dec.reason);
        if (!(w = vgd_waiter_new(call, answer_update, NULL)))
                return -ENOMEM;
        vgd_control_decided(s, &dec, caller.uid, w);
        return 0;
}

int vgd_api_adjust(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", NULL};
        struct vgd_daemon *d = userdata;
        struct vgl_adjust_decision dec;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgd_waiter *w;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = profiled(d, call, params, &caller)))
                return 0;
        if (!(w = vgd_waiter_new(call, answer_adjust, NULL)))
                return -ENOMEM;
        r = vgd_control_round(s, caller.uid, w, &dec);
        if (r < 0) {
                struct vgd_job_outcome o = {0};
                vgl_varlink_call_set_cancel(call, NULL, NULL);
                vgl_varlink_call_unref(w->call);
                w->call = NULL;
                vgd_waiter_finish(w, s, &o);
                if (r == -EAGAIN)
                        return not_ready(call, s,
                                         s->state == VGD_RESERVED ? "reserved (hopping)"
                                                                  : vgd_state_name(s->state));
                return vgd_api_error1(call, VGL_VARLINK_ERROR_SYSTEM, NULL, NULL);
        }
        return 0;
}

int vgd_api_hop(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", "tier", NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_free_ struct vgl_profile *next = NULL;
        _cleanup_json_ struct json_object *ch = NULL;
        struct vgd_hop_req req = {0};
        struct vgl_adjust_decision dec;
        const struct vgl_tier *t;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgd_waiter *w;
        struct vgl_error e = {};
        const char *tier = NULL;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller) ||
            !(s = profiled(d, call, params, &caller)))
                return 0;
        r = vgd_api_opt_string(call, params, "tier", VGL_TIER_NAME_MAX, &tier);
        if (r < 0)
                return 0;
        if (r == 0)
                return vgl_varlink_call_error_invalid_parameter(call, "tier");
        if (!(t = vgl_tier_set_find(&d->policy, tier)))
                return vgd_api_error1(call, VGD_IFACE ".NoSuchTier", "tier", tier);
        if (s->state != VGD_RESERVED || !s->dom || vgd_jobs_agent_away(s))
                return not_ready(call, s,
                                 s->state == VGD_RESERVED ? "reserved (hopping)"
                                                          : vgd_state_name(s->state));
        /* Would the profile take the tier? Checked now, applied when moved. */
        if (!(next = malloc(sizeof(*next))) ||
            !(ch = vgd_trail_details("tier", json_object_new_string(t->name), NULL)))
                return -ENOMEM;
        *next = *s->profile;
        if (vgl_adjust_update(&d->adjust, &d->policy, next, ch, vgd_wall_s(), &dec, &e) < 0)
                return invalid_changes(call, e.msg);
        snprintf(req.to, sizeof(req.to), "%s", t->name);
        req.actor = caller.uid;
        if (!(w = vgd_waiter_new(call, answer_hop, NULL)))
                return -ENOMEM;
        vgd_info(s->id, "hop to %s asked by uid %u", t->name, (unsigned)caller.uid);
        vgd_jobs_hop(s, &req, w);
        return 0;
}
