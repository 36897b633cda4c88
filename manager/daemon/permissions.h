/* SetPermissions: permission sets pushed to a sandbox's agent and the
 * calls waiting for their POLICY_ACK. */
#pragma once

#include "daemon.h"
#include "proto-msg.h"

#define VGD_PERM_TIMEOUT_MS 10000 /* a POLICY not acknowledged by then fails the call */
#define VGD_PERM_WAITS_MAX  8     /* unacknowledged POLICYs per sandbox */

/* The io.vigil.Manager.SetPermissions handler. */
int vgd_api_set_permissions(struct vgl_varlink_call *call, struct json_object *params,
                            void *userdata);

/* How one of vigild's own pushes ended: 0 acknowledged, -ETIMEDOUT (no
 * acknowledgement in VGD_PERM_TIMEOUT_MS), -EPROTO (the agent refused it,
 * msg says why), -ECONNABORTED (the channel went). Called once, on the loop;
 * it may finish the sandbox. */
typedef void (*vgd_perm_done_fn)(struct vgd_sandbox *s, int r, const char *msg);

/* Pushes the permission set `set` (POLICY fields as JSON, validated here;
 * vigild assigns the generation) to s's agent; done(s, ...) reports the
 * outcome. -ENOTCONN without an agent, -EINVAL/-EBADMSG for a bad set
 * (*err says which field), -EOPNOTSUPP for an agent without the "policy"
 * capability, -EBUSY when too many are in flight. */
int vgd_permissions_push(struct vgd_sandbox *s, struct json_object *set, vgd_perm_done_fn done,
                         struct vgl_error *err);

/* A POLICY_ACK frame from s's agent: answers the waits it covers and makes
 * the acknowledged set the one s's events are judged against. */
void vgd_permissions_ack(struct vgd_sandbox *s, const struct vgl_frame *f);

/* The agent refused a POLICY (ERROR with ref_type POLICY): fails the oldest wait. */
void vgd_permissions_refused(struct vgd_sandbox *s, const struct vgl_error_msg *m);

/* Fails every wait of s (the channel is gone) with AgentError why. */
void vgd_permissions_fail(struct vgd_sandbox *s, const char *why);

/* The same for a sandbox being freed: vigild's own pushes are dropped
 * without their done callbacks. */
void vgd_permissions_drop(struct vgd_sandbox *s, const char *why);
