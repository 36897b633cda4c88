/* Command execution messages: exec, exec-started, exec-exit, signal. */
#include "proto-msg-priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define MAX_ID   4294967294LL /* uid/gid: (uid_t)-1 is "unchanged", never a real id */
#define MAX_SIG  64
#define MAX_EXIT 255

static char **strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)

void vgl_exec_request_done(struct vgl_exec_request *r)
{
        strv_free(r->argv);
        strv_free(r->env);
        free(r->cwd);
        *r = (struct vgl_exec_request){0};
}

static bool env_entry_ok(const char *s)
{
        const char *eq = strchr(s, '=');
        return eq && eq != s;
}

/* Copies a JSON array of strings into a NULL-terminated vector. */
static int strv_parse(struct json_object *a, const char *name, bool env, char ***ret,
                      struct vgl_error *err)
{
        size_t n = json_object_array_length(a);
        _cleanup_(strv_freep) char **v = calloc(n + 1, sizeof(char *));
        char what[48];

        if (!v)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *s = json_object_array_get_idx(a, i);
                snprintf(what, sizeof(what), "field \"%s\" element %zu", name, i);
                VGL_TRY(vgl_json_check_string(s, what, VGL_MAX_ARG_LEN, 0, err));
                if (env && !env_entry_ok(json_object_get_string(s)))
                        return vgl_error_set(err, EBADMSG, "%s: not NAME=VALUE", what);
                v[i] = strdup(json_object_get_string(s));
                if (!v[i])
                        return vgl_error_set(err, ENOMEM, "out of memory");
        }
        *ret = TAKE_PTR(v);
        return 0;
}

static const char *const supervise_names[] = {
        [VGL_EXEC_SUP_DEFAULT] = "default",
        [VGL_EXEC_SUP_TRACE] = "trace",
        [VGL_EXEC_SUP_CRITICAL] = "critical",
        [VGL_EXEC_SUP_OFF] = "off",
};

const char *vgl_exec_supervise_name(enum vgl_exec_supervise s)
{
        return (unsigned)s < ELEMENTSOF(supervise_names) ? supervise_names[s] : "unknown";
}

int vgl_exec_supervise_from_name(const char *name, enum vgl_exec_supervise *ret)
{
        for (size_t k = 0; k < ELEMENTSOF(supervise_names); k++)
                if (strcmp(name, supervise_names[k]) == 0) {
                        *ret = (enum vgl_exec_supervise)k;
                        return 0;
                }
        return -EINVAL;
}

static int supervise_parse(struct json_object *o, enum vgl_exec_supervise *ret,
                           struct vgl_error *err)
{
        char name[16];
        int r = vgl_json_get_string(o, "supervise", false, VGL_JSON_STR_NAME, name, sizeof(name),
                                    err);
        if (r <= 0)
                return r;
        if (vgl_exec_supervise_from_name(name, ret) < 0)
                return vgl_error_set(err, EBADMSG, "field \"supervise\": unknown value \"%s\"",
                                     name);
        return 0;
}

static int exec_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_exec_request *x = out;
        _cleanup_(strv_freep) char **argv = NULL;
        _cleanup_(strv_freep) char **env = NULL;
        _cleanup_free_ char *cwd = NULL;
        struct json_object *a = NULL;

        VGL_TRY(vgl_json_get_array(o, "argv", true, VGL_MAX_ARGS, &a, err));
        if (json_object_array_length(a) == 0)
                return vgl_error_set(err, EBADMSG, "field \"argv\": empty");
        VGL_TRY(strv_parse(a, "argv", false, &argv, err));
        if (!argv[0][0])
                return vgl_error_set(err, EBADMSG, "field \"argv\": empty program name");
        a = NULL;
        VGL_TRY(vgl_json_get_array(o, "env", false, VGL_MAX_ENV, &a, err));
        if (a)
                VGL_TRY(strv_parse(a, "env", true, &env, err));
        char path[VGL_MAX_PATH_LEN + 1];
        int r = vgl_json_get_path(o, "cwd", false, path, err);
        if (r < 0)
                return r;
        if (r > 0 && !(cwd = strdup(path)))
                return vgl_error_set(err, ENOMEM, "out of memory");
        x->uid = x->gid = -1;
        VGL_TRY(vgl_json_get_i64(o, "uid", false, -1, MAX_ID, &x->uid, err));
        VGL_TRY(vgl_json_get_i64(o, "gid", false, -1, MAX_ID, &x->gid, err));
        VGL_TRY(vgl_json_get_u32(o, "timeout_ms", false, UINT32_MAX, &x->timeout_ms, err));
        VGL_TRY(vgl_json_get_bool(o, "stdin", false, &x->stdin_pipe, err));
        VGL_TRY(supervise_parse(o, &x->supervise, err));
        x->argv = TAKE_PTR(argv);
        x->env = TAKE_PTR(env);
        x->cwd = TAKE_PTR(cwd);
        return 0;
}

