/* JSON payloads of control messages: whole-payload parsing and typed,
 * bounded field access. Payloads come from the other side of a trust
 * boundary: nothing here trusts a length, a type or an encoding. */
#include "proto-msg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"

#define JSON_MAX_DEPTH 16

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

int vgl_msg_append_json(struct vgl_buf *b, uint8_t type, uint32_t stream, struct json_object *o)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(
                o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        if (!s)
                return -ENOMEM;
        return vgl_frame_append(b, type, stream, s, len);
}

int vgl_msg_parse_json(const struct vgl_frame *f, struct json_object **ret, struct vgl_error *err)
{
        if (f->length == 0)
                return vgl_error_set(err, EBADMSG, "empty payload, expected a JSON object");
        if (f->length > VGL_FRAME_MAX_PAYLOAD)
                return vgl_error_set(err, EBADMSG, "payload too large");

        _cleanup_(json_tokener_freep) struct json_tokener *tok =
                json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                            JSON_TOKENER_VALIDATE_UTF8);

        _cleanup_json_ struct json_object *o =
                json_tokener_parse_ex(tok, (const char *)f->payload, (int)f->length);
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (e == json_tokener_continue) {
                /* A bare scalar ("null", "12") also ends here: json-c waits
                 * for a delimiter that a framed payload never has. */
                size_t i = 0;
                while (i < f->length && memchr(" \t\r\n", f->payload[i], 4))
                        i++;
                if (i < f->length && f->payload[i] != '{')
                        return vgl_error_set(err, EBADMSG, "payload is not a JSON object");
                return vgl_error_set(err, EBADMSG, "truncated JSON");
        }
        if (e != json_tokener_success || !o)
                return vgl_error_set(err, EBADMSG, "invalid JSON at byte %zu: %s",
                                     json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
        if (json_tokener_get_parse_end(tok) != f->length)
                return vgl_error_set(err, EBADMSG,
                                     "trailing bytes after the JSON object at byte %zu",
                                     json_tokener_get_parse_end(tok));
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "payload is a JSON %s, expected an object",
                                     json_type_to_name(json_object_get_type(o)));
        *ret = TAKE_PTR(o);
        return 0;
}

/* Length of the UTF-8 sequence led by c, 0 if c cannot lead one. */
static size_t utf8_seq_len(unsigned char c)
{
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                return 2;
        if (c >= 0xe0 && c <= 0xef)
                return 3;
        if (c >= 0xf0 && c <= 0xf4)
                return 4;
        return 0;
}

bool vgl_utf8_valid(const char *s, size_t len)
{
        const unsigned char *p = (const unsigned char *)s;

        for (size_t i = 0; i < len;) {
                size_t n = utf8_seq_len(p[i]);
                if (!n || n > len - i)
                        return false;
                for (size_t k = 1; k < n; k++)
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                /* Second-byte ranges exclude overlongs, surrogates and > U+10FFFF. */
                if ((p[i] == 0xe0 && p[i + 1] < 0xa0) || (p[i] == 0xed && p[i + 1] > 0x9f) ||
                    (p[i] == 0xf0 && p[i + 1] < 0x90) || (p[i] == 0xf4 && p[i + 1] > 0x8f))
                        return false;
                i += n;
        }
        return true;
}

static bool printable_ascii(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if (s[i] < 0x20 || s[i] > 0x7e)
                        return false;
        return true;
}

int vgl_json_check_string(struct json_object *v, const char *what, size_t max_len, unsigned flags,
                          struct vgl_error *err)
{
        if (!json_object_is_type(v, json_type_string))
                return vgl_error_set(err, EBADMSG, "%s: expected a string", what);
        const char *s = json_object_get_string(v);
        int len = json_object_get_string_len(v);
        if (!s || len < 0)
                return vgl_error_set(err, EBADMSG, "%s: unreadable string", what);
        if ((size_t)len > max_len)
                return vgl_error_set(err, EBADMSG, "%s: longer than %zu bytes", what, max_len);
        if ((flags & VGL_JSON_STR_NONEMPTY) && len == 0)
                return vgl_error_set(err, EBADMSG, "%s: empty", what);
        if (memchr(s, '\0', (size_t)len))
                return vgl_error_set(err, EBADMSG, "%s: contains a NUL byte", what);
        if (!vgl_utf8_valid(s, (size_t)len))
                return vgl_error_set(err, EBADMSG, "%s: invalid UTF-8", what);
        if ((flags & VGL_JSON_STR_NAME) && !printable_ascii(s, (size_t)len))
                return vgl_error_set(err, EBADMSG, "%s: only printable ASCII allowed", what);
        return 0;
}

