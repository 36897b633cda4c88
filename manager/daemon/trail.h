/* vigild's audit trail: STATE_DIR/audit.log (manager/audit.h), one
 * hash-chained record per decision, made durable before the decision is
 * acknowledged, and the Audit calls that follow the log. */
#pragma once

#include <json-c/json.h>

#include "audit.h"
#include "daemon.h"

#define VGD_AUDIT_FILE "audit.log"

/* Opens (creating) STATE_DIR/audit.log. vigild's single writer: -EBUSY
 * when another process holds it, -EBADMSG when its last record is broken. */
int vgd_trail_open(struct vgd_daemon *d, struct vgl_error *err);

/* Ends the Audit streams and closes the log. */
void vgd_trail_close(struct vgd_daemon *d);

/* Appends one record (details borrowed, may be NULL) and wakes the Audit
 * streams. s may be NULL (a daemon record); actor is a uid or
 * VGL_AUDIT_ACTOR_VIGILD. On failure (disk full...) the error is logged
 * once here and returned: the caller must not acknowledge what it was
 * about to acknowledge. Without a log (unit tests) it does nothing. */
int vgd_trail_append(struct vgd_daemon *d, enum vgl_audit_type type, const struct vgd_sandbox *s,
                     int64_t actor, struct json_object *details, struct vgl_error *err);

/* The release record of s (why: "released", "time-to-live reached"...). */
int vgd_trail_release(const struct vgd_sandbox *s, int64_t actor, const char *why,
                      struct vgl_error *err);

/* A JSON number written in the shortest form that reads back within 1e-10
 * ("0.7", not "0.69999999999999996"). NULL without memory. */
struct json_object *vgd_json_double(double d);

/* Builds a details object from key/value pairs ending with NULL, each
 * value a new json_object (taken, may be NULL for null). NULL without
 * memory. */
struct json_object *vgd_trail_details(const char *key, ...) __attribute__((sentinel));

/* ---- Audit calls (api-audit.c) ---- */

/* Streams the records with seq >= since to call (a `more` call), then,
 * with follow, every record appended later; without it the stream ends
 * with a reply carrying no record. Takes a reference on call. */
int vgd_trail_stream(struct vgd_daemon *d, struct vgl_varlink_call *call, uint64_t since,
                     bool follow, struct vgl_error *err);

/* Ends every stream (vigild is stopping). */
void vgd_trail_streams_end(struct vgd_daemon *d);
