/* vigilctl audit [--follow] [--since N]: the audit trail (Audit);
 * vigilctl audit verify: checks its hash chain (AuditVerify). Admins only. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "vigilctl.h"

int vgl_ctl_parse_audit(int argc, char **argv, struct vgl_ctl_audit_args *ret,
                        struct vgl_error *err)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"json", no_argument, NULL, 'J'},
                {"follow", no_argument, NULL, 'f'},
                {"since", required_argument, NULL, 's'},
                {},
        };
        struct vgl_ctl_audit_args a = {0};
        int c, r = 0;

        vgl_ctl_getopt_reset();
        while (r == 0 && (c = getopt_long(argc, argv, ":hf", options, NULL)) != -1) {
                if (c == 'h')
                        return VGL_CTL_HELP;
                if (c == 'J')
                        a.json = true;
                else if (c == 'f')
                        a.follow = true;
                else if (c == 's')
                        r = vgl_ctl_parse_int(optarg, "since", 1, INT64_MAX / 2, &a.since, err);
                else
                        r = vgl_ctl_bad_option(c, argv, err);
        }
        if (r != 0)
                return r;
        if (argc - optind == 1 && !strcmp(argv[optind], "verify"))
                a.verify = true;
        else if (argc - optind > 0)
                return vgl_error_set(err, EINVAL, "unexpected argument '%s'", argv[optind]);
        if (a.verify && (a.follow || a.since))
                return vgl_error_set(err, EINVAL, "verify takes no --follow or --since");
        *ret = a;
        return 0;
}

static int verify(struct vgl_ctl *ctl, struct vgl_client *c, bool json)
{
        struct vgl_client_audit_verdict v;
        struct vgl_error err = {0};

        if (vgl_client_audit_verify(c, &v, &err) < 0)
                return vgl_ctl_fail(ctl, "audit verify", c, &err);
        if (json) {
                struct json_object *o = json_object_new_object();

                json_object_object_add(o, "ok", json_object_new_boolean(v.ok));
                json_object_object_add(o, "records", json_object_new_int64(v.records));
                json_object_object_add(o, "torn_bytes", json_object_new_int64(v.torn_bytes));
                if (!v.ok) {
                        json_object_object_add(o, "line", json_object_new_int64(v.line));
                        json_object_object_add(o, "seq", json_object_new_int64(v.seq));
                        json_object_object_add(o, "reason", json_object_new_string(v.reason));
                }
                vgl_ctl_print_json(ctl->out, o);
                json_object_put(o);
        } else if (v.ok) {
                fprintf(ctl->out, "audit trail intact: %lld records\n", (long long)v.records);
        } else {
                fprintf(ctl->out,
                        "audit trail BROKEN at line %lld (seq %lld): %s\n"
                        "%lld intact records before it\n",
                        (long long)v.line, (long long)v.seq, v.reason, (long long)v.records);
        }
        return v.ok ? VGL_CTL_EXIT_OK : VGL_CTL_EXIT_ERROR;
}

static int list(struct vgl_ctl *ctl, struct vgl_client *c, const struct vgl_ctl_audit_args *a,
                bool json)
{
        struct vgl_error err = {0};
        int r;

        if (vgl_client_audit(c, a->since, a->follow, &err) < 0)
                return vgl_ctl_fail(ctl, "audit", c, &err);
        for (;;) {
                struct json_object *rec = NULL;

                r = vgl_client_next_audit_record(c, &rec, &err);
                if (r < 0)
                        return vgl_ctl_fail(ctl, "audit", c, &err);
                if (r == 0)
                        return VGL_CTL_EXIT_OK;
                if (json)
                        vgl_ctl_print_json(ctl->out, rec);
                else
                        vgl_ctl_print_audit_record(ctl->out, rec);
                json_object_put(rec);
        }
}

static int run_audit(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_audit_args a = {0};
        struct vgl_error err = {0};
        int r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_audit, vgl_ctl_parse_audit(argc, argv, &a, &err),
                               &err);

        if (r >= 0)
                return r;
        r = vgl_ctl_connect(ctl, &c);
        if (r)
                return r;
        return a.verify ? verify(ctl, c, ctl->json || a.json)
                        : list(ctl, c, &a, ctl->json || a.json);
}

const struct vgl_ctl_command vgl_ctl_cmd_audit = {
        .name = "audit",
        .summary = "show or verify the audit trail (admins)",
        .usage = "Usage: vigilctl audit [--follow] [--since N] [--json]\n"
                 "       vigilctl audit verify [--json]\n"
                 "\n"
                 "Prints vigild's audit trail: every reservation, release, adjustment,\n"
                 "enforcement action, denial, hop, profile update and start-up, one line\n"
                 "each (seq, time, type, sandbox, actor, details). Each record is checked\n"
                 "against its hash and the chain as it is read.\n"
                 "\n"
                 "verify checks the whole trail and reports the first broken record\n"
                 "(exit status 1 when there is one).\n"
                 "\n"
                 "  -f, --follow  keep printing records as they are appended\n"
                 "  --since N     start at record N\n"
                 "  --json        print each record (or the verdict) as one line of JSON\n",
        .run = run_audit,
};
