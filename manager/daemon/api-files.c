/* PutFile, GetFile: whole files as base64, bounded by VGD_FILE_MAX. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "base64.h"
#include "cleanup.h"
#include "proto-msg.h"
#include "sandbox.h"

struct file_ctx {
        struct vgl_varlink_call *call; /* NULL once cancelled */
        struct vgd_sandbox *s;
        bool get;
};

static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        struct file_ctx *c = userdata;

        /* The transfer finishes on its own (bounded); its result is dropped. */
        c->call = vgl_varlink_call_unref(c->call);
}

static void reply_done(struct file_ctx *c, const struct vgl_file_result *r, const uint8_t *data,
                       size_t len)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ char *text = NULL;

        if (!r->ok) {
                vgd_api_error1(c->call, VGD_IFACE ".TransferFailed", "reason", r->error);
                return;
        }
        if (!o ||
            vgl_json_add(o, "size", json_object_new_int64((int64_t)(c->get ? len : r->size))) < 0 ||
            (c->get &&
             (vgl_base64_encode(data, len, &text) < 0 ||
              vgl_json_add(o, "data_b64", json_object_new_string(text)) < 0 ||
              vgl_json_add(o, "mode", json_object_new_int((int)(r->mode & 07777))) < 0))) {
                vgl_varlink_call_error(c->call, VGL_VARLINK_ERROR_SYSTEM, NULL);
                return;
        }
        vgl_varlink_call_reply(c->call, o);
}

static void on_done(struct vgl_agent *a, uint32_t id, const struct vgl_file_result *r,
                    const uint8_t *data, size_t len, void *userdata)
{
        struct file_ctx *c = userdata;

        if (c->call) {
                vgl_varlink_call_set_cancel(c->call, NULL, NULL);
                reply_done(c, r, data, len);
                vgl_varlink_call_unref(c->call);
        }
        vgd_sandbox_unref(c->s);
        free(c);
}

static struct file_ctx *ctx_new(struct vgl_varlink_call *call, struct vgd_sandbox *s, bool get)
{
        struct file_ctx *c = calloc(1, sizeof(*c));

        if (c) {
                c->s = vgd_sandbox_ref(s);
                c->get = get;
        }
        return c;
}

static void ctx_start(struct file_ctx *c, struct vgl_varlink_call *call)
{
        c->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, on_cancel, c);
}

static int path_param(struct vgl_varlink_call *call, struct json_object *params, const char **ret)
{
        struct json_object *v;

        if (!json_object_object_get_ex(params, "path", &v) ||
            !json_object_is_type(v, json_type_string) ||
            vgl_path_validate(json_object_get_string(v), NULL) < 0) {
                vgl_varlink_call_error_invalid_parameter(call, "path");
                return -EINVAL;
        }
        *ret = json_object_get_string(v);
        return 0;
}

int vgd_api_put_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", "path", "data_b64", "mode", NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_free_ uint8_t *data = NULL;
        struct json_object *v;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgl_agent *a;
        struct vgl_error e = {};
        struct file_ctx *c;
        const char *path;
        uint32_t id;
        int64_t mode = 0644;
        size_t len = 0;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)) ||
            path_param(call, params, &path) < 0 ||
            vgd_api_opt_int(call, params, "mode", 0, 07777, &mode) < 0)
                return 0;
        if (!json_object_object_get_ex(params, "data_b64", &v) ||
            !json_object_is_type(v, json_type_string) ||
            vgl_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                              &data, &len, NULL) < 0)
                return vgl_varlink_call_error_invalid_parameter(call, "data_b64");
        if (len > VGD_FILE_MAX)
                return vgd_api_too_large(call, VGD_FILE_MAX);
        if (!(a = vgd_api_agent(call, s)))
                return 0;
        if (!(c = ctx_new(call, s, false)))
                return -ENOMEM;
        r = vgl_agent_put_buffer(a, path, data, len, (uint32_t)mode, on_done, c, &id, &e);
        if (r < 0) {
                vgd_sandbox_unref(c->s);
                free(c);
                return vgd_api_error1(call, VGD_IFACE ".TransferFailed", "reason", e.msg);
        }
        ctx_start(c, call);
        return 0;
}

int vgd_api_get_file(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", "path", "max_size", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgl_agent *a;
        struct vgl_error e = {};
        struct file_ctx *c;
        const char *path;
        uint32_t id;
        int64_t max = VGD_FILE_MAX;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)) ||
            path_param(call, params, &path) < 0 ||
            vgd_api_opt_int(call, params, "max_size", 1, VGD_FILE_MAX, &max) < 0)
                return 0;
        if (!(a = vgd_api_agent(call, s)))
                return 0;
        if (!(c = ctx_new(call, s, true)))
                return -ENOMEM;
        r = vgl_agent_get_buffer(a, path, (uint64_t)max, on_done, c, &id, &e);
        if (r < 0) {
                vgd_sandbox_unref(c->s);
                free(c);
                return vgd_api_error1(call, VGD_IFACE ".TransferFailed", "reason", e.msg);
        }
        ctx_start(c, call);
        return 0;
}
