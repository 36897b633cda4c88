/* vigilctl tiers: the trust tiers and their warm pools. */
#include "vigilctl.h"

static void print_json(struct vgl_ctl *ctl, const struct vgl_client_tier *t, size_t n)
{
        struct json_object *o = json_object_new_object();
        struct json_object *arr = json_object_new_array();

        json_object_object_add(o, "tiers", arr);
        for (size_t i = 0; i < n; i++)
                json_object_array_add(arr, json_object_get(t[i].json));
        vgl_ctl_print_json(ctl->out, o);
        json_object_put(o);
}

static int run_tiers(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_client_tier *t = NULL;
        struct vgl_ctl_plain_args a;
        struct vgl_error err = {0};
        size_t n = 0;
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_tiers,
                               vgl_ctl_parse_plain(argc, argv, 0, &a, &err), &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_list_tiers(c, &t, &n, &err) < 0)
                return vgl_ctl_fail(ctl, "tiers", c, &err);
        if (ctl->json || a.json)
                print_json(ctl, t, n);
        else
                vgl_ctl_print_tiers(ctl->out, t, n);
        vgl_client_tiers_free(t, n);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_tiers = {
        .name = "tiers",
        .summary = "list the trust tiers and their warm pools",
        .usage = "Usage: vigilctl tiers [--json]\n"
                 "\n"
                 "Lists the tiers: NAME, POSTURE, TRUST (the range of desired trust levels\n"
                 "it serves), VCPUS and MEMORY (current/max), QUOTA (CPU), NETWORK,\n"
                 "POOL (ready/target warm VMs) and IMAGE.\n"
                 "\n"
                 "  --json    print {\"tiers\": [Tier...]} as one line of JSON\n",
        .run = run_tiers,
};
