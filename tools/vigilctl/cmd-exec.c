/* vigilctl exec ID [options] -- CMD ARGS...: runs a command in a sandbox,
 * streams its output, and exits with its status. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigilctl.h"

static int add_env(struct vgl_ctl_exec_args *a, const char *kv, struct vgl_error *err)
{
        const char *eq = strchr(kv, '=');

        if (!eq || eq == kv)
                return vgl_error_set(err, EINVAL, "--env must be KEY=VALUE, not '%s'", kv);
        if (a->n_env == VGL_CTL_MAX_ENV)
                return vgl_error_set(err, EINVAL, "at most %d --env", VGL_CTL_MAX_ENV);
        a->env[a->n_env++] = kv;
        return 0;
}

static int exec_option(struct vgl_ctl_exec_args *a, int c, char **argv, struct vgl_error *err)
{
        switch (c) {
        case 'J':
                a->json = true;
                return 0;
        case 'n':
                a->no_stdin = true;
                return 0;
        case 't':
                return vgl_ctl_parse_int(optarg, "timeout", 1, UINT32_MAX, &a->timeout_ms, err);
        case 'C':
                a->cwd = optarg;
                return 0;
        case 'e':
                return add_env(a, optarg, err);
        case 'u':
                return vgl_ctl_parse_int(optarg, "uid", 0, UINT32_MAX - 1, &a->uid, err);
        case 's':
                if (strcmp(optarg, "default") && strcmp(optarg, "trace") &&
                    strcmp(optarg, "critical") && strcmp(optarg, "off"))
                        return vgl_error_set(
                                err, EINVAL,
                                "--supervise: default, trace, critical or off, not '%s'", optarg);
                a->supervise = optarg;
                return 0;
        default:
                return vgl_ctl_bad_option(c, argv, err);
        }
}

/* Where "--" is, or argc. */
static int find_dashdash(int argc, char **argv)
{
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], "--") == 0)
                        return i;
        return argc;
}

int vgl_ctl_parse_exec(int argc, char **argv, struct vgl_ctl_exec_args *ret, struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"timeout", required_argument, NULL, 't'},
                {"cwd", required_argument, NULL, 'C'},
                {"env", required_argument, NULL, 'e'},
                {"uid", required_argument, NULL, 'u'},
                {"no-stdin", no_argument, NULL, 'n'},
                {"supervise", required_argument, NULL, 's'},
                {},
        };
        struct vgl_ctl_exec_args a = {.uid = -1};
        int dd = find_dashdash(argc, argv), c, r = 0;

        vgl_ctl_getopt_reset();
        while (r == 0 && (c = getopt_long(dd, argv, ":hn", options, NULL)) != -1)
                r = c == 'h' ? VGL_CTL_HELP : exec_option(&a, c, argv, err);
        if (r != 0)
                return r;
        if (optind >= dd)
                return vgl_error_set(err, EINVAL, "expected a sandbox ID");
        a.id = argv[optind];
        /* Without "--", the words after the ID (no options among them) are
         * the command; with it, only what follows it. */
        a.cmd = dd == argc ? argv + optind + 1 : argv + dd + 1;
        if (dd < argc && dd - optind > 1)
                return vgl_error_set(err, EINVAL, "put the whole command after '--' (at '%s')",
                                     argv[optind + 1]);
        if (!a.cmd[0])
                return vgl_error_set(err, EINVAL, "expected a command after '--'");
        *ret = a;
        return 0;
}

struct exec_out {
        struct vgl_ctl *ctl;
};

static int on_output(void *userdata, enum vgl_client_stream stream, const uint8_t *data, size_t len)
{
        struct exec_out *o = userdata;
        FILE *f = stream == VGL_CLIENT_STDERR ? o->ctl->err : o->ctl->out;

        if (fwrite(data, 1, len, f) != len || fflush(f) != 0)
                return errno ? -errno : -EIO;
        return 0;
}

static int on_reply(void *userdata, struct json_object *parameters)
{
        struct exec_out *o = userdata;

        vgl_ctl_print_json(o->ctl->out, parameters);
        return 0;
}

