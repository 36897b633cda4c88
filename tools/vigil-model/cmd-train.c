/* vigil-model train: fits a detector to normal traces and writes its model
 * directory. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "detect.h"
#include "vigil-model.h"

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vgl_model_cmd_train(int argc, char **argv)
{
        static const struct option opts[] = {
                {"input", required_argument, NULL, 'i'},
                {"model", required_argument, NULL, 'm'},
                {"method", required_argument, NULL, 'M'},
                {"seed", required_argument, NULL, 's'},
                {"lm-hidden", required_argument, NULL, 'H'},
                {"lm-epochs", required_argument, NULL, 'E'},
                {},
        };
        struct vgl_detect_train_opts o = {.seed = 1};
        const char *input = NULL, *model = NULL;
        struct vgl_traceset train = {0};
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};
        unsigned long long num;
        double t0;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'i')
                        input = optarg;
                else if (c == 'm')
                        model = optarg;
                else if (c == 'M')
                        o.method = optarg;
                else if (c == 's' && vgl_model_parse_u64(optarg, &num) == 0)
                        o.seed = num;
                else if (c == 'H' && vgl_model_parse_u64(optarg, &num) == 0 && num <= 256)
                        o.lm_hidden = (uint32_t)num;
                else if (c == 'E' && vgl_model_parse_u64(optarg, &num) == 0 && num <= 1000)
                        o.lm_epochs = (uint32_t)num;
                else
                        return 2;
        }
        if (!input || !model || optind != argc)
                return 2;
        if (o.method && !vgl_detect_method_valid(o.method)) {
                fprintf(stderr, "vigil-model: unknown method '%s'\n", o.method);
                return 2;
        }
        if (vgl_traceset_read(input, &train, &err) < 0)
                return vgl_model_fail(err.msg);
        t0 = now_s();
        if (vgl_detector_train(&train, &o, &d, &err) < 0) {
                vgl_traceset_free(&train);
                return vgl_model_fail(err.msg);
        }
        fprintf(stderr, "vigil-model: trained %s on %zu traces (%llu calls) in %.1f s\n",
                vgl_detector_method(d), train.n, (unsigned long long)vgl_traceset_calls(&train),
                now_s() - t0);
        vgl_traceset_free(&train);
        c = vgl_detector_save(d, model, &err);
        vgl_detector_free(d);
        return c < 0 ? vgl_model_fail(err.msg) : 0;
}
