/* File transfer messages (file-put, file-get, file-result) and path rules. */
#include "proto-msg-priv.h"

#include <errno.h>
#include <string.h>

#define MAX_MODE     07777u
#define DEFAULT_MODE 0644u

int vgl_path_validate(const char *path, struct vgl_error *err)
{
        if (!path || !path[0])
                return vgl_error_set(err, EINVAL, "path is empty");
        size_t len = strnlen(path, VGL_MAX_PATH_LEN + 1);
        if (len > VGL_MAX_PATH_LEN)
                return vgl_error_set(err, EINVAL, "path is longer than %u bytes", VGL_MAX_PATH_LEN);
        if (path[0] != '/')
                return vgl_error_set(err, EINVAL, "path is not absolute");
        for (const char *c = path; *c;) {
                while (*c == '/')
                        c++;
                size_t n = strcspn(c, "/");
                if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return vgl_error_set(err, EINVAL, "path has a \"%.*s\" component", (int)n,
                                             c);
                c += n;
        }
        return 0;
}

int vgl_json_get_path(struct json_object *o, const char *name, bool required,
                      char ret[VGL_MAX_PATH_LEN + 1], struct vgl_error *err)
{
        char path[VGL_MAX_PATH_LEN + 1];
        int r = vgl_json_get_string(o, name, required, VGL_JSON_STR_NONEMPTY, path, sizeof(path),
                                    err);
        if (r <= 0)
                return r;
        if (vgl_path_validate(path, err) < 0) {
                if (err) {
                        char msg[sizeof(err->msg)];
                        memcpy(msg, err->msg, sizeof(msg));
                        vgl_error_set(err, EBADMSG, "field \"%s\": %s", name, msg);
                }
                return -EBADMSG;
        }
        memcpy(ret, path, strlen(path) + 1);
        return 1;
}

static int file_request_fields(struct json_object *o, void *out, struct vgl_error *err, bool put)
{
        struct vgl_file_request *q = out;

        VGL_TRY(vgl_json_get_path(o, "path", true, q->path, err));
        if (put) {
                q->mode = DEFAULT_MODE;
                VGL_TRY(vgl_json_get_u64(o, "size", true, INT64_MAX, &q->size, err));
                VGL_TRY(vgl_json_get_u32(o, "mode", false, MAX_MODE, &q->mode, err));
        } else {
                VGL_TRY(vgl_json_get_u64(o, "max_size", false, INT64_MAX, &q->size, err));
        }
        return 0;
}

static int file_put_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        return file_request_fields(o, out, err, true);
}

static int file_get_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        return file_request_fields(o, out, err, false);
}

int vgl_msg_file_request_parse(const struct vgl_frame *f, struct vgl_file_request *ret,
                               struct vgl_error *err)
{
        static struct vgl_file_request empty;
        struct vgl_file_request q = empty;
        int r;

        if (f->type == VGL_MSG_FILE_GET)
                r = vgl_msg_parse_typed(f, VGL_MSG_FILE_GET, true, file_get_fields, &q, err);
        else
                r = vgl_msg_parse_typed(f, VGL_MSG_FILE_PUT, true, file_put_fields, &q, err);
        if (r >= 0)
                *ret = q;
        return r;
}

static int file_request_append(struct vgl_buf *b, uint8_t type, uint32_t stream, const char *path,
                               uint64_t size, uint32_t mode)
{
        bool put = type == VGL_MSG_FILE_PUT;
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || vgl_path_validate(path, NULL) < 0 ||
            vgl_text_check(path, VGL_MAX_PATH_LEN) < 0 || size > INT64_MAX || mode > MAX_MODE)
                return -EINVAL;
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "path", json_object_new_string(path));
        r = r ?: vgl_json_add(o, put ? "size" : "max_size", json_object_new_uint64(size));
        if (put)
                r = r ?: vgl_json_add(o, "mode", json_object_new_int64(mode));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, type, stream, o);
}

int vgl_msg_file_put_append(struct vgl_buf *b, uint32_t stream, const char *path, uint64_t size,
                            uint32_t mode)
{
        return file_request_append(b, VGL_MSG_FILE_PUT, stream, path, size, mode);
}

int vgl_msg_file_get_append(struct vgl_buf *b, uint32_t stream, const char *path, uint64_t max_size)
{
        return file_request_append(b, VGL_MSG_FILE_GET, stream, path, max_size, 0);
}

/* ---- FILE_RESULT ---- */

static int file_result_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_file_result *x = out;

        VGL_TRY(vgl_json_get_bool(o, "ok", true, &x->ok, err));
        VGL_TRY(vgl_json_get_u64(o, "size", false, INT64_MAX, &x->size, err));
        VGL_TRY(vgl_json_get_u32(o, "mode", false, MAX_MODE, &x->mode, err));
        VGL_TRY(vgl_json_get_string(o, "error", false, 0, x->error, sizeof(x->error), err));
        return 0;
}

int vgl_msg_file_result_parse(const struct vgl_frame *f, struct vgl_file_result *ret,
                              struct vgl_error *err)
{
        struct vgl_file_result x = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_FILE_RESULT, true, file_result_fields, &x, err);
        if (r >= 0)
                *ret = x;
        return r;
}

int vgl_msg_file_result_append(struct vgl_buf *b, uint32_t stream, const struct vgl_file_result *x)
{
        char text[VGL_ERROR_MSG_MAX];
        struct json_object *o = NULL;
        int r;

        if (stream == 0 || x->size > INT64_MAX || x->mode > MAX_MODE)
                return -EINVAL;
        vgl_text_sanitize(text, sizeof(text), x->error);
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "ok", json_object_new_boolean(x->ok));
        r = r ?: vgl_json_add(o, "size", json_object_new_uint64(x->size));
        r = r ?: vgl_json_add(o, "mode", json_object_new_int64(x->mode));
        r = r ?: vgl_json_add(o, "error", json_object_new_string(text));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_FILE_RESULT, stream, o);
}
