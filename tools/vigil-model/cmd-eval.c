/* vigil-model eval: scores normal and attack traces and prints the AUC, the
 * detection rate at 5% false alarms and the false alarms at 90% detection. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "detect.h"
#include "metrics.h"
#include "vigil-model.h"

static int score_file(const struct vgl_detector *d, const char *path, double **ret, size_t *ret_n)
{
        struct vgl_traceset set = {0};
        struct vgl_error err = {0};
        double *s;

        if (vgl_traceset_read(path, &set, &err) < 0)
                return vgl_model_fail(err.msg);
        if (!set.n || !(s = malloc(set.n * sizeof(*s)))) {
                vgl_traceset_free(&set);
                fprintf(stderr, "vigil-model: %s: no traces\n", path);
                return 1;
        }
        for (size_t i = 0; i < set.n; i++)
                if (vgl_detector_score(d, set.v[i].calls, set.v[i].len, &s[i]) < 0) {
                        free(s);
                        vgl_traceset_free(&set);
                        return vgl_model_fail("out of memory");
                }
        *ret = s;
        *ret_n = set.n;
        vgl_traceset_free(&set);
        return 0;
}

int vgl_model_cmd_eval(int argc, char **argv)
{
        static const struct option opts[] = {
                {"model", required_argument, NULL, 'm'},
                {"normal", required_argument, NULL, 'n'},
                {"attack", required_argument, NULL, 'a'},
                {"json", no_argument, NULL, 'j'},
                {},
        };
        const char *model = NULL, *normal = NULL, *attack = NULL;
        _cleanup_free_ double *sn = NULL, *sa = NULL;
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};
        struct vgl_eval e;
        size_t nn = 0, na = 0;
        bool json = false;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'm')
                        model = optarg;
                else if (c == 'n')
                        normal = optarg;
                else if (c == 'a')
                        attack = optarg;
                else if (c == 'j')
                        json = true;
                else
                        return 2;
        }
        if (!model || !normal || !attack || optind != argc)
                return 2;
        if (vgl_detector_load(model, &d, &err) < 0)
                return vgl_model_fail(err.msg);
        r = score_file(d, normal, &sn, &nn);
        if (r == 0)
                r = score_file(d, attack, &sa, &na);
        if (r == 0 && vgl_evaluate(sn, nn, sa, na, &e) < 0)
                r = vgl_model_fail("evaluation failed");
        if (r == 0 && json)
                printf("{\"method\": \"%s\", \"normal\": %zu, \"attack\": %zu, \"auc\": %.4f, "
                       "\"dr_at_fa5\": %.4f, \"fa_at_dr90\": %.4f}\n",
                       vgl_detector_method(d), nn, na, e.auc, e.dr_at_fa5, e.fa_at_dr90);
        else if (r == 0)
                printf("method %s: %zu normal, %zu attack traces\n"
                       "AUC                       %.4f\n"
                       "detection at 5%% FA        %.4f\n"
                       "false alarms at 90%% DR    %.4f\n",
                       vgl_detector_method(d), nn, na, e.auc, e.dr_at_fa5, e.fa_at_dr90);
        vgl_detector_free(d);
        return r;
}
