/* Reserve benchmark, one run:
 *  1. warm: vigild with a warm pool of --pool VMs of the "high" tier; before
 *     each trial the pool is full again; a trial times Reserve from send to
 *     reply. exec-ready means: the reply carries the agent (HELLO done, the
 *     channel open), and a `true` run right after (untimed) exits 0.
 *  2. Get round trips per second on that vigild, 1 and --get-conns client
 *     connections (one thread each), plain calls back to back.
 *  3. cold: vigild without pools, Reserve to exec-ready, alternating with a
 *     raw libvirt create of the same domain XML (private qemu:///embed) to
 *     the agent's HELLO; medians after one untimed boot of each.
 * Usage: vigil-bench-reserve [--json] [--trials N] [--cold-runs N] [--pool N]
 *                            [--get-conns N] [--get-seconds S]
 * With --json the last line of stdout is one JSON object. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-reserve.h"
#include "cleanup.h"
#include "virt.h"

struct results {
        double warm_p50, warm_p99, warm_max;
        double cold, raw_cold, ratio;
        double get_rps_1, get_rps_n;
};

static int parse_args(int argc, char **argv, struct bench_opts *o)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},
                {"trials", required_argument, NULL, 't'},
                {"cold-runs", required_argument, NULL, 'c'},
                {"pool", required_argument, NULL, 'p'},
                {"get-conns", required_argument, NULL, 'g'},
                {"get-seconds", required_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct bench_opts){
                .trials = 20, .cold_runs = 5, .pool = 2, .get_conns = 4, .get_s = 3};
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        o->json = true;
                        break;
                case 't':
                        o->trials = atoi(optarg);
                        break;
                case 'c':
                        o->cold_runs = atoi(optarg);
                        break;
                case 'p':
                        o->pool = atoi(optarg);
                        break;
                case 'g':
                        o->get_conns = atoi(optarg);
                        break;
                case 's':
                        o->get_s = atof(optarg);
                        break;
                default:
                        fprintf(stderr,
                                "usage: %s [--json] [--trials N] [--cold-runs N] [--pool N]\n"
                                "          [--get-conns N] [--get-seconds S]\n",
                                argv[0]);
                        return c == 'h' ? 0 : -EINVAL;
                }
        }
        if (o->trials < 2 || o->cold_runs < 1 || o->pool < 1 || o->pool > 8 || o->get_conns < 1 ||
            o->get_conns > 64 || !(o->get_s > 0))
                return -EINVAL;
        return 1;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double percentile(const double *v, int n, double q)
{
        int k = (int)ceil(q * n) - 1;

        return v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static double median(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int warm_phase(const struct bench_opts *o, struct results *res, struct vgl_error *err)
{
        const struct vd_pool pools[] = {{BENCH_TIER, o->pool}};
        _cleanup_free_ double *ms = calloc((size_t)o->trials, sizeof(double));
        char keep[64];
        double rps_ms;
        struct vd d;
        int r;

        if ((r = vd_start(&d, pools, 1, NULL, 120, err)) < 0)
                return r;
        for (int i = 0; i < o->trials && r == 0; i++) {
                r = vd_wait_pool(&d, BENCH_TIER, o->pool, BENCH_TIMEOUT_S, err);
                if (r == 0)
                        r = bench_reserve_once(&d, &ms[i], NULL, 0, err);
                if (r == 0)
                        fprintf(stderr, "  warm %2d: %.2f ms\n", i + 1, ms[i]);
        }
        if (r == 0) {
                qsort(ms, (size_t)o->trials, sizeof(double), cmp_double);
                res->warm_p50 = percentile(ms, o->trials, 0.50);
                res->warm_p99 = percentile(ms, o->trials, 0.99);
                res->warm_max = ms[o->trials - 1];
                /* Get: on a reserved sandbox, pool full again (idle VMs only) */
                r = vd_wait_pool(&d, BENCH_TIER, o->pool, BENCH_TIMEOUT_S, err);
        }
        if (r == 0)
                r = bench_reserve_once(&d, &rps_ms, keep, sizeof(keep), err);
        if (r == 0)
                r = bench_get_rps(&d, keep, 1, o->get_s, &res->get_rps_1, err);
        if (r == 0)
                r = bench_get_rps(&d, keep, o->get_conns, o->get_s, &res->get_rps_n, err);
        if (r < 0)
                vd_dump_log(&d, 20);
        vd_stop(&d);
        return r;
}

