/* The parser shared by verbs with no options of their own: list, tiers
 * (no arguments) and release, info (one sandbox ID). */
#include <errno.h>
#include <getopt.h>

#include "vigilctl.h"

int vgl_ctl_parse_plain(int argc, char **argv, int n_ids, struct vgl_ctl_plain_args *ret,
                        struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {},
        };
        struct vgl_ctl_plain_args a = {0};
        int c;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c == 'J')
                        a.json = true;
                else
                        return vgl_ctl_bad_option(c, argv, err);
        }
        if (argc - optind != n_ids)
                return vgl_error_set(err, EINVAL,
                                     n_ids ? "expected one sandbox ID" : "unexpected argument '%s'",
                                     argv[optind < argc ? optind : 0]);
        if (n_ids)
                a.id = argv[optind];
        *ret = a;
        return 0;
}
