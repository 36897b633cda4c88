/* Exec: a command in the sandbox, its output streamed (`more`) or collected. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "base64.h"
#include "buf.h"
#include "cleanup.h"
#include "learn.h"
#include "proto-msg.h"
#include "sandbox.h"

struct exec_ctx {
        struct vgl_varlink_call *call; /* NULL once answered or cancelled */
        struct vgd_sandbox *s;         /* referenced */
        uint32_t id;
        bool more;
        struct vgl_buf out, err; /* without more */
};

static void ctx_free(struct exec_ctx *c)
{
        if (c->call) {
                vgl_varlink_call_set_cancel(c->call, NULL, NULL);
                vgl_varlink_call_unref(c->call);
        }
        vgd_sandbox_unref(c->s);
        vgl_buf_free(&c->out);
        vgl_buf_free(&c->err);
        free(c);
}

/* Stops the command: the client is gone or its reply got too large. */
static void abandon(struct exec_ctx *c)
{
        struct vgl_agent *a = c->s->ac ? vgl_agent_conn_agent(c->s->ac) : NULL;

        if (c->call) {
                vgl_varlink_call_set_cancel(c->call, NULL, NULL);
                c->call = vgl_varlink_call_unref(c->call);
        }
        if (a)
                vgl_agent_exec_signal(a, c->id, SIGKILL);
}

static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        abandon(userdata);
}

static int add_b64(struct json_object *o, const char *key, const uint8_t *p, size_t n)
{
        char *text = NULL;

        if (vgl_base64_encode(p, n, &text) < 0)
                return -ENOMEM;
        return vgl_json_add(o, key, json_object_new_string(text)) < 0 ? (free(text), -ENOMEM)
                                                                      : (free(text), 0);
}

static void on_output(struct vgl_agent *a, uint32_t id, int fd, const uint8_t *data, size_t len,
                      void *userdata)
{
        struct exec_ctx *c = userdata;
        _cleanup_json_ struct json_object *o = NULL;

        if (!c->call || len == 0)
                return;
        if (!c->more) {
                if (vgl_buf_append(fd == 2 ? &c->err : &c->out, data, len) < 0 ||
                    c->out.len + c->err.len > VGD_EXEC_COLLECT) {
                        vgd_api_too_large(c->call, VGD_EXEC_COLLECT);
                        abandon(c);
                }
                return;
        }
        o = json_object_new_object();
        if (!o ||
            vgl_json_add(o, "stream", json_object_new_string(fd == 2 ? "stderr" : "stdout")) < 0 ||
            add_b64(o, "data_b64", data, len) < 0 || vgl_varlink_call_notify(c->call, o) < 0)
                abandon(c);
}

static struct json_object *exit_json(const struct vgl_exec_exit *x)
{
        struct json_object *e = json_object_new_object();

        if (e &&
            (vgl_json_add(e, "status", json_object_new_string(vgl_exit_status_name(x->status))) <
                     0 ||
             vgl_json_add(e, "code", json_object_new_int(x->code)) < 0 ||
             vgl_json_add(e, "duration_ms", json_object_new_int64((int64_t)x->duration_ms)) < 0)) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

static void on_exit_cb(struct vgl_agent *a, uint32_t id, const struct vgl_exec_exit *x,
                       void *userdata)
{
        struct exec_ctx *c = userdata;
        _cleanup_json_ struct json_object *o = json_object_new_object();

        vgd_learn_exec_exit(c->s, id, x->status == VGL_EXIT_EXITED && x->code == 0);
        if (!c->call) {
                ctx_free(c);
                return;
        }
        if (x->status == VGL_EXIT_FAILED && x->error[0] && !x->duration_ms) {
                vgd_api_agent_error(c->call, "exec-failed", x->error);
        } else if (!o || vgl_json_add(o, "exit", exit_json(x)) < 0 ||
                   (!c->more && (add_b64(o, "stdout_b64", c->out.data, c->out.len) < 0 ||
                                 add_b64(o, "stderr_b64", c->err.data, c->err.len) < 0))) {
                vgl_varlink_call_error(c->call, VGL_VARLINK_ERROR_SYSTEM, NULL);
        } else {
                vgl_varlink_call_reply(c->call, o);
        }
        ctx_free(c);
}

static const struct vgl_exec_callbacks exec_cbs = {
        .on_output = on_output,
        .on_exit = on_exit_cb,
};

/* argv / env: arrays of strings within the protocol's limits; NULL-terminated copy. */
static int string_array(struct vgl_varlink_call *call, struct json_object *params, const char *name,
                        bool required, size_t max, char ***ret)
{
        struct json_object *arr = NULL;
        size_t n;
        char **v;

        if (vgl_json_get_array(params, name, required, max, &arr, NULL) < 0 ||
            (required && json_object_array_length(arr) == 0)) {
                vgl_varlink_call_error_invalid_parameter(call, name);
                return -EINVAL;
        }
        if (!arr)
                return 0;
        n = json_object_array_length(arr);
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(arr, i);
                if (vgl_json_check_string(e, name, VGL_MAX_ARG_LEN, 0, NULL) < 0 ||
                    !(v[i] = strdup(json_object_get_string(e)))) {
                        for (size_t k = 0; k < i; k++)
                                free(v[k]);
                        free(v);
                        vgl_varlink_call_error_invalid_parameter(call, name);
                        return -EINVAL;
                }
        }
        *ret = v;
        return 1;
}

