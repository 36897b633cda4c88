/* libvigil-client: typed, blocking calls of vigild's socket API
 * (the varlink interface io.vigil.Manager, manager/io.vigil.Manager.varlink).
 *
 * One struct vgl_client is one connection, used from one thread at a time.
 * Every call returns 0 (or a count) on success and a negative errno on
 * failure, with *err saying why in words. When the failure is an error
 * reply from vigild, the errno is mapped from the varlink error (table in
 * client-error.c: NoSuchSandbox -> -ENOENT, PermissionDenied -> -EACCES, ...)
 * and vgl_client_error_name() / vgl_client_error_parameters() keep the
 * varlink error for callers; after any other failure they return NULL.
 * Transport failures are -ECONNRESET/-EPIPE (vigild went away), -ETIMEDOUT,
 * -EBADMSG (a malformed reply). Records returned (sandbox, tier, event)
 * borrow their strings from the reply JSON they hold; free them with their
 * *_done function. Nothing here logs or exits. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

#define VGL_CLIENT_INTERFACE      "io.vigil.Manager"
#define VGL_CLIENT_DEFAULT_SOCKET "/run/vigil/vigild.sock"
#define VGL_CLIENT_SOCKET_ENV     "VIGIL_SOCKET"

/* Largest payload (stdin of Exec, file of PutFile) sent inline in one call:
 * its base64 plus the call envelope stays under vigild's default 1 MiB
 * message cap. */
#define VGL_CLIENT_MAX_INLINE ((size_t)760 << 10)

struct vgl_client;

/* The socket path to use when none is given: $VIGIL_SOCKET if set and not
 * empty; else VGL_CLIENT_DEFAULT_SOCKET if it exists; else, for a non-root
 * caller, $XDG_RUNTIME_DIR/vigil/vigild.sock (where a non-root vigild
 * listens by default) if it exists; else VGL_CLIENT_DEFAULT_SOCKET. The
 * string is static (overwritten by the next call). */
const char *vgl_client_default_socket(void);

/* Connects to vigild at path (NULL: vgl_client_default_socket()). Caller
 * frees *ret with vgl_client_free. Errors from connect (-ENOENT,
 * -ECONNREFUSED, -EACCES, ...). */
int vgl_client_connect(const char *path, struct vgl_client **ret, struct vgl_error *err);

/* Closes the connection. Accepts NULL; returns NULL. */
struct vgl_client *vgl_client_free(struct vgl_client *c);

/* Limit in milliseconds for each later send or receive (< 0: none, the
 * default). Exec and Subscribe wait at most this long for each reply. */
void vgl_client_set_timeout(struct vgl_client *c, int timeout_ms);

/* The qualified varlink error of the last failed call
 * ("io.vigil.Manager.NoSuchSandbox"), or NULL if the last call did not fail
 * with an error reply. Valid until the next call on c. */
const char *vgl_client_error_name(const struct vgl_client *c);

/* The parameters of that error reply (borrowed, never NULL when
 * vgl_client_error_name is not NULL). */
struct json_object *vgl_client_error_parameters(const struct vgl_client *c);

/* ---- records ---- */

struct vgl_client_resources {
        int64_t vcpus, max_vcpus;
        int64_t memory_mib, max_memory_mib;
        int64_t cpu_quota_percent;
};

struct vgl_client_agent {
        const char *agent_version, *kernel;
        int64_t proto_version, heartbeats, last_heartbeat_age_ms;
};

struct vgl_client_label {
        const char *key, *value;
};

/* io.vigil.Manager.Sandbox. Strings are borrowed from json. */
struct vgl_client_sandbox {
        const char *id, *domain, *tier, *posture, *state;
        int64_t owner_uid;
        double desired_trust_level, trust_score;
        int64_t created;
        bool has_expires;
        int64_t expires;
        struct vgl_client_resources resources;
        bool has_agent;
        struct vgl_client_agent agent;
        struct vgl_client_label *labels; /* owned array, sorted by key */
        size_t n_labels;
        struct json_object *json; /* owned reference to the record as received */
};

/* io.vigil.Manager.Tier. */
struct vgl_client_tier {
        const char *name, *posture, *image, *network;
        double min_trust, max_trust;
        struct vgl_client_resources resources;
        int64_t pool_target, pool_ready;
        struct json_object *json;
};

/* io.vigil.Manager.Event. */
struct vgl_client_event {
        int64_t time;
        const char *sandbox, *kind, *message;
        struct json_object *json;
};

/* Decodes a Sandbox object (from a reply or a file). Checks every field's
 * presence and type; -EBADMSG naming the field otherwise. Takes its own
 * reference on o. Free with vgl_client_sandbox_done. */
int vgl_client_sandbox_decode(struct json_object *o, struct vgl_client_sandbox *ret,
                              struct vgl_error *err);
int vgl_client_tier_decode(struct json_object *o, struct vgl_client_tier *ret,
                           struct vgl_error *err);
