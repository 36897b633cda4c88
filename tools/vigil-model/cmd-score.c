/* vigil-model score: one line per input trace, name<TAB>score, in input
 * order; higher = more anomalous. */
#include <getopt.h>
#include <stdio.h>

#include "detect.h"
#include "vigil-model.h"

int vgl_model_cmd_score(int argc, char **argv)
{
        static const struct option opts[] = {
                {"input", required_argument, NULL, 'i'},
                {"model", required_argument, NULL, 'm'},
                {},
        };
        const char *input = NULL, *model = NULL;
        struct vgl_traceset set = {0};
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};
        int c, r = 0;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'i')
                        input = optarg;
                else if (c == 'm')
                        model = optarg;
                else
                        return 2;
        }
        if (!input || !model || optind != argc)
                return 2;
        if (vgl_detector_load(model, &d, &err) < 0)
                return vgl_model_fail(err.msg);
        if (vgl_traceset_read(input, &set, &err) < 0) {
                vgl_detector_free(d);
                return vgl_model_fail(err.msg);
        }
        for (size_t i = 0; i < set.n && r == 0; i++) {
                double s;
                if (vgl_detector_score(d, set.v[i].calls, set.v[i].len, &s) < 0)
                        r = vgl_model_fail("out of memory");
                else
                        printf("%s\t%.9f\n", set.v[i].name, s);
        }
        vgl_traceset_free(&set);
        vgl_detector_free(d);
        if (r == 0 && (fflush(stdout) != 0 || ferror(stdout)))
                r = vgl_model_fail("writing the scores failed");
        return r;
}
