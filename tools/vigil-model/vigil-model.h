/* vigil-model: train, score and evaluate behaviour detectors on system-call
 * trace files (TSV: name<TAB>space-separated syscall numbers). One file per
 * subcommand; main.c dispatches through the table below. */
#pragma once

struct vgl_model_cmd {
        const char *name;
        const char *usage;
        int (*run)(int argc, char **argv);
};

int vgl_model_cmd_train(int argc, char **argv);
int vgl_model_cmd_score(int argc, char **argv);
int vgl_model_cmd_eval(int argc, char **argv);

/* Prints "vigil-model: MSG" to stderr; returns the exit status 1. */
int vgl_model_fail(const char *msg);

/* Parses a decimal unsigned number; -EINVAL if it is not one. */
int vgl_model_parse_u64(const char *s, unsigned long long *ret);
