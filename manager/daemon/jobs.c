/* See jobs.h: the per-sandbox queue, waiters, enforcement and the
 * permission-set step. */
#include "jobs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "enforce.h"
#include "events.h"
#include "jobs-priv.h"
#include "log.h"
#include "nwfilter.h"
#include "permissions.h"
#include "proto-msg.h"
#include "sandbox.h"
#include "tierperms.h"
#include "trail.h"
#include "work.h"

/* The actions a libvirt enforcement decides (permissions come later). */
static const enum vgl_action libvirt_actions[] = {
        VGL_ACTION_VCPUS,     VGL_ACTION_CPU_QUOTA, VGL_ACTION_MEMORY,
        VGL_ACTION_BANDWIDTH, VGL_ACTION_NWFILTER,  VGL_ACTION_BLKIO,
};

/* ---- waiters ---- */

static void waiter_cancel(struct vgl_varlink_call *call, void *userdata)
{
        struct vgd_waiter *w = userdata;

        vgl_varlink_call_unref(w->call);
        w->call = NULL;
}

struct vgd_waiter *vgd_waiter_new(struct vgl_varlink_call *call,
                                  void (*answer)(struct vgd_waiter *w, struct vgd_sandbox *s,
                                                 const struct vgd_job_outcome *o),
                                  struct json_object *extra)
{
        struct vgd_waiter *w = calloc(1, sizeof(*w));

        if (!w) {
                json_object_put(extra);
                return NULL;
        }
        w->call = vgl_varlink_call_ref(call);
        w->answer = answer;
        w->extra = extra;
        vgl_varlink_call_set_cancel(call, waiter_cancel, w);
        return w;
}

void vgd_waiter_finish(struct vgd_waiter *w, struct vgd_sandbox *s, const struct vgd_job_outcome *o)
{
        if (w->call) {
                vgl_varlink_call_set_cancel(w->call, NULL, NULL);
                w->answer(w, s, o);
                vgl_varlink_call_unref(w->call);
        }
        json_object_put(w->extra);
        free(w);
}

static void append(struct vgd_waiter **list, struct vgd_waiter *w)
{
        while (*list)
                list = &(*list)->next;
        w->next = NULL;
        *list = w;
}

static void answer_all(struct vgd_waiter **list, struct vgd_sandbox *s,
                       const struct vgd_job_outcome *o)
{
        while (*list) {
                struct vgd_waiter *w = *list;
                *list = w->next;
                vgd_waiter_finish(w, s, o);
        }
}

void vgd_jobs_drop(struct vgd_sandbox *s, const char *why)
{
        struct vgd_job_outcome o = {.r = -ESRCH};

        if (!s->ctl)
                return;
        snprintf(o.why, sizeof(o.why), "%s", why);
        answer_all(&s->ctl->waiters, s, &o);
        answer_all(&s->ctl->waiters_next, s, &o);
        free(s->ctl->want_hop);
        s->ctl->want_hop = NULL;
        json_object_put(s->ctl->job_hop);
        s->ctl->job_hop = NULL;
}

/* ---- the queue ---- */

static void start_enforce(struct vgd_sandbox *s);

static void kick(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;
        struct vgd_job_outcome o = {0};

        if (!c || c->busy)
                return;
        if ((c->want_hop || c->want_enforce) && (s->state != VGD_RESERVED || !s->dom)) {
                o.r = -ESRCH;
                snprintf(o.why, sizeof(o.why), "the sandbox is %s", vgd_state_name(s->state));
                c->want_enforce = false;
                free(c->want_hop);
                c->want_hop = NULL;
        } else if (c->want_hop || c->want_enforce) {
                c->busy = true;
                c->job_r = 0;
                c->job_why[0] = '\0';
                json_object_put(c->job_hop);
                c->job_hop = NULL;
                c->waiters = c->waiters_next;
                c->waiters_next = NULL;
                if (c->want_hop)
                        vgd_jobs_start_hop(s);
                else
                        start_enforce(s);
                return;
        }
        answer_all(&c->waiters_next, s, &o);
}

