/* vigilctl list: the caller's sandboxes (all of them for root). */
#include "vigilctl.h"

static int run_list(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_client_sandbox *s = NULL;
        struct vgl_ctl_plain_args a;
        struct vgl_error err = {0};
        size_t n = 0;
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_list, vgl_ctl_parse_plain(argc, argv, 0, &a, &err),
                               &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_list(c, &s, &n, &err) < 0)
                return vgl_ctl_fail(ctl, "list", c, &err);
        if (ctl->json || a.json) {
                struct json_object *o = json_object_new_object();
                struct json_object *arr = json_object_new_array();

                json_object_object_add(o, "sandboxes", arr);
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(arr, json_object_get(s[i].json));
                vgl_ctl_print_json(ctl->out, o);
                json_object_put(o);
        } else {
                vgl_ctl_print_sandboxes(ctl->out, s, n);
        }
        vgl_client_sandboxes_free(s, n);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_list = {
        .name = "list",
        .summary = "list sandboxes",
        .usage = "Usage: vigilctl list [--json]\n"
                 "\n"
                 "Lists your sandboxes (every sandbox when run as root): ID, TIER, STATE,\n"
                 "TRUST (trust score), OWNER (uid) and EXPIRES.\n"
                 "\n"
                 "  --json    print {\"sandboxes\": [Sandbox...]} as one line of JSON\n",
        .run = run_list,
};
