/* Hops (see jobs.h): the save/restore on a worker thread, the outcome on
 * the loop, and the agent's return. The agent only says hello again after
 * it has seen its port closed, which a guest paused for the save may have
 * missed: when no hello comes, the port is closed for a while and opened
 * again. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjust.h"
#include "channel.h"
#include "cleanup.h"
#include "events.h"
#include "jobs-priv.h"
#include "log.h"
#include "proto-msg.h"
#include "sandbox.h"
#include "trail.h"
#include "work.h"

struct hop_job {
        struct vgd_sandbox *s;
        virConnectPtr conn;
        virDomainPtr dom; /* in: a reference to the sandbox's; out: the running one, or NULL */
        struct vgl_tier to;
        struct vgd_hop_req req;
        char from[VGL_TIER_NAME_MAX];
        char save_dir[PATH_MAX];
        struct vgl_limits limits_moved, limits_back; /* what to enforce after, either way */
        enum vgl_posture posture_moved, posture_back;
        bool nwfilter;
        char nwfilter_why[VGL_PROFILE_REASON_MAX];
        /* results */
        int r;
        struct vgl_error err;
        struct vgl_hop_result hr;
        int er; /* enforcement after the hop (or the roll-back) */
        struct vgl_error eerr;
        bool enforced;
        struct vgl_action_result res[VGL_ACTION_COUNT];
        bool seen_ok;
        struct vgd_resources seen;
};

static void hop_run(void *data)
{
        struct hop_job *j = data;
        bool moved;

        j->r = vgl_hop(j->conn, &j->dom, &j->to, NULL, j->save_dir, &j->hr, &j->err);
        if (!j->dom || j->hr.state == VGL_HOP_LOST)
                return;
        /* The live limits: the target's on the new domain; the old ones on a
         * domain that was rolled back (it is a new QEMU process). */
        moved = j->hr.state == VGL_HOP_MOVED;
        if (moved && j->r < 0)
                return; /* left paused by vgl_hop: nothing more runs */
        j->enforced = true;
        j->er = vgd_jobs_enforce_run(j->conn, j->dom, moved ? &j->limits_moved : &j->limits_back,
                                     moved ? j->posture_moved : j->posture_back, j->nwfilter,
                                     j->nwfilter_why, j->res, &j->eerr);
        j->seen_ok = vgd_jobs_read_back(j->dom, &j->seen);
}

static struct json_object *hop_json(const struct hop_job *j)
{
        struct json_object *o = vgd_trail_details(
                "from", json_object_new_string(j->from), "to", json_object_new_string(j->to.name),
                "state", json_object_new_string(vgl_hop_state_name(j->hr.state)), "xml_ms",
                vgd_json_double(j->hr.xml_ms), "save_ms", vgd_json_double(j->hr.save_ms),
                "restore_ms", vgd_json_double(j->hr.restore_ms), "live_ms",
                vgd_json_double(j->hr.live_ms), "total_ms", vgd_json_double(j->hr.total_ms), NULL);

        if (o && j->r < 0 && vgl_json_add(o, "error", json_object_new_string(j->err.msg)) < 0)
                o = (json_object_put(o), NULL);
        if (o && j->hr.save_path[0] &&
            vgl_json_add(o, "save_path", json_object_new_string(j->hr.save_path)) < 0)
                o = (json_object_put(o), NULL);
        return o;
}

/* ---- the agent's return ---- */

static void reconnect_arm(struct vgd_sandbox *s, unsigned ms);

static void reconnect_give_up(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;

        c->reconnecting = false;
        vgd_event(s->d, s, "agent-error", "the agent did not come back within %u s after the hop",
                  VGD_RECONNECT_MAX_MS / 1000);
        vgl_profile_set_action(s->profile, VGL_ACTION_PERMISSIONS, VGL_ACTION_FAILED, NULL,
                               "the agent did not come back after the hop", vgd_wall_s());
        vgd_jobs_end(s);
}

static void reconnect_fire(int timer, void *opaque)
{
        struct vgd_sandbox *s = opaque;
        struct vgd_ctl *c = s->ctl;
        struct vgl_error e = {};

        virEventRemoveTimeout(timer);
        c->reconnect_timer = -1;
        if (vgd_now_ms() >= c->reconnect_deadline_ms) {
                reconnect_give_up(s);
                return;
        }
        if (!c->reconnect_paused) {
                /* No hello on this opening: close the port for a while. */
                vgd_channel_close(s, "no hello yet after the hop");
                c->reconnect_paused = true;
                reconnect_arm(s, VGD_RECONNECT_PAUSE_MS);
                return;
        }
        c->reconnect_paused = false;
        c->reconnects++;
        if (vgd_channel_open(s, &e) < 0)
                vgd_debug(s->id, "reopening the agent channel: %s", e.msg);
        reconnect_arm(s, VGD_RECONNECT_WAIT_MS);
}