int vgl_msg_exec_parse(const struct vgl_frame *f, struct vgl_exec_request *ret,
                       struct vgl_error *err)
{
        struct vgl_exec_request x = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_EXEC, true, exec_fields, &x, err);
        if (r >= 0)
                *ret = x;
        return r;
}

static struct json_object *strv_new(char *const *v, size_t max, bool env)
{
        struct json_object *a = json_object_new_array();
        size_t i = 0;

        for (; a && v[i]; i++) {
                struct json_object *s = NULL;
                if (i < max && vgl_text_check(v[i], VGL_MAX_ARG_LEN) == 0 &&
                    (!env || env_entry_ok(v[i])))
                        s = json_object_new_string(v[i]);
                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static int exec_check(const struct vgl_exec_request *x)
{
        if (!x->argv || !x->argv[0] || !x->argv[0][0])
                return -EINVAL;
        if (x->cwd && vgl_path_validate(x->cwd, NULL) < 0)
                return -EINVAL;
        if (x->uid < -1 || x->uid > MAX_ID || x->gid < -1 || x->gid > MAX_ID)
                return -EINVAL;
        if ((unsigned)x->supervise >= ELEMENTSOF(supervise_names))
                return -EINVAL;
        return 0;
}

int vgl_msg_exec_append(struct vgl_buf *b, uint32_t stream, const struct vgl_exec_request *x)
{
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || exec_check(x) < 0)
                return -EINVAL;
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        /* strv_new() fails on a bad or excess element too: call that -EINVAL. */
        r = r ?: (vgl_json_add(o, "argv", strv_new(x->argv, VGL_MAX_ARGS, false)) ? -EINVAL : 0);
        if (!r && x->env)
                r = vgl_json_add(o, "env", strv_new(x->env, VGL_MAX_ENV, true)) ? -EINVAL : 0;
        if (!r && x->cwd)
                r = vgl_json_add(o, "cwd", json_object_new_string(x->cwd));
        r = r ?: vgl_json_add(o, "uid", json_object_new_int64(x->uid));
        r = r ?: vgl_json_add(o, "gid", json_object_new_int64(x->gid));
        r = r ?: vgl_json_add(o, "timeout_ms", json_object_new_int64(x->timeout_ms));
        r = r ?: vgl_json_add(o, "stdin", json_object_new_boolean(x->stdin_pipe));
        /* Left out when default: what older agents and encodings expect. */
        if (!r && x->supervise != VGL_EXEC_SUP_DEFAULT)
                r = vgl_json_add(o, "supervise",
                                 json_object_new_string(vgl_exec_supervise_name(x->supervise)));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_EXEC, stream, o);
}

/* ---- EXEC_STARTED ---- */

static int started_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        VGL_TRY(vgl_json_get_i64(o, "pid", true, 1, INT32_MAX, out, err));
        return 0;
}

int vgl_msg_exec_started_parse(const struct vgl_frame *f, int64_t *ret_pid, struct vgl_error *err)
{
        int64_t pid = 0;
        int r = vgl_msg_parse_typed(f, VGL_MSG_EXEC_STARTED, true, started_fields, &pid, err);
        if (r >= 0)
                *ret_pid = pid;
        return r;
}

int vgl_msg_exec_started_append(struct vgl_buf *b, uint32_t stream, int64_t pid)
{
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || pid < 1 || pid > INT32_MAX)
                return -EINVAL;
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "pid", json_object_new_int64(pid));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_EXEC_STARTED, stream, o);
}

/* ---- EXEC_EXIT ---- */

static const char *const exit_names[] = {
        [VGL_EXIT_EXITED] = "exited",
        [VGL_EXIT_SIGNALED] = "signaled",
        [VGL_EXIT_TIMEOUT] = "timeout",
        [VGL_EXIT_FAILED] = "failed",
};

