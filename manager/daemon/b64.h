/* Base64 (RFC 4648, standard alphabet, padded) for the API's *_b64 fields. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes into a new NUL-terminated string (*ret, free()). -ENOMEM. */
int vgd_b64_encode(const uint8_t *data, size_t len, char **ret);

/* Decodes text (padding required, no whitespace) into a new buffer (*ret,
 * free(); *ret_len bytes). -EINVAL for text that is not base64, -ENOMEM. */
int vgd_b64_decode(const char *text, size_t len, uint8_t **ret, size_t *ret_len);