int vgl_client_event_decode(struct json_object *o, struct vgl_client_event *ret,
                            struct vgl_error *err);

/* Free the members and zero the record. Accept a zeroed record. */
void vgl_client_sandbox_done(struct vgl_client_sandbox *s);
void vgl_client_tier_done(struct vgl_client_tier *t);
void vgl_client_event_done(struct vgl_client_event *e);

/* Free arrays of n records (and the array). Accept NULL. */
void vgl_client_sandboxes_free(struct vgl_client_sandbox *s, size_t n);
void vgl_client_tiers_free(struct vgl_client_tier *t, size_t n);

/* ---- sandboxes ---- */

struct vgl_client_reserve_request {
        double desired_trust_level;            /* [0, 1] */
        const char *tier;                      /* NULL: chosen from the trust level */
        int64_t ttl_s;                         /* 0: the tier's default */
        const struct vgl_client_label *labels; /* n_labels pairs, may be NULL */
        size_t n_labels;
};

/* Reserve: a sandbox for the caller, returned in *ret. */
int vgl_client_reserve(struct vgl_client *c, const struct vgl_client_reserve_request *req,
                       struct vgl_client_sandbox *ret, struct vgl_error *err);

/* Release: destroys the sandbox's VM. */
int vgl_client_release(struct vgl_client *c, const char *id, struct vgl_error *err);

/* List: the caller's sandboxes (all of them for root) in a new array of
 * *ret_n records; free with vgl_client_sandboxes_free. */
int vgl_client_list(struct vgl_client *c, struct vgl_client_sandbox **ret, size_t *ret_n,
                    struct vgl_error *err);

/* Get: one sandbox. */
int vgl_client_get(struct vgl_client *c, const char *id, struct vgl_client_sandbox *ret,
                   struct vgl_error *err);

/* ListTiers: the tiers, as vgl_client_list. */
int vgl_client_list_tiers(struct vgl_client *c, struct vgl_client_tier **ret, size_t *ret_n,
                          struct vgl_error *err);

/* ---- exec ---- */

enum vgl_client_stream {
        VGL_CLIENT_STDOUT = 1,
        VGL_CLIENT_STDERR = 2,
};

enum vgl_client_exit_kind {
        VGL_CLIENT_EXITED,   /* code: the exit status */
        VGL_CLIENT_SIGNALED, /* code: the signal */
        VGL_CLIENT_TIMEOUT,  /* killed after timeout_ms; code: the signal */
        VGL_CLIENT_FAILED,   /* could not be started */
        VGL_CLIENT_UNKNOWN,  /* a status this client does not know */
};

/* io.vigil.Manager.ExecExit. */
struct vgl_client_exec_exit {
        enum vgl_client_exit_kind kind;
        char status[32]; /* as received, truncated */
        int64_t code;
        int64_t duration_ms;
};

struct vgl_client_exec_request {
        const char *const *argv; /* NULL-terminated, at least one element */
        const char *const *env;  /* NULL-terminated "K=V" list, or NULL */
        const char *cwd;         /* or NULL */
        int64_t uid;             /* < 0: not sent */
        int64_t timeout_ms;      /* <= 0: not sent */
        const void *stdin_data;  /* sent as stdin_b64 when not NULL */
        size_t stdin_len;        /* at most VGL_CLIENT_MAX_INLINE */
        bool no_stream;          /* call without "more": one reply with all output */
        const char *supervise;   /* "trace", "critical", "off", "default"; NULL: not sent */
};

/* Callbacks of an Exec, each optional. A negative return stops the call
 * with that error; the connection is then closed (the stream cannot be
 * resumed). data is only valid during the call. */
struct vgl_client_exec_ops {
        /* Each reply's parameters as received, before the typed callbacks. */
        int (*on_reply)(void *userdata, struct json_object *parameters);
        int (*on_output)(void *userdata, enum vgl_client_stream stream, const uint8_t *data,
                         size_t len);
        int (*on_exit)(void *userdata, const struct vgl_client_exec_exit *exit);
};

/* Exec: runs argv in the sandbox and delivers its output as it arrives,
 * then its exit (also copied to *ret_exit when not NULL). A stream that
 * ends without an exit is -EPROTO. */
int vgl_client_exec(struct vgl_client *c, const char *id, const struct vgl_client_exec_request *req,
                    const struct vgl_client_exec_ops *ops, void *userdata,
                    struct vgl_client_exec_exit *ret_exit, struct vgl_error *err);

/* Parses an exit status name ("exited", "signaled", "timeout", "failed"). */
enum vgl_client_exit_kind vgl_client_exit_kind_from_string(const char *s);

/* ---- files ---- */

/* PutFile: writes data[0..len) (len <= VGL_CLIENT_MAX_INLINE, else -EFBIG)
 * to path in the sandbox; mode < 0: not sent. *ret_size (may be NULL): the
 * size vigild wrote. */