void vgd_jobs_enforce(struct vgd_sandbox *s, struct vgd_waiter *w)
{
        if (!s->ctl) {
                struct vgd_job_outcome o = {.r = -ESRCH, .why = "the sandbox has no profile"};
                if (w)
                        vgd_waiter_finish(w, s, &o);
                return;
        }
        s->ctl->want_enforce = true;
        if (w)
                append(&s->ctl->waiters_next, w);
        kick(s);
}

void vgd_jobs_hop(struct vgd_sandbox *s, const struct vgd_hop_req *req, struct vgd_waiter *w)
{
        struct vgd_hop_req *copy = s->ctl ? malloc(sizeof(*copy)) : NULL;

        if (!copy) {
                struct vgd_job_outcome o = {.r = -ENOMEM, .why = "out of memory"};
                if (w)
                        vgd_waiter_finish(w, s, &o);
                return;
        }
        *copy = *req;
        free(s->ctl->want_hop); /* a newer hop replaces one not started */
        s->ctl->want_hop = copy;
        if (w)
                append(&s->ctl->waiters_next, w);
        kick(s);
}

void vgd_jobs_wait(struct vgd_sandbox *s, struct vgd_waiter *w)
{
        struct vgd_job_outcome o = {0};

        if (s->ctl && s->ctl->busy) {
                append(&s->ctl->waiters, w);
                return;
        }
        vgd_waiter_finish(w, s, &o);
}

void vgd_jobs_end(struct vgd_sandbox *s)
{
        struct vgd_ctl *c = s->ctl;
        struct vgd_job_outcome o = {0};

        if (!c)
                return;
        c->busy = false;
        vgd_control_save(s);
        o.r = c->job_r;
        snprintf(o.why, sizeof(o.why), "%s", c->job_why);
        o.hop = c->job_hop;
        vgd_sandbox_ref(s);
        answer_all(&c->waiters, s, &o);
        if (s->ctl) {
                json_object_put(s->ctl->job_hop);
                s->ctl->job_hop = NULL;
                kick(s);
        }
        vgd_sandbox_unref(s);
}

bool vgd_jobs_agent_away(const struct vgd_sandbox *s)
{
        return s->ctl && (s->ctl->hopping || s->ctl->reconnecting);
}

/* ---- enforcement ---- */

bool vgd_jobs_read_back(virDomainPtr dom, struct vgd_resources *ret)
{
        int vcpus = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE);
        int max = virDomainGetVcpusFlags(dom, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_MAXIMUM);
        virDomainInfo info;

        if (vcpus < 0 || max < 0 || virDomainGetInfo(dom, &info) < 0) {
                virResetLastError();
                return false;
        }
        ret->vcpus = (unsigned)vcpus;
        ret->max_vcpus = (unsigned)max;
        ret->memory_mib = info.memory / 1024;
        ret->max_memory_mib = info.maxMem / 1024;
        return true;
}

int vgd_jobs_enforce_run(virConnectPtr conn, virDomainPtr dom, const struct vgl_limits *limits,
                         enum vgl_posture posture, bool nwfilter, const char *nwfilter_why,
                         struct vgl_action_result res[VGL_ACTION_COUNT], struct vgl_error *err)
{
        int r = vgl_enforce_limits(dom, limits, res, err);

        if (r < 0)
                return r;
        if (nwfilter) {
                vgl_nwfilter_bind(conn, dom, posture, &res[VGL_ACTION_NWFILTER]);
        } else {
                struct vgl_action_result *f = &res[VGL_ACTION_NWFILTER];
                *f = (struct vgl_action_result){.state = VGL_ACTION_UNSUPPORTED,
                                                .time = vgd_wall_s()};
                snprintf(f->reason, sizeof(f->reason), "%s", nwfilter_why);
        }
        return r;
}

static struct json_object *action_json(const struct vgl_action_result *a)
{
        return vgd_trail_details("state", json_object_new_string(vgl_action_state_name(a->state)),
                                 "value", json_object_new_string(a->value), "reason",
                                 json_object_new_string(a->reason), NULL);
}

