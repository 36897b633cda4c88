/* The connection to vigild and the call helpers every wrapper uses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "client-priv.h"

const char *vgl_client_default_socket(void)
{
        static char user_socket[PATH_MAX];
        const char *env = getenv(VGL_CLIENT_SOCKET_ENV), *xdg = getenv("XDG_RUNTIME_DIR");

        if (env && *env)
                return env;
        if (access(VGL_CLIENT_DEFAULT_SOCKET, F_OK) == 0 || geteuid() == 0 || !xdg || !*xdg)
                return VGL_CLIENT_DEFAULT_SOCKET;
        snprintf(user_socket, sizeof(user_socket), "%s/vigil/vigild.sock", xdg);
        return access(user_socket, F_OK) == 0 ? user_socket : VGL_CLIENT_DEFAULT_SOCKET;
}

int vgl_client_connect(const char *path, struct vgl_client **ret, struct vgl_error *err)
{
        struct vgl_varlink_client *vl = NULL;
        struct vgl_client *c;
        int r;

        if (!path)
                path = vgl_client_default_socket();
        r = vgl_varlink_client_connect(path, &vl, err);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c) {
                vgl_varlink_client_free(vl);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        c->vl = vl;
        *ret = c;
        return 0;
}

struct vgl_client *vgl_client_free(struct vgl_client *c)
{
        if (!c)
                return NULL;
        vgl_client_forget_error(c);
        vgl_varlink_client_free(c->vl);
        free(c);
        return NULL;
}

void vgl_client_set_timeout(struct vgl_client *c, int timeout_ms)
{
        if (c->vl)
                vgl_varlink_client_set_timeout(c->vl, timeout_ms);
}

const char *vgl_client_error_name(const struct vgl_client *c)
{
        return c->error_name;
}

struct json_object *vgl_client_error_parameters(const struct vgl_client *c)
{
        return c->error_params;
}

void vgl_client_forget_error(struct vgl_client *c)
{
        c->error_name = (free(c->error_name), NULL);
        if (c->error_params)
                json_object_put(c->error_params);
        c->error_params = NULL;
}

int vgl_client_begin(struct vgl_client *c, struct vgl_error *err)
{
        vgl_client_forget_error(c);
        if (c->broken || !c->vl)
                return vgl_error_set(err, ENOTCONN, "the connection to vigild was closed");
        if (c->streaming)
                return vgl_error_set(err, EBUSY, "a stream is still running on this connection");
        return 0;
}

void vgl_client_abandon(struct vgl_client *c)
{
        c->vl = vgl_varlink_client_free(c->vl);
        c->broken = true;
        c->streaming = false;
}

/* After a transport failure the replies can no longer be matched to calls.
 * A stream that merely timed out may go on (the partial reply stays
 * buffered); a plain call's late reply would answer the next call. */
static int transport_failed(struct vgl_client *c, int r, bool resumable)
{
        if (!(resumable && r == -ETIMEDOUT))
                vgl_client_abandon(c);
        return r;
}

/* A plain call of a qualified method. */
static int call_qualified(struct vgl_client *c, const char *method, struct json_object *params,
                          struct json_object **ret, struct vgl_error *err)
{
        struct vgl_varlink_reply rep = {0};
        int r = vgl_client_begin(c, err);

        if (r < 0)
                return r;
        r = vgl_varlink_client_call(c->vl, method, params, &rep, err);
        if (r < 0)
                return transport_failed(c, r, false);
        if (rep.error)
                return vgl_client_take_error(c, &rep, err);
        *ret = TAKE_PTR(rep.parameters);
        vgl_varlink_reply_done(&rep);
        return 0;
}

int vgl_client_call_method(struct vgl_client *c, const char *member, struct json_object *params,
                           struct json_object **ret, struct vgl_error *err)
{
        char method[128];

        snprintf(method, sizeof(method), "%s.%s", VGL_CLIENT_INTERFACE, member);
        return call_qualified(c, method, params, ret, err);
}

static void copy_info(struct json_object *reply, const char *key, char *dst, size_t size)
{
        struct json_object *v = NULL;

        if (json_object_object_get_ex(reply, key, &v) && json_object_is_type(v, json_type_string))
                snprintf(dst, size, "%s", json_object_get_string(v));
        else
                snprintf(dst, size, "%s", "");
}

int vgl_client_get_info(struct vgl_client *c, struct vgl_client_info *ret, struct vgl_error *err)
{
        struct json_object *reply = NULL;
        int r = call_qualified(c, VGL_VARLINK_SERVICE ".GetInfo", NULL, &reply, err);

        if (r < 0)
                return r;
        copy_info(reply, "vendor", ret->vendor, sizeof(ret->vendor));
        copy_info(reply, "product", ret->product, sizeof(ret->product));
        copy_info(reply, "version", ret->version, sizeof(ret->version));
        copy_info(reply, "url", ret->url, sizeof(ret->url));
        json_object_put(reply);
        return 0;
}

int vgl_client_send_more(struct vgl_client *c, const char *member, struct json_object *params,
                         struct vgl_error *err)
{
        char method[128];
        int r = vgl_client_begin(c, err);

        if (r < 0)
                return r;
        snprintf(method, sizeof(method), "%s.%s", VGL_CLIENT_INTERFACE, member);
        r = vgl_varlink_client_send(c->vl, method, params, VGL_VARLINK_CALL_MORE, err);
        if (r < 0)
                return transport_failed(c, r, false);
        c->streaming = true;
        return 0;
}

int vgl_client_receive_more(struct vgl_client *c, struct json_object **ret, bool *ret_continues,
                            struct vgl_error *err)
{
        struct vgl_varlink_reply rep = {0};
        int r;

        vgl_client_forget_error(c);
        if (!c->streaming)
                return 0;
        r = vgl_varlink_client_receive(c->vl, &rep, err);
        if (r < 0)
                return transport_failed(c, r, true);
        c->streaming = rep.continues;
        if (rep.error) {
                /* An error reply ends the call, whatever "continues" says. */
                c->streaming = false;
                return vgl_client_take_error(c, &rep, err);
        }
        *ret = TAKE_PTR(rep.parameters);
        *ret_continues = rep.continues;
        vgl_varlink_reply_done(&rep);
        return 1;
}
