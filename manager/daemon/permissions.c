/* See permissions.h. Sets are validated with the protocol's own parser
 * before they are sent, so the agent refusing one is unexpected but still
 * answered. A wait outlives its call (client gone, timeout): the agent may
 * still apply the set, and the tagger must then judge against it. */
#include "permissions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "behaviour-permset.h"
#include "behaviour.h"
#include "channel.h"
#include "cleanup.h"
#include "events.h"
#include "observe.h"
#include "sandbox.h"

struct vgd_perm_wait {
        struct vgd_perm_wait *next;
        struct vgd_sandbox *s;
        struct vgl_varlink_call *call; /* NULL once answered or cancelled */
        struct vgl_permset *set;
        uint64_t generation;
        int timer;             /* -1: none */
        vgd_perm_done_fn done; /* vigild's own push: called once, then NULL */
};

/* Ends an internal push once (done may finish the sandbox: callers hold a
 * reference and touch w no more). */
static void finish_push(struct vgd_perm_wait *w, struct vgd_sandbox *s, int r, const char *msg)
{
        vgd_perm_done_fn done = w->done;

        w->done = NULL;
        if (done)
                done(s, r, msg);
}

static void drop_call(struct vgd_perm_wait *w)
{
        if (w->timer >= 0)
                virEventRemoveTimeout(w->timer);
        w->timer = -1;
        if (w->call) {
                vgl_varlink_call_set_cancel(w->call, NULL, NULL);
                w->call = vgl_varlink_call_unref(w->call);
        }
}

static void wait_free(struct vgd_perm_wait *w)
{
        drop_call(w);
        vgl_permset_free(w->set);
        free(w);
}

static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        drop_call(userdata);
}

static void on_timeout(int timer, void *userdata)
{
        struct vgd_perm_wait *w = userdata;
        struct vgd_sandbox *s = vgd_sandbox_ref(w->s);

        if (w->call)
                vgd_api_agent_error(w->call, "timeout",
                                    "the agent did not acknowledge the permission set");
        drop_call(w);
        finish_push(w, s, -ETIMEDOUT, "the agent did not acknowledge the permission set");
        vgd_sandbox_unref(s);
}

static void reply_generation(struct vgd_perm_wait *w)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (!w->call)
                return;
        if (o && vgl_json_add(o, "generation", json_object_new_int64((int64_t)w->generation)) >= 0)
                vgl_varlink_call_reply(w->call, o);
        else
                vgl_varlink_call_error(w->call, VGL_VARLINK_ERROR_SYSTEM, NULL);
}

void vgd_permissions_ack(struct vgd_sandbox *s, const struct vgl_frame *f)
{
        struct vgl_error e = {};
        struct vgd_perm_wait *w;
        uint64_t gen;

        if (vgl_msg_policy_ack_parse(f, &gen, &e) < 0) {
                vgd_event(s->d, s, "protocol-error", "bad policy-ack: %s", e.msg);
                return;
        }
        /* The agent applies sets in order: an ACK covers every earlier one. */
        vgd_sandbox_ref(s);
        while ((w = s->perm_waits) && w->generation <= gen) {
                vgd_perm_done_fn done = w->done;
                s->perm_waits = w->next;
                if (w->generation == gen) {
                        struct vgl_bhv *b = vgd_observe_bhv(s);
                        if (b)
                                vgl_bhv_set_permset(b, w->set);
                        s->perm_applied = gen;
                        vgd_event(s->d, s, "permissions", "permission set %llu applied",
                                  (unsigned long long)gen);
                }
                reply_generation(w);
                w->done = NULL;
                wait_free(w);
                if (done)
                        done(s, 0, NULL);
        }
        vgd_sandbox_unref(s);
}

void vgd_permissions_refused(struct vgd_sandbox *s, const struct vgl_error_msg *m)
{
        struct vgd_perm_wait *w = s->perm_waits;

        if (!w)
                return;
        s->perm_waits = w->next;
        if (w->call)
                vgd_api_agent_error(w->call, m->code, m->message);
        vgd_sandbox_ref(s);
        finish_push(w, s, -EPROTO, m->message);
        wait_free(w);
        vgd_sandbox_unref(s);
}

static void fail_all(struct vgd_sandbox *s, const char *why, bool notify)
{
        struct vgd_perm_wait *w;

        while ((w = s->perm_waits)) {
                s->perm_waits = w->next;
                if (w->call)
                        vgd_api_agent_error(w->call, "agent-gone", why);
                if (notify)
                        finish_push(w, s, -ECONNABORTED, why);
                wait_free(w);
        }
}