static void audit_actions(struct vgd_sandbox *s, const enum vgl_action *which, size_t n)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *acts = json_object_new_object();

        for (size_t i = 0; acts && i < n; i++)
                if (vgl_json_add(acts, vgl_action_name(which[i]),
                                 action_json(&s->profile->actions[which[i]])) < 0)
                        acts = (json_object_put(acts), NULL);
        o = vgd_trail_details("tier", json_object_new_string(s->profile->tier), "posture",
                              json_object_new_string(vgl_posture_name(s->profile->posture)),
                              "limits", vgd_limits_json(&s->profile->limits), "actions", acts,
                              NULL);
        vgd_trail_append(s->d, VGL_AUDIT_ENFORCEMENT, s, VGL_AUDIT_ACTOR_VIGILD, o, NULL);
}

/* The number a read-back value starts with ("2", "256 MiB"). */
static bool leading_number(const char *text, uint64_t *ret)
{
        char *end = NULL;
        unsigned long long v;

        if (text[0] < '0' || text[0] > '9')
                return false;
        v = strtoull(text, &end, 10);
        if (end == text || (*end && *end != ' '))
                return false;
        *ret = v;
        return true;
}

/* "vcpus applied (1), memory failed: ..." for the event. */
static void summarize(const struct vgl_profile *p, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(libvirt_actions) && len + 1 < size; i++) {
                const struct vgl_action_result *a = &p->actions[libvirt_actions[i]];
                len += (size_t)snprintf(buf + len, size - len, "%s%s %s%s%s%s", i ? ", " : "",
                                        vgl_action_name(libvirt_actions[i]),
                                        vgl_action_state_name(a->state), a->value[0] ? " (" : "",
                                        a->value, a->value[0] ? ")" : "");
        }
}

void vgd_jobs_enforced(struct vgd_sandbox *s, int r, const struct vgl_error *err,
                       const struct vgl_action_result res[VGL_ACTION_COUNT], bool seen_ok,
                       const struct vgd_resources *seen)
{
        struct vgl_profile *p = s->profile;
        char text[480];
        uint64_t v;

        for (size_t i = 0; i < ELEMENTSOF(libvirt_actions); i++) {
                enum vgl_action a = libvirt_actions[i];
                if (r < 0)
                        vgl_profile_set_action(p, a, VGL_ACTION_FAILED, NULL, err->msg,
                                               vgd_wall_s());
                else
                        p->actions[a] = res[a];
        }
        if (seen_ok) {
                s->res.vcpus = seen->vcpus;
                s->res.max_vcpus = seen->max_vcpus;
                s->res.memory_mib = seen->memory_mib;
                s->res.max_memory_mib = seen->max_memory_mib;
        }
        /* What enforcement read back (QEMU's vCPUs, the balloon's actual
         * size) is closer to the truth than libvirt's own counters. */
        if (leading_number(p->actions[VGL_ACTION_VCPUS].value, &v))
                s->res.vcpus = (unsigned)v;
        if (leading_number(p->actions[VGL_ACTION_MEMORY].value, &v))
                s->res.memory_mib = v;
        if (p->actions[VGL_ACTION_CPU_QUOTA].state == VGL_ACTION_APPLIED)
                s->res.cpu_quota_percent = p->limits.cpu_quota_percent;
        audit_actions(s, libvirt_actions, ELEMENTSOF(libvirt_actions));
        summarize(p, text, sizeof(text));
        vgd_event(s->d, s, "enforcement", "tier %s: %s", p->tier, text);
}

struct enforce_job {
        struct vgd_sandbox *s;
        virConnectPtr conn;
        virDomainPtr dom;
        struct vgl_limits limits;
        enum vgl_posture posture;
        bool nwfilter;
        char nwfilter_why[VGL_PROFILE_REASON_MAX];
        int r;
        struct vgl_error err;
        struct vgl_action_result res[VGL_ACTION_COUNT];
        bool seen_ok;
        struct vgd_resources seen;
};

static void enforce_run(void *data)
{
        struct enforce_job *j = data;

        j->r = vgd_jobs_enforce_run(j->conn, j->dom, &j->limits, j->posture, j->nwfilter,
                                    j->nwfilter_why, j->res, &j->err);
        j->seen_ok = vgd_jobs_read_back(j->dom, &j->seen);
}

