/* POLICY: pushing a permission set to the agent. Its POLICY_ACK comes back
 * through on_other_frame (the caller matches the generation). */
#include "agent-policy.h"
#include "agent-priv.h"

#include <errno.h>

int vgl_agent_send_policy(struct vgl_agent *a, const struct vgl_policy *p, struct vgl_error *err)
{
        size_t before;
        int r;

        if (a->state != VGL_AGENT_READY)
                return vgl_error_set(err, ENOTCONN, "agent not connected");
        if (!(a->hello.caps & VGL_CAP_POLICY))
                return vgl_error_set(err, EOPNOTSUPP, "the agent does not take permission sets");
        before = vgl_agent_output_pending(a);
        r = vgl_msg_policy_append(&a->out, p);
        if (r == -EINVAL)
                return vgl_error_set(err, EINVAL, "permission set refused by the encoder");
        if (r < 0)
                return vgl_error_set(err, -r, "cannot queue the permission set");
        vgl_agent_output_kick(a, before);
        return 0;
}
