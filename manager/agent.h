/* The host end of the agent protocol, independent of the transport.
 *
 * A struct vgl_agent is fed the bytes the guest sent (vgl_agent_feed) and
 * produces the bytes to send back in a bounded queue (vgl_agent_output_peek /
 * _consume). It does the handshake, dispatches frames to callbacks, and keeps
 * the book of running commands and file transfers. agent-conn.h connects one
 * to a libvirt stream; the unit tests connect one to a byte pipe.
 *
 * Everything the guest sends is untrusted: a malformed, unexpected or
 * misaddressed frame is reported through on_protocol_error and dropped; it
 * never crashes the host and never stops the connection.
 *
 * Not thread-safe: use one agent from one thread (the event loop's). The
 * callbacks run inside vgl_agent_feed/_eof and may call the API again, but
 * must not free the agent. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "proto-msg.h"
#include "proto.h"

#define VGL_AGENT_MAX_STREAMS 64              /* concurrent execs + transfers */
#define VGL_AGENT_QUEUE_MAX   (1024u * 1024u) /* send queue bound */
#define VGL_AGENT_FILE_MAX    (1ull << 30)    /* largest transfer either way (1 GiB) */

struct vgl_agent;

struct vgl_agent_callbacks {
        /* Handshake done: HELLO parsed, versions overlap, HELLO_ACK queued. */
        void (*on_hello)(struct vgl_agent *a, const struct vgl_hello *h, uint32_t version,
                         void *userdata);
        void (*on_heartbeat)(struct vgl_agent *a, const struct vgl_heartbeat *hb, void *userdata);
        /* One call per resource record of a TELEMETRY batch. */
        void (*on_resource)(struct vgl_agent *a, const struct vgl_resource_sample *s,
                            void *userdata);
        /* An ERROR message from the agent about the connection (stream 0). */
        void (*on_agent_error)(struct vgl_agent *a, const struct vgl_error_msg *m, void *userdata);
        /* Something the guest sent was wrong: e->msg says what, e->code is
         * EBADMSG (malformed), EPROTO (unexpected), ENOENT (unknown stream) or
         * EPROTONOSUPPORT (version mismatch; the agent then stays unusable). */
        void (*on_protocol_error)(struct vgl_agent *a, const struct vgl_error *e, void *userdata);
        /* A valid frame of a type this layer does not handle (e.g. POLICY_ACK). */
        void (*on_other_frame)(struct vgl_agent *a, const struct vgl_frame *f, void *userdata);
        /* The transport ended; every running exec and transfer was failed first. */
        void (*on_closed)(struct vgl_agent *a, const struct vgl_error *why, void *userdata);
        /* One call per TELEMETRY batch of any record type but resource samples
         * (observation records 2..7, and types of newer agents). Only the
         * framing is checked (vgl_telemetry_batch_parse): the records are guest
         * bytes for the caller to validate (behaviour.h). b->records is valid
         * during the call only. */
        void (*on_records)(struct vgl_agent *a, const struct vgl_telemetry_batch *b,
                           void *userdata);
};

struct vgl_agent_stats {
        uint64_t bytes_in, bytes_out;
        uint64_t frames_in;
        uint64_t heartbeats, resource_samples;
        uint64_t record_batches; /* batches handed to on_records */
        uint64_t protocol_errors;
};

/* Creates an agent session; cb is copied. */
int vgl_agent_new(const struct vgl_agent_callbacks *cb, void *userdata, struct vgl_agent **ret);

/* Frees the session without invoking any callback; accepts NULL, returns NULL. */
struct vgl_agent *vgl_agent_free(struct vgl_agent *a);

static inline void vgl_agent_freep(struct vgl_agent **a)
{
        *a = vgl_agent_free(*a);
}

/* Bytes received from the guest, any chunking. Returns 0 (problems in the
 * bytes are reported through callbacks, not here). */
int vgl_agent_feed(struct vgl_agent *a, const void *data, size_t len);

/* The transport ended (why may be NULL for a clean EOF): reports a truncated
 * frame, fails what is pending, calls on_closed. Later API calls get -ENOTCONN. */
void vgl_agent_eof(struct vgl_agent *a, const struct vgl_error *why);

