/* Internals shared by the control-message files (proto-msg*.c). */
#pragma once

#include "proto-msg.h"

/* Returns from the calling function if expr is negative. */
#define VGL_TRY(expr)                                                                              \
        do {                                                                                       \
                int _try_r = (expr);                                                               \
                if (_try_r < 0)                                                                    \
                        return _try_r;                                                             \
        } while (0)

/* Reads the fields of a parsed JSON object into the message struct at out. */
typedef int (*vgl_msg_fields_fn)(struct json_object *o, void *out, struct vgl_error *err);

/* Checks f->type (and a non-zero stream when need_stream), parses the JSON
 * payload and runs fields() on it. Errors in *err are prefixed with the
 * message name ("exec: missing field \"argv\""). */
int vgl_msg_parse_typed(const struct vgl_frame *f, uint8_t type, bool need_stream,
                        vgl_msg_fields_fn fields, void *out, struct vgl_error *err);

/* Encodes o as a frame and drops the reference to o. */
int vgl_msg_append_put(struct vgl_buf *b, uint8_t type, uint32_t stream, struct json_object *o);

/* An integer field in [0, max] (max <= UINT32_MAX) stored as u32. */
int vgl_json_get_u32(struct json_object *o, const char *name, bool required, uint32_t max,
                     uint32_t *ret, struct vgl_error *err);

/* Copies src into dst (size bytes) as valid UTF-8 text: cut at a character
 * boundary, bytes that are not UTF-8 replaced by '?'. NULL src gives "". */
void vgl_text_sanitize(char *dst, size_t size, const char *src);

/* 0 if s is valid UTF-8 of at most max_len bytes, else -EINVAL (for encoders). */
int vgl_text_check(const char *s, size_t max_len);

/* 0 if s is NUL-terminated within size bytes and printable ASCII, else -EINVAL. */
int vgl_name_check(const char *s, size_t size);

/* A path field checked with vgl_path_validate(), copied into ret. */
int vgl_json_get_path(struct json_object *o, const char *name, bool required,
                      char ret[VGL_MAX_PATH_LEN + 1], struct vgl_error *err);
