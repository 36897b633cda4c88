/* vigilctl events [--follow] [ID]: sandbox events from vigild (Subscribe).
 * Like `virsh event`: without --follow, the first event; with it, every
 * event until vigild ends the stream, --timeout passes, or vigilctl is
 * interrupted. */
#include <errno.h>
#include <getopt.h>
#include <time.h>

#include "vigilctl.h"

static int events_option(struct vgl_ctl_events_args *a, int c, char **argv, struct vgl_error *err)
{
        switch (c) {
        case 'J':
                a->json = true;
                return 0;
        case 'f':
                a->follow = true;
                return 0;
        case 't':
                return vgl_ctl_parse_int(optarg, "timeout", 1, INT32_MAX / 1000, &a->timeout_s,
                                         err);
        default:
                return vgl_ctl_bad_option(c, argv, err);
        }
}

int vgl_ctl_parse_events(int argc, char **argv, struct vgl_ctl_events_args *ret,
                         struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"follow", no_argument, NULL, 'f'},
                {"timeout", required_argument, NULL, 't'},
                {},
        };
        struct vgl_ctl_events_args a = {0};
        int c, r = 0;

        vgl_ctl_getopt_reset();
        while (r == 0 && (c = getopt_long(argc, argv, ":hf", options, NULL)) != -1)
                r = c == 'h' ? VGL_CTL_HELP : events_option(&a, c, argv, err);
        if (r != 0)
                return r;
        if (argc - optind > 1)
                return vgl_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind + 1]);
        a.id = optind < argc ? argv[optind] : NULL;
        *ret = a;
        return 0;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints events as they come. Returns 0 at the end, a negative errno else. */
static int event_loop(struct vgl_ctl *ctl, struct vgl_client *c,
                      const struct vgl_ctl_events_args *a, struct vgl_error *err)
{
        int64_t deadline = a->timeout_s ? now_ms() + a->timeout_s * 1000 : 0;

        for (;;) {
                struct vgl_client_event e = {0};
                int r;

                if (deadline) {
                        int64_t left = deadline - now_ms();
                        vgl_client_set_timeout(c, left > 0 ? (int)left : 0);
                }
                r = vgl_client_next_event(c, &e, err);
                if (r == -ETIMEDOUT && deadline)
                        return 0;
                if (r <= 0)
                        return r;
                if (ctl->json || a->json)
                        vgl_ctl_print_json(ctl->out, e.json);
                else
                        vgl_ctl_print_event(ctl->out, &e);
                vgl_client_event_done(&e);
                if (!a->follow)
                        return 0;
        }
}

static int run_events(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_events_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_events, vgl_ctl_parse_events(argc, argv, &a, &err),
                               &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        if (vgl_client_subscribe(c, a.id, &err) < 0 || event_loop(ctl, c, &a, &err) < 0)
                return vgl_ctl_fail(ctl, "events", c, &err);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_events = {
        .name = "events",
        .summary = "wait for sandbox events",
        .usage = "Usage: vigilctl events [--follow] [--timeout S] [--json] [ID]\n"
                 "\n"
                 "Waits for events of the sandbox ID (or of every sandbox you may see) and\n"
                 "prints them: time, sandbox, kind, message. Like virsh event: without\n"
                 "--follow, prints the first event and exits.\n"
                 "\n"
                 "  -f, --follow    keep printing events until vigild ends the stream\n"
                 "  --timeout S     stop after S seconds (exit status 0)\n"
                 "  --json          print each Event as one line of JSON\n",
        .run = run_events,
};
