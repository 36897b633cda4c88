/* tools/bench/overhead: the slowdown of supervised execution.
 *
 * Every workload runs through vigil-agent (the real binary, on this host,
 * over a socketpair) in five variants: unsupervised, critical-only, trace
 * (eBPF capture where the agent has it), trace with every call notified
 * (--trace-method notify), and strace -f (ptrace reference). The variants
 * alternate within each round so drift hits all of them alike; each figure
 * is the median of the rounds, each ratio a variant's median over the
 * unsupervised median.
 *
 * Usage: vigil-bench-overhead [--json] [--runs N] [--quick] [--decode-rate N]
 * --decode-rate: the host decoder's events/s, measured by tools/bench/decode
 * in the same run of tools/bench/overhead, carried into the JSON.
 * With --json the last line of stdout is one JSON object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench-overhead.h"

#define MAX_RUNS 15

struct cell {
        struct ovh_result r[MAX_RUNS];
        double median;
};

static struct cell cells[OVH_N_JOBS][OVH_N_VARIANTS];
static int cgroup2 = -1;
static bool trace_bpf;

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(const struct cell *c, int runs)
{
        double v[MAX_RUNS];
        for (int i = 0; i < runs; i++)
                v[i] = c->r[i].wall_s;
        qsort(v, (size_t)runs, sizeof(v[0]), cmp_double);
        return runs % 2 ? v[runs / 2] : (v[runs / 2 - 1] + v[runs / 2]) / 2;
}

static double ratio(enum ovh_job j, enum ovh_variant v)
{
        return cells[j][v].median / cells[j][OVH_NONE].median;
}

static void measure(const struct ovh_setup *s, int runs)
{
        struct ovh_result warm;
        /* Page cache, dentries, the compiler's files: not part of any variant. */
        for (int j = 0; j < OVH_N_JOBS; j++)
                ovh_run_once(s, (enum ovh_job)j, OVH_NONE, &warm);
        for (int i = 0; i < runs; i++)
                for (int j = 0; j < OVH_N_JOBS; j++)
                        for (int k = 0; k < OVH_N_VARIANTS; k++) {
                                /* Rotate the order each round: no variant always runs first. */
                                enum ovh_variant v = (enum ovh_variant)((k + i) % OVH_N_VARIANTS);
                                struct ovh_result *r = &cells[j][v].r[i];
                                ovh_run_once(s, (enum ovh_job)j, v, r);
                                if (r->cgroup2 >= 0)
                                        cgroup2 = r->cgroup2;
                                if (v == OVH_TRACE)
                                        trace_bpf = r->trace_bpf;
                                fprintf(stderr, "overhead: round %d %-9s %-12s %8.3f s\n", i + 1,
                                        ovh_job_name((enum ovh_job)j), ovh_variant_name(v),
                                        r->wall_s);
                        }
        for (int j = 0; j < OVH_N_JOBS; j++)
                for (int k = 0; k < OVH_N_VARIANTS; k++)
                        cells[j][k].median = median(&cells[j][k], runs);
}

