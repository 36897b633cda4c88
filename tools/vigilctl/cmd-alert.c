/* vigilctl alert ID --false-alarm: the sandbox's recent behaviour joins the
 * normal corpus (MarkBenign). */
#include <errno.h>
#include <getopt.h>

#include "vigilctl.h"

static int parse_alert(int argc, char **argv, struct vgl_ctl_plain_args *ret, bool *ret_false,
                       struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"false-alarm", no_argument, NULL, 'F'},
                {},
        };
        struct vgl_ctl_plain_args a = {0};
        bool false_alarm = false;
        int c;

        vgl_ctl_getopt_reset();
        while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c == 'J')
                        a.json = true;
                else if (c == 'F')
                        false_alarm = true;
                else
                        return vgl_ctl_bad_option(c, argv, err);
        }
        if (argc - optind != 1)
                return vgl_error_set(err, EINVAL, "expected one sandbox ID");
        if (!false_alarm)
                return vgl_error_set(err, EINVAL, "--false-alarm is required");
        a.id = argv[optind];
        *ret = a;
        *ret_false = false_alarm;
        return 0;
}

static int run_alert(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_plain_args a = {0};
        struct json_object *o = NULL, *v;
        struct vgl_error err = {0};
        bool false_alarm = false;
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_alert,
                               parse_alert(argc, argv, &a, &false_alarm, &err), &err);

        if (r >= 0)
                return r;
        if ((r = vgl_ctl_connect(ctl, &c)))
                return r;
        if (vgl_client_mark_benign(c, a.id, &o, &err) < 0)
                return vgl_ctl_fail(ctl, "alert", c, &err);
        if (ctl->json || a.json)
                vgl_ctl_print_json(ctl->out, o);
        else
                fprintf(ctl->out, "%s: %d traces added to the normal corpus (%s runs)\n", a.id,
                        json_object_object_get_ex(o, "traces", &v) ? json_object_get_int(v) : 0,
                        json_object_object_get_ex(o, "corpus_runs", &v) ? json_object_get_string(v)
                                                                        : "?");
        json_object_put(o);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_alert = {
        .name = "alert",
        .summary = "mark a sandbox's alert as a false alarm",
        .usage = "Usage: vigilctl alert [--json] ID --false-alarm\n"
                 "\n"
                 "Admins: the recent behaviour of sandbox ID (the calls vigild keeps of\n"
                 "its commands) joins the corpus of normal runs, so the next retraining\n"
                 "learns it as normal. Trust is not restored (use profile set).\n"
                 "\n"
                 "  --false-alarm  required: what the alert was\n"
                 "  --json         print {traces, corpus_runs} as one line\n",
        .run = run_alert,
};
