/* See evidence.h. Everything here runs per guest event, so it only counts:
 * the guest sets the rate, and the round (control.c) does the rest. */
#include "evidence.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "behaviour.h"
#include "control.h"
#include "events.h"
#include "learn.h"
#include "observe.h"
#include "rules.h"

#define RULE_MATCHES_MAX 4 /* matches of one event that are published */

static void count_tags(struct vgd_ctl *c, uint32_t tags)
{
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                if ((tags & VGL_TAG_BIT(t)) && c->tags[t] < UINT32_MAX)
                        c->tags[t]++;
}

static void note_denial(struct vgd_sandbox *s, const struct vgl_bhv_event *ev)
{
        struct vgd_ctl *c = s->ctl;

        if (!(ev->tags & VGL_TAG_BIT(VGL_TAG_POLICY_VIOLATION)))
                return;
        if (c->denials < UINT32_MAX)
                c->denials++;
        c->denials_total++;
        if (!c->denial_sample[0])
                vgl_bhv_describe(ev, c->denial_sample, sizeof(c->denial_sample));
}

/* "10.0.0.1:443", "[fd00::1]:53" for IP egress; false for other records. */
static bool endpoint_of(const struct vgl_bhv_event *ev, char *buf, size_t size)
{
        char addr[INET6_ADDRSTRLEN];
        const struct vgl_ev_net *n = &ev->u.net;

        if (ev->type != VGL_REC_NET || n->op == VGL_NET_BIND)
                return false;
        if (n->family == AF_INET && inet_ntop(AF_INET, n->addr, addr, sizeof(addr)))
                snprintf(buf, size, "%s:%u", addr, (unsigned)n->port);
        else if (n->family == AF_INET6 && inet_ntop(AF_INET6, n->addr, addr, sizeof(addr)))
                snprintf(buf, size, "[%s]:%u", addr, (unsigned)n->port);
        else
                return false;
        return true;
}

static void note_signature(struct vgd_sandbox *s, const struct vgl_bhv_event *ev)
{
        struct vgl_signature *sig = &s->profile->signature;
        char ep[sizeof(sig->endpoints[0])];

        if (endpoint_of(ev, ep, sizeof(ep)))
                vgl_signature_add_endpoint(sig, ep);
        else if (ev->type == VGL_REC_RESOURCE)
                vgl_signature_add_sample(sig, vgd_wall_s(), ev->cpu_permille, ev->mem_used_kb);
}

/* Returns the number of rules ev matched. */
static size_t run_rules(struct vgd_sandbox *s, const struct vgl_bhv_event *ev)
{
        struct vgl_rule_match m[RULE_MATCHES_MAX];
        char text[512];
        size_t n;

        if (!s->d->rules || !s->ctl->rules)
                return 0;
        n = vgl_rules_eval(s->d->rules, s->ctl->rules, ev, vgd_now_ms(), m, RULE_MATCHES_MAX);
        if (!n)
                return 0;
        s->ctl->matched = true;
        vgl_bhv_describe(ev, text, sizeof(text));
        for (size_t i = 0; i < n && i < RULE_MATCHES_MAX; i++) {
                if (!vgd_observe_publish_ok(s)) {
                        s->unpublished++;
                        continue;
                }
                vgd_event_rule(s->d, s, m[i].rule, m[i].tag, vgl_severity_name(m[i].severity),
                               text);
        }
        return n;
}

/* The evidence so far, as the adjuster would see it in a round now. */
static void current(const struct vgd_sandbox *s, struct vgl_evidence *ev)
{
        const struct vgd_ctl *c = s->ctl;

        memset(ev, 0, sizeof(*ev));
        memcpy(ev->tags, c->tags, sizeof(ev->tags));
        ev->denials = c->denials;
        ev->anomaly = c->anomaly;
        /* The risk is charged in the rounds that had matches: a high match
         * costs once, repeated ones more as the risk accumulates, instead of
         * every round for as long as the risk decays (minutes). */
        ev->risk = c->matched && c->rules ? vgl_rules_risk(c->rules, vgd_now_ms()) : 0;
        ev->agent_silent = c->silent_seen || s->silent;
        ev->high_severity = c->high_severity;
}

