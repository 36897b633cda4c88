#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "vigil-model.h"

static const struct vgl_model_cmd commands[] = {
        {"train",
         "train --input TRAIN.tsv --model DIR [--method stide|ngram|lm|ae|knn|ensemble] "
         "[--seed N] [--lm-hidden N] [--lm-epochs N]",
         vgl_model_cmd_train},
        {"score", "score --model DIR --input TRACES.tsv", vgl_model_cmd_score},
        {"eval", "eval --model DIR --normal NORMAL.tsv --attack ATTACK.tsv [--json]",
         vgl_model_cmd_eval},
};

int vgl_model_fail(const char *msg)
{
        fprintf(stderr, "vigil-model: %s\n", msg);
        return 1;
}

int vgl_model_parse_u64(const char *s, unsigned long long *ret)
{
        char *end = NULL;

        errno = 0;
        if (!s || !*s || *s == '-')
                return -EINVAL;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int usage(FILE *f)
{
        fprintf(f, "usage:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  vigil-model %s\n", commands[i].usage);
        fprintf(f, "Trace files: one trace a line, name<TAB>space-separated syscall numbers.\n");
        return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage(stderr);
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
                return usage(stdout);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (!strcmp(argv[1], commands[i].name)) {
                        int r = commands[i].run(argc - 1, argv + 1);
                        if (r == 2)
                                fprintf(stderr, "usage: vigil-model %s\n", commands[i].usage);
                        return r;
                }
        fprintf(stderr, "vigil-model: unknown command '%s'\n", argv[1]);
        return usage(stderr);
}