/* Reads all of stdin (when it is not a terminal) up to the inline limit. */
static int read_stdin(struct vgl_ctl *ctl, const struct vgl_ctl_exec_args *a, char **ret,
                      size_t *ret_len, struct vgl_error *err)
{
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int fd = fileno(ctl->in);

        if (a->no_stdin || (fd >= 0 && isatty(fd)))
                return 0;
        buf = malloc(VGL_CLIENT_MAX_INLINE + 1);
        if (!buf)
                return vgl_error_set(err, ENOMEM, "out of memory");
        len = fread(buf, 1, VGL_CLIENT_MAX_INLINE + 1, ctl->in);
        if (ferror(ctl->in))
                return vgl_error_set(err, EIO, "reading stdin failed");
        if (len > VGL_CLIENT_MAX_INLINE)
                return vgl_error_set(err, EFBIG,
                                     "stdin is larger than %zu bytes (use vigilctl cp, or -n)",
                                     VGL_CLIENT_MAX_INLINE);
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* The exit status vigilctl passes on. */
static int exit_status(struct vgl_ctl *ctl, const struct vgl_client_exec_exit *x)
{
        switch (x->kind) {
        case VGL_CLIENT_EXITED:
                return (int)(x->code & 0xff);
        case VGL_CLIENT_SIGNALED:
                return VGL_CTL_EXIT_SIGNAL_BASE + (int)(x->code & 0x7f);
        case VGL_CLIENT_TIMEOUT:
                fprintf(ctl->err, "vigilctl exec: timed out after %lld ms\n",
                        (long long)x->duration_ms);
                return VGL_CTL_EXIT_TIMEOUT;
        case VGL_CLIENT_FAILED:
                fprintf(ctl->err, "vigilctl exec: the command could not be started\n");
                return VGL_CTL_EXIT_NOT_STARTED;
        default:
                fprintf(ctl->err, "vigilctl exec: unknown exit status '%s'\n", x->status);
                return VGL_CTL_EXIT_ERROR;
        }
}

static int exec_run(struct vgl_ctl *ctl, struct vgl_ctl_exec_args *a)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_free_ char *in = NULL;
        struct vgl_client_exec_request req = {
                .argv = (const char *const *)a->cmd,
                .env = a->n_env ? a->env : NULL,
                .cwd = a->cwd,
                .uid = a->uid,
                .timeout_ms = a->timeout_ms,
                .supervise = a->supervise,
        };
        struct vgl_client_exec_ops ops = {.on_output = on_output};
        struct exec_out o = {ctl};
        struct vgl_client_exec_exit x = {0};
        struct vgl_error err = {0};
        int r;

        if (read_stdin(ctl, a, &in, &req.stdin_len, &err) < 0)
                return vgl_ctl_fail(ctl, "exec", NULL, &err);
        req.stdin_data = in;
        if (ctl->json || a->json)
                ops = (struct vgl_client_exec_ops){.on_reply = on_reply};
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_exec(c, a->id, &req, &ops, &o, &x, &err) < 0)
                return vgl_ctl_fail(ctl, "exec", c, &err);
        return exit_status(ctl, &x);
}

static int run_exec(struct vgl_ctl *ctl, int argc, char **argv)
{
        struct vgl_ctl_exec_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_exec, vgl_ctl_parse_exec(argc, argv, &a, &err),
                               &err);

        return r >= 0 ? r : exec_run(ctl, &a);
}

const struct vgl_ctl_command vgl_ctl_cmd_exec = {
        .name = "exec",
        .summary = "run a command in a sandbox, streaming its output",
        .usage = "Usage: vigilctl exec ID [--timeout MS] [--cwd DIR] [--env K=V]... [--uid N]\n"
                 "                     [--supervise MODE] [-n|--no-stdin] [--json] -- CMD "
                 "[ARGS...]\n"
                 "\n"
                 "Runs CMD in the sandbox ID. Its stdout and stderr are copied to vigilctl's\n"
                 "as they arrive. When vigilctl's stdin is not a terminal it is read to the\n"
                 "end first and passed to the command (at most 760 KiB; -n: none).\n"
                 "\n"
                 "  --timeout MS    kill the command after MS milliseconds\n"
                 "  --cwd DIR       working directory in the sandbox\n"
                 "  --env K=V       environment variable (repeatable; replaces the default\n"
                 "                  environment)\n"
                 "  --uid N         run as uid N\n"
                 "  --supervise M   trace (every system call reported), critical (critical\n"
                 "                  calls only), off (unsupervised, if the sandbox's\n"
                 "                  permission set allows it) or default\n"
                 "  --json          print each reply as one line of JSON\n"
                 "                  ({\"stream\", \"data_b64\"} ... {\"exit\"})\n"
                 "\n"
                 "Exit status: the command's; 128+N if it was killed by signal N; 124 if it\n"
                 "ran past --timeout; 125 if it could not be started; 1, 2, 3 as for every\n"
                 "verb (see vigilctl --help) when it did not run.\n",
        .run = run_exec,
};
