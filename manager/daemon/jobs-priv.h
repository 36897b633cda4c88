/* Internals shared by jobs.c (the queue, enforcement, permissions) and
 * jobs-hop.c (hops and the agent's return). */
#pragma once

#include "control.h"
#include "jobs.h"

/* Reads the live vCPU count and balloon size back from libvirt (worker
 * thread). False when libvirt could not say. */
bool vgd_jobs_read_back(virDomainPtr dom, struct vgd_resources *ret);

/* Enforcement on a worker thread: limits, then the posture's filter (or
 * the reason it cannot be). Fills res; returns vgl_enforce_limits' result. */
int vgd_jobs_enforce_run(virConnectPtr conn, virDomainPtr dom, const struct vgl_limits *limits,
                         enum vgl_posture posture, bool nwfilter, const char *nwfilter_why,
                         struct vgl_action_result res[VGL_ACTION_COUNT], struct vgl_error *err);

/* Back on the loop: the outcomes of an enforcement (r from the run; a
 * negative r fails every action with err) into the profile, the sandbox's
 * resources, the audit trail and an event. */
void vgd_jobs_enforced(struct vgd_sandbox *s, int r, const struct vgl_error *err,
                       const struct vgl_action_result res[VGL_ACTION_COUNT], bool seen_ok,
                       const struct vgd_resources *seen);

/* The last step of every job: the tier's permission set to the agent when
 * it has another one, then vgd_jobs_end. */
void vgd_jobs_push_permissions(struct vgd_sandbox *s);

/* Ends the current job: record persisted, waiters answered with the job's
 * outcome (ctl->job_r/job_why/job_hop), the next job started. */
void vgd_jobs_end(struct vgd_sandbox *s);

/* Starts the hop waiting in ctl->want_hop (jobs-hop.c). */
void vgd_jobs_start_hop(struct vgd_sandbox *s);
