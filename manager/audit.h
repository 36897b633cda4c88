/* The audit trail: an append-only, hash-chained JSON-lines log.
 *
 * Every decision vigild takes (reservations, adjustments, enforcement,
 * denials, hops, model and configuration changes) is one line:
 *
 *   {"seq":7,"time":"2025-01-31T12:00:00.123Z","type":"hop","sandbox":"a1b2",
 *    "actor":1000,"details":{...},"prev":"<64 hex>","hash":"<64 hex>"}
 *
 * Fields appear in exactly this order. "seq" counts from 1 without gaps;
 * "time" is UTC with milliseconds; "sandbox" is an id or null; "actor" is the
 * uid that asked, or null for vigild's own decisions; "prev" is the previous
 * record's "hash" (64 zeros for seq 1). "hash" is the lowercase hex SHA-256
 * of the line's bytes up to, not including, `,"hash":` followed by `}`: the
 * record as written without its hash field. Verification hashes those bytes
 * as they are, so it never depends on re-serialising JSON.
 *
 * Durability: vgl_audit_append() returns only after the line was written
 * and fdatasync()ed: a record the caller acknowledges survives a crash or
 * kill -9 of the daemon. When open creates the file, the file and its
 * directory are fsync()ed so the file's name is durable too. A crash in the
 * middle of a write leaves at most one incomplete final line, which was
 * never acknowledged: the next open cuts it off (and says so). When a write
 * or fdatasync fails (ENOSPC, EIO, EFBIG), append truncates the file back to
 * its last complete record and returns the error: the caller must refuse
 * the action, and a later append continues the chain. (A process with a
 * file-size limit should ignore SIGXFSZ, so that the limit reads as EFBIG.) If even that cleanup
 * fails the handle refuses every later append with -EIO until reopened.
 *
 * One writer per file: open takes an exclusive flock(2); a handle is not
 * thread-safe. Readers (verify, the record reader) need no lock and only
 * ever consume complete lines.
 *
 * The chain detects any edit, insertion, deletion or reordering of records
 * unless every later hash is recomputed too; to pin the log against that,
 * keep the head (vgl_audit_head) somewhere else as well. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

#define VGL_AUDIT_LINE_MAX     (64u * 1024u) /* bytes of one record, newline included */
#define VGL_AUDIT_SANDBOX_MAX  64u           /* bytes of a sandbox id, without the NUL */
#define VGL_AUDIT_HASH_HEX     64u           /* hex digits of a SHA-256 */
#define VGL_AUDIT_TIME_LEN     24u           /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define VGL_AUDIT_ACTOR_VIGILD (-1)          /* actor of vigild's own decisions ("actor":null) */

enum vgl_audit_type {
        VGL_AUDIT_RESERVATION = 0,
        VGL_AUDIT_RELEASE,
        VGL_AUDIT_ADJUSTMENT,
        VGL_AUDIT_ENFORCEMENT,
        VGL_AUDIT_DENIAL,
        VGL_AUDIT_HOP,
        VGL_AUDIT_MODEL,
        VGL_AUDIT_PROFILE_UPDATE,
        VGL_AUDIT_CONFIG,
        VGL_AUDIT_TYPE_COUNT,
};

/* "reservation", "release", "adjustment", "enforcement", "denial", "hop",
 * "model", "profile_update", "config"; NULL out of range. */
const char *vgl_audit_type_name(enum vgl_audit_type t);

/* The type called name; -EINVAL if none. */
int vgl_audit_type_from_name(const char *name, enum vgl_audit_type *ret);

/* ---- writing ---- */

struct vgl_audit;

/* What open found in an existing file. */
struct vgl_audit_open_info {
        bool created;        /* the file did not exist */
        uint64_t records;    /* records in the file (the last seq) */
        uint64_t torn_bytes; /* bytes of an incomplete final line that were cut off */
};

/* Opens the log at path for appending, creating it (mode 0640) if missing.
 * An existing file's last complete record is checked (its own hash, its
 * syntax) and gives the seq and hash the chain continues from; the rest of
 * the file is not read (vgl_audit_verify checks all of it). An incomplete
 * final line is cut off and reported in *ret_info (may be NULL). Errors:
 * -EBADMSG when the last record is broken (*err gives its byte offset; run
 * vgl_audit_verify for the line), -EBUSY when
 * another process holds the log, or the errno of a failed call. */