void vgd_permissions_fail(struct vgd_sandbox *s, const char *why)
{
        if (!s->perm_waits)
                return;
        vgd_sandbox_ref(s);
        fail_all(s, why, true);
        vgd_sandbox_unref(s);
}

void vgd_permissions_drop(struct vgd_sandbox *s, const char *why)
{
        fail_all(s, why, false);
}

static unsigned count_waits(const struct vgd_sandbox *s, struct vgd_perm_wait ***ret_tail)
{
        struct vgd_perm_wait **p = (struct vgd_perm_wait **)&s->perm_waits;
        unsigned n = 0;

        for (; *p; p = &(*p)->next)
                n++;
        *ret_tail = p;
        return n;
}

/* Next generation: increasing within a run, and across restarts of vigild
 * (it starts from the wall clock in milliseconds). */
static uint64_t next_generation(const struct vgd_sandbox *s)
{
        uint64_t wall = (uint64_t)vgd_wall_s() * 1000;

        return s->perm_generation + 1 > wall ? s->perm_generation + 1 : wall;
}

static int invalid_permissions(struct vgl_varlink_call *call, const char *reason)
{
        return vgd_api_error1(call, VGD_IFACE ".InvalidPermissions", "reason", reason);
}

/* Sends *set and queues its wait (*ret_w, owned by s); takes *set on
 * success. -EBUSY when too many are in flight, else the send's error. */
static int queue_set(struct vgd_sandbox *s, struct vgl_agent *a, struct vgl_permset **set,
                     struct vgd_perm_wait **ret_w, struct vgl_error *err)
{
        _cleanup_free_ struct vgd_perm_wait *w = calloc(1, sizeof(*w));
        struct vgd_perm_wait **tail;
        int r;

        if (!w)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (count_waits(s, &tail) >= VGD_PERM_WAITS_MAX)
                return vgl_error_set(err, EBUSY, "too many permission sets in flight");
        if ((r = vgl_permset_send(a, *set, err)) < 0)
                return r;
        w->timer = virEventAddTimeout(VGD_PERM_TIMEOUT_MS, on_timeout, w, NULL);
        w->s = s;
        w->generation = vgl_permset_generation(*set);
        w->set = TAKE_PTR(*set);
        s->perm_generation = w->generation;
        *ret_w = w;
        *tail = TAKE_PTR(w);
        return 0;
}

static int send_set(struct vgl_varlink_call *call, struct vgd_sandbox *s, struct vgl_agent *a,
                    struct vgl_permset **set)
{
        struct vgd_perm_wait *w;
        struct vgl_error e = {};
        int r = queue_set(s, a, set, &w, &e);

        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return vgd_api_agent_error(call,
                                           r == -EBUSY        ? "busy"
                                           : r == -EOPNOTSUPP ? "unsupported"
                                                              : "send-failed",
                                           e.msg);
        w->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, on_cancel, w);
        return 0;
}

int vgd_permissions_push(struct vgd_sandbox *s, struct json_object *set, vgd_perm_done_fn done,
                         struct vgl_error *err)
{
        _cleanup_(vgl_permset_freep) struct vgl_permset *p = NULL;
        struct vgl_agent *a = vgd_channel_agent(s);
        struct vgd_perm_wait *w;
        int r;

        if (!a)
                return vgl_error_set(err, ENOTCONN, "the agent is not connected");
        if ((r = vgl_permset_from_json(set, next_generation(s), &p, err)) < 0)
                return r;
        if ((r = queue_set(s, a, &p, &w, err)) < 0)
                return r;
        w->done = done;
        return 0;
}

int vgd_api_set_permissions(struct vgl_varlink_call *call, struct json_object *params,
                            void *userdata)
{
        static const char *const fields[] = {"id", "permissions", NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_(vgl_permset_freep) struct vgl_permset *set = NULL;
        struct json_object *perm;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgl_agent *a;
        struct vgl_error e = {};

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)))
                return 0;
        if (!json_object_object_get_ex(params, "permissions", &perm) ||
            !json_object_is_type(perm, json_type_object))
                return vgl_varlink_call_error_invalid_parameter(call, "permissions");
        if (!(a = vgd_api_agent(call, s)))
                return 0;
        if (vgl_permset_from_json(perm, next_generation(s), &set, &e) < 0)
                return e.code == ENOMEM ? -ENOMEM : invalid_permissions(call, e.msg);
        return send_set(call, s, a, &set);
}