/* A tag the policy calls severe, or a rule match that took the risk to
 * the policy's threshold, calls for a round now. */
static void check_severity(struct vgd_sandbox *s, uint32_t tags, bool new_match)
{
        struct vgl_evidence ev;

        if (tags && vgl_adjust_tags_high_severity(&s->d->adjust, tags)) {
                vgd_control_urgent(s);
                return;
        }
        if (!new_match)
                return;
        current(s, &ev);
        if (ev.risk >= s->d->adjust.severe_risk)
                vgd_control_urgent(s);
}

void vgd_evidence_event(struct vgd_sandbox *s, const struct vgl_bhv_event *ev)
{
        size_t matches;

        if (!s->ctl || !s->profile)
                return;
        count_tags(s->ctl, ev->tags);
        vgd_learn_event(s, ev);
        note_denial(s, ev);
        note_signature(s, ev);
        matches = run_rules(s, ev);
        check_severity(s, ev->tags, matches > 0);
}

void vgd_evidence_silent(struct vgd_sandbox *s)
{
        if (s->ctl)
                s->ctl->silent_seen = true;
}

void vgd_evidence_anomaly(struct vgd_sandbox *s, double score, const char *model)
{
        struct vgl_signature *sig;

        if (!s->ctl || !s->profile || !(score >= 0 && score <= 1))
                return;
        sig = &s->profile->signature;
        s->ctl->anomaly = score;
        sig->anomaly = score;
        snprintf(sig->model, sizeof(sig->model), "%s", model ? model : "");
        if (score >= s->d->adjust.severe_anomaly)
                vgd_control_urgent(s);
}

/* The most frequent system calls of the window into the signature. */
static void top_syscalls(const struct vgl_bhv *b, struct vgl_signature *sig)
{
        size_t n = 0;

        for (unsigned nr = 0; nr < VGL_BHV_SYSCALL_MAX; nr++) {
                uint32_t count = vgl_bhv_syscall_count(b, nr);
                size_t at = n;
                if (!count)
                        continue;
                while (at > 0 && sig->top_syscalls[at - 1].count < count)
                        at--;
                if (at >= VGL_PROFILE_TOP_SYSCALL)
                        continue;
                if (n < VGL_PROFILE_TOP_SYSCALL)
                        n++;
                memmove(&sig->top_syscalls[at + 1], &sig->top_syscalls[at],
                        (n - 1 - at) * sizeof(sig->top_syscalls[0]));
                sig->top_syscalls[at].nr = (uint16_t)nr;
                sig->top_syscalls[at].count = count;
        }
        sig->n_top_syscalls = n;
}

static void update_signature(struct vgd_sandbox *s)
{
        struct vgl_signature *sig = &s->profile->signature;
        struct vgl_bhv_stats st = {0};

        if (s->bhv) {
                vgl_bhv_get_stats(s->bhv, &st);
                for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                        sig->tag_totals[t] = st.tags[t];
                sig->events = st.events;
                sig->syscalls = st.syscalls;
                top_syscalls(s->bhv, sig);
        }
        sig->denials = s->ctl->denials_total;
        if (s->ctl->rules)
                sig->risk = vgl_rules_risk(s->ctl->rules, vgd_now_ms());
}

void vgd_evidence_take(struct vgd_sandbox *s, struct vgl_evidence *ret)
{
        struct vgd_ctl *c = s->ctl;

        current(s, ret);
        update_signature(s);
        memset(c->tags, 0, sizeof(c->tags));
        c->denials = 0;
        c->denial_sample[0] = '\0';
        c->matched = c->silent_seen = c->high_severity = false;
}

uint32_t vgd_evidence_denials(const struct vgd_sandbox *s, const char **ret_sample)
{
        *ret_sample = s->ctl ? s->ctl->denial_sample : "";
        return s->ctl ? s->ctl->denials : 0;
}
