/* The workloads: a scratch directory, a generated C project, their argv. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-overhead.h"

/* The realistic job: compile every unit, then link. set -e: a denied write
 * or exec fails the run instead of making it look fast. */
static const char build_script[] =
        "set -e; rm -f src/*.o app; for f in src/*.c; do gcc -O2 -Wall -c \"$f\" -o "
        "\"${f%.c}.o\"; done; gcc -o app src/*.o -lm";

/* One translation unit: enough code that gcc -O2 has real work to do. */
static int write_unit(const char *dir, long i)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/src/unit%02ld.c", dir, i);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                   "#include <string.h>\n\n");
        for (int k = 0; k < 40; k++)
                fprintf(f,
                        "static double f%d(const double *v, size_t n)\n{\n"
                        "        double s = %d.0;\n"
                        "        for (size_t j = 0; j < n; j++)\n"
                        "                s += sqrt(v[j] * %d.5) / (1.0 + (double)(j %% %d));\n"
                        "        return s;\n}\n\n",
                        k, k, k + 1, k + 3);
        fprintf(f,
                "double unit%02ld(void);\ndouble unit%02ld(void)\n{\n"
                "        double v[64], s = 0;\n"
                "        for (int j = 0; j < 64; j++)\n"
                "                v[j] = j;\n",
                i, i);
        for (int k = 0; k < 40; k++)
                fprintf(f, "        s += f%d(v, 64);\n", k);
        fprintf(f, "        return s;\n}\n");
        return fclose(f) < 0 ? -errno : 0;
}

static int write_main(const char *dir, long n)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/src/main.c", dir);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "#include <stdio.h>\n\n");
        for (long i = 0; i < n; i++)
                fprintf(f, "double unit%02ld(void);\n", i);
        fprintf(f, "\nint main(void)\n{\n        double s = 0;\n");
        for (long i = 0; i < n; i++)
                fprintf(f, "        s += unit%02ld();\n", i);
        fprintf(f, "        printf(\"%%f\\n\", s);\n        return 0;\n}\n");
        return fclose(f) < 0 ? -errno : 0;
}

int ovh_setup_init(struct ovh_setup *s)
{
        char src[300];
        int r;
        snprintf(s->dir, sizeof(s->dir), "/tmp/vigil-ovh-XXXXXX");
        if (!mkdtemp(s->dir))
                return -errno;
        snprintf(src, sizeof(src), "%s/src", s->dir);
        if (mkdir(src, 0755) < 0)
                return -errno;
        for (long i = 0; i < s->n_units; i++)
                if ((r = write_unit(s->dir, i)) < 0)
                        return r;
        return write_main(s->dir, s->n_units);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        remove(path);
        return 0;
}

void ovh_setup_done(struct ovh_setup *s)
{
        if (s->dir[0])
                nftw(s->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int ovh_job_argv(const struct ovh_setup *s, enum ovh_job job, const char **argv)
{
        static char n1[24], n2[24], n3[24], n4[24];
        int k = 0;
        switch (job) {
        case OVH_SYSCALL:
                snprintf(n1, sizeof(n1), "%ld", s->n_file);
                snprintf(n2, sizeof(n2), "%ld", s->n_ppid);
                snprintf(n3, sizeof(n3), "%ld", s->n_connect);
                argv[k++] = s->work_bin;
                argv[k++] = "syscalls";
                argv[k++] = s->dir;
                argv[k++] = n1;
                argv[k++] = n2;
                argv[k++] = n3;
                break;
        case OVH_FORKEXEC:
                snprintf(n4, sizeof(n4), "%ld", s->n_forkexec);
                argv[k++] = s->work_bin;
                argv[k++] = "forkexec";
                argv[k++] = n4;
                argv[k++] = "/bin/true";
                break;
        default:
                argv[k++] = "/bin/sh";
                argv[k++] = "-c";
                argv[k++] = build_script;
                break;
        }
        argv[k] = NULL;
        return k;
}

const char *ovh_job_name(enum ovh_job job)
{
        static const char *const names[] = {"syscall", "forkexec", "realistic"};
        return job < OVH_N_JOBS ? names[job] : "?";
}

const char *ovh_variant_name(enum ovh_variant v)
{
        static const char *const names[] = {"unsupervised", "critical", "trace", "trace-notify",
                                            "strace"};
        return v < OVH_N_VARIANTS ? names[v] : "?";
}
