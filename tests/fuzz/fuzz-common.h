/* Logic shared by the libFuzzer harnesses and the corpus unit test, so the
 * committed corpus runs through exactly what the fuzzers run. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "proto.h"

#define FUZZ_MAX_ERRORS 32

struct fuzz_result {
        size_t frames;                               /* frames delivered */
        size_t parse_ok;                             /* frames whose typed parser accepted them */
        size_t parse_fail;                           /* frames whose typed parser rejected them */
        size_t nerr;                                 /* decoder reports */
        enum vgl_decode_error errs[FUZZ_MAX_ERRORS]; /* the first reports, in order */
};

/* Runs the typed parser for f->type (raw payload types always pass). On
 * success the result is encoded again and the encoding must parse and
 * re-encode to the same bytes; any disagreement aborts. Returns the first
 * parse's result. */
int fuzz_parse_frame(const struct vgl_frame *f, struct vgl_error *err);

/* The frame harness. Byte 0 picks how the rest is fed: 0 = one chunk, no
 * stops; otherwise it seeds chunk sizes and how often on_frame stops the
 * decoder. The rest is the byte stream. Checks the decoder's accounting
 * invariants (aborts on violation). ret may be NULL. */
void fuzz_frame_input(const uint8_t *data, size_t size, struct fuzz_result *ret);

/* The control-message harness: byte 0 = message type, byte 1 = stream, the
 * rest = payload. Returns fuzz_parse_frame()'s result (and -EINVAL if the
 * input is shorter than 2 bytes or longer than a frame). */
int fuzz_msg_input(const uint8_t *data, size_t size, struct vgl_error *err);
