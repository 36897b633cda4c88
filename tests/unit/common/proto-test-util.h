/* Test helpers shared by the protocol tests: a decoder event recorder. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"

#define REC_MAX_ERRORS 256

/* Everything a decoder reported, in a form two runs can be compared by. */
struct rec {
        struct vgl_buf log; /* per frame: type, stream, length (LE) then the payload */
        size_t frames;
        size_t frame_bytes; /* header + payload of every delivered frame */
        size_t nerr;        /* reports (only the first REC_MAX_ERRORS are kept) */
        struct vgl_decode_report errs[REC_MAX_ERRORS];
        size_t err_bytes;     /* sum of report bytes */
        size_t stop_every;    /* on_frame returns -ECANCELED every N frames (0: never) */
        const uint8_t *chunk; /* the chunk being fed, to see zero-copy delivery */
        size_t chunk_len;
        size_t in_place; /* frames whose payload pointed into chunk */
};

void rec_init(struct rec *r);
void rec_free(struct rec *r);
int rec_on_frame(const struct vgl_frame *f, void *userdata);
void rec_on_error(const struct vgl_decode_report *rep, void *userdata);

/* Decodes data fed in chunks of the given sizes (cycled; NULL: one chunk),
 * resuming after stops, then finishes. Aborts the test on decoder misuse. */
void rec_decode(struct rec *r, const uint8_t *data, size_t len, const size_t *sizes, size_t nsizes);

/* Number of reports of kind e; sum of their bytes in *ret_bytes if non-NULL. */
size_t rec_count(const struct rec *r, enum vgl_decode_error e, size_t *ret_bytes);

/* Writes a raw header with any field values (for malformed cases). */
void raw_header(uint8_t out[VGL_FRAME_HEADER_SIZE], uint32_t magic, uint8_t version, uint8_t type,
                uint16_t flags, uint32_t stream, uint32_t length);
