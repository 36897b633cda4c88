/* vigilctl model status | model retrain: the detectors' model and the
 * learning loop (ModelStatus, ModelRetrain). */
#include <errno.h>
#include <string.h>

#include "vigilctl.h"

static void print_outcome(FILE *f, struct json_object *o)
{
        struct json_object *v;

        fprintf(f, "%s %s: %s\n",
                json_object_object_get_ex(o, "candidate", &v) ? json_object_get_string(v) : "?",
                json_object_object_get_ex(o, "promoted", &v) && json_object_get_boolean(v)
                        ? "promoted"
                        : "not promoted",
                json_object_object_get_ex(o, "reason", &v) ? json_object_get_string(v) : "");
}

static void print_status(FILE *f, struct json_object *o)
{
        static const char *const keys[] = {
                "version",       "method",     "corpus_runs", "corpus_bytes", "clean_since_retrain",
                "retrain_every", "retraining", NULL};
        struct json_object *v;

        for (size_t i = 0; keys[i]; i++)
                if (json_object_object_get_ex(o, keys[i], &v))
                        fprintf(f, "%-20s %s\n", keys[i], json_object_get_string(v));
        if (json_object_object_get_ex(o, "last", &v) && json_object_is_type(v, json_type_object)) {
                fprintf(f, "%-20s ", "last retraining");
                print_outcome(f, v);
        }
}

static int run_model(struct vgl_ctl *ctl, int argc, char **argv)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_ctl_plain_args a;
        struct json_object *o = NULL;
        struct vgl_error err = {0};
        const char *sub = argc >= 2 ? argv[1] : "";
        bool retrain = strcmp(sub, "retrain") == 0;
        int r;

        if (!retrain && strcmp(sub, "status") != 0) {
                if (strcmp(sub, "--help") != 0 && strcmp(sub, "-h") != 0)
                        vgl_error_set(&err, EINVAL, "expected 'status' or 'retrain'");
                return vgl_ctl_parsed(ctl, &vgl_ctl_cmd_model, err.msg[0] ? -EINVAL : VGL_CTL_HELP,
                                      &err);
        }
        r = vgl_ctl_parsed(ctl, &vgl_ctl_cmd_model,
                           vgl_ctl_parse_plain(argc - 1, argv + 1, 0, &a, &err), &err);
        if (r >= 0)
                return r;
        if ((r = vgl_ctl_connect(ctl, &c)))
                return r;
        r = retrain ? vgl_client_model_retrain(c, &o, &err) : vgl_client_model_status(c, &o, &err);
        if (r < 0)
                return vgl_ctl_fail(ctl, retrain ? "model retrain" : "model status", c, &err);
        if (ctl->json || a.json)
                vgl_ctl_print_json(ctl->out, o);
        else if (retrain)
                print_outcome(ctl->out, o);
        else
                print_status(ctl->out, o);
        json_object_put(o);
        return VGL_CTL_EXIT_OK;
}

const struct vgl_ctl_command vgl_ctl_cmd_model = {
        .name = "model",
        .summary = "the detectors' model: status, retrain",
        .usage = "Usage: vigilctl model status [--json]\n"
                 "       vigilctl model retrain [--json]\n"
                 "\n"
                 "status: the current model version (none: anomaly scores are 0), the\n"
                 "corpus of clean runs it learns from, and the last retraining.\n"
                 "retrain (admins): trains a model on the corpus and promotes it unless it\n"
                 "scores worse than the current one on held-out normal runs; waits for\n"
                 "the outcome.\n"
                 "\n"
                 "  --json    print the reply as one line of JSON\n",
        .run = run_model,
};
