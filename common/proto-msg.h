/* Control messages of the wire protocol: typed views of the JSON payloads.
 *
 * Each message has an _append function (encode into a whole frame appended to
 * a buffer) and a _parse function (validate a received frame into the typed
 * struct). Parsers treat the payload as hostile: every field is type-checked
 * and bounded, unknown fields are ignored (forward compatibility), and a
 * missing required field is an error naming that field. On failure the ret_
 * struct is untouched and *err says why. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "buf.h"
#include "error.h"
#include "proto.h"

#define VGL_PROTO_MIN_VERSION 1 /* oldest protocol version this build still speaks */

#define VGL_MAX_ARGS     256
#define VGL_MAX_ENV      256
#define VGL_MAX_ARG_LEN  4096
#define VGL_MAX_PATH_LEN 4096
#define VGL_MAX_NAME_LEN 128

/* Capabilities announced in HELLO ("caps": array of these names). */
enum vgl_cap {
        VGL_CAP_EXEC = 1u << 0,           /* "exec" */
        VGL_CAP_FILES = 1u << 1,          /* "files" */
        VGL_CAP_RESOURCES = 1u << 2,      /* "resources" */
        VGL_CAP_CGROUP2 = 1u << 3,        /* "cgroup2" */
        VGL_CAP_SECCOMP_NOTIFY = 1u << 4, /* "seccomp-notify" */
        VGL_CAP_POLICY = 1u << 5,         /* "policy" */
        VGL_CAP_TRACE_BPF = 1u << 6,      /* "trace-bpf": trace mode captures with eBPF */
};

/* HELLO: {"proto_version":1,"proto_min":1,"agent_version":"0.1.0",
 *         "kernel":"6.1.0-28-amd64","machine":"x86_64","hostname":"vigil",
 *         "uptime_ms":1834,"init":true,"caps":["exec","files",...]} */
struct vgl_hello {
        uint32_t proto_version;
        uint32_t proto_min;
        char agent_version[64];
        char kernel[VGL_MAX_NAME_LEN];
        char machine[32];
        char hostname[64];
        uint64_t uptime_ms;
        bool init_mode; /* the agent is the VM's PID 1 */
        uint32_t caps;  /* enum vgl_cap bits */
};
/* proto_version / proto_min 0 mean this build's VGL_PROTO_VERSION /
 * VGL_PROTO_MIN_VERSION. -EINVAL if agent_version is empty or a string field
 * is not printable ASCII. */
int vgl_msg_hello_append(struct vgl_buf *b, const struct vgl_hello *h);
int vgl_msg_hello_parse(const struct vgl_frame *f, struct vgl_hello *ret, struct vgl_error *err);

/* HELLO_ACK: {"proto_version":1,"host_version":"0.1.0","heartbeat_ms":1000,"sample_ms":1000} */
struct vgl_hello_ack {
        uint32_t proto_version; /* the version both sides now speak */
        char host_version[64];
        uint32_t heartbeat_ms; /* 0 = agent default */
        uint32_t sample_ms;    /* 0 = agent default */
};
int vgl_msg_hello_ack_append(struct vgl_buf *b, const struct vgl_hello_ack *a);
int vgl_msg_hello_ack_parse(const struct vgl_frame *f, struct vgl_hello_ack *ret,
                            struct vgl_error *err);

/* Checks that a peer speaking [peer_min, peer_version] and this build overlap.
 * Returns the version to speak (>0), or -EPROTONOSUPPORT with a message
 * naming both ranges. */
int vgl_proto_negotiate(uint32_t peer_min, uint32_t peer_version, struct vgl_error *err);

/* ERROR: {"code":"version-mismatch","message":"...","ref_type":16}; stream = the
 * stream the error is about (0: the connection). Codes: "version-mismatch",
 * "bad-request", "unknown-stream", "busy", "internal", "not-ready". */
struct vgl_error_msg {
        char code[32];
        char message[VGL_ERROR_MSG_MAX];
        uint8_t ref_type; /* type of the message being answered, 0 if none */
};
int vgl_msg_error_append(struct vgl_buf *b, uint32_t stream, const char *code, uint8_t ref_type,
                         const char *message);
int vgl_msg_error_parse(const struct vgl_frame *f, struct vgl_error_msg *ret,
                        struct vgl_error *err);