/* Looks a field up: 1 with *ret set, 0 if absent/null and optional, <0 if required. */
static int field(struct json_object *o, const char *name, bool required, struct json_object **ret,
                 struct vgl_error *err)
{
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, name, &v) || !v) {
                if (required)
                        return vgl_error_set(err, EBADMSG, "missing field \"%s\"", name);
                return 0;
        }
        *ret = v;
        return 1;
}

int vgl_json_get_string(struct json_object *o, const char *name, bool required, unsigned flags,
                        char *ret, size_t size, struct vgl_error *err)
{
        struct json_object *v = NULL;
        char what[VGL_MAX_NAME_LEN + 16];
        int r = field(o, name, required, &v, err);
        if (r <= 0)
                return r;
        snprintf(what, sizeof(what), "field \"%s\"", name);
        r = vgl_json_check_string(v, what, size - 1, flags, err);
        if (r < 0)
                return r;
        memcpy(ret, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
        return 1;
}

int vgl_json_dup_string(struct json_object *o, const char *name, bool required, unsigned flags,
                        size_t max_len, char **ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        char what[VGL_MAX_NAME_LEN + 16];
        int r = field(o, name, required, &v, err);
        if (r <= 0)
                return r;
        snprintf(what, sizeof(what), "field \"%s\"", name);
        r = vgl_json_check_string(v, what, max_len, flags, err);
        if (r < 0)
                return r;
        char *s = strdup(json_object_get_string(v));
        if (!s)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *ret = s;
        return 1;
}

int vgl_json_get_i64(struct json_object *o, const char *name, bool required, int64_t min,
                     int64_t max, int64_t *ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = field(o, name, required, &v, err);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_int))
                return vgl_error_set(err, EBADMSG, "field \"%s\": expected an integer", name);
        /* json-c clamps out-of-range numbers to INT64_MIN/MAX; bounds below
         * INT64_MAX (all callers) reject those. */
        int64_t x = json_object_get_int64(v);
        if (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
                return vgl_error_set(err, EBADMSG, "field \"%s\": out of range", name);
        if (x < min || x > max)
                return vgl_error_set(err, EBADMSG, "field \"%s\": %lld not in [%lld, %lld]", name,
                                     (long long)x, (long long)min, (long long)max);
        *ret = x;
        return 1;
}

int vgl_json_get_u64(struct json_object *o, const char *name, bool required, uint64_t max,
                     uint64_t *ret, struct vgl_error *err)
{
        int64_t x = 0;
        if (max > (uint64_t)INT64_MAX)
                max = (uint64_t)INT64_MAX;
        int r = vgl_json_get_i64(o, name, required, 0, (int64_t)max, &x, err);
        if (r <= 0)
                return r;
        *ret = (uint64_t)x;
        return 1;
}

int vgl_json_get_bool(struct json_object *o, const char *name, bool required, bool *ret,
                      struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = field(o, name, required, &v, err);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_boolean))
                return vgl_error_set(err, EBADMSG, "field \"%s\": expected true or false", name);
        *ret = json_object_get_boolean(v);
        return 1;
}

int vgl_json_get_array(struct json_object *o, const char *name, bool required, size_t max_len,
                       struct json_object **ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = field(o, name, required, &v, err);
        if (r <= 0)
                return r;
        if (!json_object_is_type(v, json_type_array))
                return vgl_error_set(err, EBADMSG, "field \"%s\": expected an array", name);
        if (json_object_array_length(v) > max_len)
                return vgl_error_set(err, EBADMSG, "field \"%s\": more than %zu elements", name,
                                     max_len);
        *ret = v;
        return 1;
}

int vgl_json_add(struct json_object *o, const char *key, struct json_object *v)
{
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}