static int cold_phase(const struct bench_opts *o, struct results *res, struct vgl_error *err)
{
        const struct vd_pool none[] = {{BENCH_TIER, 0}};
        _cleanup_free_ double *cold = calloc((size_t)o->cold_runs, sizeof(double));
        _cleanup_free_ double *raw = calloc((size_t)o->cold_runs, sizeof(double));
        double warmup;
        struct vd d;
        int r;

        if ((r = vd_start(&d, none, 1, NULL, 120, err)) < 0)
                return r;
        r = bench_raw_init(d.policies, d.image_dir, err);
        /* one untimed boot of each first: caches, first-domain setup */
        if (r == 0 && (r = bench_reserve_once(&d, &warmup, NULL, 0, err)) == 0)
                r = bench_raw_boot(0, &warmup, err);
        for (int i = 0; i < o->cold_runs && r == 0; i++) {
                r = bench_reserve_once(&d, &cold[i], NULL, 0, err);
                if (r == 0)
                        r = bench_raw_boot(i + 1, &raw[i], err);
                if (r == 0)
                        fprintf(stderr, "  cold %d: vigild %.0f ms, raw libvirt %.0f ms\n", i + 1,
                                cold[i], raw[i]);
        }
        if (r == 0) {
                res->cold = median(cold, o->cold_runs);
                res->raw_cold = median(raw, o->cold_runs);
                res->ratio = res->cold / res->raw_cold;
        } else {
                vd_dump_log(&d, 20);
        }
        bench_raw_fini();
        vd_stop(&d);
        return r;
}

static void print_table(const struct bench_opts *o, const struct results *r)
{
        printf("vigil reserve benchmark (domain type %s, tier %s, %d warm trials, pool %d)\n",
               vgl_virt_domain_type(), BENCH_TIER, o->trials, o->pool);
        printf("%-52s %12s   %s\n", "metric", "value", "target");
        printf("%-52s %9.2f ms   <= 20 ms\n", "warm Reserve->exec-ready p50", r->warm_p50);
        printf("%-52s %9.2f ms   <= 100 ms\n", "warm Reserve->exec-ready p99", r->warm_p99);
        printf("%-52s %9.2f ms\n", "warm Reserve->exec-ready max", r->warm_max);
        printf("%-52s %9.0f ms\n", "cold Reserve->exec-ready (vigild, median)", r->cold);
        printf("%-52s %9.0f ms\n", "raw create->agent HELLO (libvirt, median)", r->raw_cold);
        printf("%-52s %12.3f   <= 1.10\n", "cold ratio vigild / raw", r->ratio);
        printf("%-52s %12.0f\n", "Get round trips/s, 1 connection", r->get_rps_1);
        printf("%-52s %12.0f   >= 20000\n", "Get round trips/s, all connections", r->get_rps_n);
        printf("(percentiles nearest-rank: with %d trials p99 is the slowest; cold: median of "
               "%d alternating runs after one untimed boot of each; Get: plain calls back to "
               "back, %d connections, one thread each, %.0f s)\n",
               o->trials, o->cold_runs, o->get_conns, o->get_s);
}

static void print_json(const struct bench_opts *o, const struct results *r)
{
        printf("{\"warm_p50_ms\": %.3f, \"warm_p99_ms\": %.3f, \"cold_ms\": %.1f, "
               "\"raw_cold_ms\": %.1f, \"cold_ratio\": %.4f, \"get_rps\": %.0f, "
               "\"get_rps_1conn\": %.0f, \"get_connections\": %d, \"warm_trials\": %d, "
               "\"warm_pool\": %d, \"cold_runs\": %d, \"domain_type\": \"%s\"}\n",
               r->warm_p50, r->warm_p99, r->cold, r->raw_cold, r->ratio, r->get_rps_n, r->get_rps_1,
               o->get_conns, o->trials, o->pool, o->cold_runs, vgl_virt_domain_type());
}

int main(int argc, char **argv)
{
        struct bench_opts o;
        struct results res = {};
        struct vgl_error e = {};
        int r = parse_args(argc, argv, &o);

        if (r <= 0)
                return r == 0 ? 0 : 2;
        fprintf(stderr, "warm pool: %d trials (pool %d, refilled before each)\n", o.trials, o.pool);
        if ((r = warm_phase(&o, &res, &e)) < 0) {
                fprintf(stderr, "warm phase: %s\n", e.msg);
                return 1;
        }
        fprintf(stderr, "cold: %d runs each\n", o.cold_runs);
        if ((r = cold_phase(&o, &res, &e)) < 0) {
                fprintf(stderr, "cold phase: %s\n", e.msg);
                return 1;
        }
        print_table(&o, &res);
        if (o.json)
                print_json(&o, &res);
        return 0;
}