int vgl_audit_open(const char *path, struct vgl_audit **ret, struct vgl_audit_open_info *ret_info,
                   struct vgl_error *err);

/* Closes a; accepts NULL, returns NULL. Every appended record is already durable. */
struct vgl_audit *vgl_audit_close(struct vgl_audit *a);

static inline void vgl_audit_closep(struct vgl_audit **a)
{
        *a = vgl_audit_close(*a);
}

/* Appends one record and makes it durable before returning. sandbox may be
 * NULL (printable ASCII, at most VGL_AUDIT_SANDBOX_MAX bytes otherwise);
 * actor is a uid or VGL_AUDIT_ACTOR_VIGILD; details is a JSON object or NULL
 * ({}), borrowed. *ret_seq (may be NULL) gets the record's seq. -EINVAL for
 * bad arguments, -E2BIG when the line would exceed VGL_AUDIT_LINE_MAX,
 * -ENOSPC/-EIO/-EFBIG... when the disk refused it: nothing was logged then
 * and the file still ends with the previous record. */
int vgl_audit_append(struct vgl_audit *a, enum vgl_audit_type type, const char *sandbox,
                     int64_t actor, struct json_object *details, uint64_t *ret_seq,
                     struct vgl_error *err);

/* The last record's seq (0 for an empty log) and hash (64 hex digits, or
 * zeros); the hash pointer is valid until the next append or close. */
uint64_t vgl_audit_head(const struct vgl_audit *a, const char **ret_hash);

/* ---- reading and verifying ---- */

/* One record as read back. */
struct vgl_audit_record {
        uint64_t line; /* 1-based line number in the file */
        uint64_t seq;
        char time[VGL_AUDIT_TIME_LEN + 1];
        enum vgl_audit_type type;
        bool has_sandbox;
        char sandbox[VGL_AUDIT_SANDBOX_MAX + 1];
        int64_t actor; /* uid or VGL_AUDIT_ACTOR_VIGILD */
        char prev[VGL_AUDIT_HASH_HEX + 1];
        char hash[VGL_AUDIT_HASH_HEX + 1];
        struct json_object *json;    /* the whole record, owned: vgl_audit_record_clear */
        struct json_object *details; /* borrowed from json */
};

/* Releases r->json and zeroes *r; accepts a zeroed record. */
void vgl_audit_record_clear(struct vgl_audit_record *r);

struct vgl_audit_reader;

/* Opens path for reading records with seq >= from_seq (0 or 1: all). */
int vgl_audit_reader_open(const char *path, uint64_t from_seq, struct vgl_audit_reader **ret,
                          struct vgl_error *err);

/* Frees r; accepts NULL, returns NULL. */
struct vgl_audit_reader *vgl_audit_reader_free(struct vgl_audit_reader *r);

static inline void vgl_audit_reader_freep(struct vgl_audit_reader **r)
{
        *r = vgl_audit_reader_free(*r);
}

/* Reads the next record into *ret (clear it with vgl_audit_record_clear).
 * Every record read, including the skipped ones before from_seq, is checked
 * against its hash and the chain. Returns 1 with a record; 0 at the current
 * end of the file (an incomplete last line counts as not written yet: call
 * again later to follow a growing log); -EBADMSG with *err naming the line
 * when a record is broken (the reader stays there); or a read errno. */
int vgl_audit_reader_next(struct vgl_audit_reader *r, struct vgl_audit_record *ret,
                          struct vgl_error *err);

/* Result of a verification. */
struct vgl_audit_verdict {
        bool ok;
        uint64_t records;    /* intact records before the first broken one (all if ok) */
        uint64_t torn_bytes; /* an incomplete final line (not an error: never acknowledged) */
        /* when !ok: the first broken record */
        uint64_t line; /* 1-based */
        uint64_t seq;  /* the seq it claims, 0 if unreadable */
        char why[VGL_ERROR_MSG_MAX];
};

/* Checks the whole file: each record's syntax and hash, seq counting from 1
 * without gaps, each prev equal to the previous hash. Returns 0 with *ret
 * filled, broken or not; a negative errno only when the file cannot be read. */
int vgl_audit_verify(const char *path, struct vgl_audit_verdict *ret, struct vgl_error *err);