int vgl_client_put_file(struct vgl_client *c, const char *id, const char *path, const void *data,
                        size_t len, int mode, int64_t *ret_size, struct vgl_error *err);

struct vgl_client_file {
        uint8_t *data; /* owned, NUL-terminated (not counted in size) */
        size_t size;
        int mode;
};

/* GetFile: reads path from the sandbox; max_size <= 0: not sent (vigild's
 * limit applies). Free ret->data. A size field that disagrees with the
 * decoded data is -EBADMSG. */
int vgl_client_get_file(struct vgl_client *c, const char *id, const char *path, int64_t max_size,
                        struct vgl_client_file *ret, struct vgl_error *err);

/* ---- events ---- */

/* Subscribe: starts the event stream (of one sandbox, or all when sandbox is
 * NULL). Read it with vgl_client_next_event; the connection carries nothing
 * else until the stream ends. */
int vgl_client_subscribe(struct vgl_client *c, const char *sandbox, struct vgl_error *err);

/* The next event of the stream: 1 with *ret filled, 0 when the stream has
 * ended (nothing in *ret), -ETIMEDOUT after the client's timeout. */
int vgl_client_next_event(struct vgl_client *c, struct vgl_client_event *ret,
                          struct vgl_error *err);

/* ---- the personality profile and the audit trail ---- */

/* GetProfile: the profile of sandbox id as JSON (*ret, an owned reference;
 * its fields are documented in docs/trust.md). */
int vgl_client_get_profile(struct vgl_client *c, const char *id, struct json_object **ret,
                           struct vgl_error *err);

/* UpdateProfile (admins): changes is an object of "key": value pairs
 * (borrowed); answers when the result is enforced. *ret_profile (may be
 * NULL): the profile after. */
int vgl_client_update_profile(struct vgl_client *c, const char *id, struct json_object *changes,
                              struct json_object **ret_profile, struct vgl_error *err);

/* Adjust: an adjust round now; answers when its decision is carried out.
 * Either output may be NULL. */
int vgl_client_adjust(struct vgl_client *c, const char *id, struct json_object **ret_decision,
                      struct json_object **ret_profile, struct vgl_error *err);

/* ModelStatus: the detectors' model and corpus (*ret owned; fields in
 * the IDL). */
int vgl_client_model_status(struct vgl_client *c, struct json_object **ret, struct vgl_error *err);

/* ModelRetrain (admins): answers when the retraining ended, with its
 * outcome in *ret (owned). */
int vgl_client_model_retrain(struct vgl_client *c, struct json_object **ret, struct vgl_error *err);

/* MarkBenign (admins): the sandbox's recent behaviour joins the normal
 * corpus (a false alarm); *ret: {traces, corpus_runs}, owned. */
int vgl_client_mark_benign(struct vgl_client *c, const char *id, struct json_object **ret,
                           struct vgl_error *err);

/* Hop (admins): moves the workload into tier's template; answers when the
 * agent is back. Either output may be NULL. A failed hop is -EIO with the
 * error io.vigil.Manager.HopFailed {reason, state}. */
int vgl_client_hop(struct vgl_client *c, const char *id, const char *tier,
                   struct json_object **ret_profile, struct json_object **ret_hop,
                   struct vgl_error *err);

/* Audit (admins): starts streaming the records with seq >= since (0: all);
 * with follow, records appended later too. Read with
 * vgl_client_next_audit_record. */
int vgl_client_audit(struct vgl_client *c, int64_t since, bool follow, struct vgl_error *err);

/* The next record of the stream: 1 with *ret (an owned reference), 0 at
 * the end (without follow), -ETIMEDOUT after the client's timeout. */
int vgl_client_next_audit_record(struct vgl_client *c, struct json_object **ret,
                                 struct vgl_error *err);

/* AuditVerify's answer. */
struct vgl_client_audit_verdict {
        bool ok;
        int64_t records, torn_bytes;
        int64_t line, seq; /* the first broken record, when !ok */
        char reason[VGL_ERROR_MSG_MAX];
};

/* AuditVerify (admins): checks the whole trail. */
int vgl_client_audit_verify(struct vgl_client *c, struct vgl_client_audit_verdict *ret,
                            struct vgl_error *err);

/* ---- service ---- */

struct vgl_client_info {
        char vendor[64], product[64], version[64], url[256];
};

/* org.varlink.service.GetInfo. */
int vgl_client_get_info(struct vgl_client *c, struct vgl_client_info *ret, struct vgl_error *err);

static inline void vgl_client_freep(struct vgl_client **c)
{
        vgl_client_free(*c);
}
#define _cleanup_client_ __attribute__((cleanup(vgl_client_freep)))

static inline void vgl_client_sandbox_donep(struct vgl_client_sandbox *s)
{
        vgl_client_sandbox_done(s);
}
#define _cleanup_sandbox_ __attribute__((cleanup(vgl_client_sandbox_donep)))
