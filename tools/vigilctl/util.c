/* Helpers every verb uses: option errors, numbers, connecting, reporting. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vigilctl.h"

void vgl_ctl_getopt_reset(void)
{
        optind = 0; /* 0, not 1: makes GNU getopt reinitialise */
        opterr = 0;
}

int vgl_ctl_bad_option(int c, char **argv, struct vgl_error *err)
{
        const char *arg = optind > 0 ? argv[optind - 1] : "?";

        if (c == ':')
                return vgl_error_set(err, EINVAL, "option '%s' needs a value", arg);
        if (optopt && optopt != '?')
                return vgl_error_set(err, EINVAL, "unknown option '-%c'", optopt);
        return vgl_error_set(err, EINVAL, "unknown option '%s'", arg);
}

int vgl_ctl_parse_int(const char *s, const char *what, int64_t min, int64_t max, int64_t *ret,
                      struct vgl_error *err)
{
        char *end = NULL;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (!*s || *end || errno || v < min || v > max)
                return vgl_error_set(err, EINVAL,
                                     "%s must be an integer in [%" PRId64 ", %" PRId64
                                     "], not '%s'",
                                     what, min, max, s);
        *ret = v;
        return 0;
}

int vgl_ctl_parse_trust(const char *s, double *ret, struct vgl_error *err)
{
        char *end = NULL;
        double v;

        errno = 0;
        v = strtod(s, &end);
        if (!*s || *end || errno || !isfinite(v) || v < 0.0 || v > 1.0)
                return vgl_error_set(err, EINVAL,
                                     "trust level must be a number in [0, 1], not '%s'", s);
        *ret = v;
        return 0;
}

int vgl_ctl_parsed(struct vgl_ctl *ctl, const struct vgl_ctl_command *cmd, int r,
                   const struct vgl_error *err)
{
        if (r == VGL_CTL_HELP) {
                fputs(cmd->usage, ctl->out);
                return VGL_CTL_EXIT_OK;
        }
        if (r < 0) {
                fprintf(ctl->err, "vigilctl %s: %s\nTry 'vigilctl %s --help'.\n", cmd->name,
                        err->msg, cmd->name);
                return VGL_CTL_EXIT_USAGE;
        }
        return -1;
}

int vgl_ctl_connect(struct vgl_ctl *ctl, struct vgl_client **ret)
{
        struct vgl_error err = {0};

        if (vgl_client_connect(ctl->socket, ret, &err) < 0) {
                fprintf(ctl->err, "vigilctl: cannot connect to vigild: %s\n", err.msg);
                return VGL_CTL_EXIT_CONNECT;
        }
        return 0;
}

static bool connection_lost(int code)
{
        return code == ECONNRESET || code == EPIPE || code == ENOTCONN || code == ETIMEDOUT;
}

int vgl_ctl_fail(struct vgl_ctl *ctl, const char *verb, struct vgl_client *c,
                 const struct vgl_error *err)
{
        const char *name = c ? vgl_client_error_name(c) : NULL;

        if (name) {
                fprintf(ctl->err, "vigilctl %s: %s [%s]\n", verb, err->msg, name);
                return VGL_CTL_EXIT_ERROR;
        }
        fprintf(ctl->err, "vigilctl %s: %s\n", verb, err->msg);
        return c && connection_lost(err->code) ? VGL_CTL_EXIT_CONNECT : VGL_CTL_EXIT_ERROR;
}

void vgl_ctl_print_json(FILE *f, struct json_object *o)
{
        fprintf(f, "%s\n",
                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(f);
}