/* Bytes waiting to be sent: sets *ret and returns their count (0: nothing). */
size_t vgl_agent_output_peek(struct vgl_agent *a, const uint8_t **ret);

/* n bytes of the peeked output were sent; refills the queue with file data. */
void vgl_agent_output_consume(struct vgl_agent *a, size_t n);

/* Registers fn, called whenever the send queue goes from empty to non-empty
 * (the transport then waits for writability). */
void vgl_agent_set_output_hook(struct vgl_agent *a, void (*fn)(void *data), void *data);

/* True once the handshake is done and the transport is open. */
bool vgl_agent_ready(const struct vgl_agent *a);

/* The agent's HELLO, or NULL before the handshake. */
const struct vgl_hello *vgl_agent_hello(const struct vgl_agent *a);

void vgl_agent_get_stats(const struct vgl_agent *a, struct vgl_agent_stats *ret);

/* Parameters of the HELLO_ACK the host answers with (0: agent defaults). */
void vgl_agent_set_intervals(struct vgl_agent *a, uint32_t heartbeat_ms, uint32_t sample_ms);

/* ---- command execution ---- */

struct vgl_exec_callbacks {
        void (*on_started)(struct vgl_agent *a, uint32_t id, int64_t pid, void *userdata);
        /* fd 1 (stdout) or 2 (stderr); len 0 marks that stream's end. */
        void (*on_output)(struct vgl_agent *a, uint32_t id, int fd, const uint8_t *data, size_t len,
                          void *userdata);
        /* Always the last call for an exec: the agent's EXEC_EXIT, or status
         * VGL_EXIT_FAILED with x->error when the agent refused the request or
         * the connection ended. */
        void (*on_exit)(struct vgl_agent *a, uint32_t id, const struct vgl_exec_exit *x,
                        void *userdata);
};

/* Starts a command in the guest. On success *ret_id is the exec's stream id
 * and exactly one on_exit call will follow. -ENOTCONN before the handshake,
 * -EBUSY when VGL_AGENT_MAX_STREAMS are in use, -ENOBUFS when the send
 * queue is full, -EINVAL for a request the encoder refuses. */
int vgl_agent_exec(struct vgl_agent *a, const struct vgl_exec_request *r,
                   const struct vgl_exec_callbacks *cb, void *userdata, uint32_t *ret_id,
                   struct vgl_error *err);

/* Queues stdin bytes for an exec started with stdin_pipe (len 0: EOF). */
int vgl_agent_exec_stdin(struct vgl_agent *a, uint32_t id, const void *data, size_t len);

/* Sends a signal to an exec's process group. */
int vgl_agent_exec_signal(struct vgl_agent *a, uint32_t id, int sig);

/* ---- file transfer ---- */

/* Last call of a transfer. r->ok false: r->error says why (agent's refusal,
 * a local I/O error, a limit, the connection ending). For a GET into a
 * buffer, data/len are the bytes received (valid during the call only). */
typedef void (*vgl_file_done_fn)(struct vgl_agent *a, uint32_t id, const struct vgl_file_result *r,
                                 const uint8_t *data, size_t len, void *userdata);

/* Sends len bytes (copied) to path in the guest with the given mode. */
int vgl_agent_put_buffer(struct vgl_agent *a, const char *path, const void *data, size_t len,
                         uint32_t mode, vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                         struct vgl_error *err);

/* Sends the regular file open on fd (read from its current offset to its
 * end). The transfer takes ownership of fd, also on failure. */
int vgl_agent_put_fd(struct vgl_agent *a, const char *path, int fd, uint32_t mode,
                     vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                     struct vgl_error *err);

/* Fetches path from the guest into memory, at most max_size bytes
 * (<= VGL_AGENT_FILE_MAX; 0 means that limit); more is a failed transfer. */
int vgl_agent_get_buffer(struct vgl_agent *a, const char *path, uint64_t max_size,
                         vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                         struct vgl_error *err);

/* Fetches path from the guest, writing it to fd (owned by the transfer, also on failure). */
int vgl_agent_get_fd(struct vgl_agent *a, const char *path, int fd, uint64_t max_size,
                     vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                     struct vgl_error *err);
