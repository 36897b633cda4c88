/* The io.vigil.Manager varlink interface: registration and the helpers its
 * handlers share (parameter checks, named errors, the caller's sandbox). */
#pragma once

#include "authz.h"
#include "daemon.h"

#define VGD_IFACE "io.vigil.Manager"

#define VGD_MAX_MESSAGE  ((size_t)16 << 20) /* varlink message cap (base64 inside) */
#define VGD_EXEC_COLLECT ((size_t)8 << 20)  /* Exec without more: output bytes kept */
#define VGD_FILE_MAX     ((size_t)11 << 20) /* PutFile/GetFile bytes (base64 fits 16 MiB) */
#define VGD_STDIN_MAX    ((size_t)512 << 10)

/* Adds io.vigil.Manager (handlers with d as userdata) to server. */
int vgd_api_register(struct vgd_daemon *d, struct vgl_varlink_server *server,
                     struct vgl_error *err);

/* The interface definition text served by GetInterfaceDescription. */
const char *vgd_api_idl(void);

/* ---- for handlers ---- */

/* Answers InvalidParameter for the first key of params not in allowed
 * (NULL-terminated); returns true if it did. */
bool vgd_api_unknown_field(struct vgl_varlink_call *call, struct json_object *params,
                           const char *const *allowed);

/* The sandbox named by params "id" that the caller may see, or NULL after
 * answering (InvalidParameter for a bad id, NoSuchSandbox otherwise, also
 * for another user's sandbox). */
struct vgd_sandbox *vgd_api_sandbox(struct vgd_daemon *d, struct vgl_varlink_call *call,
                                    struct json_object *params, const struct vgd_caller *caller);

/* The sandbox's agent if it is reserved and connected, else NULL after
 * answering SandboxNotReady. */
struct vgl_agent *vgd_api_agent(struct vgl_varlink_call *call, struct vgd_sandbox *s);

/* The caller is an admin, or PermissionDenied {method} was answered. */
bool vgd_api_require_admin(struct vgl_varlink_call *call, const struct vgd_caller *caller);

/* Named errors. */
int vgd_api_error1(struct vgl_varlink_call *call, const char *name, const char *key,
                   const char *value);
int vgd_api_agent_error(struct vgl_varlink_call *call, const char *code, const char *message);
int vgd_api_too_large(struct vgl_varlink_call *call, size_t limit);

/* Optional string parameter: 0 absent, 1 present (*ret borrowed), or
 * answered InvalidParameter (-EINVAL). */
int vgd_api_opt_string(struct vgl_varlink_call *call, struct json_object *params, const char *name,
                       size_t max_len, const char **ret);
/* Optional integer in [min, max]: 0 absent, 1 present, -EINVAL answered. */
int vgd_api_opt_int(struct vgl_varlink_call *call, struct json_object *params, const char *name,
                    int64_t min, int64_t max, int64_t *ret);

/* Handlers, one file per group. */
int vgd_api_reserve(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_release(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_list(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_get(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_exec(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_put_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_get_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_subscribe(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_list_tiers(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_get_profile(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_update_profile(struct vgl_varlink_call *call, struct json_object *params,
                           void *userdata);
int vgd_api_adjust(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_hop(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_audit(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_audit_verify(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_model_status(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
int vgd_api_model_retrain(struct vgl_varlink_call *call, struct json_object *params,
                          void *userdata);
int vgd_api_mark_benign(struct vgl_varlink_call *call, struct json_object *params, void *userdata);
