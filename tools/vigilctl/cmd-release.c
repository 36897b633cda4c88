/* vigilctl release ID: destroys the sandbox's VM. */
#include "vigilctl.h"

static int run_release(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_plain_args a;
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_release,
                               vgl_ctl_parse_plain(argc, argv, 1, &a, &err), &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_release(c, a.id, &err) < 0)
                return vgl_ctl_fail(ctl, "release", c, &err);
        if (ctl->json || a.json) {
                struct json_object *o = json_object_new_object();

                json_object_object_add(o, "id", json_object_new_string(a.id));
                json_object_object_add(o, "state", json_object_new_string("released"));
                vgl_ctl_print_json(ctl->out, o);
                json_object_put(o);
        } else {
                fprintf(ctl->out, "Sandbox %s released\n", a.id);
        }
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_release = {
        .name = "release",
        .summary = "release a sandbox (its VM is destroyed)",
        .usage = "Usage: vigilctl release [--json] ID\n"
                 "\n"
                 "Releases the sandbox ID: vigild destroys its VM; it is never reused.\n"
                 "\n"
                 "  --json    print {\"id\": ID, \"state\": \"released\"}\n",
        .run = run_release,
};
