/* React benchmark: a guest's critical action -> the host's enforcement.
 *
 * One vigild (qemu:///embed, shipped policies/adjust.json), one sandbox
 * reserved at 0.7 (tier medium, trust 0.6). A trial runs `unshare -m true`
 * in the guest: the medium permission set denies the privilege call
 * (namespace; no rule matches it, so the penalty is the tags' alone), the
 * agent reports it, vigild tags it privilege_change (a high_severity tag)
 * and policy_violation, runs an immediate round (trust 0.6 - 0.28 -> 0.32:
 * demoted to high) and enforces the high tier. A Subscribe client, read on
 * its own thread, stamps each event when it has it:
 *
 *   tag          Exec sent -> the tagged `privilege` event received
 *   react        `privilege` event received -> `enforcement` event (tier
 *                high: every limit applied and read back through libvirt)
 *                received; the reported figure
 *   adjust       `privilege` -> `adjustment` (the round's decision)
 *   permissions  `privilege` -> `permissions` (the high tier's in-guest set
 *                acknowledged by the agent)
 *   get          one Get round trip just before each trial (baseline)
 *
 * Between trials an admin UpdateProfile puts the sandbox back in medium at
 * 0.6 and answers once that is enforced, so each trial is a fresh
 * demotion. By default the sandbox's vCPUs and memory are pinned (admin
 * overrides, in medium too) at the high tier's values (1 vCPU, 256 MiB),
 * so a demotion changes CPU quota, bandwidth and block I/O live and only
 * reads vCPUs and the balloon back; --full leaves medium's 2 vCPUs and
 * 512 MiB, so every demotion unplugs a vCPU and deflates the balloon
 * (seconds under TCG) and every restore plugs them back.
 *
 * Usage: vigil-bench-react [--json] [--trials N] [--full]
 * With --json the last line of stdout is one JSON object. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench-react.h"
#include "cleanup.h"
#include "vigild-harness.h"

#define REACT_LEVEL     0.7   /* Reserve: tier medium, starting trust 0.6 */
#define REACT_TRUST     "0.6" /* restored before each trial */
#define REACT_WAIT_MS   60000 /* guard on each event (TCG on a busy host) */
#define REACT_TIMEOUT_S 600
#define REACT_GAP_NS    1200000000ull /* vigild runs one immediate round a second */

enum metric { M_REACT, M_ADJUST, M_PERM, M_TAG, M_GET, M_COUNT };

static const char *const metric_names[M_COUNT] = {
        "privilege event -> enforcement event (react)",
        "privilege event -> adjustment event",
        "privilege event -> permissions event",
        "Exec sent -> privilege event (tag)",
        "Get round trip (baseline)",
};

struct opts {
        bool json, full;
        int trials;
};

struct stats {
        double p50, p90, p99, max;
};

struct bench {
        struct opts o;
        struct vd d;
        struct vgl_client *c;
        struct react_watch w;
        char id[64];
        double *ms[M_COUNT];
        uint64_t last_round_ns;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},
                {"trials", required_argument, NULL, 't'},
                {"full", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        *o = (struct opts){.trials = 50};
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        o->json = true;
                        break;
                case 't':
                        o->trials = atoi(optarg);
                        break;
                case 'f':
                        o->full = true;
                        break;
                default:
                        fprintf(stderr, "usage: %s [--json] [--trials N] [--full]\n", argv[0]);
                        return c == 'h' ? 0 : -EINVAL;
                }
        }
        return o->trials >= 1 && o->trials <= 100000 ? 1 : -EINVAL;
}

static double ms_between(uint64_t a, uint64_t b)
{
        return ((double)b - (double)a) / 1e6;
}

/* UpdateProfile with the JSON text of changes; answers once enforced. */
static int update_profile(struct bench *b, const char *changes, struct vgl_error *err)
{
        struct json_object *o = json_tokener_parse(changes);
        int r;

        if (!o)
                return vgl_error_set(err, EINVAL, "bad changes %s", changes);
        r = vgl_client_update_profile(b->c, b->id, o, NULL, err);
        json_object_put(o);
        return r;
}

/* Back to medium at REACT_TRUST; waits for that enforcement's event unless
 * nothing changes (the first call in --full mode: no enforcement, no event). */
