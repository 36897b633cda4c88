/* Typed access to fields of replies, and building call parameters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "client-priv.h"

static const char *type_name(json_type type)
{
        switch (type) {
        case json_type_string:
                return "a string";
        case json_type_int:
                return "an integer";
        case json_type_double:
                return "a number";
        case json_type_object:
                return "an object";
        case json_type_array:
                return "an array";
        case json_type_boolean:
                return "a boolean";
        default:
                return "null";
        }
}

int vgl_json_field(struct json_object *o, const char *what, const char *key, json_type type,
                   bool optional, struct json_object **ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        json_type have;

        if (!json_object_object_get_ex(o, key, &v) || !v) {
                if (optional)
                        return 0;
                return vgl_error_set(err, EBADMSG, "reply: %s.%s is missing", what, key);
        }
        have = json_object_get_type(v);
        if (have != type && !(type == json_type_double && have == json_type_int))
                return vgl_error_set(err, EBADMSG, "reply: %s.%s is not %s", what, key,
                                     type_name(type));
        *ret = v;
        return 1;
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int vgl_json_add_string(struct json_object *o, const char *key, const char *value)
{
        return value ? add(o, key, json_object_new_string(value)) : 0;
}

int vgl_json_add_int(struct json_object *o, const char *key, int64_t value)
{
        return value >= 0 ? add(o, key, json_object_new_int64(value)) : 0;
}

int vgl_json_add_double(struct json_object *o, const char *key, double d)
{
        char text[32];

        for (int precision = 1; precision <= 17; precision++) {
                snprintf(text, sizeof(text), "%.*g", precision, d);
                if (strtod(text, NULL) == d)
                        break;
        }
        /* JSON wants a fraction or exponent to keep the value a float. */
        if (!strpbrk(text, ".eE"))
                strcat(text, ".0");
        return add(o, key, json_object_new_double_s(d, text));
}

int vgl_json_add_b64(struct json_object *o, const char *key, const void *data, size_t len)
{
        char *text = NULL;
        int r = vgl_base64_encode(data, len, &text);

        if (r < 0)
                return r;
        r = add(o, key, json_object_new_string(text));
        free(text);
        return r;
}

int vgl_json_get_b64(struct json_object *o, const char *what, const char *key, bool optional,
                     uint8_t **ret, size_t *ret_len, struct vgl_error *err)
{
        struct json_object *v = NULL;
        struct vgl_error e = {0};
        int r = vgl_json_field(o, what, key, json_type_string, optional, &v, err);

        if (r <= 0) {
                if (r == 0) {
                        *ret = NULL;
                        *ret_len = 0;
                }
                return r;
        }
        r = vgl_base64_decode(json_object_get_string(v), (size_t)json_object_get_string_len(v), ret,
                              ret_len, &e);
        if (r < 0)
                return vgl_error_set(err, -r, "reply: %s.%s: %s", what, key, e.msg);
        return 1;
}
