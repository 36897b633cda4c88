/* Hop cost: vgl_hop (migratable XML, plan, save, paused restore with the
 * new XML, live settings, read-back, resume) versus a raw virDomainSave +
 * virDomainRestore of the same domain. One microVM (1 vCPU, --mib MiB,
 * --fill-mib of it written with random bytes so the save has real pages to
 * write); after one untimed run of each, trials alternate which goes first.
 * (the default: 96 of 256 MiB; /tmp is a tmpfs of half the guest's RAM).
 * The hops go back and forth between two tiers with the guest's own memory
 * (so no balloon moves between trials) and CPU quotas of 50 % and 100 %.
 * Usage: vigil-bench-hop [--json] [--runs N] [--mib N] [--fill-mib N] */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hop-vm.h"

#define BOOT_TIMEOUT_S 600
#define OP_TIMEOUT_S   600

struct opts {
        bool json;
        int runs, mib, fill_mib;
};

enum { HOP, HOP_SAVE, HOP_RESTORE, RAW, RAW_SAVE, RAW_RESTORE, N_FIELDS };

struct trial {
        double v[N_FIELDS]; /* ms */
};

static int parse_args(int argc, char **argv, struct opts *o)
{
        static const struct option longopts[] = {
                {"json", no_argument, NULL, 'j'},      {"runs", required_argument, NULL, 'r'},
                {"mib", required_argument, NULL, 'm'}, {"fill-mib", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},      {},
        };
        int c;

        *o = (struct opts){.runs = 5, .mib = 256, .fill_mib = 96};
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
                case 'f':
                        o->fill_mib = atoi(optarg);
                        break;
                default:
                        fprintf(stderr, "usage: %s [--json] [--runs N] [--mib N] [--fill-mib N]\n",
                                argv[0]);
                        return c == 'h' ? 0 : -EINVAL;
                }
        }
        if (o->runs < 1 || o->mib < 64 || o->mib > 8192 || o->fill_mib < 0 ||
            o->fill_mib > o->mib * 3 / 8) /* /tmp is a tmpfs of half the RAM */
                return -EINVAL;
        return 1;
}

static double now_ms(void)
{
        return (double)vm_now_ns() / 1e6;
}

/* Raw save + restore, as a libvirt user would write it. */
static int raw_save_restore(struct vm *vm, struct trial *t, struct vgl_error *err)
{
        unsigned char uuid[VIR_UUID_BUFLEN];
        char path[400];
        double t0, t1;
        virDomainPtr d;
        int fd;

        snprintf(path, sizeof(path), "%s/raw-XXXXXX", vm->state_dir);
        fd = mkstemp(path);
        if (fd < 0)
                return vgl_error_set(err, errno, "mkstemp: %m");
        close(fd);
        if (virDomainGetUUID(vm->dom, uuid) < 0)
                return vgl_virt_error(err, "uuid");
        t0 = now_ms();
        if (virDomainSave(vm->dom, path) < 0) {
                unlink(path);
                return vgl_virt_error(err, "save");
        }
        t1 = now_ms();
        if (virDomainRestore(vm->conn, path) < 0) {
                unlink(path);
                return vgl_virt_error(err, "restore");
        }
        t->v[RAW_RESTORE] = now_ms() - t1;
        t->v[RAW_SAVE] = t1 - t0;
        t->v[RAW] = t->v[RAW_SAVE] + t->v[RAW_RESTORE];
        unlink(path);
        d = virDomainLookupByUUID(vm->conn, uuid);
        if (!d)
                return vgl_virt_error(err, "lookup");
        virDomainFree(vm->dom);
        vm->dom = d;
        return 0;
}

