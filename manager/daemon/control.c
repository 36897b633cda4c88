/* See control.h: policies, the period timer, immediate rounds, and what a
 * round's decision leads to. */
#include "control.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "events.h"
#include "evidence.h"
#include "jobs.h"
#include "learn.h"
#include "log.h"
#include "metadata.h"
#include "nwfilter.h"
#include "proto-msg.h"
#include "rules.h"
#include "sandbox.h"
#include "trail.h"

static int load_adjust(struct vgd_daemon *d, struct vgl_error *err)
{
        struct vgl_error e = {};
        int r = vgl_adjust_policy_load(d->cfg.policies_dir, &d->adjust, &e);

        if (r == -ENOENT) {
                vgl_adjust_policy_default(&d->adjust);
                vgd_info(NULL, "no %s/adjust.json: the adjuster runs with its built-in defaults",
                         d->cfg.policies_dir);
        } else if (r < 0) {
                return vgl_error_set(err, -r, "%s", e.msg);
        }
        d->adjust_period_ms = d->cfg.adjust_period_ms ?: d->adjust.period_ms;
        return 0;
}

static int load_rules(struct vgd_daemon *d, struct vgl_error *err)
{
        static const char none[] = "{\"rules\": []}";
        char dir[PATH_MAX];
        struct vgl_error e = {};
        int r;

        snprintf(dir, sizeof(dir), "%s/rules", d->cfg.policies_dir);
        r = vgl_rules_load(dir, &d->rules, &e);
        if (r == -ENOENT) {
                vgd_info(NULL, "no rules folder %s: no pattern rules", dir);
                r = vgl_rules_parse("(none)", none, sizeof(none) - 1, &d->rules, &e);
        }
        if (r < 0)
                return vgl_error_set(err, -r, "%s", e.msg);
        return 0;
}

/* The posture filters, when the connection has an nwfilter driver. */
static int define_filters(struct vgd_daemon *d, struct vgl_error *err)
{
        struct vgl_error e = {};
        int r;

        if (!d->conn) {
                snprintf(d->nwfilter_why, sizeof(d->nwfilter_why), "no libvirt connection");
                return 0;
        }
        r = vgl_nwfilter_define_all(d->conn, d->cfg.policies_dir, &e);
        d->nwfilter = r == 0;
        if (r == -EOPNOTSUPP || r == -ENOENT) {
                vgd_strlcpy(d->nwfilter_why, e.msg, sizeof(d->nwfilter_why));
                vgd_info(NULL, "network filters not enforced: %s", e.msg);
                return 0;
        }
        if (r < 0)
                return vgl_error_set(err, -r, "network filters: %s", e.msg);
        return 0;
}

int vgd_control_init(struct vgd_daemon *d, struct vgl_error *err)
{
        int r;

        if ((r = load_adjust(d, err)) < 0 || (r = load_rules(d, err)) < 0 ||
            (r = define_filters(d, err)) < 0 || (r = vgd_learn_init(d, err)) < 0)
                return r;
        return 0;
}

static void on_period(int timer, void *opaque)
{
        struct vgd_daemon *d = opaque;
        struct vgd_sandbox *s, *next;

        for (s = d->sandboxes; s; s = next) {
                struct vgl_adjust_decision dec;
                vgd_sandbox_ref(s);
                vgd_control_round(s, VGL_AUDIT_ACTOR_VIGILD, NULL, &dec);
                next = s->next;
                vgd_sandbox_unref(s);
        }
}

int vgd_control_start(struct vgd_daemon *d, struct vgl_error *err)
{
        d->adjust_timer = virEventAddTimeout((int)d->adjust_period_ms, on_period, d, NULL);
        if (d->adjust_timer < 0)
                return vgl_error_set(err, EIO, "cannot add the adjust timer");
        return 0;
}

void vgd_control_fini(struct vgd_daemon *d)
{
        if (d->adjust_timer >= 0)
                virEventRemoveTimeout(d->adjust_timer);
        d->adjust_timer = -1;
        d->rules = vgl_rules_free(d->rules);
        vgd_learn_fini(d);
}

/* ---- per sandbox ---- */

void vgd_control_sync(struct vgd_sandbox *s)
{
        const struct vgl_profile *p = s->profile;

        if (!p)
                return;
        snprintf(s->tier, sizeof(s->tier), "%s", p->tier);
        s->posture = p->posture;
        s->trust_score = p->trust_score;
        s->desired_trust_level = p->desired_trust_level;
}

