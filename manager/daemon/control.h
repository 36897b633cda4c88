/* The control loop: every reserved sandbox has a personality profile
 * (manager/profile.h); between rounds its evidence is gathered
 * (evidence.h); every adjust period, and at once after a high-severity
 * event, the adjuster (manager/adjust.h) runs a round; a decision that
 * changed something is carried out by a job (jobs.h: live enforcement, or
 * a hop) and its outcome recorded in the profile, the audit trail and an
 * event. The profile is persisted inside the sandbox record (metadata.h). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "profile.h"

#define VGD_URGENT_GAP_MS 1000u /* immediate rounds of one sandbox: at most one a second */
#define VGD_COUNTER_SAVE_MS                                                                        \
        30000u /* a round that changed only counters is persisted this often                       \
                */
#define VGD_DENIAL_SAMPLE_MAX 160u

struct vgd_waiter;
struct vgd_hop_req;
struct vgl_rules_state;
struct vgd_learn;

/* Per-sandbox state of the control loop; exists while the sandbox has a
 * profile (from Reserve, or restored at start). */
struct vgd_ctl {
        /* evidence since the last round (evidence.c) */
        uint32_t tags[VGL_TAG_COUNT];
        uint32_t denials;
        char denial_sample[VGD_DENIAL_SAMPLE_MAX]; /* the first denial of the round */
        bool matched;                              /* a rule matched since the last round */
        bool silent_seen;                          /* the agent went silent since then */
        bool high_severity;                        /* ... and something called for a round now */
        struct vgl_rules_state *rules;
        uint64_t denials_total;
        double anomaly;          /* the detectors' last score (vgd_evidence_anomaly) */
        struct vgd_learn *learn; /* online scoring and sequences (learn.h) */

        /* rounds */
        int urgent_timer; /* an immediate round is scheduled; -1: none */
        uint64_t last_urgent_ms;
        uint64_t saved_ms;  /* when the record was last persisted */
        bool last_achieved; /* the profile's achieved flag after the last round */

        /* jobs (jobs.c): one at a time per sandbox */
        bool busy;                       /* a job runs, with its agent steps */
        bool in_worker;                  /* a worker thread uses the domain right now */
        bool hopping;                    /* its domain is being saved and restored */
        bool want_enforce;               /* enforce the profile once the current job ends */
        struct vgd_hop_req *want_hop;    /* a hop waiting for the current job */
        struct vgd_waiter *waiters;      /* answered when the current job ends */
        struct vgd_waiter *waiters_next; /* ... when the next job ends */
        int job_r;                       /* how the current job is going: 0 or -errno */
        char job_why[512];
        struct json_object *job_hop;       /* the current hop job's Hop object */
        bool meta_dirty;                   /* a record save waited for the worker */
        bool perm_pushing;                 /* the current job's permission set is in flight */
        char perm_tier[VGL_TIER_NAME_MAX]; /* whose permission set the agent acknowledged */
        uint64_t hop_retry_ms;             /* a failed hop: no automatic hop before this */
        uint64_t hop_backoff_ms;

        /* the agent's return after a hop (jobs-hop.c) */
        bool reconnecting;
        bool reconnect_paused; /* the port is closed for a while */
        int reconnect_timer;   /* -1: none */
        uint64_t reconnect_deadline_ms;
        unsigned reconnects;
};

/* Loads the adjust policy (policies/adjust.json; built-in defaults when it
 * is absent, said in the log), the rules (policies/rules; none when the
 * folder is absent) and defines the posture network filters when the
 * connection has an nwfilter driver (d->nwfilter_why says why not).
 * Bad files fail with *err naming them. */
int vgd_control_init(struct vgd_daemon *d, struct vgl_error *err);

/* Starts the period timer (d->adjust_period_ms). */
int vgd_control_start(struct vgd_daemon *d, struct vgl_error *err);

/* Stops the timer and frees what init loaded. */
void vgd_control_fini(struct vgd_daemon *d);

/* Gives s the profile p (taken, heap) and its control state; updates the
 * sandbox's tier, posture and trust from it. -ENOMEM (p freed). */
int vgd_control_attach(struct vgd_sandbox *s, struct vgl_profile *p);

/* Drops s's control state and profile: its waiting calls are answered
 * with why, timers removed. A job in flight notices when it ends. */
void vgd_control_detach(struct vgd_sandbox *s, const char *why);

/* Sets the Sandbox fields vigild shows (tier, posture, trust, desired
 * level) from s's profile. */
void vgd_control_sync(struct vgd_sandbox *s);

/* Runs a round for s now: evidence in, decision out and carried out.
 * actor: who asked (a uid, or VGL_AUDIT_ACTOR_VIGILD); w (may be NULL) is
 * answered when the decision has been carried out, with w->extra set to
 * the decision's JSON (when it had none). -EAGAIN when s cannot have a
 * round now (not reserved, hopping, its agent reconnecting): w is then
 * untouched. */
int vgd_control_round(struct vgd_sandbox *s, int64_t actor, struct vgd_waiter *w,
                      struct vgl_adjust_decision *ret);

/* Carries out a decision that already changed s's profile (a round, or an
 * admin's update): adjustment record and event when something moved, then
 * enforcement or a hop; w as for vgd_control_round. */
void vgd_control_decided(struct vgd_sandbox *s, const struct vgl_adjust_decision *dec,
                         int64_t actor, struct vgd_waiter *w);

/* Asks for an immediate round of s, at most one per VGD_URGENT_GAP_MS. */
void vgd_control_urgent(struct vgd_sandbox *s);

/* Persists s's record now, or after the worker using its domain is done. */
void vgd_control_save(struct vgd_sandbox *s);

/* The decision as JSON (the API's Decision). NULL without memory. */
struct json_object *vgd_decision_json(const struct vgl_adjust_decision *dec);

/* The limits as JSON ({vcpus, cpu_quota_percent, memory_mib, ...}). */
struct json_object *vgd_limits_json(const struct vgl_limits *l);
