/* The daemon integration test: one vigild (warm pool of one "high" VM)
 * shared by every case, since TCG boots are slow. Cases run in order and
 * hand sandboxes on through the globals below. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil-client.h"
#include "vigild-harness.h"

#define OP_TIMEOUT_MS  (300 * 1000) /* per reply; TCG on a busy host is slow */
#define BOOT_TIMEOUT_S 600
#define POOL_TIER      "high"
#define POOL_TRUST     0.3 /* in the high tier's [0.25, 0.5) */
#define COLD_TIER      "paranoid"
#define COLD_TRUST     0.1 /* in paranoid's [0, 0.25); its pool is 0 */
#define OTHER_UID      4242
#define THIRD_UID      4343

extern struct vd vd;
extern char warm_id[64]; /* reserved from the pool by test_reserve_warm */
extern char cold_id[64]; /* booted on demand by test_reserve_cold */
extern int skipped;      /* cases skipped (for the summary line) */

/* Skips the case (counted) unless cond holds: it needs an earlier case's sandbox. */
#define SKIP_UNLESS(cond)                                                                          \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "# skipped: needs " #cond " from an earlier case\n");      \
                        skipped++;                                                                 \
                        skip();                                                                    \
                }                                                                                  \
        } while (0)

/* A connected client with OP_TIMEOUT_MS; fails the test otherwise. */
struct vgl_client *connect_or_fail(void);

/* What an Exec delivered. */
struct exec_out {
        char out[65536], err[65536];
        size_t out_len, err_len;
        int out_replies, err_replies; /* replies that carried output */
        int replies_before_exit;      /* output replies seen before the exit */
        bool got_exit;
        struct vgl_client_exec_exit exit;
};

/* Runs argv in sandbox id over c (streamed, "more"); 0 or a negative errno. */
int exec_collect(struct vgl_client *c, const char *id, const char *const *argv,
                 struct exec_out *ret, struct vgl_error *err);

/* vigilctl in the build tree ($VIGIL_BUILD_ROOT/tools/vigilctl/vigilctl). */
const char *vigilctl_path(void);

/* Runs vigilctl -c SOCK args... with stdin from /dev/null; its stdout goes
 * to buf (NUL-terminated, truncated); returns its exit status. */
int run_vigilctl(char *buf, size_t size, const char *sock, const char *const *args);

/* The tests of each file. */
void test_reserve_warm(void **state);
void test_exec_streamed(void **state);
void test_exec_exit_status(void **state);
void test_files(void **state);
void test_reserve_cold(void **state);
void test_second_uid(void **state);
void test_bad_clients(void **state);
void test_vm_killed(void **state);
void test_ttl_expiry(void **state);
void test_release(void **state);
void test_vigilctl(void **state);
void test_observe(void **state);
