/* Exec: build the call, then turn each reply into output and exit callbacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client-priv.h"

static const char *const exit_kinds[] = {
        [VGL_CLIENT_EXITED] = "exited",
        [VGL_CLIENT_SIGNALED] = "signaled",
        [VGL_CLIENT_TIMEOUT] = "timeout",
        [VGL_CLIENT_FAILED] = "failed",
};

enum vgl_client_exit_kind vgl_client_exit_kind_from_string(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(exit_kinds); i++)
                if (strcmp(exit_kinds[i], s) == 0)
                        return (enum vgl_client_exit_kind)i;
        return VGL_CLIENT_UNKNOWN;
}

static int add_strings(struct json_object *p, const char *key, const char *const *list)
{
        struct json_object *a;

        if (!list)
                return 0;
        a = json_object_new_array();
        if (!a || json_object_object_add(p, key, a) < 0)
                return json_object_put(a), -ENOMEM;
        for (size_t i = 0; list[i]; i++)
                if (json_object_array_add(a, json_object_new_string(list[i])) < 0)
                        return -ENOMEM;
        return 0;
}

static int exec_params(const char *id, const struct vgl_client_exec_request *req,
                       struct json_object **ret)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();
        int r = p ? 0 : -ENOMEM;

        if (r >= 0)
                r = vgl_json_add_string(p, "id", id);
        if (r >= 0)
                r = add_strings(p, "argv", req->argv);
        if (r >= 0)
                r = add_strings(p, "env", req->env);
        if (r >= 0)
                r = vgl_json_add_string(p, "cwd", req->cwd);
        if (r >= 0)
                r = vgl_json_add_int(p, "uid", req->uid);
        if (r >= 0 && req->timeout_ms > 0)
                r = vgl_json_add_int(p, "timeout_ms", req->timeout_ms);
        if (r >= 0 && req->supervise)
                r = vgl_json_add_string(p, "supervise", req->supervise);
        if (r >= 0 && req->stdin_data)
                r = vgl_json_add_b64(p, "stdin_b64", req->stdin_data, req->stdin_len);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

static int decode_exit(struct json_object *o, struct vgl_client_exec_exit *ret,
                       struct vgl_error *err)
{
        struct json_object *status = NULL, *code = NULL, *duration = NULL;
        int r = vgl_json_field(o, "exit", "status", json_type_string, false, &status, err);

        if (r >= 0)
                r = vgl_json_field(o, "exit", "code", json_type_int, false, &code, err);
        if (r >= 0)
                r = vgl_json_field(o, "exit", "duration_ms", json_type_int, false, &duration, err);
        if (r < 0)
                return r;
        snprintf(ret->status, sizeof(ret->status), "%s", json_object_get_string(status));
        ret->kind = vgl_client_exit_kind_from_string(json_object_get_string(status));
        ret->code = json_object_get_int64(code);
        ret->duration_ms = json_object_get_int64(duration);
        return 0;
}

struct exec_state {
        const struct vgl_client_exec_ops *ops;
        void *userdata;
        bool have_exit;
        struct vgl_client_exec_exit exit;
};

/* Decodes the base64 field key and hands it to on_output. */
static int deliver(struct exec_state *st, struct json_object *reply, const char *key,
                   enum vgl_client_stream stream, struct vgl_error *err)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t len = 0;
        int r = vgl_json_get_b64(reply, "reply", key, true, &data, &len, err);

        if (r <= 0 || !st->ops || !st->ops->on_output)
                return r;
        r = st->ops->on_output(st->userdata, stream, data, len);
        return r < 0 ? vgl_error_set(err, -r, "writing the output: %s", strerror(-r)) : 0;
}

