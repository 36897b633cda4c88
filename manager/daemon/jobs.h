/* Carrying decisions out: per sandbox, one job at a time.
 *
 * An enforcement job applies the profile's limits through libvirt on a
 * worker thread (manager/enforce.h, each action read back) and binds the
 * posture's network filter when the connection can (manager/nwfilter.h);
 * back on the loop the outcomes go into the profile, the audit trail and
 * an "enforcement" event, then the tier's permission set is pushed to the
 * agent (the "permissions" action is applied on its acknowledgement).
 *
 * A hop job moves the running domain into another tier's template
 * (manager/hop.h: save, restore with the new XML, live settings, read
 * back) and enforces the limits on the new domain; the agent channel,
 * closed for the save, is reopened until the agent says hello again, and
 * the tier's permission set is pushed. A failed hop leaves the sandbox
 * where it was (the hop module restores the old XML), still enforced;
 * the failure is an event, an audit record and a history entry.
 *
 * A decision that comes while a job runs is carried out after it: the
 * profile always holds the latest state, so the next job enforces that. */
#pragma once

#include <json-c/json.h>

#include "daemon.h"
#include "hop.h"

#define VGD_RECONNECT_WAIT_MS  10000u /* a hello is awaited this long before reopening */
#define VGD_RECONNECT_PAUSE_MS 2000u  /* the port stays closed this long in between */
#define VGD_RECONNECT_MAX_MS   120000u
#define VGD_HOP_BACKOFF_MIN_MS 30000u /* after a failed automatic hop; doubles */
#define VGD_HOP_BACKOFF_MAX_MS 600000u

/* How a job ended, for the calls that waited for it. */
struct vgd_job_outcome {
        int r;                   /* 0, or a negative errno */
        char why[512];           /* when r < 0 */
        struct json_object *hop; /* the Hop object of a hop job (borrowed), or NULL */
};

/* A call waiting for a job (api-profile.c). answer runs once, on the
 * loop; call is NULL when the client left. */
struct vgd_waiter {
        struct vgd_waiter *next;
        struct vgl_varlink_call *call;
        void (*answer)(struct vgd_waiter *w, struct vgd_sandbox *s,
                       const struct vgd_job_outcome *o);
        struct json_object *extra; /* what the answer adds (a decision), owned */
};

/* A waiter for call (referenced; its cancel clears w->call). */
struct vgd_waiter *vgd_waiter_new(struct vgl_varlink_call *call,
                                  void (*answer)(struct vgd_waiter *w, struct vgd_sandbox *s,
                                                 const struct vgd_job_outcome *o),
                                  struct json_object *extra);

/* Answers w with o and frees it. */
void vgd_waiter_finish(struct vgd_waiter *w, struct vgd_sandbox *s,
                       const struct vgd_job_outcome *o);

/* A hop to carry out. */
struct vgd_hop_req {
        char to[VGL_TIER_NAME_MAX];
        bool from_round; /* the profile already moved to `to` (a round's demotion) */
        /* from_round: where the profile goes back to when the hop fails */
        char tier_before[VGL_TIER_NAME_MAX];
        enum vgl_posture posture_before;
        struct vgl_limits limits_before;
        int64_t actor; /* uid, or VGL_AUDIT_ACTOR_VIGILD */
};

/* Enforces s's profile (limits, posture, permission set) in a job, now or
 * after the current one; w (may be NULL) is answered when it is done. */
void vgd_jobs_enforce(struct vgd_sandbox *s, struct vgd_waiter *w);

/* Hops s as req says (copied), now or after the current job; a pending
 * enforcement is folded into it. w as above. */
void vgd_jobs_hop(struct vgd_sandbox *s, const struct vgd_hop_req *req, struct vgd_waiter *w);

/* Answers w when the current job (if any) ends. */
void vgd_jobs_wait(struct vgd_sandbox *s, struct vgd_waiter *w);

/* True while s's agent is away for a hop (closed, or not yet back): its
 * silence is expected, and rounds wait. */
bool vgd_jobs_agent_away(const struct vgd_sandbox *s);

/* The agent said hello; true when it was the reconnect after a hop (the
 * caller does nothing else then). */
bool vgd_jobs_hello(struct vgd_sandbox *s);

/* Answers and frees every waiter of s (detach). */
void vgd_jobs_drop(struct vgd_sandbox *s, const char *why);

/* The "permissions" action after vigild pushed a set: r as for
 * vgd_perm_done_fn. Records it in the profile. */
void vgd_jobs_record_permissions(struct vgd_sandbox *s, int r, const char *msg);
