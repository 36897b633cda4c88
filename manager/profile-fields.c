/* See profile-priv.h: strict JSON fields with dotted paths in messages. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "profile-priv.h"
#include "proto-msg.h"

#define JSON_MAX_DEPTH 16

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

struct vgl_jf vgl_jf_sub(const struct vgl_jf *c, const char *name)
{
        struct vgl_jf s = {.code = c->code, .err = c->err};
        /* A path cut at VGL_JF_WHERE_MAX still names where it starts. */
        if (snprintf(s.where, sizeof(s.where), "%s%s%s", c->where, c->where[0] ? "." : "", name) <
            0)
                s.where[0] = '\0';
        return s;
}

int vgl_jf_fail(const struct vgl_jf *c, const char *name, const char *fmt, ...)
{
        char msg[VGL_ERROR_MSG_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return vgl_error_set(c->err, c->code, "%s%s%s: %s", c->where,
                             c->where[0] && name[0] != '[' ? "." : "", name, msg);
}

int vgl_jf_known(const struct vgl_jf *c, struct json_object *o, const char *const *known)
{
        json_object_object_foreach(o, key, val)
        {
                (void)val;
                bool found = false;
                for (size_t i = 0; known[i] && !found; i++)
                        found = strcmp(known[i], key) == 0;
                if (!found) {
                        char shown[40];
                        snprintf(shown, sizeof(shown), "%s", key);
                        return vgl_jf_fail(c, shown, "unknown field");
                }
        }
        return 0;
}

/* 1 with *ret, 0 absent and optional, < 0 absent and required. */
static int lookup(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  struct json_object **ret)
{
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, name, &v) || !v)
                return required ? vgl_jf_fail(c, name, "missing") : 0;
        *ret = v;
        return 1;
}

int vgl_jf_object(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  struct json_object **ret)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_object))
                return vgl_jf_fail(c, name, "expected an object");
        *ret = v;
        return 1;
}

int vgl_jf_array(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                 size_t max_len, struct json_object **ret)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_array))
                return vgl_jf_fail(c, name, "expected an array");
        if (json_object_array_length(v) > max_len)
                return vgl_jf_fail(c, name, "more than %zu elements", max_len);
        *ret = v;
        return 1;
}

int vgl_jf_value_number(const struct vgl_jf *c, struct json_object *v, const char *name, double min,
                        double max, double *ret)
{
        if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
                return vgl_jf_fail(c, name, "expected a number");
        double d = json_object_get_double(v);
        if (!isfinite(d) || d < min || d > max)
                return vgl_jf_fail(c, name, "%g not in [%g, %g]", d, min, max);
        *ret = d;
        return 1;
}

int vgl_jf_number(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  double min, double max, double *ret)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        return r <= 0 ? r : vgl_jf_value_number(c, v, name, min, max, ret);
}

int vgl_jf_int(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
               int64_t min, int64_t max, int64_t *ret)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_int))
                return vgl_jf_fail(c, name, "expected an integer");
        /* json-c clamps out-of-range numbers to INT64_MIN/MAX. */
        int64_t x = json_object_get_int64(v);
        if ((x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) || x < min ||
            x > max)
                return vgl_jf_fail(c, name, "not in [%lld, %lld]", (long long)min, (long long)max);
        *ret = x;
        return 1;
}

int vgl_jf_uint(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                uint64_t min, uint64_t max, uint64_t *ret)
{
        int64_t x = 0;
        if (max > (uint64_t)INT64_MAX - 1)
                max = (uint64_t)INT64_MAX - 1;
        int r = vgl_jf_int(c, o, name, required, (int64_t)min, (int64_t)max, &x);
        if (r <= 0)
                return r;
        *ret = (uint64_t)x;
        return 1;
}

int vgl_jf_bool(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                bool *ret)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_boolean))
                return vgl_jf_fail(c, name, "expected true or false");
        *ret = json_object_get_boolean(v);
        return 1;
}

int vgl_jf_value_string(const struct vgl_jf *c, struct json_object *v, const char *name,
                        unsigned flags, char *buf, size_t size)
{
        struct vgl_error e = {0};
        if (vgl_json_check_string(v, "value", size - 1, flags, &e) < 0)
                return vgl_jf_fail(c, name, "%s", e.msg);
        memcpy(buf, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
        return 1;
}

int vgl_jf_string(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  unsigned flags, char *buf, size_t size)
{
        struct json_object *v = NULL;
        int r = lookup(c, o, name, required, &v);
        return r <= 0 ? r : vgl_jf_value_string(c, v, name, flags, buf, size);
}

int vgl_jf_parse_file_text(const char *path, const char *text, size_t len, size_t max,
                           struct json_object **ret, struct vgl_error *err)
{
        if (len > max)
                return vgl_error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
        _cleanup_(json_tokener_freep) struct json_tokener *tok =
                json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        _cleanup_json_ struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        while (used < len && memchr(" \t\r\n", text[used], 4))
                used++;
        if (!o || jerr != json_tokener_success || used != len)
                return vgl_error_set(err, EINVAL, "%s: not valid JSON (%s)", path,
                                     o ? "trailing bytes" : json_tokener_error_desc(jerr));
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "%s: must be a JSON object", path);
        *ret = TAKE_PTR(o);
        return 0;
}
