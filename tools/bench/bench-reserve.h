/* tools/bench/reserve: vigild's Reserve latency from a warm pool and cold,
 * cold against a raw libvirt create of the same domain to the agent's
 * HELLO, and API round trips per second for Get. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "vigild-harness.h"

#define BENCH_TIER      "high"
#define BENCH_TRUST     0.3 /* in the high tier's trust range */
#define BENCH_TIMEOUT_S 600

struct bench_opts {
        bool json;
        int trials;    /* warm trials */
        int cold_runs; /* timed cold boots, each for vigild and raw libvirt */
        int pool;      /* warm-pool size during the warm trials */
        int get_conns; /* client connections of the Get test */
        double get_s;  /* seconds each Get measurement runs */
};

uint64_t bench_now_ns(void);

/* One Reserve at BENCH_TRUST timed from send to reply (*ret_ms), then,
 * untimed, checks the sandbox is exec-ready (agent present, `true` runs
 * with status 0); the id goes to ret_id unless it is NULL, in which case the
 * sandbox is released. */
int bench_reserve_once(struct vd *d, double *ret_ms, char *ret_id, size_t id_size,
                       struct vgl_error *err);

/* Releases id and waits until its QEMU is gone. */
int bench_release(struct vd *d, const char *id, struct vgl_error *err);

/* Get(id) round trips per second over conns connections (one thread each)
 * for seconds s. */
int bench_get_rps(struct vd *d, const char *id, int conns, double s, double *ret_rps,
                  struct vgl_error *err);

/* Raw libvirt: boots the tier's domain (rendered like vigild renders it)
 * on a private qemu:///embed and returns ms from virDomainCreateXML to the
 * agent's HELLO. bench_raw_init once before, bench_raw_fini after. */
int bench_raw_init(const char *policies_dir, const char *image_dir, struct vgl_error *err);
int bench_raw_boot(int run, double *ret_ms, struct vgl_error *err);
void bench_raw_fini(void);
