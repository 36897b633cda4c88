/* vigilctl version: this program's version and vigild's. */
#include <errno.h>
#include <getopt.h>

#include "vigil-config.h"
#include "vigilctl.h"

int vgl_ctl_parse_version(int argc, char **argv, struct vgl_ctl_version_args *ret,
                          struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"client", no_argument, NULL, 'C'},
                {},
        };
        struct vgl_ctl_version_args a = {0};
        int c;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c == 'J')
                        a.json = true;
                else if (c == 'C')
                        a.client_only = true;
                else
                        return vgl_ctl_bad_option(c, argv, err);
        }
        if (optind < argc)
                return vgl_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
        *ret = a;
        return 0;
}

static void print_json(struct vgl_ctl *ctl, const struct vgl_client_info *info)
{
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "vigilctl", json_object_new_string(VIGIL_VERSION));
        if (info) {
                struct json_object *d = json_object_new_object();

                json_object_object_add(d, "vendor", json_object_new_string(info->vendor));
                json_object_object_add(d, "product", json_object_new_string(info->product));
                json_object_object_add(d, "version", json_object_new_string(info->version));
                json_object_object_add(d, "url", json_object_new_string(info->url));
                json_object_object_add(o, "vigild", d);
        }
        vgl_ctl_print_json(ctl->out, o);
        json_object_put(o);
}

static int run_version(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_version_args a = {0};
        struct vgl_client_info info = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_version,
                               vgl_ctl_parse_version(argc, argv, &a, &err), &err);
        bool json = ctl->json || a.json;

        if (r >= 0)
                return r;
        if (!json)
                fprintf(ctl->out, "vigilctl %s\n", VIGIL_VERSION);
        if (a.client_only) {
                if (json)
                        print_json(ctl, NULL);
                return VGL_CTL_EXIT_OK;
        }
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_get_info(c, &info, &err) < 0)
                return vgl_ctl_fail(ctl, "version", c, &err);
        if (json)
                print_json(ctl, &info);
        else
                fprintf(ctl->out, "%s %s\n", info.product, info.version);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_version = {
        .name = "version",
        .summary = "show the versions of vigilctl and vigild",
        .usage = "Usage: vigilctl version [--client] [--json]\n"
                 "\n"
                 "Prints vigilctl's version, then asks vigild for its own\n"
                 "(org.varlink.service.GetInfo).\n"
                 "\n"
                 "  --client   only vigilctl's version; do not connect\n"
                 "  --json     print {\"vigilctl\": V, \"vigild\": {vendor, product, version, "
                 "url}}\n",
        .run = run_version,
};
