/* See api.h. */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "manager-idl.h"
#include "permissions.h"
#include "proto-msg.h"
#include "registry.h"
#include "sandbox.h"

static const struct vgl_varlink_method methods[] = {
        {"Reserve", vgd_api_reserve},
        {"Release", vgd_api_release},
        {"List", vgd_api_list},
        {"Get", vgd_api_get},
        {"Exec", vgd_api_exec},
        {"PutFile", vgd_api_put_file},
        {"GetFile", vgd_api_get_file},
        {"Subscribe", vgd_api_subscribe},
        {"ListTiers", vgd_api_list_tiers},
        {"SetPermissions", vgd_api_set_permissions},
        {"GetProfile", vgd_api_get_profile},
        {"UpdateProfile", vgd_api_update_profile},
        {"Adjust", vgd_api_adjust},
        {"Hop", vgd_api_hop},
        {"Audit", vgd_api_audit},
        {"AuditVerify", vgd_api_audit_verify},
        {"ModelStatus", vgd_api_model_status},
        {"ModelRetrain", vgd_api_model_retrain},
        {"MarkBenign", vgd_api_mark_benign},
        {NULL, NULL},
};

static const struct vgl_varlink_interface manager_iface = {
        .name = VGD_IFACE,
        .description = VGD_MANAGER_IDL,
        .methods = methods,
};

const char *vgd_api_idl(void)
{
        return VGD_MANAGER_IDL;
}

int vgd_api_register(struct vgd_daemon *d, struct vgl_varlink_server *server, struct vgl_error *err)
{
        return vgl_varlink_server_add_interface(server, &manager_iface, d, err);
}

bool vgd_api_unknown_field(struct vgl_varlink_call *call, struct json_object *params,
                           const char *const *allowed)
{
        json_object_object_foreach(params, key, val)
        {
                bool ok = false;
                (void)val;
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = !strcmp(key, *a);
                if (!ok) {
                        vgl_varlink_call_error_invalid_parameter(call, key);
                        return true;
                }
        }
        return false;
}

bool vgd_api_require_admin(struct vgl_varlink_call *call, const struct vgd_caller *caller)
{
        const char *method = vgl_varlink_call_get_method(call);

        if (caller->admin)
                return true;
        vgd_api_error1(call, VGD_IFACE ".PermissionDenied", "method", method ? method : "");
        return false;
}

int vgd_api_error1(struct vgl_varlink_call *call, const char *name, const char *key,
                   const char *value)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();

        if (p && key)
                vgl_json_add(p, key, json_object_new_string(value));
        return vgl_varlink_call_error(call, name, p);
}

int vgd_api_agent_error(struct vgl_varlink_call *call, const char *code, const char *message)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();

        if (p) {
                vgl_json_add(p, "code", json_object_new_string(code));
                vgl_json_add(p, "message", json_object_new_string(message));
        }
        return vgl_varlink_call_error(call, VGD_IFACE ".AgentError", p);
}

int vgd_api_too_large(struct vgl_varlink_call *call, size_t limit)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();

        if (p)
                vgl_json_add(p, "limit", json_object_new_int64((int64_t)limit));
        return vgl_varlink_call_error(call, VGD_IFACE ".TooLarge", p);
}

int vgd_api_opt_string(struct vgl_varlink_call *call, struct json_object *params, const char *name,
                       size_t max_len, const char **ret)
{
        struct json_object *v;

        if (!json_object_object_get_ex(params, name, &v) || !v)
                return 0;
        if (vgl_json_check_string(v, name, max_len, 0, NULL) < 0) {
                vgl_varlink_call_error_invalid_parameter(call, name);
                return -EINVAL;
        }
        *ret = json_object_get_string(v);
        return 1;
}

int vgd_api_opt_int(struct vgl_varlink_call *call, struct json_object *params, const char *name,
                    int64_t min, int64_t max, int64_t *ret)
{
        int r = vgl_json_get_i64(params, name, false, min, max, ret, NULL);

        if (r < 0)
                vgl_varlink_call_error_invalid_parameter(call, name);
        return r;
}

struct vgd_sandbox *vgd_api_sandbox(struct vgd_daemon *d, struct vgl_varlink_call *call,
                                    struct json_object *params, const struct vgd_caller *caller)
{
        struct json_object *v;
        struct vgd_sandbox *s;
        const char *id;

        if (!json_object_object_get_ex(params, "id", &v) ||
            !json_object_is_type(v, json_type_string) ||
            vgl_sandbox_id_validate(json_object_get_string(v), NULL) < 0) {
                vgl_varlink_call_error_invalid_parameter(call, "id");
                return NULL;
        }
        id = json_object_get_string(v);
        s = vgd_registry_find(d, id);
        if (!s || !vgd_authz_can_see(caller, s)) {
                vgd_api_error1(call, VGD_IFACE ".NoSuchSandbox", "id", id);
                return NULL;
        }
        return s;
}

struct vgl_agent *vgd_api_agent(struct vgl_varlink_call *call, struct vgd_sandbox *s)
{
        _cleanup_json_ struct json_object *p = json_object_new_object();
        struct vgl_agent *a = NULL;

        if (s->state == VGD_RESERVED && s->ac && vgl_agent_ready(vgl_agent_conn_agent(s->ac)))
                a = vgl_agent_conn_agent(s->ac);
        if (a)
                return a;
        if (p) {
                vgl_json_add(p, "id", json_object_new_string(s->id));
                vgl_json_add(p, "state",
                             json_object_new_string(s->state == VGD_RESERVED
                                                            ? "reserved (agent not connected)"
                                                            : vgd_state_name(s->state)));
        }
        vgl_varlink_call_error(call, VGD_IFACE ".SandboxNotReady", p);
        return NULL;
}
