/* Varlink error replies -> the project's convention: a negative errno and a
 * message in words naming the error's parameters ("no such sandbox: abc").
 * The table follows the errors of io.vigil.Manager and org.varlink.service. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "client-priv.h"

struct error_map {
        const char *name;  /* qualified varlink error */
        int code;          /* positive errno */
        const char *words; /* the message's start */
        const char *main;  /* parameter printed after "words: ", or NULL */
        const char *extra; /* parameter printed as " (extra: value)", or NULL */
};

static const struct error_map errors[] = {
        {"io.vigil.Manager.NoSuchSandbox", ENOENT, "no such sandbox", "id", NULL},
        {"io.vigil.Manager.NoSuchTier", ENOENT, "no such tier", "tier", NULL},
        {"io.vigil.Manager.NoCapacity", ENOSPC, "no capacity", "reason", NULL},
        {"io.vigil.Manager.PermissionDenied", EACCES, "permission denied", "method", NULL},
        {"io.vigil.Manager.SandboxNotReady", EBUSY, "sandbox not ready", "id", "state"},
        {"io.vigil.Manager.AgentError", EIO, "agent error", "message", "code"},
        {"io.vigil.Manager.TransferFailed", EIO, "transfer failed", "reason", NULL},
        {"io.vigil.Manager.TooLarge", EFBIG, "too large", NULL, "limit"},
        {"io.vigil.Manager.InvalidPermissions", EINVAL, "invalid permissions", "reason", NULL},
        {"io.vigil.Manager.InvalidChanges", EINVAL, "invalid changes", "reason", NULL},
        {"io.vigil.Manager.HopFailed", EIO, "hop failed", "reason", "state"},
        {"io.vigil.Manager.AuditFailed", EIO, "audit trail", "reason", NULL},
        {"org.varlink.service.InvalidParameter", EINVAL, "invalid parameter", "parameter", NULL},
        {"org.varlink.service.MethodNotFound", EOPNOTSUPP, "method not found", "method", NULL},
        {"org.varlink.service.MethodNotImplemented", EOPNOTSUPP, "method not implemented", "method",
         NULL},
        {"org.varlink.service.InterfaceNotFound", EOPNOTSUPP, "interface not found", "interface",
         NULL},
        {"org.varlink.service.PermissionDenied", EACCES, "permission denied", NULL, NULL},
        {"org.varlink.service.ExpectedMore", EPROTO, "vigild expected a streaming call", NULL,
         NULL},
};

/* A parameter's value as text: strings as they are, anything else as JSON. */
static const char *param_text(struct json_object *params, const char *key)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(params, key, &v) || !v)
                return "?";
        if (json_object_is_type(v, json_type_string))
                return json_object_get_string(v);
        return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

static int mapped(const struct error_map *m, struct json_object *params, struct vgl_error *err)
{
        char main_part[VGL_ERROR_MSG_MAX] = "", extra_part[VGL_ERROR_MSG_MAX] = "";

        if (m->main)
                snprintf(main_part, sizeof(main_part), ": %s", param_text(params, m->main));
        if (m->extra)
                snprintf(extra_part, sizeof(extra_part), " (%s: %s)", m->extra,
                         param_text(params, m->extra));
        return vgl_error_set(err, m->code, "%s%s%s", m->words, main_part, extra_part);
}

/* io.vigil.System {errno}: a failure inside vigild. */
static int system_error(struct json_object *params, struct vgl_error *err)
{
        struct json_object *v = NULL;
        int64_t code = EIO;

        if (json_object_object_get_ex(params, "errno", &v) && json_object_is_type(v, json_type_int))
                code = json_object_get_int64(v);
        if (code <= 0 || code > 4095)
                code = EIO;
        return vgl_error_set(err, (int)code, "vigild failed: %s", strerror((int)code));
}

static int map_error(const char *name, struct json_object *params, struct vgl_error *err)
{
        for (size_t i = 0; i < ELEMENTSOF(errors); i++)
                if (strcmp(errors[i].name, name) == 0)
                        return mapped(&errors[i], params, err);
        if (strcmp(name, VGL_VARLINK_ERROR_SYSTEM) == 0)
                return system_error(params, err);
        return vgl_error_set(err, EREMOTEIO, "%s: %s", name,
                             json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
}

int vgl_client_take_error(struct vgl_client *c, struct vgl_varlink_reply *rep,
                          struct vgl_error *err)
{
        int r;

        vgl_client_forget_error(c);
        c->error_name = TAKE_PTR(rep->error);
        c->error_params = TAKE_PTR(rep->parameters);
        if (!c->error_params)
                c->error_params = json_object_new_object();
        r = map_error(c->error_name, c->error_params, err);
        vgl_varlink_reply_done(rep);
        return r;
}