static void enforce_done(struct vgd_daemon *d, void *data)
{
        struct enforce_job *j = data;
        struct vgd_sandbox *s = j->s;

        virDomainFree(j->dom);
        if (s->ctl)
                s->ctl->in_worker = false;
        if (s->ctl && s->profile && s->state == VGD_RESERVED) {
                vgd_jobs_enforced(s, j->r, &j->err, j->res, j->seen_ok, &j->seen);
                vgd_jobs_push_permissions(s);
        } else if (s->ctl) {
                s->ctl->job_r = -ESRCH;
                snprintf(s->ctl->job_why, sizeof(s->ctl->job_why), "the sandbox is %s",
                         vgd_state_name(s->state));
                vgd_jobs_end(s);
        }
        vgd_sandbox_unref(s);
        free(j);
}

static void start_enforce(struct vgd_sandbox *s)
{
        struct enforce_job *j = calloc(1, sizeof(*j));

        s->ctl->want_enforce = false;
        if (!j || virDomainRef(s->dom) < 0) {
                free(j);
                s->ctl->job_r = -ENOMEM;
                snprintf(s->ctl->job_why, sizeof(s->ctl->job_why), "out of memory");
                vgd_jobs_end(s);
                return;
        }
        j->s = vgd_sandbox_ref(s);
        j->conn = s->d->conn;
        j->dom = s->dom;
        j->limits = s->profile->limits;
        j->posture = s->profile->posture;
        j->nwfilter = s->d->nwfilter;
        snprintf(j->nwfilter_why, sizeof(j->nwfilter_why), "%s", s->d->nwfilter_why);
        s->ctl->in_worker = true;
        vgd_debug(s->id, "enforcing tier %s", s->profile->tier);
        vgd_job_submit(s->d, enforce_run, enforce_done, j);
}

/* ---- the permission set ---- */

void vgd_jobs_record_permissions(struct vgd_sandbox *s, int r, const char *msg)
{
        static const enum vgl_action which[] = {VGL_ACTION_PERMISSIONS};
        bool supervised = (s->h.caps & VGL_CAP_SECCOMP_NOTIFY) != 0;

        if (!s->profile)
                return;
        vgl_enforce_permissions_record(r, s->perm_applied, supervised, msg,
                                       &s->profile->actions[VGL_ACTION_PERMISSIONS]);
        if (r == 0 && s->ctl)
                snprintf(s->ctl->perm_tier, sizeof(s->ctl->perm_tier), "%s", s->profile->tier);
        audit_actions(s, which, 1);
}

static void permissions_done(struct vgd_sandbox *s, int r, const char *msg)
{
        vgd_jobs_record_permissions(s, r, msg);
        if (r < 0)
                vgd_event(s->d, s, "agent-error", "the %s permission set was not applied: %s",
                          s->profile ? s->profile->tier : s->tier, msg ? msg : "");
        if (s->ctl && s->ctl->perm_pushing) {
                s->ctl->perm_pushing = false;
                vgd_jobs_end(s);
        }
}

void vgd_jobs_push_permissions(struct vgd_sandbox *s)
{
        struct vgl_profile *p = s->profile;
        struct json_object *set = vgd_tierperms_get(s->d, p->tier);
        struct vgl_error e = {};
        int r;

        if (!set) {
                vgl_profile_set_action(p, VGL_ACTION_PERMISSIONS, VGL_ACTION_NOT_APPLICABLE, NULL,
                                       "the tier has no permission set", vgd_wall_s());
                vgd_jobs_end(s);
                return;
        }
        if (!strcmp(s->ctl->perm_tier, p->tier) &&
            p->actions[VGL_ACTION_PERMISSIONS].state == VGL_ACTION_APPLIED) {
                vgd_jobs_end(s);
                return;
        }
        s->ctl->perm_pushing = true;
        r = vgd_permissions_push(s, set, permissions_done, &e);
        if (r < 0)
                permissions_done(s, r, e.msg);
}
