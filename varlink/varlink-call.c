/* A call on the varlink server: dispatch to a handler, replies, cancel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "varlink-server-priv.h"

static void call_free(struct vgl_varlink_call *call)
{
        vgl_varlink_request_done(&call->req);
        vgl_varlink_conn_unref(call->conn);
        free(call);
}

struct vgl_varlink_call *vgl_varlink_call_ref(struct vgl_varlink_call *call)
{
        call->n_ref++;
        return call;
}

/* True while the connection still waits for this call's final reply. */
static bool call_open(const struct vgl_varlink_call *call)
{
        return !call->done && !call->cancelled && call->conn->active == call;
}

/* The call is answered: the connection drops it and moves on. */
static void call_finish(struct vgl_varlink_call *call)
{
        struct vgl_varlink_conn *c = call->conn;

        call->done = true;
        if (c->active != call)
                return;
        c->active = NULL;
        if (!c->dispatching)
                vgl_varlink_conn_kick(c);
        vgl_varlink_call_unref(call); /* the connection's reference */
}

static int send_system_error(struct vgl_varlink_call *call, int error)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (p)
                json_object_object_add(p, "errno", json_object_new_int(error < 0 ? -error : error));
        return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_SYSTEM, p);
}

struct vgl_varlink_call *vgl_varlink_call_unref(struct vgl_varlink_call *call)
{
        if (!call)
                return NULL;
        /* Only the connection's reference left, and nobody answered: the
         * handler lost the call. Answer rather than hang the connection. */
        if (call->n_ref == 2 && call_open(call)) {
                struct vgl_varlink_conn *c = call->conn;
                call->n_ref--;
                if (send_system_error(call, EIO) < 0)
                        vgl_varlink_conn_doom(c, -EIO);
                return NULL;
        }
        if (--call->n_ref == 0)
                call_free(call);
        return NULL;
}

void vgl_varlink_call_cancel(struct vgl_varlink_call *call)
{
        vgl_varlink_call_ref(call); /* keeps it alive through the callback */
        call->cancelled = true;
        call->conn->active = NULL;
        call->n_ref--; /* the connection's reference; ours keeps it above 0 */
        if (!call->done && call->cancel)
                call->cancel(call, call->cancel_userdata);
        vgl_varlink_call_unref(call);
}

static int call_send(struct vgl_varlink_call *call, const char *error,
                     struct json_object *parameters, bool continues)
{
        int r;

        if (call->cancelled || call->conn->dead)
                return -ECONNRESET;
        if (call->done)
                return (call->req.flags & VGL_VARLINK_CALL_ONEWAY) ? 0 : -EALREADY;
        if (parameters && !json_object_is_type(parameters, json_type_object))
                return -EINVAL;
        if (call->req.flags & VGL_VARLINK_CALL_ONEWAY) {
                if (!continues)
                        call_finish(call);
                return 0;
        }
        r = vgl_varlink_conn_queue(call->conn, error, parameters, continues);
        if (r < 0)
                return r;
        if (!continues)
                call_finish(call);
        return 0;
}

int vgl_varlink_call_reply(struct vgl_varlink_call *call, struct json_object *parameters)
{
        return call_send(call, NULL, parameters, false);
}

int vgl_varlink_call_notify(struct vgl_varlink_call *call, struct json_object *parameters)
{
        if (!(call->req.flags & VGL_VARLINK_CALL_MORE))
                return -EINVAL;
        return call_send(call, NULL, parameters, true);
}

int vgl_varlink_call_error(struct vgl_varlink_call *call, const char *error,
                           struct json_object *parameters)
{
        if (!error || vgl_varlink_qualified_name_check(error, strlen(error)) < 0)
                return -EINVAL;
        return call_send(call, error, parameters, false);
}

int vgl_varlink_call_error_invalid_parameter(struct vgl_varlink_call *call, const char *name)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (!p || json_object_object_add(p, "parameter", json_object_new_string(name)) < 0)
                return -ENOMEM;
        return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_INVALID_PARAMETER, p);
}

