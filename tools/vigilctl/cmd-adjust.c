/* vigilctl adjust ID: an adjust round now (Adjust); prints the decision
 * once it has been carried out. */
#include "vigilctl.h"

static int run_adjust(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct json_object *decision = NULL, *profile = NULL;
        struct vgl_ctl_plain_args a;
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_adjust,
                               vgl_ctl_parse_plain(argc, argv, 1, &a, &err), &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_adjust(c, a.id, &decision, &profile, &err) < 0)
                return vgl_ctl_fail(ctl, "adjust", c, &err);
        if (ctl->json || a.json) {
                struct json_object *o = json_object_new_object();

                json_object_object_add(o, "decision", json_object_get(decision));
                json_object_object_add(o, "profile", json_object_get(profile));
                vgl_ctl_print_json(ctl->out, o);
                json_object_put(o);
        } else {
                vgl_ctl_print_decision(ctl->out, decision);
                vgl_ctl_print_profile(ctl->out, profile);
        }
        json_object_put(decision);
        json_object_put(profile);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_adjust = {
        .name = "adjust",
        .summary = "run an adjust round of a sandbox now",
        .usage = "Usage: vigilctl adjust [--json] ID\n"
                 "\n"
                 "Runs an adjust round of the sandbox ID now, with the evidence gathered\n"
                 "since its last round, and waits until the decision is carried out\n"
                 "(limits enforced, or the workload hopped). Prints the decision and the\n"
                 "profile after it.\n"
                 "\n"
                 "  --json    print {\"decision\": ..., \"profile\": ...} as one line\n",
        .run = run_adjust,
};
