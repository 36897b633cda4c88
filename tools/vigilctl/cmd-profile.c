/* vigilctl profile ID: a sandbox's personality profile (GetProfile);
 * vigilctl profile set ID KEY=VALUE...: an admin's change (UpdateProfile). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

/* VALUE as JSON: integer, number, boolean, or string. */
static struct json_object *value_of(const char *v)
{
        char *end = NULL;
        long long i;
        double d;

        if (!strcmp(v, "true") || !strcmp(v, "false"))
                return json_object_new_boolean(v[0] == 't');
        errno = 0;
        i = strtoll(v, &end, 10);
        if (*v && !*end && !errno)
                return json_object_new_int64(i);
        errno = 0;
        d = strtod(v, &end);
        /* JSON's number grammar only: strtod also takes "0x1p3", " 1", "inf" */
        if (*v && !*end && !errno && isfinite(d) && strspn(v, "0123456789.-+eE") == strlen(v) &&
            (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')))
                return json_object_new_double_s(d, v); /* sent as written */
        return json_object_new_string(v);
}

int vgl_ctl_parse_change(const char *arg, struct json_object *changes, struct vgl_error *err)
{
        const char *eq = strchr(arg, '=');
        char key[128];
        struct json_object *v;

        if (!eq || eq == arg)
                return vgl_error_set(err, EINVAL, "expected KEY=VALUE, not '%s'", arg);
        if ((size_t)(eq - arg) >= sizeof(key))
                return vgl_error_set(err, EINVAL, "key too long in '%s'", arg);
        memcpy(key, arg, (size_t)(eq - arg));
        key[eq - arg] = '\0';
        if (json_object_object_get_ex(changes, key, NULL))
                return vgl_error_set(err, EINVAL, "'%s' given twice", key);
        v = value_of(eq + 1);
        if (!v || json_object_object_add(changes, key, v) < 0) {
                json_object_put(v);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static int parse_set(int argc, char **argv, struct vgl_ctl_profile_args *a, struct vgl_error *err)
{
        int r = 0;

        a->set = true;
        a->id = argv[optind + 1];
        if (argc - optind < 3)
                return vgl_error_set(err, EINVAL, "expected: set ID KEY=VALUE...");
        a->changes = json_object_new_object();
        if (!a->changes)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (int i = optind + 2; r == 0 && i < argc; i++)
                r = vgl_ctl_parse_change(argv[i], a->changes, err);
        return r;
}

int vgl_ctl_parse_profile(int argc, char **argv, struct vgl_ctl_profile_args *ret,
                          struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        struct vgl_ctl_profile_args a = {0};
        int c, r;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c != 'J')
                        return vgl_ctl_bad_option(c, argv, err);
                a.json = true;
        }
        /* "profile set" alone shows the sandbox called "set". */
        if (argc - optind >= 2 && !strcmp(argv[optind], "set")) {
                r = parse_set(argc, argv, &a, err);
                if (r < 0) {
                        vgl_ctl_profile_args_done(&a);
                        return r;
                }
        } else if (argc - optind == 1) {
                a.id = argv[optind];
        } else {
                return vgl_error_set(err, EINVAL, "expected one sandbox ID");
        }
        *ret = a;
        return 0;
}

void vgl_ctl_profile_args_done(struct vgl_ctl_profile_args *a)
{
        json_object_put(a->changes);
        a->changes = NULL;
}

static int run_profile(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_profile_args a = {0};
        struct json_object *profile = NULL;
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_profile,
                               vgl_ctl_parse_profile(argc, argv, &a, &err), &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r == 0 && (a.set ? vgl_client_update_profile(c, a.id, a.changes, &profile, &err)
                             : vgl_client_get_profile(c, a.id, &profile, &err)) < 0)
                r = vgl_ctl_fail(ctl, a.set ? "profile set" : "profile", c, &err);
        if (r == 0 && (ctl->json || a.json))
                vgl_ctl_print_json(ctl->out, profile);
        else if (r == 0)
                vgl_ctl_print_profile(ctl->out, profile);
        json_object_put(profile);
        vgl_ctl_profile_args_done(&a);
        return r;
}

const struct vgl_ctl_command vgl_ctl_cmd_profile = {
        .name = "profile",
        .summary = "show a sandbox's profile, or change it (admins)",
        .usage = "Usage: vigilctl profile [--json] ID\n"
                 "       vigilctl profile [--json] set ID KEY=VALUE...\n"
                 "\n"
                 "Shows the personality profile of the sandbox ID: tier, posture, trust\n"
                 "(desired level, ceiling, achieved), the limits in force, the outcome of\n"
                 "each enforcement action as libvirt read it back, the behavioural\n"
                 "signature and the history of adjustments.\n"
                 "\n"
                 "With set (admins only), changes the profile, all or nothing, and waits\n"
                 "until the result is enforced. Keys: trust_score, desired_trust_level,\n"
                 "ceiling, tier, limits.vcpus, limits.cpu_quota_percent, limits.memory_mib,\n"
                 "limits.net_in_kbps, limits.net_out_kbps, limits.disk_iops,\n"
                 "limits.disk_bytes_per_s. Example: vigilctl profile set ID tier=high\n"
                 "\n"
                 "  --json    print the profile as one line of JSON\n",
        .run = run_profile,
};