static void reconnect_arm(struct vgd_sandbox *s, unsigned ms)
{
        s->ctl->reconnect_timer = virEventAddTimeout((int)ms, reconnect_fire, s, NULL);
        if (s->ctl->reconnect_timer < 0)
                reconnect_give_up(s);
}

static void reconnect_start(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;

        c->reconnecting = true;
        c->reconnect_paused = true; /* the first firing opens the port */
        c->reconnects = 0;
        c->reconnect_deadline_ms = vgd_now_ms() + VGD_RECONNECT_MAX_MS;
        reconnect_arm(s, 0);
}

bool vgd_jobs_hello(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;

        if (!c || !c->reconnecting)
                return false;
        if (c->reconnect_timer >= 0)
                virEventRemoveTimeout(c->reconnect_timer);
        c->reconnect_timer = -1;
        c->reconnecting = false;
        vgd_event(s->d, s, "agent-back", "agent %s reconnected after the hop (%u reopenings)",
                  s->h.agent_version, c->reconnects);
        vgd_jobs_push_permissions(s);
        return true;
}

/* ---- the outcome ---- */

static void commit_moved(struct vgd_sandbox *s, const struct hop_job *j)
{
        struct vgl_profile *p = s->profile;
        struct vgl_adjustment a = {.time = vgd_wall_s(), .kind = VGL_ADJUST_HOP};
        _cleanup_json_ struct json_object *ch = NULL;
        struct vgl_adjust_decision dec;
        struct vgl_error e = {};

        a.trust_before = p->trust_score;
        if (!j->req.from_round) {
                ch = vgd_trail_details("tier", json_object_new_string(j->to.name), NULL);
                if (!ch || vgl_adjust_update(&s->d->adjust, &s->d->policy, p, ch, vgd_wall_s(),
                                             &dec, &e) < 0) {
                        /* The domain is in the new template whatever the
                         * profile's rules say: the profile follows it. */
                        snprintf(p->tier, sizeof(p->tier), "%s", j->to.name);
                        p->posture = j->to.posture;
                        vgl_limits_from_tier(&j->to, &p->limits);
                }
        }
        p->hops++;
        a.trust_after = p->trust_score;
        snprintf(a.tier_before, sizeof(a.tier_before), "%s", j->from);
        snprintf(a.tier_after, sizeof(a.tier_after), "%s", j->to.name);
        snprintf(a.reason, sizeof(a.reason), "hop %s -> %s in %.0f ms%s", j->from, j->to.name,
                 j->hr.total_ms, j->r < 0 ? " (left paused)" : "");
        vgl_profile_push_history(p, &a);
        s->ctl->hop_backoff_ms = 0;
}

static void commit_failed(struct vgd_sandbox *s, const struct hop_job *j)
{
        struct vgl_profile *p = s->profile;
        struct vgd_ctl *c = s->ctl;
        struct vgl_adjustment a = {.time = vgd_wall_s(), .kind = VGL_ADJUST_HOP};

        if (j->req.from_round) {
                snprintf(p->tier, sizeof(p->tier), "%s", j->req.tier_before);
                p->posture = j->req.posture_before;
                p->limits = j->req.limits_before;
                c->hop_backoff_ms =
                        c->hop_backoff_ms ? c->hop_backoff_ms * 2 : VGD_HOP_BACKOFF_MIN_MS;
                if (c->hop_backoff_ms > VGD_HOP_BACKOFF_MAX_MS)
                        c->hop_backoff_ms = VGD_HOP_BACKOFF_MAX_MS;
                c->hop_retry_ms = vgd_now_ms() + c->hop_backoff_ms;
        }
        a.trust_before = a.trust_after = p->trust_score;
        snprintf(a.tier_before, sizeof(a.tier_before), "%s", j->from);
        snprintf(a.tier_after, sizeof(a.tier_after), "%s", p->tier);
        snprintf(a.reason, sizeof(a.reason), "hop to %s failed (%s): %.100s", j->to.name,
                 vgl_hop_state_name(j->hr.state), j->err.msg);
        vgl_profile_push_history(p, &a);
}

