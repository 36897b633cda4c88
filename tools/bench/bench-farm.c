/* tools/bench/farm: jobs per minute of vigil-farm running N trivial jobs
 * (`true`) at concurrency 1, 2 and 4 through a vigild started by the test
 * harness (medium tier, its warm pool refilled before each round), beside
 * the same N jobs run by plain sequential libvirt: create the domain, boot
 * to the agent's HELLO, run `true`, destroy (tests/integration/vm-harness,
 * on a private qemu:///embed, after vigild has stopped). Ratios are
 * farm / plain. With --json the last line of stdout is one JSON object:
 * jobs_per_min_c1, jobs_per_min_c2, jobs_per_min_c4, baseline_jobs_per_min,
 * ratio_c4 (and more). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "vigild-harness.h"
#include "vm-harness.h"

#define TIER      "medium"
#define TRUST     0.6
#define TIMEOUT_S 1800
#define N_LEVELS  3

static const int levels[N_LEVELS] = {1, 2, 4};

struct opts {
        bool json;
        int jobs;
        int pool;
};

static double now_s(void)
{
        return (double)vm_now_ns() / 1e9;
}

static int write_manifest(const char *path, int jobs)
{
        FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fputs("{\"suite\": \"bench\", \"defaults\": {\"desired_trust_level\": 0.6, "
              "\"timeout_s\": 300}, \"jobs\": [",
              f);
        for (int i = 0; i < jobs; i++)
                fprintf(f, "%s{\"name\": \"t%d\", \"command\": [\"true\"]}", i ? ", " : "", i);
        fputs("]}\n", f);
        return fclose(f) == 0 ? 0 : -EIO;
}

/* vigil-farm -j c over the manifest; seconds it took, or < 0. */
static double run_farm(struct vd *d, const char *manifest, const char *out, int c)
{
        const char *build = getenv("VIGIL_BUILD_ROOT");
        _cleanup_free_ char *farm =
                vd_printf("%s/tools/vigil-farm/vigil-farm", build ? build : ".");
        char conc[16];
        double t0 = now_s();
        pid_t pid;
        int st;

        snprintf(conc, sizeof(conc), "%d", c);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY);
                dup2(null, 1);
                execl(farm, farm, "-c", d->sock, "-j", conc, "-o", out, "--progress", "none",
                      manifest, (char *)NULL);
                _exit(127);
        }
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "vigil-farm -j %d: exit status %d (logs in %s)\n", c,
                        WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
                return -1;
        }
        return now_s() - t0;
}

static int farm_rounds(const struct opts *o, double *ret_jpm)
{
        const struct vd_pool pools[] = {{TIER, o->pool}};
        struct vd d = {};
        struct vgl_error e = {};
        int r = 0;

        if (vd_start(&d, pools, 1, NULL, 120, &e) < 0) {
                fprintf(stderr, "starting vigild: %s\n", e.msg);
                return -1;
        }
        for (int i = 0; r == 0 && i < N_LEVELS; i++) {
                _cleanup_free_ char *m = vd_printf("%s/bench-%d.json", d.dir, levels[i]);
                _cleanup_free_ char *out = vd_printf("%s/out-%d", d.dir, levels[i]);
                double s;

                if (vd_wait_pool(&d, TIER, o->pool, TIMEOUT_S, &e) < 0 ||
                    write_manifest(m, o->jobs) < 0) {
                        fprintf(stderr, "round %d: %s\n", levels[i], e.msg);
                        r = -1;
                        break;
                }
                s = run_farm(&d, m, out, levels[i]);
                if (s <= 0) {
                        r = -1;
                        break;
                }
                ret_jpm[i] = o->jobs / (s / 60.0);
                fprintf(stderr, "  vigil-farm -j %d: %d jobs in %.1f s: %.1f jobs/min\n", levels[i],
                        o->jobs, s, ret_jpm[i]);
        }
        if (r < 0)
                vd_dump_log(&d, 30);
        vd_stop(&d);
        return r;
}

