/* Pushing a permission set (common/proto-policy.h) to the agent.
 *
 * A header of its own: common's struct vgl_policy (the permission set) and
 * manager/policy.h's struct vgl_policy (the tier set) share a tag, so no
 * file may include both. vigild's modules use behaviour-permset.h, which
 * keeps the permission set opaque. */
#pragma once

#include "agent.h"
#include "proto-policy.h"

/* Sends POLICY with the permission set p (its generation is what the
 * agent's POLICY_ACK, delivered through on_other_frame, will echo).
 * -ENOTCONN before the handshake, -EOPNOTSUPP when the agent did not
 * announce the "policy" capability, -EINVAL for a set the encoder refuses,
 * -ENOBUFS when the send queue is full. */
int vgl_agent_send_policy(struct vgl_agent *a, const struct vgl_policy *p, struct vgl_error *err);