static void record_hop(struct vgd_sandbox *s, const struct hop_job *j, struct json_object *hop)
{
        bool ok = j->r == 0;

        vgd_trail_append(s->d, VGL_AUDIT_HOP, s, j->req.actor, hop, NULL);
        if (ok)
                vgd_event(s->d, s, "hop", "moved %s -> %s in %.0f ms (save %.0f, restore %.0f)",
                          j->from, j->to.name, j->hr.total_ms, j->hr.save_ms, j->hr.restore_ms);
        else
                vgd_event(s->d, s, "hop-failed", "hop %s -> %s: %s (%s)", j->from, j->to.name,
                          vgl_hop_state_name(j->hr.state), j->err.msg);
        if (!ok) {
                s->ctl->job_r = j->r;
                snprintf(s->ctl->job_why, sizeof(s->ctl->job_why), "%s", j->err.msg);
        }
        s->ctl->job_hop = json_object_get(hop);
}

/* The domain went with the hop (both restores failed). */
static void hop_lost(struct vgd_sandbox *s)
{
        if (s->dom)
                virDomainFree(s->dom);
        s->dom = NULL;
        s->state = VGD_GONE;
        vgd_event(s->d, s, "gone", "the hop lost the domain");
        vgd_jobs_end(s);
}

static void hop_done(struct vgd_daemon *d, void *data)
{
        struct hop_job *j = data;
        struct vgd_sandbox *s = j->s;
        _cleanup_json_ struct json_object *hop = NULL;

        if (s->ctl)
                s->ctl->in_worker = s->ctl->hopping = false;
        if (!s->ctl || !s->profile || s->state != VGD_RESERVED) {
                /* Released meanwhile: whatever the hop left running goes too;
                 * but a stopping vigild leaves reserved VMs running. */
                if (d->quitting && j->dom)
                        virDomainFree(j->dom);
                else
                        vgd_job_destroy_domain(d, j->dom);
                goto out;
        }
        hop = hop_json(j);
        if (s->dom)
                virDomainFree(s->dom);
        s->dom = j->dom;
        if (j->hr.state == VGL_HOP_MOVED)
                commit_moved(s, j);
        else
                commit_failed(s, j);
        record_hop(s, j, hop);
        vgd_control_sync(s);
        if (!s->dom) {
                hop_lost(s);
                goto out;
        }
        if (j->enforced)
                vgd_jobs_enforced(s, j->er, &j->eerr, j->res, j->seen_ok, &j->seen);
        vgd_control_save(s);
        reconnect_start(s);
out:
        vgd_sandbox_unref(s);
        free(j);
}

static void start_failed(struct vgd_sandbox *s, const char *why)
{
        s->ctl->job_r = -EINVAL;
        snprintf(s->ctl->job_why, sizeof(s->ctl->job_why), "%s", why);
        vgd_jobs_end(s);
}

void vgd_jobs_start_hop(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;
        struct vgd_hop_req *req = c->want_hop;
        const struct vgl_tier *to = vgl_tier_set_find(&s->d->policy, req->to);
        struct hop_job *j;

        c->want_hop = NULL;
        c->want_enforce = false; /* the hop enforces too */
        j = to ? calloc(1, sizeof(*j)) : NULL;
        if (!j || virDomainRef(s->dom) < 0) {
                free(j);
                start_failed(s, to ? "out of memory" : "no such tier");
                free(req);
                return;
        }
        j->s = vgd_sandbox_ref(s);
        j->conn = s->d->conn;
        j->dom = s->dom;
        j->to = *to;
        j->req = *req;
        free(req);
        snprintf(j->save_dir, sizeof(j->save_dir), "%s/hop", s->d->cfg.state_dir);
        snprintf(j->from, sizeof(j->from), "%s",
                 j->req.from_round ? j->req.tier_before : s->profile->tier);
        vgl_limits_from_tier(to, &j->limits_moved);
        j->posture_moved = to->posture;
        if (j->req.from_round) {
                j->limits_moved = s->profile->limits;
                j->limits_back = j->req.limits_before;
                j->posture_back = j->req.posture_before;
        } else {
                j->limits_back = s->profile->limits;
                j->posture_back = s->profile->posture;
        }
        j->nwfilter = s->d->nwfilter;
        snprintf(j->nwfilter_why, sizeof(j->nwfilter_why), "%s", s->d->nwfilter_why);
        /* The save closes the channel; close it first, cleanly. */
        c->hopping = c->in_worker = true;
        vgd_channel_close(s, "the sandbox is hopping to another tier");
        vgd_info(s->id, "hopping %s -> %s", j->from, to->name);
        vgd_job_submit(s->d, hop_run, hop_done, j);
}