static int restore(struct bench *b, bool changes_nothing, struct vgl_error *err)
{
        const char *changes = b->o.full ? "{\"tier\": \"medium\", \"trust_score\": " REACT_TRUST "}"
                                        : "{\"tier\": \"medium\", \"trust_score\": " REACT_TRUST
                                          ", \"limits.vcpus\": 1, \"limits.memory_mib\": 256}";
        size_t from = react_watch_mark(&b->w), idx;
        struct react_event e;
        int r;

        if ((r = update_profile(b, changes, err)) < 0 || changes_nothing)
                return r;
        return react_watch_wait(&b->w, from, "enforcement", "tier medium", REACT_WAIT_MS, &idx, &e,
                                err);
}

static int get_once(struct bench *b, double *ret_ms, struct vgl_error *err)
{
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        uint64_t t0 = react_now_ns();
        int r = vgl_client_get(b->c, b->id, &s, err);

        if (r == 0)
                *ret_ms = ms_between(t0, react_now_ns());
        return r;
}

/* The denied privilege call, then its events in order. */
static int trial(struct bench *b, double ret[M_COUNT], struct vgl_error *err)
{
        const char *const argv[] = {"unshare", "-m", "true", NULL};
        const struct vgl_client_exec_request req = {.argv = argv, .uid = -1};
        struct react_event priv, adj, enf, perm;
        struct vgl_client_exec_exit x = {};
        size_t from, i;
        uint64_t t0;
        int r;

        if ((r = get_once(b, &ret[M_GET], err)) < 0)
                return r;
        from = react_watch_mark(&b->w);
        t0 = react_now_ns();
        if ((r = vgl_client_exec(b->c, b->id, &req, NULL, NULL, &x, err)) < 0)
                return r;
        if ((r = react_watch_wait(&b->w, from, "privilege", NULL, REACT_WAIT_MS, &i, &priv, err)) <
                    0 ||
            (r = react_watch_wait(&b->w, i, "adjustment", NULL, REACT_WAIT_MS, &i, &adj, err)) <
                    0 ||
            (r = react_watch_wait(&b->w, i, "enforcement", "tier high", REACT_WAIT_MS, &i, &enf,
                                  err)) < 0 ||
            (r = react_watch_wait(&b->w, i, "permissions", NULL, REACT_WAIT_MS, &i, &perm, err)) <
                    0)
                return r;
        if (!strstr(adj.msg, "medium -> high"))
                return vgl_error_set(err, EPROTO, "the round did not demote to high: %s", adj.msg);
        b->last_round_ns = adj.at_ns;
        ret[M_TAG] = ms_between(t0, priv.at_ns);
        ret[M_ADJUST] = ms_between(priv.at_ns, adj.at_ns);
        ret[M_REACT] = ms_between(priv.at_ns, enf.at_ns);
        ret[M_PERM] = ms_between(priv.at_ns, perm.at_ns);
        return 0;
}

static int setup(struct bench *b, struct vgl_error *err)
{
        const struct vd_pool pools[] = {{"medium", 0}};
        const struct vgl_client_reserve_request req = {.desired_trust_level = REACT_LEVEL,
                                                       .ttl_s = 3600};
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        int r;

        if ((r = vd_start(&b->d, pools, 1, NULL, 120, err)) < 0)
                return r;
        if ((r = vgl_client_connect(b->d.sock, &b->c, err)) < 0)
                return r;
        vgl_client_set_timeout(b->c, REACT_TIMEOUT_S * 1000);
        if ((r = vgl_client_reserve(b->c, &req, &s, err)) < 0)
                return r;
        snprintf(b->id, sizeof(b->id), "%s", s.id);
        if (strcmp(s.tier, "medium") != 0)
                return vgl_error_set(err, EPROTO, "reserved in tier %s, not medium", s.tier);
        if ((r = react_watch_start(&b->w, b->d.sock, b->id, err)) < 0)
                return r;
        usleep(300 * 1000); /* let vigild take the Subscribe call in */
        return restore(b, b->o.full, err);
}

static void wait_round_gap(struct bench *b)
{
        uint64_t now = react_now_ns();

        if (b->last_round_ns && now < b->last_round_ns + REACT_GAP_NS)
                usleep((useconds_t)((b->last_round_ns + REACT_GAP_NS - now) / 1000));
}

