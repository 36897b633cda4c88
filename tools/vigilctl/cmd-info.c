/* vigilctl info ID: one sandbox, as key: value lines (like virsh dominfo). */
#include "vigilctl.h"

static int run_info(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {0};
        struct vgl_ctl_plain_args a;
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_info, vgl_ctl_parse_plain(argc, argv, 1, &a, &err),
                               &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_get(c, a.id, &s, &err) < 0)
                return vgl_ctl_fail(ctl, "info", c, &err);
        if (ctl->json || a.json)
                vgl_ctl_print_json(ctl->out, s.json);
        else
                vgl_ctl_print_info(ctl->out, &s);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_info = {
        .name = "info",
        .summary = "show a sandbox: state, trust, resources, agent",
        .usage = "Usage: vigilctl info [--json] ID\n"
                 "\n"
                 "Shows the sandbox ID as key: value lines (like virsh dominfo): domain,\n"
                 "tier, posture, state, owner, trust, times, resources, the guest agent\n"
                 "and labels.\n"
                 "\n"
                 "  --json    print the Sandbox record as one line of JSON\n",
        .run = run_info,
};