/* How one command is supervised ("supervise" in EXEC). */
enum vgl_exec_supervise {
        VGL_EXEC_SUP_DEFAULT = 0, /* "default" (or absent): as the permission set says */
        VGL_EXEC_SUP_TRACE,       /* "trace": supervised, every system call reported */
        VGL_EXEC_SUP_CRITICAL,    /* "critical": supervised, critical calls only */
        VGL_EXEC_SUP_OFF,         /* "off": unsupervised; refused unless the set allows it */
};
/* "default", "trace", "critical", "off"; "unknown" otherwise. */
const char *vgl_exec_supervise_name(enum vgl_exec_supervise s);
/* And back: -EINVAL for an unknown name. */
int vgl_exec_supervise_from_name(const char *name, enum vgl_exec_supervise *ret);

/* EXEC: {"argv":["uname","-r"],"env":["PATH=/bin"],"cwd":"/","uid":0,"gid":0,
 *        "timeout_ms":0,"stdin":false,"supervise":"trace"}
 * argv: 1..VGL_MAX_ARGS strings; env optional (absent = agent default env);
 * cwd optional ("/"); uid/gid optional (-1 = the agent's own); timeout_ms 0 = none;
 * stdin true = the host streams STDIN frames, false = /dev/null; supervise
 * optional (absent = "default", which the encoder leaves out). */
struct vgl_exec_request {
        char **argv; /* NULL-terminated */
        char **env;  /* NULL-terminated, or NULL for the default environment */
        char *cwd;   /* or NULL */
        int64_t uid;
        int64_t gid;
        uint32_t timeout_ms;
        bool stdin_pipe;
        enum vgl_exec_supervise supervise;
};
int vgl_msg_exec_append(struct vgl_buf *b, uint32_t stream, const struct vgl_exec_request *r);
int vgl_msg_exec_parse(const struct vgl_frame *f, struct vgl_exec_request *ret,
                       struct vgl_error *err);
/* Frees the members of r (not r itself) and zeroes it. */
void vgl_exec_request_done(struct vgl_exec_request *r);

/* EXEC_STARTED: {"pid":123} */
int vgl_msg_exec_started_append(struct vgl_buf *b, uint32_t stream, int64_t pid);
int vgl_msg_exec_started_parse(const struct vgl_frame *f, int64_t *ret_pid, struct vgl_error *err);

/* EXEC_EXIT: {"status":"exited","code":0,"duration_ms":12,"stdout_bytes":6,
 *             "stderr_bytes":0,"error":""}
 * status "exited": code = exit status (127: command not found, 126: not executable);
 * "signaled": code = signal number; "timeout": killed after timeout_ms, code = signal;
 * "failed": could not be started at all (error says why), code = -1. */
enum vgl_exit_status {
        VGL_EXIT_EXITED = 0,
        VGL_EXIT_SIGNALED,
        VGL_EXIT_TIMEOUT,
        VGL_EXIT_FAILED,
};
struct vgl_exec_exit {
        enum vgl_exit_status status;
        int32_t code;
        uint64_t duration_ms;
        uint64_t stdout_bytes;
        uint64_t stderr_bytes;
        char error[VGL_ERROR_MSG_MAX];
};
const char *vgl_exit_status_name(enum vgl_exit_status s);
int vgl_msg_exec_exit_append(struct vgl_buf *b, uint32_t stream, const struct vgl_exec_exit *x);
int vgl_msg_exec_exit_parse(const struct vgl_frame *f, struct vgl_exec_exit *ret,
                            struct vgl_error *err);

/* SIGNAL: {"signal":15} -- delivered to the command's process group. */
int vgl_msg_signal_append(struct vgl_buf *b, uint32_t stream, int32_t sig);
int vgl_msg_signal_parse(const struct vgl_frame *f, int32_t *ret_sig, struct vgl_error *err);

/* FILE_PUT: {"path":"/tmp/x","size":1024,"mode":420}  (host -> agent, data follows)
 * FILE_GET: {"path":"/tmp/x","max_size":1048576}       (agent answers with data)
 * path: absolute, <= VGL_MAX_PATH_LEN, no NUL, no ".." component. */
struct vgl_file_request {
        char path[VGL_MAX_PATH_LEN + 1];
        uint64_t size; /* PUT: bytes that will follow; GET: max_size */
        uint32_t mode; /* PUT: permission bits (0..07777); GET: unused */
};
int vgl_msg_file_put_append(struct vgl_buf *b, uint32_t stream, const char *path, uint64_t size,
                            uint32_t mode);
int vgl_msg_file_get_append(struct vgl_buf *b, uint32_t stream, const char *path,
                            uint64_t max_size);
