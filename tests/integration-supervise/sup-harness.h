/* Supervision tests on a booted microVM (tests/integration/vm-harness.h):
 * pushing a permission set, seeing POLICY_ACK and the observation records
 * (TELEMETRY record types 2..7), and commands with stdin and a timeout.
 *
 * The host session (manager/agent.c) hands POLICY_ACK to on_other_frame and
 * skips observation records, and vm-harness installs its own callbacks. So
 * the tap sits in front of the session instead: it takes the session's frame
 * decoder's place, records what it needs, and re-feeds every frame, byte for
 * byte, to the session's own decoder, which sees exactly what it saw before.
 * Nothing in manager/ or vm-harness changes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto-event.h"
#include "proto-policy.h"
#include "vm-harness.h"

#define SUP_MAX_RECORDS  4096u  /* observation records kept; more are counted only */
#define SUP_MAX_SYSCALLS 65536u /* syscall records kept (decoded), likewise */
#define SUP_REC_MAX      VGL_EV_PROC_SIZE

struct sup_record {
        uint16_t type; /* VGL_REC_* */
        uint16_t size;
        uint8_t data[SUP_REC_MAX];
};

/* Everything below is written on the loop thread under vm->lock. */
struct sup_tap {
        struct vm *vm;
        struct vgl_decoder *tap;  /* in the session's place while installed */
        struct vgl_decoder *orig; /* the session's decoder */
        struct vgl_buf scratch;   /* one re-encoded frame */
        bool installed;

        bool have_ack;
        struct vgl_policy_ack ack;
        uint32_t n_records;
        uint64_t records_seen[8];   /* by record type 0..7, kept or not */
        uint64_t records_lost;      /* beyond SUP_MAX_RECORDS */
        uint64_t bad_records;       /* batches or records that did not decode */
        uint64_t decode_errors;     /* framing problems seen by the tap */
        struct sup_record *records; /* SUP_MAX_RECORDS entries */
        struct vgl_ev_syscall *sys; /* SUP_MAX_SYSCALLS entries, in arrival order */
        uint32_t n_sys;
        uint64_t sys_lost; /* beyond SUP_MAX_SYSCALLS */
};

/* Puts the tap in front of vm's agent session (vm booted, channel open). */
int sup_tap_install(struct sup_tap *t, struct vm *vm, struct vgl_error *err);

/* Gives the session its decoder back (if the session still exists) and frees
 * the tap. Safe to call twice and after vm_shutdown. */
void sup_tap_remove(struct sup_tap *t);

/* Sends p as a POLICY frame and waits for the POLICY_ACK of p->generation
 * (up to timeout_s). -ETIMEDOUT, or the encoder's error. */
int sup_policy_push(struct sup_tap *t, const struct vgl_policy *p, struct vgl_policy_ack *ret_ack,
                    int timeout_s, struct vgl_error *err);

/* Matches a record's bytes (record_type given, size checked by the caller). */
typedef bool (*sup_record_pred)(uint16_t type, const uint8_t *rec, size_t size, void *ctx);

/* Waits up to timeout_s for a record of `type` for which pred holds; copies
 * it to *ret (may be NULL). True if found. */
bool sup_wait_record(struct sup_tap *t, uint16_t type, sup_record_pred pred, void *ctx,
                     struct sup_record *ret, int timeout_s);

/* Copies the syscall records of exec_id received so far, in arrival order,
 * into *ret (malloc'd, caller frees; NULL when none). Returns their number. */
uint32_t sup_syscalls_of(struct sup_tap *t, uint32_t exec_id, struct vgl_ev_syscall **ret);

/* ---- commands with stdin and a guest-side timeout ---- */

struct sup_exec {
        struct vm *vm;
        uint32_t id;
        struct vm_exec_result res; /* out, err, exit, done (under vm->lock) */
};

/* Starts argv (stdin a pipe when stdin_pipe; killed by the agent after
 * timeout_ms, 0 = never). x must stay put until sup_exec_wait succeeded. */
int sup_exec_start(struct vm *vm, char **argv, bool stdin_pipe, uint32_t timeout_ms,
                   struct sup_exec *x, struct vgl_error *err);

/* The same with every field of an EXEC request (env, cwd, supervise...). */
int sup_exec_start_req(struct vm *vm, const struct vgl_exec_request *req, struct sup_exec *x,
                       struct vgl_error *err);

/* Sends stdin bytes (len 0: EOF). */
int sup_exec_stdin(struct sup_exec *x, const void *data, size_t len);

/* Waits until stdout contains needle (up to timeout_s). */
bool sup_exec_wait_output(struct sup_exec *x, const char *needle, int timeout_s);

/* Waits for the exit (up to timeout_s). On a timeout the VM is shut down (the
 * callbacks must never see x again) and -ETIMEDOUT returned. */
int sup_exec_wait(struct sup_exec *x, int timeout_s, struct vgl_error *err);

void sup_exec_done(struct sup_exec *x);
