/* PutFile and GetFile: whole files, base64 in one call each. */
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "client-priv.h"

static struct json_object *file_params(const char *id, const char *path)
{
        struct json_object *p = json_object_new_object();

        if (p && (vgl_json_add_string(p, "id", id) < 0 || vgl_json_add_string(p, "path", path) < 0))
                p = (json_object_put(p), NULL);
        return p;
}

int vgl_client_put_file(struct vgl_client *c, const char *id, const char *path, const void *data,
                        size_t len, int mode, int64_t *ret_size, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = NULL, *reply = NULL;
        struct json_object *size = NULL;
        int r;

        if (len > VGL_CLIENT_MAX_INLINE)
                return vgl_error_set(err, EFBIG, "%zu bytes is over the limit of %zu bytes", len,
                                     VGL_CLIENT_MAX_INLINE);
        p = file_params(id, path);
        if (!p || vgl_json_add_b64(p, "data_b64", data, len) < 0 ||
            vgl_json_add_int(p, "mode", mode) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "PutFile", p, &reply, err);
        if (r >= 0)
                r = vgl_json_field(reply, "reply", "size", json_type_int, false, &size, err);
        if (r < 0)
                return r;
        if (ret_size)
                *ret_size = json_object_get_int64(size);
        return 0;
}

static int decode_file(struct json_object *reply, struct vgl_client_file *ret,
                       struct vgl_error *err)
{
        _cleanup_free_ uint8_t *data = NULL;
        struct json_object *size = NULL, *mode = NULL;
        size_t len = 0;
        int r = vgl_json_field(reply, "reply", "size", json_type_int, false, &size, err);

        if (r >= 0)
                r = vgl_json_field(reply, "reply", "mode", json_type_int, false, &mode, err);
        if (r >= 0)
                r = vgl_json_get_b64(reply, "reply", "data_b64", false, &data, &len, err);
        if (r < 0)
                return r;
        if (json_object_get_int64(size) != (int64_t)len)
                return vgl_error_set(err, EBADMSG, "reply: size %lld but %zu bytes of data",
                                     (long long)json_object_get_int64(size), len);
        ret->data = TAKE_PTR(data);
        ret->size = len;
        ret->mode = (int)(json_object_get_int64(mode) & 07777);
        return 0;
}

int vgl_client_get_file(struct vgl_client *c, const char *id, const char *path, int64_t max_size,
                        struct vgl_client_file *ret, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = file_params(id, path), *reply = NULL;
        int r;

        if (!p || (max_size > 0 && vgl_json_add_int(p, "max_size", max_size) < 0))
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "GetFile", p, &reply, err);
        return r < 0 ? r : decode_file(reply, ret, err);
}
