/* Audit trail internals shared by the writer, the reader and the tests. */
#pragma once

#include <time.h>

#include "audit.h"

/* The hash field that ends every line: `,"hash":"` 64 hex `"}`. */
#define VGL_AUDIT_HASH_KEY  ",\"hash\":\""
#define VGL_AUDIT_HASH_TAIL (sizeof(VGL_AUDIT_HASH_KEY) - 1 + VGL_AUDIT_HASH_HEX + 2)

/* The prev of seq 1. */
extern const char vgl_audit_genesis[VGL_AUDIT_HASH_HEX + 1];

/* "2025-01-31T12:00:00.123Z" (UTC) into out. */
void vgl_audit_format_time(const struct timespec *ts, char out[VGL_AUDIT_TIME_LEN + 1]);

/* Hex SHA-256 of a[0..alen) followed by b[0..blen) (libcrypto's EVP). -ENOMEM/-EIO. */
int vgl_audit_sha256_hex(const void *a, size_t alen, const void *b, size_t blen,
                         char out[VGL_AUDIT_HASH_HEX + 1]);

/* Builds the complete line of a record, newline included, into a new
 * buffer (*ret_line, caller frees; *ret_len bytes). The result is parsed
 * back before it is returned, so anything this writes also verifies. */
int vgl_audit_format_line(uint64_t seq, const char *time, enum vgl_audit_type type,
                          const char *sandbox, int64_t actor, struct json_object *details,
                          const char *prev, char **ret_line, size_t *ret_len,
                          struct vgl_error *err);

/* Parses and checks one line (len bytes, without its newline): canonical
 * syntax, field values and the record's own hash, not its link to the
 * previous record. Fills *ret (line number left 0) or returns -EBADMSG with
 * *err saying why; ret->seq is set as soon as it could be read. */
int vgl_audit_parse_line(const char *line, size_t len, struct vgl_audit_record *ret,
                         struct vgl_error *err);

/* Checks that r follows a record (prev_seq, prev_hash): seq one more, prev
 * equal. -EBADMSG with *err saying how it does not. */
int vgl_audit_check_link(const struct vgl_audit_record *r, uint64_t prev_seq, const char *prev_hash,
                         struct vgl_error *err);
