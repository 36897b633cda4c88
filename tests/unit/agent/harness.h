/* A test host for vigil-agent: runs the real agent binary (built in this
 * tree) on one end of a socketpair and speaks the protocol on the other end
 * with the common codec. Waits are bounded by a generous guard so a broken
 * agent fails a test instead of hanging it; nothing asserts on speed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "proto-msg.h"
#include "proto.h"

#define H_GUARD_MS 60000

struct h_frame {
        uint8_t type;
        uint32_t stream;
        uint32_t len;
        uint8_t *data;
};

struct harness {
        pid_t pid;
        int fd;
        struct vgl_decoder *dec;
        struct h_frame *frames; /* received, not yet taken (no heartbeats/telemetry) */
        size_t n_frames, cap_frames;
        unsigned heartbeats, samples, telemetry_frames, bad_telemetry;
        struct vgl_heartbeat last_hb;
        struct vgl_resource_sample last_sample;
        struct vgl_hello hello;
        bool eof;
        struct vgl_buf ev[8]; /* observation records by type (2..7), each at its known size */
        uint32_t ev_count[8];
};

/* A predicate on one raw observation record. */
typedef bool (*h_ev_pred)(const uint8_t *rec, void *ctx);

/* Waits until an observation record of `type` satisfies pred (from the first
 * record received, not only new ones); fails the test at the guard. Returns
 * the record (valid until the next pump). */
const uint8_t *h_wait_event(struct harness *h, uint16_t type, h_ev_pred pred, void *ctx);

/* Sends a POLICY and waits for its POLICY_ACK (returned parsed). */
struct vgl_policy;
struct vgl_policy_ack;
void h_policy(struct harness *h, const struct vgl_policy *p, struct vgl_policy_ack *ret);

/* Starts the agent, waits for HELLO (stored in h->hello) and, if ack, answers
 * HELLO_ACK with the given intervals. Fails the test on error. */
void h_start(struct harness *h, bool ack, uint32_t heartbeat_ms, uint32_t sample_ms);

/* Closes the channel, waits for the agent, returns its wait status. */
int h_stop(struct harness *h);

/* Sends the frames in b (cleared afterwards), reading incoming frames
 * meanwhile so neither side can block the other. */
void h_send(struct harness *h, struct vgl_buf *b);

/* Sends bytes without reading anything meanwhile (to play a stalled host). */
void h_send_noread(struct harness *h, const void *p, size_t len);

/* Reads and decodes whatever arrives within timeout_ms. */
void h_pump(struct harness *h, int timeout_ms);

/* Waits for the first frame of `type` on `stream` and takes it out of the queue. */
struct h_frame h_wait(struct harness *h, uint8_t type, uint32_t stream);

/* True if a frame of this type/stream is queued (after pumping briefly). */
bool h_has(struct harness *h, uint8_t type, uint32_t stream);

void h_frame_free(struct h_frame *f);

/* Sends an EXEC with every field of r. */
void h_exec_req(struct harness *h, uint32_t stream, const struct vgl_exec_request *r);

/* NULL (the default): the agent picks how trace mode captures; else passed
 * as --trace-method (e.g. "notify", to force the fallback). */
extern const char *h_agent_trace_method;

/* Sends EXEC of argv on stream (env NULL, cwd NULL, stdin closed, given timeout). */
void h_exec(struct harness *h, uint32_t stream, const char *const *argv, uint32_t timeout_ms,
            bool stdin_pipe);

/* Collects a command's output until EXEC_EXIT; checks both EOF frames came
 * before the exit and stdout/stderr byte counts match what was received. */
void h_collect(struct harness *h, uint32_t stream, struct vgl_buf *out, struct vgl_buf *err,
               struct vgl_exec_exit *x);

/* Waits for an ERROR on stream and returns it parsed. */
struct vgl_error_msg h_wait_error(struct harness *h, uint32_t stream);

/* Returns the agent binary's path (from VIGIL_BUILD_ROOT). */
const char *h_agent_path(void);
