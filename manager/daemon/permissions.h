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

/* A POLICY_ACK frame from s's agent: answers the waits it covers and makes
 * the acknowledged set the one s's events are judged against. */
void vgd_permissions_ack(struct vgd_sandbox *s, const struct vgl_frame *f);

/* The agent refused a POLICY (ERROR with ref_type POLICY): fails the oldest wait. */
void vgd_permissions_refused(struct vgd_sandbox *s, const struct vgl_error_msg *m);

/* Fails every wait of s (the channel is gone) with AgentError why. */
void vgd_permissions_fail(struct vgd_sandbox *s, const char *why);
