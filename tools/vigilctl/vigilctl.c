/* vigilctl: the admin CLI of vigil. Global options, then a verb dispatched
 * through commands[]; each verb is one cmd-<verb>.c file. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cleanup.h"
#include "vigil-config.h"
#include "vigilctl.h"

static const struct vgl_ctl_command *const commands[] = {
        &vgl_ctl_cmd_list,  &vgl_ctl_cmd_info,    &vgl_ctl_cmd_reserve, &vgl_ctl_cmd_exec,
        &vgl_ctl_cmd_cp,    &vgl_ctl_cmd_release, &vgl_ctl_cmd_profile, &vgl_ctl_cmd_adjust,
        &vgl_ctl_cmd_hop,   &vgl_ctl_cmd_events,  &vgl_ctl_cmd_audit,   &vgl_ctl_cmd_tiers,
        &vgl_ctl_cmd_model, &vgl_ctl_cmd_alert,   &vgl_ctl_cmd_version,
};

static void usage(FILE *f)
{
        fputs("Usage: vigilctl [-c|--connect SOCKET] [--json] VERB [ARGS...]\n"
              "       vigilctl VERB --help\n"
              "\n"
              "Manages vigil sandboxes through vigild's socket API.\n"
              "\n"
              "Options:\n"
              "  -c, --connect SOCKET  vigild's socket (default: $" VGL_CLIENT_SOCKET_ENV
              ", else " VGL_CLIENT_DEFAULT_SOCKET ",\n"
              "                        else, when only it exists and you are not root,\n"
              "                        $XDG_RUNTIME_DIR/vigil/vigild.sock)\n"
              "      --json            machine-readable output: one JSON object (one per\n"
              "                        line for exec and events)\n"
              "  -h, --help            this help\n"
              "  -V, --version         vigilctl's version\n"
              "\n"
              "Verbs:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
        fputs("\n"
              "Exit status:\n"
              "  0    success\n"
              "  1    vigild reported an error (the message names it), or the operation\n"
              "       failed\n"
              "  2    usage error\n"
              "  3    cannot connect to vigild, or the connection broke\n"
              "  exec passes on the command's status: 128+N when killed by signal N,\n"
              "  124 when it ran past --timeout, 125 when it could not be started.\n",
              f);
}

static const struct vgl_ctl_command *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i]->name, name) == 0)
                        return commands[i];
        return NULL;
}

/* `vigilctl help [VERB]` */
static int help(struct vgl_ctl *ctl, int argc, char **argv)
{
        const struct vgl_ctl_command *cmd = argc > 1 ? find_command(argv[1]) : NULL;

        if (argc > 1 && !cmd) {
                fprintf(ctl->err, "vigilctl: unknown verb '%s'\n", argv[1]);
                return VGL_CTL_EXIT_USAGE;
        }
        if (cmd)
                fputs(cmd->usage, ctl->out);
        else
                usage(ctl->out);
        return VGL_CTL_EXIT_OK;
}

/* Parses the global options; returns -1 to go on to the verb at optind. */
static int global_options(struct vgl_ctl *ctl, int argc, char **argv)
{
        static const struct option options[] = {
                {"connect", required_argument, NULL, 'c'},
                {"json", no_argument, NULL, 'J'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        struct vgl_error err = {0};
        int c;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, "+:c:hV", options, NULL)) != -1) {
                switch (c) {
                case 'c':
                        ctl->socket = optarg;
                        break;
                case 'J':
                        ctl->json = true;
                        break;
                case 'h':
                        usage(ctl->out);
                        return VGL_CTL_EXIT_OK;
                case 'V':
                        fprintf(ctl->out, "vigilctl %s\n", VIGIL_VERSION);
                        return VGL_CTL_EXIT_OK;
                default:
                        vgl_ctl_bad_option(c, argv, &err);
                        fprintf(ctl->err, "vigilctl: %s\nTry 'vigilctl --help'.\n", err.msg);
                        return VGL_CTL_EXIT_USAGE;
                }
        }
        return -1;
}

int vgl_ctl_main(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
        struct vgl_ctl ctl = {.in = in, .out = out, .err = err};
        const struct vgl_ctl_command *cmd;
        int r = global_options(&ctl, argc, argv);

        if (r >= 0)
                return r;
        if (optind >= argc) {
                usage(err);
                return VGL_CTL_EXIT_USAGE;
        }
        argc -= optind;
        argv += optind;
        if (strcmp(argv[0], "help") == 0)
                return help(&ctl, argc, argv);
        cmd = find_command(argv[0]);
        if (!cmd) {
                fprintf(err, "vigilctl: unknown verb '%s'\nTry 'vigilctl --help'.\n", argv[0]);
                return VGL_CTL_EXIT_USAGE;
        }
        return cmd->run(&ctl, argc, argv);
}