void vgl_varlink_call_set_cancel(struct vgl_varlink_call *call, vgl_varlink_cancel_fn fn,
                                 void *userdata)
{
        call->cancel = fn;
        call->cancel_userdata = userdata;
}

const struct vgl_varlink_peer *vgl_varlink_call_get_peer(const struct vgl_varlink_call *call)
{
        return &call->conn->peer;
}

const char *vgl_varlink_call_get_method(const struct vgl_varlink_call *call)
{
        return call->req.method;
}

unsigned vgl_varlink_call_get_flags(const struct vgl_varlink_call *call)
{
        return call->req.flags;
}

bool vgl_varlink_call_is_cancelled(const struct vgl_varlink_call *call)
{
        return call->cancelled;
}

static int error_with_string(struct vgl_varlink_call *call, const char *error, const char *key,
                             const char *value)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (!p || json_object_object_add(p, key, json_object_new_string(value)) < 0)
                return -ENOMEM;
        return vgl_varlink_call_error(call, error, p);
}

static bool declared(const struct vgl_varlink_interface *iface, const char *member)
{
        for (const struct vgl_varlink_method *m = iface->methods; m && m->name; m++)
                if (strcmp(m->name, member) == 0)
                        return true;
        return false;
}

/* Finds the handler, or answers with the varlink error that says why not. */
static vgl_varlink_method_fn lookup(struct vgl_varlink_call *call, void **ret_userdata)
{
        const struct vgl_varlink_request *req = &call->req;
        const struct vgl_varlink_iface_entry *e;
        const char *member = req->method + req->interface_len + 1;

        e = vgl_varlink_server_find(call->conn->server, req->method, req->interface_len);
        if (!e) {
                _cleanup_free_ char *iface = strndup(req->method, req->interface_len);
                if (iface)
                        error_with_string(call, VGL_VARLINK_ERROR_INTERFACE_NOT_FOUND, "interface",
                                          iface);
                return NULL;
        }
        for (const struct vgl_varlink_method *m = e->iface->methods; m && m->name; m++) {
                if (strcmp(m->name, member) != 0)
                        continue;
                if (!m->fn || (req->flags & VGL_VARLINK_CALL_UPGRADE))
                        break; /* vigil implements no protocol upgrades */
                *ret_userdata = e->userdata;
                return m->fn;
        }
        error_with_string(call,
                          declared(e->iface, member) ? VGL_VARLINK_ERROR_METHOD_NOT_IMPLEMENTED
                                                     : VGL_VARLINK_ERROR_METHOD_NOT_FOUND,
                          "method", req->method);
        return NULL;
}

void vgl_varlink_call_dispatch(struct vgl_varlink_conn *c, struct vgl_varlink_request *req)
{
        struct vgl_varlink_call *call = calloc(1, sizeof(*call));
        vgl_varlink_method_fn fn;
        void *userdata = NULL;
        int r = 0;

        if (!call) {
                vgl_varlink_request_done(req);
                vgl_varlink_conn_doom(c, -ENOMEM);
                return;
        }
        call->n_ref = 2; /* the connection's, and this function's */
        call->conn = vgl_varlink_conn_ref(c);
        call->req = *req;
        *req = (struct vgl_varlink_request){0};
        c->active = call;
        atomic_fetch_add(&c->server->stat_calls, 1);
        fn = lookup(call, &userdata);
        if (fn)
                r = fn(call, call->req.parameters, userdata);
        if (call_open(call)) {
                if (call->req.flags & VGL_VARLINK_CALL_ONEWAY)
                        call_finish(call); /* nobody waits for an answer */
                else if (r < 0 && send_system_error(call, r) < 0)
                        vgl_varlink_conn_doom(c, r);
        }
        vgl_varlink_call_unref(call);
}