/* One untimed trial first (first exec of mount, caches), then o.trials. */
static int run_trials(struct bench *b, struct vgl_error *err)
{
        double one[M_COUNT];
        int r;

        for (int i = -1; i < b->o.trials; i++) {
                wait_round_gap(b);
                if ((r = trial(b, one, err)) < 0 || (r = restore(b, false, err)) < 0)
                        return r;
                if (i < 0)
                        continue;
                for (int m = 0; m < M_COUNT; m++)
                        b->ms[m][i] = one[m];
                fprintf(stderr,
                        "  trial %2d: react %.1f ms (adjust %.1f, permissions %.1f), tag %.1f ms, "
                        "get %.2f ms\n",
                        i + 1, one[M_REACT], one[M_ADJUST], one[M_PERM], one[M_TAG], one[M_GET]);
        }
        return 0;
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

static struct stats stats_of(double *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_double);
        return (struct stats){.p50 = percentile(v, n, 0.50),
                              .p90 = percentile(v, n, 0.90),
                              .p99 = percentile(v, n, 0.99),
                              .max = v[n - 1]};
}

static void print_table(const struct opts *o, const struct stats st[M_COUNT])
{
        printf("vigil react benchmark: guest critical action -> enforcement confirmed (%d trials, "
               "%s)\n",
               o->trials, o->full ? "full demotion: vCPU unplug + balloon" : "vCPUs/memory pinned");
        printf("%-46s %9s %9s %9s %9s\n", "interval (ms, client receive times)", "p50", "p90",
               "p99", "max");
        for (int m = 0; m < M_COUNT; m++)
                printf("%-46s %9.2f %9.2f %9.2f %9.2f\n", metric_names[m], st[m].p50, st[m].p90,
                       st[m].p99, st[m].max);
        printf("react p99 target <= 100 ms: %s; react p50 / Get p50 = %.0f\n",
               st[M_REACT].p99 <= 100 ? "met" : "NOT met", st[M_REACT].p50 / st[M_GET].p50);
        printf("(react: from the Subscribe client receiving the tagged `privilege` event of "
               "`unshare -m` denied in the guest to it receiving the `enforcement` event of the "
               "demotion to high: vigild's immediate round, the libvirt limits applied and read "
               "back on a worker thread, the audit record fsynced; event times are whole seconds, "
               "so both "
               "ends are this client's receive times. Percentiles nearest-rank.)\n");
}

static void print_json(const struct opts *o, const struct stats st[M_COUNT])
{
        printf("{\"react_p50_ms\": %.3f, \"react_p99_ms\": %.3f, \"trials\": %d, "
               "\"react_p90_ms\": %.3f, \"react_max_ms\": %.3f, \"adjust_p50_ms\": %.3f, "
               "\"adjust_p99_ms\": %.3f, \"permissions_p50_ms\": %.3f, "
               "\"permissions_p99_ms\": %.3f, \"tag_p50_ms\": %.3f, \"tag_p99_ms\": %.3f, "
               "\"get_p50_ms\": %.3f, \"get_p99_ms\": %.3f, \"mode\": \"%s\"}\n",
               st[M_REACT].p50, st[M_REACT].p99, o->trials, st[M_REACT].p90, st[M_REACT].max,
               st[M_ADJUST].p50, st[M_ADJUST].p99, st[M_PERM].p50, st[M_PERM].p99, st[M_TAG].p50,
               st[M_TAG].p99, st[M_GET].p50, st[M_GET].p99, o->full ? "full" : "pinned");
}

int main(int argc, char **argv)
{
        struct bench b = {};
        struct stats st[M_COUNT];
        struct vgl_error e = {};
        int r = parse_args(argc, argv, &b.o);

        if (r <= 0)
                return r == 0 ? 0 : 2;
        for (int m = 0; m < M_COUNT; m++)
                if (!(b.ms[m] = calloc((size_t)b.o.trials, sizeof(double))))
                        return 1;
        fprintf(stderr, "react: %d trials (%s)\n", b.o.trials, b.o.full ? "full" : "pinned");
        r = setup(&b, &e);
        if (r == 0)
                r = run_trials(&b, &e);
        if (r < 0) {
                fprintf(stderr, "react: %s\n", e.msg);
                vd_dump_log(&b.d, 30);
        }
        vgl_client_free(b.c);
        vd_stop(&b.d);
        react_watch_stop(&b.w);
        if (r < 0)
                return 1;
        for (int m = 0; m < M_COUNT; m++)
                st[m] = stats_of(b.ms[m], b.o.trials);
        print_table(&b.o, st);
        if (b.o.json)
                print_json(&b.o, st);
        for (int m = 0; m < M_COUNT; m++)
                free(b.ms[m]);
        return 0;
}