/* The streamed form: {stream, data_b64}. */
static int deliver_stream(struct exec_state *st, struct json_object *reply, struct vgl_error *err)
{
        struct json_object *s = NULL;
        enum vgl_client_stream stream;
        int r = vgl_json_field(reply, "reply", "stream", json_type_string, true, &s, err);

        if (r <= 0)
                return r;
        if (strcmp(json_object_get_string(s), "stdout") == 0)
                stream = VGL_CLIENT_STDOUT;
        else if (strcmp(json_object_get_string(s), "stderr") == 0)
                stream = VGL_CLIENT_STDERR;
        else
                return vgl_error_set(err, EBADMSG, "reply: unknown stream \"%s\"",
                                     json_object_get_string(s));
        return deliver(st, reply, "data_b64", stream, err);
}

static int handle_exit(struct exec_state *st, struct json_object *reply, struct vgl_error *err)
{
        struct json_object *x = NULL;
        int r = vgl_json_field(reply, "reply", "exit", json_type_object, true, &x, err);

        if (r <= 0)
                return r;
        r = decode_exit(x, &st->exit, err);
        if (r < 0)
                return r;
        st->have_exit = true;
        if (st->ops && st->ops->on_exit) {
                r = st->ops->on_exit(st->userdata, &st->exit);
                if (r < 0)
                        return vgl_error_set(err, -r, "handling the exit: %s", strerror(-r));
        }
        return 0;
}

static int handle_reply(struct exec_state *st, struct json_object *reply, struct vgl_error *err)
{
        int r = 0;

        if (st->ops && st->ops->on_reply) {
                r = st->ops->on_reply(st->userdata, reply);
                if (r < 0)
                        return vgl_error_set(err, -r, "handling a reply: %s", strerror(-r));
        }
        if (st->have_exit)
                return vgl_error_set(err, EBADMSG, "reply: output after the exit");
        r = deliver_stream(st, reply, err);
        if (r >= 0)
                r = deliver(st, reply, "stdout_b64", VGL_CLIENT_STDOUT, err);
        if (r >= 0)
                r = deliver(st, reply, "stderr_b64", VGL_CLIENT_STDERR, err);
        if (r >= 0)
                r = handle_exit(st, reply, err);
        return r;
}

/* Reads replies until the last one. */
static int exec_loop(struct vgl_client *c, struct exec_state *st, struct vgl_error *err)
{
        bool more = true;

        while (more) {
                _cleanup_varlink_json_ struct json_object *reply = NULL;
                int r = vgl_client_receive_more(c, &reply, &more, err);

                if (r < 0) {
                        if (c->streaming) /* timed out: the rest would confuse later calls */
                                vgl_client_abandon(c);
                        return r;
                }
                if (r == 0)
                        break;
                r = handle_reply(st, reply, err);
                if (r < 0) {
                        if (more)
                                vgl_client_abandon(c);
                        return r;
                }
        }
        if (!st->have_exit)
                return vgl_error_set(err, EPROTO, "reply: the output ended without an exit");
        return 0;
}

int vgl_client_exec(struct vgl_client *c, const char *id, const struct vgl_client_exec_request *req,
                    const struct vgl_client_exec_ops *ops, void *userdata,
                    struct vgl_client_exec_exit *ret_exit, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = NULL;
        struct exec_state st = {.ops = ops, .userdata = userdata};
        int r;

        if (!req->argv || !req->argv[0])
                return vgl_error_set(err, EINVAL, "exec: no command given");
        if (req->stdin_data && req->stdin_len > VGL_CLIENT_MAX_INLINE)
                return vgl_error_set(err, EFBIG, "exec: stdin is larger than %zu bytes",
                                     VGL_CLIENT_MAX_INLINE);
        if (exec_params(id, req, &p) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if (req->no_stream) {
                _cleanup_varlink_json_ struct json_object *reply = NULL;

                r = vgl_client_call_method(c, "Exec", p, &reply, err);
                if (r >= 0)
                        r = handle_reply(&st, reply, err);
                if (r >= 0 && !st.have_exit)
                        r = vgl_error_set(err, EPROTO, "reply: no exit");
        } else {
                r = vgl_client_send_more(c, "Exec", p, err);
                if (r >= 0)
                        r = exec_loop(c, &st, err);
        }
        if (r < 0)
                return r;
        if (ret_exit)
                *ret_exit = st.exit;
        return 0;
}
