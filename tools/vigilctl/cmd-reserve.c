/* vigilctl reserve --trust LEVEL: a new sandbox for the caller. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

static int add_label(struct vgl_ctl_reserve_args *a, const char *kv, struct vgl_error *err)
{
        const char *eq = strchr(kv, '=');
        char *key;

        if (!eq || eq == kv)
                return vgl_error_set(err, EINVAL, "label must be KEY=VALUE, not '%s'", kv);
        if (a->n_labels == VGL_CTL_MAX_LABELS)
                return vgl_error_set(err, EINVAL, "at most %d labels", VGL_CTL_MAX_LABELS);
        for (size_t i = 0; i < a->n_labels; i++)
                if (strncmp(a->labels[i].key, kv, (size_t)(eq - kv)) == 0 &&
                    a->labels[i].key[eq - kv] == '\0')
                        return vgl_error_set(err, EINVAL, "label '%.*s' given twice",
                                             (int)(eq - kv), kv);
        key = strndup(kv, (size_t)(eq - kv));
        if (!key)
                return vgl_error_set(err, ENOMEM, "out of memory");
        a->labels[a->n_labels++] = (struct vgl_client_label){key, eq + 1};
        return 0;
}

static int reserve_option(struct vgl_ctl_reserve_args *a, int c, char **argv, struct vgl_error *err)
{
        switch (c) {
        case 'J':
                a->json = true;
                return 0;
        case 't':
                a->have_trust = true;
                return vgl_ctl_parse_trust(optarg, &a->trust, err);
        case 'T':
                a->tier = optarg;
                return 0;
        case 'l':
                return vgl_ctl_parse_int(optarg, "ttl", 1, INT32_MAX, &a->ttl_s, err);
        case 'L':
                return add_label(a, optarg, err);
        default:
                return vgl_ctl_bad_option(c, argv, err);
        }
}

int vgl_ctl_parse_reserve(int argc, char **argv, struct vgl_ctl_reserve_args *ret,
                          struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"trust", required_argument, NULL, 't'},
                {"tier", required_argument, NULL, 'T'},
                {"ttl", required_argument, NULL, 'l'},
                {"label", required_argument, NULL, 'L'},
                {},
        };
        struct vgl_ctl_reserve_args a = {0};
        int c, r = 0;

        vgl_ctl_getopt_reset();
        while (r >= 0 && (c = getopt_long(argc, argv, ":h", options, NULL)) != -1)
                r = c == 'h' ? VGL_CTL_HELP : reserve_option(&a, c, argv, err);
        if (r == 0 && optind < argc)
                r = vgl_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
        if (r == 0 && !a.have_trust)
                r = vgl_error_set(err, EINVAL, "--trust LEVEL is required");
        if (r != 0) {
                vgl_ctl_reserve_args_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void vgl_ctl_reserve_args_done(struct vgl_ctl_reserve_args *a)
{
        for (size_t i = 0; i < a->n_labels; i++)
                free((char *)a->labels[i].key);
        a->n_labels = 0;
}

static int reserve(struct vgl_ctl *ctl, const struct vgl_ctl_reserve_args *a)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {0};
        struct vgl_client_reserve_request req = {
                .desired_trust_level = a->trust,
                .tier = a->tier,
                .ttl_s = a->ttl_s,
                .labels = a->labels,
                .n_labels = a->n_labels,
        };
        struct vgl_error err = {0};
        int r = vgl_ctl_connect(ctl, &c);

        if (r)
                return r;
        if (vgl_client_reserve(c, &req, &s, &err) < 0)
                return vgl_ctl_fail(ctl, "reserve", c, &err);
        if (ctl->json || a->json)
                vgl_ctl_print_json(ctl->out, s.json);
        else
                fprintf(ctl->out, "%s\n", s.id);
        return VGL_CTL_EXIT_OK;
}

static int run_reserve(struct vgl_ctl *ctl, int argc, char **argv)
{
        struct vgl_ctl_reserve_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_reserve,
                               vgl_ctl_parse_reserve(argc, argv, &a, &err), &err);

        if (r >= 0)
                return r;
        r = reserve(ctl, &a);
        vgl_ctl_reserve_args_done(&a);
        return r;
}

const struct vgl_ctl_command vgl_ctl_cmd_reserve = {
        .name = "reserve",
        .summary = "reserve a sandbox at a desired trust level",
        .usage = "Usage: vigilctl reserve --trust LEVEL [--tier T] [--ttl S] [--label K=V]...\n"
                 "                        [--json]\n"
                 "\n"
                 "Reserves a sandbox for you and prints its ID.\n"
                 "\n"
                 "  --trust LEVEL   desired trust level, a number in [0, 1]; picks the tier\n"
                 "                  whose trust range holds it\n"
                 "  --tier T        use tier T instead (see vigilctl tiers)\n"
                 "  --ttl S         release it after S seconds (default: the tier's)\n"
                 "  --label K=V     attach a label (repeatable)\n"
                 "  --json          print the whole Sandbox record as JSON\n",
        .run = run_reserve,
};