static void print_table(int runs)
{
        printf("\n%-10s %12s %18s %18s %18s %18s\n", "workload", "unsupervised", "critical-only",
               trace_bpf ? "trace (eBPF)" : "trace (notify)", "trace-notify", "strace -f");
        for (int j = 0; j < OVH_N_JOBS; j++) {
                printf("%-10s %10.3f s", ovh_job_name((enum ovh_job)j), cells[j][OVH_NONE].median);
                for (int v = OVH_CRITICAL; v < OVH_N_VARIANTS; v++)
                        printf(" %8.3f s %6.2fx", cells[j][v].median,
                               ratio((enum ovh_job)j, (enum ovh_variant)v));
                printf("\n");
        }
        printf("\n(median of %d runs, variants alternated; ratio = median / unsupervised median)\n",
               runs);
        printf("spread (min..max s) of the runs, a measure of this host's noise:\n");
        for (int j = 0; j < OVH_N_JOBS; j++) {
                printf("  %-10s", ovh_job_name((enum ovh_job)j));
                for (int v = 0; v < OVH_N_VARIANTS; v++) {
                        double lo = 1e9, hi = 0;
                        for (int i = 0; i < runs; i++) {
                                double w = cells[j][v].r[i].wall_s;
                                lo = w < lo ? w : lo;
                                hi = w > hi ? w : hi;
                        }
                        printf("  %s %.2f..%.2f", ovh_variant_name((enum ovh_variant)v), lo, hi);
                }
                printf("\n");
        }
        printf("\nsyscall records received per run, and records the agent sampled out or lost\n"
               "(heartbeat telemetry_dropped), last round; critical: one per notification:\n");
        for (int j = 0; j < OVH_N_JOBS; j++) {
                const struct ovh_result *c = &cells[j][OVH_CRITICAL].r[runs - 1],
                                        *t = &cells[j][OVH_TRACE].r[runs - 1],
                                        *n = &cells[j][OVH_NOTIFY].r[runs - 1];
                printf("  %-10s critical %7llu   trace %8llu (dropped %llu)   trace-notify %8llu "
                       "(dropped %llu)\n",
                       ovh_job_name((enum ovh_job)j), (unsigned long long)c->syscall_recs,
                       (unsigned long long)t->syscall_recs, (unsigned long long)t->dropped,
                       (unsigned long long)n->syscall_recs, (unsigned long long)n->dropped);
        }
        printf("\nsyscall workload, per iteration (last round):\n");
        for (int v = 0; v < OVH_N_VARIANTS; v++)
                printf("  %-12s %s\n", ovh_variant_name((enum ovh_variant)v),
                       cells[OVH_SYSCALL][v].r[runs - 1].detail);
        printf("forkexec workload, per fork+exec+wait (last round):\n");
        for (int v = 0; v < OVH_N_VARIANTS; v++)
                printf("  %-12s %s\n", ovh_variant_name((enum ovh_variant)v),
                       cells[OVH_FORKEXEC][v].r[runs - 1].detail);
}

static void print_targets(void)
{
        bool crit = ratio(OVH_REALISTIC, OVH_CRITICAL) <= 1.10;
        bool trace = ratio(OVH_REALISTIC, OVH_TRACE) <= 3.0;
        bool vs_strace = true;
        for (int j = 0; j < OVH_N_JOBS; j++)
                if (cells[j][OVH_TRACE].median >= cells[j][OVH_STRACE].median)
                        vs_strace = false;
        printf("\ntargets:\n");
        printf("  critical-only <= 1.10x on the realistic job:  %5.2fx  %s\n",
               ratio(OVH_REALISTIC, OVH_CRITICAL), crit ? "met" : "MISSED");
        printf("  trace <= 3x on the realistic job:             %5.2fx  %s\n",
               ratio(OVH_REALISTIC, OVH_TRACE), trace ? "met" : "MISSED");
        printf("  trace faster than strace -f on every row:            %s\n",
               vs_strace ? "met" : "MISSED");
}

static void print_env(const struct ovh_setup *s, int runs)
{
        struct utsname u;
        uname(&u);
        printf("vigil overhead benchmark: kernel %s %s, %ld CPUs online\n", u.release, u.machine,
               sysconf(_SC_NPROCESSORS_ONLN));
        printf("workloads: syscall = %ld x open/read/close + %ld x getppid + %ld x loopback "
               "connect/accept;\n  forkexec = %ld x fork+exec /bin/true; realistic = gcc -O2 "
               "build of %ld generated units + link\n",
               s->n_file, s->n_ppid, s->n_connect, s->n_forkexec, s->n_units);
        printf("cgroup v2 limits: %s\n",
               cgroup2 == 1 ? "applied by the agent"
                            : "NOT applied (no usable cgroup v2 on this host: cgroup v1 only); "
                              "commands are supervised without pids/memory limits");
        printf("trace mode captures with: %s\n",
               trace_bpf ? "eBPF (raw tracepoint sys_enter + ring buffer; critical calls "
                           "still notified)"
                         : "seccomp notification of every call (no eBPF here: see the "
                           "agent's log); the trace and trace-notify columns are the same");
        (void)runs;
}