/* One plain job: create, boot to HELLO, run `true`, destroy. */
static int plain_job(struct vm *vm, const struct vgl_image *img, int i)
{
        char *argv[] = {"true", NULL};
        struct vm_exec_result res;
        struct vgl_error e = {};
        char id[32];
        int r;

        snprintf(id, sizeof(id), "farmbase%04d", i);
        r = vm_boot(vm, id, img, img->initrd, false, &e);
        if (r == 0 && (!vm_wait(vm, vm_pred_hello, NULL, TIMEOUT_S) || !vm->hello))
                r = vgl_error_set(&e, ETIMEDOUT, "no hello");
        if (r == 0 && (r = vm_exec(vm, argv, &res, TIMEOUT_S, &e)) == 0) {
                if (res.exit.code != 0)
                        r = vgl_error_set(&e, EIO, "true exited %d", res.exit.code);
                vm_exec_result_done(&res);
        }
        if (r < 0)
                fprintf(stderr, "plain job %s: %s\n", id, e.msg);
        vm_shutdown(vm);
        return r;
}

static int baseline(const struct opts *o, double *ret_jpm)
{
        struct vgl_image img;
        struct vm vm;
        struct vgl_error e = {};
        double t0;
        int r = 0;

        if (vm_find_image(&img, &e) < 0 || vm_init(&vm, &e) < 0) {
                fprintf(stderr, "plain libvirt: %s\n", e.msg);
                return -1;
        }
        t0 = now_s();
        for (int i = 0; r == 0 && i < o->jobs; i++)
                r = plain_job(&vm, &img, i);
        if (r == 0) {
                double s = now_s() - t0;
                *ret_jpm = o->jobs / (s / 60.0);
                fprintf(stderr, "  plain libvirt, sequential: %d jobs in %.1f s: %.1f jobs/min\n",
                        o->jobs, s, *ret_jpm);
        }
        vm_fini(&vm);
        return r;
}

static int parse(int argc, char **argv, struct opts *o)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'J'},
                {"jobs", required_argument, NULL, 'n'},
                {"pool", required_argument, NULL, 'p'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct opts){.jobs = 12, .pool = 2};
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                if (c == 'J')
                        o->json = true;
                else if (c == 'n')
                        o->jobs = atoi(optarg);
                else if (c == 'p')
                        o->pool = atoi(optarg);
                else {
                        fputs("Usage: tools/bench/farm [--json] [--jobs N] [--pool N]\n",
                              c == 'h' ? stdout : stderr);
                        return c == 'h' ? 0 : -1;
                }
        }
        if (o->jobs < 1 || o->jobs > 1000 || o->pool < 0 || o->pool > 16) {
                fputs("farm: --jobs 1..1000, --pool 0..16\n", stderr);
                return -1;
        }
        return 1;
}

int main(int argc, char **argv)
{
        struct opts o;
        double jpm[N_LEVELS] = {0}, base = 0;
        int r = parse(argc, argv, &o);

        if (r <= 0)
                return r < 0 ? 2 : 0;
        fprintf(stderr,
                "farm benchmark: %d trivial jobs per round, %s pool of %d full at the start of "
                "each round (a running vigild), then plain libvirt\n",
                o.jobs, TIER, o.pool);
        if (farm_rounds(&o, jpm) < 0 || baseline(&o, &base) < 0)
                return 1;
        printf("%-34s %12s %8s\n", "runner", "jobs/min", "ratio");
        printf("%-34s %12.1f %8.2f\n", "plain libvirt, sequential", base, 1.0);
        for (int i = 0; i < N_LEVELS; i++) {
                char name[64];
                snprintf(name, sizeof(name), "vigil-farm -j %d (pool %d)", levels[i], o.pool);
                printf("%-34s %12.1f %8.2f\n", name, jpm[i], jpm[i] / base);
        }
        if (o.json)
                printf("{\"jobs\": %d, \"pool\": %d, \"jobs_per_min_c1\": %.2f, "
                       "\"jobs_per_min_c2\": %.2f, \"jobs_per_min_c4\": %.2f, "
                       "\"baseline_jobs_per_min\": %.2f, \"ratio_c1\": %.3f, \"ratio_c2\": %.3f, "
                       "\"ratio_c4\": %.3f}\n",
                       o.jobs, o.pool, jpm[0], jpm[1], jpm[2], base, jpm[0] / base, jpm[1] / base,
                       jpm[2] / base);
        return 0;
}
