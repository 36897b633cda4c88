/* Model files: one per trained component, in the model directory.
 *
 * Layout (little-endian), 32-byte header then the payload:
 *   0  magic "VGLDETM\0"
 *   8  u16 format version (VGL_MODEL_FORMAT)
 *  10  u16 kind (enum vgl_model_kind)
 *  12  u32 flags (0)
 *  16  u64 payload length
 *  24  u32 CRC-32 of the payload
 *  28  u32 CRC-32 of header bytes 0..27
 * The payload holds the kind's parameters first, then its weights and its
 * calibration table. Loading checks everything above before the payload is
 * parsed, and names the file and the field on any mismatch. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VGL_MODEL_MAGIC       "VGLDETM"
#define VGL_MODEL_FORMAT      1u
#define VGL_MODEL_HEADER_SIZE 32u
#define VGL_MODEL_PAYLOAD_MAX (256u << 20) /* bytes */

enum vgl_model_kind {
        VGL_MODEL_STIDE = 1,
        VGL_MODEL_AE = 2,
        VGL_MODEL_LM = 3,
        VGL_MODEL_KNN = 4,
        VGL_MODEL_DETECTOR = 5,
        VGL_MODEL_NGRAM = 6,
};

/* Writes header + payload to path atomically (a temporary file renamed). */
int vgl_model_file_write(const char *path, uint16_t kind, const void *payload, size_t len,
                         struct vgl_error *err);

/* Reads and checks path; *ret_payload is malloc'ed. -EBADMSG on a bad
 * magic, checksum or length, -EPROTONOSUPPORT on another format version,
 * -EMEDIUMTYPE when the kind is not `kind`. */
int vgl_model_file_read(const char *path, uint16_t kind, uint8_t **ret_payload, size_t *ret_len,
                        struct vgl_error *err);