int vgd_control_attach(struct vgd_sandbox *s, struct vgl_profile *p)
{
        struct vgd_ctl *c = calloc(1, sizeof(*c));

        if (s->profile == p)
                s->profile = NULL;
        if (!c || vgl_rules_state_new(&c->rules) < 0) {
                free(c);
                free(p);
                return -ENOMEM;
        }
        c->urgent_timer = c->reconnect_timer = -1;
        c->saved_ms = vgd_now_ms();
        c->last_achieved = p->achieved;
        vgd_control_detach(s, "replaced");
        s->ctl = c;
        s->profile = p;
        vgd_control_sync(s);
        return 0;
}

void vgd_control_detach(struct vgd_sandbox *s, const char *why)
{
        struct vgd_ctl *c = s->ctl;

        if (!c) {
                free(s->profile);
                s->profile = NULL;
                return;
        }
        vgd_jobs_drop(s, why);
        vgd_learn_free(s);
        if (c->urgent_timer >= 0)
                virEventRemoveTimeout(c->urgent_timer);
        if (c->reconnect_timer >= 0)
                virEventRemoveTimeout(c->reconnect_timer);
        vgl_rules_state_free(c->rules);
        free(c);
        s->ctl = NULL;
        free(s->profile);
        s->profile = NULL;
}

void vgd_control_save(struct vgd_sandbox *s)
{
        if (s->ctl && !s->ctl->in_worker) {
                s->ctl->meta_dirty = false;
                s->ctl->saved_ms = vgd_now_ms();
        }
        vgd_metadata_save(s);
}

static void on_urgent(int timer, void *opaque)
{
        struct vgd_sandbox *s = opaque;
        struct vgl_adjust_decision dec;

        virEventRemoveTimeout(timer);
        s->ctl->urgent_timer = -1;
        s->ctl->last_urgent_ms = vgd_now_ms();
        vgd_control_round(s, VGL_AUDIT_ACTOR_VIGILD, NULL, &dec);
}

void vgd_control_urgent(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;
        uint64_t now = vgd_now_ms(), at;

        if (!c || c->urgent_timer >= 0)
                return;
        c->high_severity = true;
        at = c->last_urgent_ms + VGD_URGENT_GAP_MS;
        c->urgent_timer = virEventAddTimeout(at > now ? (int)(at - now) : 0, on_urgent, s, NULL);
}

/* ---- JSON ---- */

struct json_object *vgd_limits_json(const struct vgl_limits *l)
{
        return vgd_trail_details("vcpus", json_object_new_int64(l->vcpus), "cpu_quota_percent",
                                 json_object_new_int64(l->cpu_quota_percent), "memory_mib",
                                 json_object_new_int64((int64_t)l->memory_mib), "net_in_kbps",
                                 json_object_new_int64((int64_t)l->net_in_kbps), "net_out_kbps",
                                 json_object_new_int64((int64_t)l->net_out_kbps), "disk_iops",
                                 json_object_new_int64((int64_t)l->disk_iops), "disk_bytes_per_s",
                                 json_object_new_int64((int64_t)l->disk_bytes_per_s), NULL);
}

struct json_object *vgd_decision_json(const struct vgl_adjust_decision *dec)
{
        return vgd_trail_details(
                "kind", json_object_new_string(vgl_adjust_kind_name(dec->kind)), "changed",
                json_object_new_boolean(dec->changed), "hop", json_object_new_boolean(dec->hop),
                "high_severity", json_object_new_boolean(dec->high_severity), "achieved",
                json_object_new_boolean(dec->achieved), "penalty", vgd_json_double(dec->penalty),
                "trust_before", vgd_json_double(dec->trust_before), "trust_after",
                vgd_json_double(dec->trust_after), "tier_before",
                json_object_new_string(dec->tier_before), "tier_after",
                json_object_new_string(dec->tier_after), "posture_before",
                json_object_new_string(vgl_posture_name(dec->posture_before)), "posture_after",
                json_object_new_string(vgl_posture_name(dec->posture_after)), "limits_before",
                vgd_limits_json(&dec->limits_before), "limits_after",
                vgd_limits_json(&dec->limits_after), "reason", json_object_new_string(dec->reason),
                NULL);
}