static int hop(struct vm *vm, const struct vgl_tier *to, struct trial *t, struct vgl_error *err)
{
        struct vgl_hop_result r;
        int rc = vgl_hop(vm->conn, &vm->dom, to, NULL, vm->state_dir, &r, err);

        t->v[HOP] = r.total_ms;
        t->v[HOP_SAVE] = r.save_ms;
        t->v[HOP_RESTORE] = r.restore_ms;
        return rc;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double median(const struct trial *t, int field, int n)
{
        double *v = calloc((size_t)n, sizeof(double)), m;

        if (!v)
                return 0;
        for (int i = 0; i < n; i++)
                v[i] = t[i].v[field];
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        free(v);
        return m;
}

static void report(const struct opts *o, const struct trial *t)
{
        double hop_ms = median(t, HOP, o->runs), raw_ms = median(t, RAW, o->runs);

        printf("%-36s %10s %10s %10s\n", "median of alternating runs (ms)", "total", "save",
               "restore");
        printf("%-36s %10.1f %10.1f %10.1f\n", "  vigil hop", hop_ms, median(t, HOP_SAVE, o->runs),
               median(t, HOP_RESTORE, o->runs));
        printf("%-36s %10.1f %10.1f %10.1f\n", "  raw virDomainSave + Restore", raw_ms,
               median(t, RAW_SAVE, o->runs), median(t, RAW_RESTORE, o->runs));
        printf("%-36s %10.3f   (target <= 1.15)\n", "hop / raw", hop_ms / raw_ms);
        printf("guest: %d MiB, 1 vCPU, %d MiB written; domain type %s; %d runs each\n", o->mib,
               o->fill_mib, vgl_virt_domain_type(), o->runs);
        if (o->json)
                printf("{\"hop_ms\": %.1f, \"raw_save_restore_ms\": %.1f, \"hop_ratio\": %.3f, "
                       "\"hop_save_ms\": %.1f, \"hop_restore_ms\": %.1f, \"raw_save_ms\": %.1f, "
                       "\"raw_restore_ms\": %.1f, \"guest_mib\": %d, \"fill_mib\": %d, "
                       "\"runs\": %d, \"domain_type\": \"%s\"}\n",
                       hop_ms, raw_ms, hop_ms / raw_ms, median(t, HOP_SAVE, o->runs),
                       median(t, HOP_RESTORE, o->runs), median(t, RAW_SAVE, o->runs),
                       median(t, RAW_RESTORE, o->runs), o->mib, o->fill_mib, o->runs,
                       vgl_virt_domain_type());
}

static int setup(struct vm *vm, const struct opts *o, const struct vgl_tier *t,
                 struct vgl_error *err)
{
        struct vgl_image img;
        char id[32], cmd[128], out[64];
        int r = vm_find_image(&img, err);

        if (r < 0 || (r = vm_init(vm, err)) < 0)
                return r;
        snprintf(id, sizeof(id), "bench-hop-%d", (int)getpid());
        r = hop_vm_boot(vm, id, &img, t, BOOT_TIMEOUT_S, err);
        if (r < 0)
                return r;
        snprintf(cmd, sizeof(cmd), "dd if=/dev/urandom of=/tmp/fill bs=1M count=%d 2>/dev/null",
                 o->fill_mib);
        if (o->fill_mib > 0 && (r = hop_vm_sh(vm, cmd, out, sizeof(out), OP_TIMEOUT_S, err)) < 0)
                return r;
        hop_vm_drop_agent(vm); /* its stream would end at every save */
        return 0;
}

static int run(const struct opts *o, struct trial *t, struct vgl_error *err)
{
        struct vgl_tier tiers[2] = {
                {.name = "bench-strict", .cpu_quota_percent = 50},
                {.name = "bench-loose", .cpu_quota_percent = 100},
        };
        struct trial warm;
        struct vm vm;
        int r;

        memset(&vm, 0, sizeof(vm)); /* vm_fini must work even before vm_init */
        for (int i = 0; i < 2; i++) {
                tiers[i].vcpus = tiers[i].max_vcpus = 1;
                tiers[i].memory_mib = tiers[i].max_memory_mib = (uint64_t)o->mib;
        }
        r = setup(&vm, o, &tiers[1], err);
        if (r == 0)
                r = raw_save_restore(&vm, &warm, err);
        if (r == 0)
                r = hop(&vm, &tiers[0], &warm, err);
        for (int i = 0; r == 0 && i < o->runs; i++) {
                if (i % 2 == 0) {
                        r = hop(&vm, &tiers[(i + 1) % 2], &t[i], err);
                        r = r ?: raw_save_restore(&vm, &t[i], err);
                } else {
                        r = raw_save_restore(&vm, &t[i], err);
                        r = r ?: hop(&vm, &tiers[(i + 1) % 2], &t[i], err);
                }
                fprintf(stderr, "run %d: hop %.1f ms (save %.1f, restore %.1f), raw %.1f ms\n", i,
                        t[i].v[HOP], t[i].v[HOP_SAVE], t[i].v[HOP_RESTORE], t[i].v[RAW]);
        }
        vm_fini(&vm);
        return r;
}

int main(int argc, char **argv)
{
        struct vgl_error e = {};
        struct trial *t;
        struct opts o;
        int r = parse_args(argc, argv, &o);

        if (r <= 0)
                return r == 0 ? 0 : 2;
        t = calloc((size_t)o.runs, sizeof(*t));
        if (!t)
                return 1;
        r = run(&o, t, &e);
        if (r < 0) {
                fprintf(stderr, "bench-hop: %s\n", e.msg);
                free(t);
                return 1;
        }
        report(&o, t);
        free(t);
        return 0;
}
