/* vigilctl hop ID --tier T: moves a running workload into another tier's
 * template (Hop, admins only). */
#include <errno.h>
#include <getopt.h>

#include "vigilctl.h"

int vgl_ctl_parse_hop(int argc, char **argv, struct vgl_ctl_hop_args *ret, struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"tier", required_argument, NULL, 't'},
                {},
        };
        struct vgl_ctl_hop_args a = {0};
        int c;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":ht:", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c == 'J')
                        a.json = true;
                else if (c == 't')
                        a.tier = optarg;
                else
                        return vgl_ctl_bad_option(c, argv, err);
        }
        if (argc - optind != 1)
                return vgl_error_set(err, EINVAL, "expected one sandbox ID");
        if (!a.tier || !a.tier[0])
                return vgl_error_set(err, EINVAL, "--tier is required");
        a.id = argv[optind];
        *ret = a;
        return 0;
}

static int run_hop(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct json_object *hop = NULL, *profile = NULL;
        struct vgl_ctl_hop_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_hop, vgl_ctl_parse_hop(argc, argv, &a, &err),
                               &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_hop(c, a.id, a.tier, &profile, &hop, &err) < 0)
                return vgl_ctl_fail(ctl, "hop", c, &err);
        if (ctl->json || a.json) {
                struct json_object *o = json_object_new_object();

                json_object_object_add(o, "hop", json_object_get(hop));
                json_object_object_add(o, "profile", json_object_get(profile));
                vgl_ctl_print_json(ctl->out, o);
                json_object_put(o);
        } else {
                vgl_ctl_print_hop(ctl->out, hop);
        }
        json_object_put(hop);
        json_object_put(profile);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_hop = {
        .name = "hop",
        .summary = "move a running sandbox into another tier (admins)",
        .usage = "Usage: vigilctl hop [--json] ID --tier TIER\n"
                 "\n"
                 "Moves the running workload of the sandbox ID into the template of TIER:\n"
                 "its VM is saved and restored with the tier's settings, so its processes\n"
                 "keep running. Waits until the agent is back, then prints how long each\n"
                 "step took. A failed hop leaves the sandbox where it was (exit status 1).\n"
                 "\n"
                 "  -t, --tier TIER  the tier to move into\n"
                 "  --json           print {\"hop\": ..., \"profile\": ...} as one line\n",
        .run = run_hop,
};