static int parse_exec(struct vgl_varlink_call *call, struct json_object *params,
                      struct vgl_exec_request *r, const char **ret_stdin)
{
        const char *cwd = NULL, *supervise = NULL;
        int64_t uid = -1, timeout = 0;

        if (string_array(call, params, "argv", true, VGL_MAX_ARGS, &r->argv) < 0 ||
            string_array(call, params, "env", false, VGL_MAX_ENV, &r->env) < 0 ||
            vgd_api_opt_string(call, params, "cwd", VGL_MAX_PATH_LEN, &cwd) < 0 ||
            vgd_api_opt_int(call, params, "uid", -1, UINT32_MAX - 1, &uid) < 0 ||
            vgd_api_opt_int(call, params, "timeout_ms", 0, UINT32_MAX, &timeout) < 0 ||
            vgd_api_opt_string(call, params, "stdin_b64", VGD_STDIN_MAX * 4 / 3 + 4, ret_stdin) <
                    0 ||
            vgd_api_opt_string(call, params, "supervise", 16, &supervise) < 0)
                return -EINVAL;
        if (supervise && vgl_exec_supervise_from_name(supervise, &r->supervise) < 0) {
                vgl_varlink_call_error_invalid_parameter(call, "supervise");
                return -EINVAL;
        }
        if (cwd && cwd[0] != '/') {
                vgl_varlink_call_error_invalid_parameter(call, "cwd");
                return -EINVAL;
        }
        r->cwd = cwd ? strdup(cwd) : NULL;
        r->uid = uid;
        r->gid = uid;
        r->timeout_ms = (uint32_t)timeout;
        r->stdin_pipe = *ret_stdin != NULL;
        return 0;
}

/* Queues stdin in frames of at most 64 KiB, then EOF. */
static int send_stdin(struct vgl_agent *a, uint32_t id, const uint8_t *p, size_t n)
{
        for (size_t off = 0; off < n; off += 65536) {
                size_t k = n - off < 65536 ? n - off : 65536;
                int r = vgl_agent_exec_stdin(a, id, p + off, k);
                if (r < 0)
                        return r;
        }
        return vgl_agent_exec_stdin(a, id, NULL, 0);
}

static int start(struct vgl_varlink_call *call, struct vgd_sandbox *s, struct vgl_agent *a,
                 const struct vgl_exec_request *req, const uint8_t *in, size_t in_len)
{
        struct exec_ctx *c = calloc(1, sizeof(*c));
        struct vgl_error e = {};
        int r;

        if (!c)
                return -ENOMEM;
        c->s = vgd_sandbox_ref(s);
        c->more = vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE;
        vgl_buf_init(&c->out, VGD_EXEC_COLLECT + 1);
        vgl_buf_init(&c->err, VGD_EXEC_COLLECT + 1);
        r = vgl_agent_exec(a, req, &exec_cbs, c, &c->id, &e);
        if (r < 0) {
                ctx_free(c);
                return vgd_api_agent_error(call, r == -EBUSY ? "busy" : "exec-failed", e.msg);
        }
        c->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, on_cancel, c);
        if (in && send_stdin(a, c->id, in, in_len) < 0)
                vgl_agent_exec_signal(a, c->id, SIGKILL); /* on_exit answers */
        return 0;
}

int vgd_api_exec(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id",         "argv",      "env",       "cwd", "uid",
                                             "timeout_ms", "stdin_b64", "supervise", NULL};
        struct vgd_daemon *d = userdata;
        struct vgl_exec_request req = {};
        _cleanup_free_ uint8_t *in = NULL;
        const char *in_b64 = NULL;
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        struct vgl_agent *a;
        size_t in_len = 0;
        int r = 0;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)) ||
            parse_exec(call, params, &req, &in_b64) < 0)
                goto out;
        if (in_b64 && (vgl_base64_decode(in_b64, strlen(in_b64), &in, &in_len, NULL) < 0 ||
                       in_len > VGD_STDIN_MAX)) {
                vgl_varlink_call_error_invalid_parameter(call, "stdin_b64");
                goto out;
        }
        if ((a = vgd_api_agent(call, s)))
                r = start(call, s, a, &req, in, in_len);
out:
        vgl_exec_request_done(&req);
        return r;
}
