/* Internals of struct vgl_agent shared by agent.c, agent-exec.c and
 * agent-file.c (and visible to the unit tests). */
#pragma once

#include "agent.h"

enum vgl_agent_state {
        VGL_AGENT_WAIT_HELLO = 0,
        VGL_AGENT_READY,
        VGL_AGENT_MISMATCH, /* versions do not overlap: nothing more is accepted */
        VGL_AGENT_CLOSED,
};

enum vgl_stream_kind {
        VGL_STREAM_EXEC = 1,
        VGL_STREAM_PUT,
        VGL_STREAM_GET,
};

struct vgl_agent_stream {
        uint32_t id;
        enum vgl_stream_kind kind;
        void *userdata;
        /* exec */
        struct vgl_exec_callbacks exec_cb;
        /* transfers */
        vgl_file_done_fn done;
        int fd;                        /* PUT source / GET sink, or -1 */
        struct vgl_buf data;           /* PUT from buffer / GET into buffer */
        size_t put_off;                /* PUT from buffer: next byte to queue */
        uint64_t size;                 /* PUT: announced size; GET: max_size */
        uint64_t moved;                /* bytes queued (PUT) or received (GET) */
        bool data_done;                /* PUT: end marker queued; GET: end marker seen */
        bool failed;                   /* finished locally; waiting for the agent's last frame */
        char error[VGL_ERROR_MSG_MAX]; /* local failure to report over the agent's result */
};

struct vgl_agent {
        enum vgl_agent_state state;
        struct vgl_agent_callbacks cb;
        void *userdata;
        struct vgl_decoder *decoder;
        struct vgl_hello hello;
        uint32_t version;
        uint32_t heartbeat_ms, sample_ms;

        struct vgl_buf out; /* send queue */
        size_t out_off;     /* bytes of out already sent */
        void (*output_hook)(void *data);
        void *output_hook_data;

        struct vgl_agent_stream *streams[VGL_AGENT_MAX_STREAMS];
        uint32_t next_id;
        struct vgl_agent_stats stats;
};

/* Reports a protocol problem (printf-style) through on_protocol_error. */
void vgl_agent_report(struct vgl_agent *a, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Calls the output hook if the queue was empty before a write of `before` bytes pending. */
void vgl_agent_output_kick(struct vgl_agent *a, size_t before);

/* Bytes queued but not yet sent. */
size_t vgl_agent_output_pending(const struct vgl_agent *a);

/* Allocates a stream entry with a fresh id; -EBUSY when the table is full. */
int vgl_agent_stream_new(struct vgl_agent *a, enum vgl_stream_kind kind,
                         struct vgl_agent_stream **ret);

/* The live stream with this id, or NULL. */
struct vgl_agent_stream *vgl_agent_stream_find(struct vgl_agent *a, uint32_t id);

/* Removes s from the table and frees it (closes its fd). */
void vgl_agent_stream_drop(struct vgl_agent *a, struct vgl_agent_stream *s);

/* Frame handlers for exec and file streams; f->stream is known to be live. */
void vgl_agent_exec_frame(struct vgl_agent *a, struct vgl_agent_stream *s,
                          const struct vgl_frame *f);
void vgl_agent_file_frame(struct vgl_agent *a, struct vgl_agent_stream *s,
                          const struct vgl_frame *f);

/* Ends a stream with a failure: its last callback, with message why. */
void vgl_agent_exec_fail(struct vgl_agent *a, struct vgl_agent_stream *s, const char *why);
void vgl_agent_file_fail(struct vgl_agent *a, struct vgl_agent_stream *s, const char *why);

/* Queues more PUT data while the send queue is below its low-water mark. */
void vgl_agent_file_pump(struct vgl_agent *a);
