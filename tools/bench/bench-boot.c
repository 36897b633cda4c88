/* Boot-to-hello time of the agent image versus a bare /init that only
 * writes a line to the agent port, and the agent channel's throughput for
 * command output. After one untimed boot of each, alternates agent and bare
 * boots; reports median and min.
 * Usage: vigil-bench-boot [--json] [--runs N] [--mib N] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm-harness.h"

#define HELLO_TIMEOUT_S 600

struct opts {
        bool json;
        int runs;
        int mib;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},
                {"runs", required_argument, NULL, 'r'},
                {"mib", required_argument, NULL, 'm'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct opts){.runs = 5, .mib = 64};
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        o->json = true;
                        break;
                case 'r':
                        o->runs = atoi(optarg);
                        break;
                case 'm':
                        o->mib = atoi(optarg);
                        break;
                default:
                        fprintf(stderr, "usage: %s [--json] [--runs N (>=1)] [--mib N (>=1)]\n",
                                argv[0]);
                        return c == 'h' ? 0 : -EINVAL;
                }
        }
        if (o->runs < 1 || o->mib < 1 || o->mib > 1024)
                return -EINVAL;
        return 1;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One boot; returns ms from virDomainCreateXML to the first HELLO / bytes, or < 0. */
static double boot_once(struct vm *vm, const struct vgl_image *img, bool bare, int i)
{
        struct vgl_error e = {};
        char id[32];
        double ms = -1;

        snprintf(id, sizeof(id), "bench-%s%d", bare ? "bare" : "agent", i);
        if (vm_boot(vm, id, img, bare ? img->initrd_bare : img->initrd, bare, &e) < 0)
                fprintf(stderr, "boot %s: %s\n", id, e.msg);
        else if (!vm_wait(vm, vm_pred_hello, NULL, HELLO_TIMEOUT_S) || !vm->hello)
                fprintf(stderr, "boot %s: no %s\n", id, bare ? "bytes" : "hello"),
                        vm_dump_console(vm);
        else
                ms = (double)(vm->t_hello_ns - vm->t_create_ns) / 1e6;
        /* A bare /init that writes "bare-hello <uptime>" lets the two be split
         * into host-side start and in-guest time. */
        if (ms >= 0 && bare)
                fprintf(stderr, "  %s: create returned after %.0f ms, first bytes: %.40s\n", id,
                        (double)(vm->t_create_done_ns - vm->t_create_ns) / 1e6, vm->raw_head);
        if (ms >= 0 && !bare)
                fprintf(stderr,
                        "  %s: create returned after %.0f ms, guest uptime at HELLO %llu ms\n", id,
                        (double)(vm->t_create_done_ns - vm->t_create_ns) / 1e6,
                        (unsigned long long)vm->h.uptime_ms);
        vm_shutdown(vm);
        return ms;
}

#define TPUT_RUNS 3

/* One exec of `dd` writing mib MiB of zeros in 64 KiB blocks (busybox head -c
 * is itself CPU-bound under TCG, dd is not); MiB/s received, or < 0. */
static double tput_once(struct vm *vm, int mib)
{
        struct vm_exec_result res;
        struct vgl_error e = {};
        char count[32];
        char *argv[] = {"dd", "if=/dev/zero", "bs=65536", count, NULL};
        uint64_t t0 = vm_now_ns();
        double mibs = -1;

        snprintf(count, sizeof(count), "count=%d", mib * 16);
        if (vm_exec(vm, argv, &res, HELLO_TIMEOUT_S, &e) < 0)
                fprintf(stderr, "throughput exec: %s\n", e.msg);
        else if (res.out.len != (size_t)mib << 20 || res.exit.code != 0)
                fprintf(stderr, "throughput exec: got %zu bytes, exit %d\n", res.out.len,
                        res.exit.code);
        else
                mibs = mib / ((double)(res.t_done_ns - t0) / 1e9);
        vm_exec_result_done(&res);
        return mibs;
}