static void print_json(const char *decode_rate)
{
        static const char *const vn[] = {NULL, "critical", "trace", "trace_notify", "strace"};
        static const char *const jn[] = {"syscall", "forkexec", "realistic"};
        printf("{");
        for (int v = OVH_CRITICAL; v < OVH_N_VARIANTS; v++)
                for (int j = 0; j < OVH_N_JOBS; j++)
                        printf("\"%s_%s_ratio\":%.3f,", vn[v], jn[j],
                               ratio((enum ovh_job)j, (enum ovh_variant)v));
        for (int j = 0; j < OVH_N_JOBS; j++)
                printf("\"unsupervised_%s_s\":%.4f,", jn[j], cells[j][OVH_NONE].median);
        printf("\"cgroup2\":%s,\"trace_method\":\"%s\",\"decode_events_per_s\":%s}\n",
               cgroup2 == 1 ? "true" : "false", trace_bpf ? "bpf" : "seccomp-notify",
               decode_rate ? decode_rate : "null");
}

/* A JSON number as given (digits, at most one '.'), else NULL: it goes into JSON. */
static const char *number_or_null(const char *s)
{
        size_t dots = 0, i = 0;
        for (; s[i]; i++)
                if (s[i] == '.')
                        dots++;
                else if (s[i] < '0' || s[i] > '9')
                        return NULL;
        return i && dots <= 1 && s[0] != '.' ? s : NULL;
}

static int usage(void)
{
        fprintf(stderr,
                "usage: vigil-bench-overhead [--json] [--runs N] [--quick] [--decode-rate N]\n");
        return 2;
}

int main(int argc, char **argv)
{
        struct ovh_setup s = {.n_file = 20000,
                              .n_ppid = 200000,
                              .n_connect = 2000,
                              .n_forkexec = 200,
                              .n_units = 6};
        bool json = false;
        int runs = 3;
        const char *decode_rate = NULL;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
                        runs = atoi(argv[++i]);
                else if (strcmp(argv[i], "--decode-rate") == 0 && i + 1 < argc)
                        decode_rate = number_or_null(argv[++i]);
                else if (strcmp(argv[i], "--quick") == 0) {
                        s.n_file /= 10, s.n_ppid /= 10, s.n_connect /= 10;
                        s.n_forkexec /= 4, s.n_units = 2;
                } else
                        return usage();
        }
        if (runs < 1 || runs > MAX_RUNS)
                return usage();
        const char *root = getenv("VIGIL_BUILD_ROOT");
        if (!root) {
                fprintf(stderr, "overhead: set VIGIL_BUILD_ROOT (tools/bench/overhead does)\n");
                return 2;
        }
        if (strlen(root) > 200) {
                fprintf(stderr, "overhead: VIGIL_BUILD_ROOT is too long\n");
                return 2;
        }
        snprintf(s.work_dir, sizeof(s.work_dir), "%.200s/tools/bench", root);
        snprintf(s.work_bin, sizeof(s.work_bin), "%.200s/tools/bench/vigil-ovh-work", root);
        int r = ovh_setup_init(&s);
        if (r < 0) {
                fprintf(stderr, "overhead: scratch directory: %s\n", strerror(-r));
                ovh_setup_done(&s);
                return 1;
        }
        measure(&s, runs);
        ovh_setup_done(&s);
        print_env(&s, runs);
        print_table(runs);
        print_targets();
        if (decode_rate)
                printf("\nhost decoder + tagger (tools/bench/decode, this run): %s events/s\n",
                       decode_rate);
        if (json)
                print_json(decode_rate);
        return 0;
}