/* Parses FILE_PUT or FILE_GET (by f->type). */
int vgl_msg_file_request_parse(const struct vgl_frame *f, struct vgl_file_request *ret,
                               struct vgl_error *err);

/* FILE_RESULT: {"ok":true,"size":1024,"mode":420,"error":""} */
struct vgl_file_result {
        bool ok;
        uint64_t size;
        uint32_t mode;
        char error[VGL_ERROR_MSG_MAX];
};
int vgl_msg_file_result_append(struct vgl_buf *b, uint32_t stream, const struct vgl_file_result *r);
int vgl_msg_file_result_parse(const struct vgl_frame *f, struct vgl_file_result *ret,
                              struct vgl_error *err);

/* SHUTDOWN: {"action":"poweroff"} or {"action":"reboot"} */
int vgl_msg_shutdown_append(struct vgl_buf *b, bool reboot);
int vgl_msg_shutdown_parse(const struct vgl_frame *f, bool *ret_reboot, struct vgl_error *err);

/* Checks a transfer path: absolute, bounded, no NUL, no "." or ".." component.
 * 0 or -EINVAL with *err naming the problem. */
int vgl_path_validate(const char *path, struct vgl_error *err);

/* Generic JSON helpers used by the above and by POLICY messages. */
int vgl_msg_append_json(struct vgl_buf *b, uint8_t type, uint32_t stream, struct json_object *o);
/* Parses the payload as one JSON object (nothing else, no trailing bytes). */
int vgl_msg_parse_json(const struct vgl_frame *f, struct json_object **ret, struct vgl_error *err);

static inline void json_object_putp(struct json_object **o)
{
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_object_putp)))

/* POLICY_ACK: {"generation":7} -- the agent applied the POLICY of that generation. */
int vgl_msg_policy_ack_append(struct vgl_buf *b, uint64_t generation);
int vgl_msg_policy_ack_parse(const struct vgl_frame *f, uint64_t *ret_generation,
                             struct vgl_error *err);

/* ---- JSON field helpers, for the parsers above and for POLICY ----
 *
 * Each looks up `name` in object o. A missing field, or one that is JSON
 * null, is an -EBADMSG error naming it when `required`; otherwise *ret is left
 * untouched and 0 is returned. A present, valid field returns 1. Wrong types
 * and out-of-range values are -EBADMSG with *err naming the field. */

/* String checks (flags of the string helpers). Every string must be valid
 * UTF-8 without NUL; these add to that. */
#define VGL_JSON_STR_NAME     (1u << 0) /* printable ASCII only (names, codes, versions) */
#define VGL_JSON_STR_NONEMPTY (1u << 1)

/* Checks one JSON value as a string of at most max_len bytes; `what` names it in *err. */
int vgl_json_check_string(struct json_object *v, const char *what, size_t max_len, unsigned flags,
                          struct vgl_error *err);
/* Copies a string field into ret (size bytes, so at most size - 1 bytes of text). */
int vgl_json_get_string(struct json_object *o, const char *name, bool required, unsigned flags,
                        char *ret, size_t size, struct vgl_error *err);
/* Like vgl_json_get_string but allocates *ret (at most max_len bytes of text); caller frees. */
int vgl_json_dup_string(struct json_object *o, const char *name, bool required, unsigned flags,
                        size_t max_len, char **ret, struct vgl_error *err);
/* An integer field in [0, max]; max may be at most INT64_MAX (json-c clamps larger numbers). */
int vgl_json_get_u64(struct json_object *o, const char *name, bool required, uint64_t max,
                     uint64_t *ret, struct vgl_error *err);
/* An integer field in [min, max]. Floats, strings and booleans are rejected. */
int vgl_json_get_i64(struct json_object *o, const char *name, bool required, int64_t min,
                     int64_t max, int64_t *ret, struct vgl_error *err);
int vgl_json_get_bool(struct json_object *o, const char *name, bool required, bool *ret,
                      struct vgl_error *err);
/* An array field of at most max_len elements; *ret is borrowed from o. */
int vgl_json_get_array(struct json_object *o, const char *name, bool required, size_t max_len,
                       struct json_object **ret, struct vgl_error *err);
/* Adds v to o under key, taking ownership of v even on failure; -ENOMEM if v
 * is NULL (a failed json_object_new_*) or the insertion fails. */
int vgl_json_add(struct json_object *o, const char *key, struct json_object *v);

/* True if s[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool vgl_utf8_valid(const char *s, size_t len);
