/* Base64 (RFC 4648, standard alphabet, with padding) for the *_b64 fields of
 * io.vigil.Manager.
 *
 * The decoder treats its input as hostile: it accepts only the canonical
 * encoding (length a multiple of 4, '=' only as the last one or two
 * characters, unused bits zero, no whitespace), so every byte string has
 * exactly one accepted encoding. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Characters needed to encode len bytes (without the NUL), or SIZE_MAX if
 * that does not fit a size_t. */
size_t vgl_base64_encoded_len(size_t len);

/* Encodes data[0..len) into a new NUL-terminated string that the caller
 * frees. data may be NULL when len is 0. -ENOMEM, -EOVERFLOW. */
int vgl_base64_encode(const void *data, size_t len, char **ret);

/* Decodes text[0..len) into a new buffer of *ret_len bytes that the caller
 * frees (never NULL on success, even for an empty result; it is
 * NUL-terminated for convenience, the NUL not counted). -EBADMSG with *err
 * saying where the input is malformed; -ENOMEM. ret and ret_len untouched on
 * failure. */
int vgl_base64_decode(const char *text, size_t len, uint8_t **ret, size_t *ret_len,
                      struct vgl_error *err);
