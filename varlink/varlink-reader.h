/* Framing of varlink messages on a byte stream: each message ends with a NUL.
 *
 * The reader owns one buffer of at most max_message + 1 bytes. It holds the
 * unprocessed bytes: any number of complete messages and one partial one.
 * The caller reads straight into the free space (vgl_varlink_reader_space /
 * _advance) or copies bytes in (vgl_varlink_reader_feed), then takes
 * complete messages out with vgl_varlink_reader_next. A message longer than
 * max_message is an error found before more than max_message + 1 bytes were
 * ever stored: memory per reader is bounded whatever the peer sends. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct vgl_varlink_reader {
        struct vgl_buf buf;
        size_t start;       /* first byte not yet handed out */
        size_t scanned;     /* buf.data[start..scanned) holds no NUL */
        size_t max_message; /* longest message accepted, without its NUL */
};

/* Initialises an empty reader; max_message 0 means VGL_VARLINK_MAX_MESSAGE_DEFAULT. */
void vgl_varlink_reader_init(struct vgl_varlink_reader *r, size_t max_message);

/* Frees the buffer; the reader is empty and reusable afterwards. */
void vgl_varlink_reader_done(struct vgl_varlink_reader *r);

/* Returns the free space to read into: *ret_ptr, *ret_size bytes (at most
 * max_chunk; 0 means no limit). Moves handed-out bytes away first, so
 * pointers from vgl_varlink_reader_next become invalid. *ret_size can be 0
 * while complete messages wait: take them out first. -ENOMEM if the buffer
 * cannot grow. */
int vgl_varlink_reader_space(struct vgl_varlink_reader *r, size_t max_chunk, uint8_t **ret_ptr,
                             size_t *ret_size);

/* Marks n bytes of the space returned by vgl_varlink_reader_space as filled. */
void vgl_varlink_reader_advance(struct vgl_varlink_reader *r, size_t n);

/* Copies up to n bytes of data in; returns how many were taken (less than n
 * when the buffer is full: take messages out, then feed the rest), or
 * -ENOMEM. */
int vgl_varlink_reader_feed(struct vgl_varlink_reader *r, const void *data, size_t n);

/* Takes out the next complete message: returns 1 and points *ret_msg at its
 * text, NUL-terminated, *ret_len bytes without the NUL; the text stays valid
 * until the next call on r. Returns 0 if no complete message is buffered
 * yet, -EMSGSIZE if the partial message is already longer than max_message
 * (the stream cannot be resynchronised: drop the peer). */
int vgl_varlink_reader_next(struct vgl_varlink_reader *r, const char **ret_msg, size_t *ret_len);

/* Bytes buffered and not yet handed out (complete and partial messages). */
size_t vgl_varlink_reader_pending(const struct vgl_varlink_reader *r);