/* Boots the agent image; median MiB/s of TPUT_RUNS command-output runs. */
static double throughput(struct vm *vm, const struct vgl_image *img, int mib)
{
        struct vgl_error e = {};
        double v[TPUT_RUNS], mibs = -1;
        int i;

        if (vm_boot(vm, "bench-tput", img, img->initrd, false, &e) < 0 ||
            !vm_wait(vm, vm_pred_hello, NULL, HELLO_TIMEOUT_S) || !vm->hello) {
                fprintf(stderr, "throughput boot: %s\n", e.msg[0] ? e.msg : "no hello");
                vm_shutdown(vm);
                return -1;
        }
        for (i = 0; i < TPUT_RUNS; i++) {
                v[i] = tput_once(vm, mib);
                if (v[i] < 0)
                        break;
                fprintf(stderr, "throughput %d: %.1f MiB/s\n", i, v[i]);
        }
        if (i == TPUT_RUNS)
                mibs = median(v, TPUT_RUNS);
        vm_shutdown(vm);
        return mibs;
}

static void report(const struct opts *o, double *agent, double *bare, double mibs)
{
        double amin = agent[0], bmin = bare[0], amed, bmed;

        for (int i = 1; i < o->runs; i++) {
                amin = agent[i] < amin ? agent[i] : amin;
                bmin = bare[i] < bmin ? bare[i] : bmin;
        }
        amed = median(agent, o->runs);
        bmed = median(bare, o->runs);
        printf("%-34s %10s %10s\n", "boot to first message (ms)", "median", "min");
        printf("%-34s %10.1f %10.1f\n", "  agent image (HELLO frame)", amed, amin);
        printf("%-34s %10.1f %10.1f\n", "  bare /init (first bytes)", bmed, bmin);
        printf("%-34s %10.3f   (target < 1.05)\n", "agent / bare", amed / bmed);
        printf("%-34s %10.1f   (median of %d runs, %d MiB of stdout each)\n",
               "exec output throughput (MiB/s)", mibs, TPUT_RUNS, o->mib);
        printf("domain type: %s, runs: %d each, alternating\n", vgl_virt_domain_type(), o->runs);
        if (o->json)
                printf("{\"boot_to_hello_ms\": %.1f, \"bare_boot_to_hello_ms\": %.1f, "
                       "\"agent_boot_ratio\": %.4f, \"exec_output_mib_s\": %.1f, "
                       "\"runs\": %d, \"domain_type\": \"%s\"}\n",
                       amed, bmed, amed / bmed, mibs, o->runs, vgl_virt_domain_type());
}

int main(int argc, char **argv)
{
        struct vgl_image img;
        struct vgl_error e = {};
        struct opts o;
        struct vm vm;
        double *agent, *bare, mibs;
        int r = parse_args(argc, argv, &o), failed = 0;

        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (vm_find_image(&img, &e) < 0 || vm_init(&vm, &e) < 0) {
                fprintf(stderr, "bench-boot: %s\n", e.msg);
                return 1;
        }
        agent = calloc((size_t)o.runs, sizeof(double));
        bare = calloc((size_t)o.runs, sizeof(double));
        /* One untimed boot of each first: the first QEMU start of a process
         * pays for cold caches (capabilities, page cache) and would bias
         * whichever kind goes first. */
        if (boot_once(&vm, &img, false, 99) < 0 || boot_once(&vm, &img, true, 99) < 0)
                failed++;
        for (int i = 0; i < o.runs && agent && bare && !failed; i++) {
                agent[i] = boot_once(&vm, &img, false, i);
                bare[i] = boot_once(&vm, &img, true, i);
                fprintf(stderr, "run %d: agent %.1f ms, bare %.1f ms\n", i, agent[i], bare[i]);
                failed += agent[i] < 0 || bare[i] < 0;
        }
        mibs = failed ? -1 : throughput(&vm, &img, o.mib);
        vm_fini(&vm);
        if (failed || mibs < 0) {
                fprintf(stderr, "bench-boot: a run failed\n");
                return 1;
        }
        report(&o, agent, bare, mibs);
        free(agent);
        free(bare);
        return 0;
}
