/* A bounded outbound frame queue that is written to the port frame by frame.
 *
 * The queue holds whole encoded frames. It remembers how much of its head
 * frame has been written, so two queues can share one byte stream and only
 * switch at frame boundaries, and so a reconnecting host can be sent the
 * interrupted frame again from its start.
 *
 * Two bounds: producers of bulk data (command output, file data) add a frame
 * only while the queue is below `soft` (vgl_outq_has_room); small control
 * frames may go up to `hard`. Nothing is ever dropped from a queue. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct vgl_outq {
        struct vgl_buf buf; /* whole frames; buf.limit == hard */
        size_t sent;        /* bytes of the head frame(s) already written */
        size_t soft;
};

/* Initialises an empty queue. hard must exceed soft by at least one maximal frame. */
void vgl_outq_init(struct vgl_outq *q, size_t soft, size_t hard);

/* Frees the storage; the queue is empty afterwards. */
void vgl_outq_free(struct vgl_outq *q);

/* True while a bulk producer may append one more maximal frame. */
bool vgl_outq_has_room(const struct vgl_outq *q);

/* Bytes queued and not yet written. */
size_t vgl_outq_pending(const struct vgl_outq *q);

/* True when part of the head frame is written: the queue must be finished
 * before another queue may write to the same stream. */
static inline bool vgl_outq_mid_frame(const struct vgl_outq *q)
{
        return q->sent > 0;
}

/* Appends a frame. -ENOBUFS past the hard bound, -EMSGSIZE if len is too big. */
int vgl_outq_append(struct vgl_outq *q, uint8_t type, uint32_t stream, const void *p, size_t len);

/* Reads up to max (<= VGL_FRAME_MAX_PAYLOAD) bytes from fd straight into a new
 * frame of the given type. Returns bytes read (> 0; a frame was queued), 0 at
 * end of file (nothing queued), or a negative errno (-EAGAIN: nothing yet). */
int vgl_outq_read_frame(struct vgl_outq *q, int fd, uint8_t type, uint32_t stream, size_t max);

/* Inserts a frame in front of everything; only when nothing is mid-write.
 * Ignores the bounds (used once per connection for HELLO). */
int vgl_outq_prepend(struct vgl_outq *q, const struct vgl_buf *frame);

/* Writes as much as fd takes. Returns bytes written (>= 0), -EAGAIN, or a negative errno. */
int vgl_outq_write(struct vgl_outq *q, int fd);

/* Forgets how much of the head frame was written (the next write starts it again). */
void vgl_outq_rewind(struct vgl_outq *q);

/* Drops everything queued. */
void vgl_outq_clear(struct vgl_outq *q);