const char *vgl_exit_status_name(enum vgl_exit_status s)
{
        return (unsigned)s < ELEMENTSOF(exit_names) ? exit_names[s] : "unknown";
}

/* The code's range depends on the status: an exit status, a signal, or anything. */
static bool exit_code_ok(enum vgl_exit_status s, int64_t code)
{
        switch (s) {
        case VGL_EXIT_EXITED:
                return code >= 0 && code <= MAX_EXIT;
        case VGL_EXIT_SIGNALED:
        case VGL_EXIT_TIMEOUT:
                return code >= 1 && code <= MAX_SIG;
        case VGL_EXIT_FAILED:
                return code >= INT32_MIN && code <= INT32_MAX;
        }
        return false;
}

static int exit_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_exec_exit *x = out;
        char status[16];
        int64_t code = 0;
        size_t k = 0;

        VGL_TRY(vgl_json_get_string(o, "status", true, VGL_JSON_STR_NAME, status, sizeof(status),
                                    err));
        while (k < ELEMENTSOF(exit_names) && strcmp(status, exit_names[k]) != 0)
                k++;
        if (k == ELEMENTSOF(exit_names))
                return vgl_error_set(err, EBADMSG, "field \"status\": unknown value \"%s\"",
                                     status);
        x->status = (enum vgl_exit_status)k;
        VGL_TRY(vgl_json_get_i64(o, "code", true, INT32_MIN, INT32_MAX, &code, err));
        if (!exit_code_ok(x->status, code))
                return vgl_error_set(err, EBADMSG, "field \"code\": %lld invalid for status %s",
                                     (long long)code, status);
        x->code = (int32_t)code;
        VGL_TRY(vgl_json_get_u64(o, "duration_ms", false, INT64_MAX, &x->duration_ms, err));
        VGL_TRY(vgl_json_get_u64(o, "stdout_bytes", false, INT64_MAX, &x->stdout_bytes, err));
        VGL_TRY(vgl_json_get_u64(o, "stderr_bytes", false, INT64_MAX, &x->stderr_bytes, err));
        VGL_TRY(vgl_json_get_string(o, "error", false, 0, x->error, sizeof(x->error), err));
        return 0;
}

int vgl_msg_exec_exit_parse(const struct vgl_frame *f, struct vgl_exec_exit *ret,
                            struct vgl_error *err)
{
        struct vgl_exec_exit x = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_EXEC_EXIT, true, exit_fields, &x, err);
        if (r >= 0)
                *ret = x;
        return r;
}

int vgl_msg_exec_exit_append(struct vgl_buf *b, uint32_t stream, const struct vgl_exec_exit *x)
{
        char text[VGL_ERROR_MSG_MAX];
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || !exit_code_ok(x->status, x->code) || x->duration_ms > INT64_MAX ||
            x->stdout_bytes > INT64_MAX || x->stderr_bytes > INT64_MAX)
                return -EINVAL;
        vgl_text_sanitize(text, sizeof(text), x->error);
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "status", json_object_new_string(vgl_exit_status_name(x->status)));
        r = r ?: vgl_json_add(o, "code", json_object_new_int(x->code));
        r = r ?: vgl_json_add(o, "duration_ms", json_object_new_uint64(x->duration_ms));
        r = r ?: vgl_json_add(o, "stdout_bytes", json_object_new_uint64(x->stdout_bytes));
        r = r ?: vgl_json_add(o, "stderr_bytes", json_object_new_uint64(x->stderr_bytes));
        r = r ?: vgl_json_add(o, "error", json_object_new_string(text));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_EXEC_EXIT, stream, o);
}

/* ---- SIGNAL ---- */

static int signal_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        int64_t sig = 0;
        VGL_TRY(vgl_json_get_i64(o, "signal", true, 1, MAX_SIG, &sig, err));
        *(int32_t *)out = (int32_t)sig;
        return 0;
}

int vgl_msg_signal_parse(const struct vgl_frame *f, int32_t *ret_sig, struct vgl_error *err)
{
        int32_t sig = 0;
        int r = vgl_msg_parse_typed(f, VGL_MSG_SIGNAL, true, signal_fields, &sig, err);
        if (r >= 0)
                *ret_sig = sig;
        return r;
}

int vgl_msg_signal_append(struct vgl_buf *b, uint32_t stream, int32_t sig)
{
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || sig < 1 || sig > MAX_SIG)
                return -EINVAL;
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "signal", json_object_new_int(sig));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_SIGNAL, stream, o);
}