/* ---- rounds ---- */

static bool can_round(const struct vgd_sandbox *s)
{
        return s->profile && s->ctl && s->state == VGD_RESERVED && !s->ctl->want_hop &&
               !vgd_jobs_agent_away(s);
}

static void record_denials(struct vgd_sandbox *s)
{
        _cleanup_json_ struct json_object *o = NULL;
        const char *sample;
        uint32_t n = vgd_evidence_denials(s, &sample);

        if (!n)
                return;
        o = vgd_trail_details("count", json_object_new_int64(n), "sample",
                              json_object_new_string(sample), NULL);
        vgd_trail_append(s->d, VGL_AUDIT_DENIAL, s, VGL_AUDIT_ACTOR_VIGILD, o, NULL);
}

int vgd_control_round(struct vgd_sandbox *s, int64_t actor, struct vgd_waiter *w,
                      struct vgl_adjust_decision *ret)
{
        struct vgl_evidence ev;
        struct vgl_adjust_decision dec;
        int r;

        if (!can_round(s))
                return -EAGAIN;
        vgd_learn_round(s);
        record_denials(s);
        vgd_evidence_take(s, &ev);
        r = vgl_adjust_round(&s->d->adjust, &s->d->policy, s->profile, &ev, vgd_wall_s(), &dec);
        if (r < 0) {
                vgd_warn(s->id, "adjust round refused the evidence: %s", strerror(-r));
                return r;
        }
        if (w && !w->extra)
                w->extra = vgd_decision_json(&dec);
        vgd_control_decided(s, &dec, actor, w);
        *ret = dec;
        return 0;
}

/* A hop the back-off does not allow now becomes a live demotion. */
static bool hop_deferred(struct vgd_sandbox *s, struct vgl_adjust_decision *dec)
{
        if (!dec->hop || !s->ctl->hop_retry_ms || vgd_now_ms() >= s->ctl->hop_retry_ms)
                return false;
        vgd_warn(s->id, "hop to %s deferred after a failed one: demoted live instead",
                 dec->tier_after);
        dec->hop = false;
        return true;
}

static bool moved(const struct vgl_adjust_decision *dec)
{
        return dec->changed || dec->hop || dec->kind == VGL_ADJUST_UPDATE ||
               dec->trust_before != dec->trust_after ||
               strcmp(dec->tier_before, dec->tier_after) != 0;
}

static void record_adjustment(struct vgd_sandbox *s, const struct vgl_adjust_decision *dec,
                              int64_t actor)
{
        _cleanup_json_ struct json_object *o = vgd_decision_json(dec);

        if (dec->kind != VGL_ADJUST_UPDATE) /* an update has its profile_update record */
                vgd_trail_append(s->d, VGL_AUDIT_ADJUSTMENT, s, actor, o, NULL);
        vgd_event(s->d, s, "adjustment", "%s: trust %.3f -> %.3f, %s -> %s%s%s",
                  vgl_adjust_kind_name(dec->kind), dec->trust_before, dec->trust_after,
                  dec->tier_before, dec->tier_after, dec->reason[0] ? "; " : "", dec->reason);
}

void vgd_control_decided(struct vgd_sandbox *s, const struct vgl_adjust_decision *decision,
                         int64_t actor, struct vgd_waiter *w)
{
        struct vgl_adjust_decision dec = *decision;
        bool changed = moved(&dec) || dec.achieved != s->ctl->last_achieved;

        s->ctl->last_achieved = dec.achieved;
        hop_deferred(s, &dec);
        vgd_control_sync(s);
        if (changed)
                record_adjustment(s, &dec, actor);
        if (dec.hop) {
                struct vgd_hop_req req = {.from_round = true,
                                          .posture_before = dec.posture_before,
                                          .limits_before = dec.limits_before,
                                          .actor = actor};
                snprintf(req.to, sizeof(req.to), "%s", dec.tier_after);
                snprintf(req.tier_before, sizeof(req.tier_before), "%s", dec.tier_before);
                vgd_jobs_hop(s, &req, w);
        } else if (dec.changed) {
                vgd_jobs_enforce(s, w);
        } else if (w) {
                vgd_jobs_wait(s, w);
        }
        if (s->ctl && (changed || vgd_now_ms() - s->ctl->saved_ms >= VGD_COUNTER_SAVE_MS))
                vgd_control_save(s);
}
