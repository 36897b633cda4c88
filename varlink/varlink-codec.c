/* Parsing and building varlink call and reply messages. */
#include "varlink-codec.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-c/json_visit.h>

#include "cleanup.h"
#include "proto-msg.h" /* vgl_utf8_valid */

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
        return is_alpha(c) || (c >= '0' && c <= '9');
}

/* One label of an interface name: [A-Za-z0-9](-*[A-Za-z0-9])*, the first
 * label must start with a letter. */
static bool label_valid(const char *s, size_t len, bool first)
{
        if (len == 0 || !is_alnum(s[0]) || (first && !is_alpha(s[0])))
                return false;
        if (s[len - 1] == '-')
                return false;
        for (size_t i = 1; i < len; i++)
                if (!is_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

bool vgl_varlink_interface_name_valid(const char *s, size_t len)
{
        size_t start = 0;
        unsigned labels = 0;

        if (len == 0 || len > VGL_VARLINK_MAX_NAME)
                return false;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && s[i] != '.')
                        continue;
                if (!label_valid(s + start, i - start, labels == 0))
                        return false;
                labels++;
                start = i + 1;
        }
        return labels >= 2;
}

bool vgl_varlink_member_name_valid(const char *s, size_t len)
{
        if (len == 0 || len > VGL_VARLINK_MAX_NAME || s[0] < 'A' || s[0] > 'Z')
                return false;
        for (size_t i = 1; i < len; i++)
                if (!is_alnum(s[i]))
                        return false;
        return true;
}

int vgl_varlink_qualified_name_check(const char *s, size_t len)
{
        const char *dot = len ? memrchr(s, '.', len) : NULL;

        if (!dot)
                return -EINVAL;
        size_t iface_len = (size_t)(dot - s);
        if (!vgl_varlink_interface_name_valid(s, iface_len) ||
            !vgl_varlink_member_name_valid(dot + 1, len - iface_len - 1))
                return -EINVAL;
        return (int)iface_len;
}

static int check_visit(struct json_object *o, int flags, struct json_object *parent,
                       const char *key, size_t *index, void *userdata)
{
        const char **problem = userdata;

        if (flags == JSON_C_VISIT_SECOND)
                return JSON_C_VISIT_RETURN_CONTINUE;
        if (key && !vgl_utf8_valid(key, strlen(key)))
                *problem = "invalid UTF-8 in a key";
        else if (json_object_is_type(o, json_type_string) &&
                 !vgl_utf8_valid(json_object_get_string(o), (size_t)json_object_get_string_len(o)))
                *problem = "invalid UTF-8 in a string";
        else if (json_object_is_type(o, json_type_double) && !isfinite(json_object_get_double(o)))
                *problem = "a number is not finite";
        return *problem ? JSON_C_VISIT_RETURN_STOP : JSON_C_VISIT_RETURN_CONTINUE;
}

/* What json-c lets through: overlong or surrogate UTF-8 (also from \u
 * escapes), NaN, Infinity, 1e999. Echoing them would hand invalid JSON or
 * invalid text to other peers. Returns NULL if o is clean. */
static const char *check_values(struct json_object *o)
{
        const char *problem = NULL;

        json_c_visit(o, 0, check_visit, &problem);
        return problem;
}

/* strspn() for a buffer that need not be NUL-terminated. */
static size_t strspn_len(const char *s, size_t len, const char *accept)
{
        size_t i = 0;

        while (i < len && s[i] != '\0' && strchr(accept, s[i]))
                i++;
        return i;
}

int vgl_varlink_parse_object(const char *text, size_t len, struct json_object **ret,
                             struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *o = NULL;
        struct json_tokener *tok;
        enum json_tokener_error jerr;
        size_t used;

        if (len > INT32_MAX)
                return vgl_error_set(err, EBADMSG, "message too long");
        /* Only an object is ever a message; checking first also spares
         * json-c's wait for more input after a bare literal or number. */
        used = strspn_len(text, len, " \t\r\n");
        if (used == len)
                return vgl_error_set(err, EBADMSG, "incomplete JSON: empty message");
        if (text[used] != '{')
                return vgl_error_set(err, EBADMSG, "message is not a JSON object");
        tok = json_tokener_new_ex(VGL_VARLINK_MAX_DEPTH);
        if (!tok)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
                                            JSON_TOKENER_ALLOW_TRAILING_CHARS);
        o = json_tokener_parse_ex(tok, text, (int)len);
        jerr = json_tokener_get_error(tok);
        used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (jerr == json_tokener_continue)
                return vgl_error_set(err, EBADMSG, "incomplete JSON");
        if (jerr != json_tokener_success)
                return vgl_error_set(err, EBADMSG, "invalid JSON at byte %zu: %s", used,
                                     json_tokener_error_desc(jerr));
        if (used + strspn_len(text + used, len - used, " \t\r\n") != len)
                return vgl_error_set(err, EBADMSG, "trailing bytes after JSON at byte %zu", used);
        if (!o || !json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "message is not a JSON object");
        const char *problem = check_values(o);
        if (problem)
                return vgl_error_set(err, EBADMSG, "invalid JSON: %s", problem);
        *ret = TAKE_PTR(o);
        return 0;
}

/* "parameters": absent or null -> a new empty object; an object -> a new
 * reference; anything else is an error. */
static int take_parameters(struct json_object *msg, struct json_object **ret, struct vgl_error *err)
{
        struct json_object *p = NULL;

        if (!json_object_object_get_ex(msg, "parameters", &p) || !p) {
                p = json_object_new_object();
                if (!p)
                        return vgl_error_set(err, ENOMEM, "out of memory");
                *ret = p;
                return 0;
        }
        if (!json_object_is_type(p, json_type_object))
                return vgl_error_set(err, EBADMSG, "field \"parameters\" is not an object");
        *ret = json_object_get(p);
        return 0;
}

static int get_flag(struct json_object *v, const char *key, unsigned bit, unsigned *flags,
                    struct vgl_error *err)
{
        if (!json_object_is_type(v, json_type_boolean))
                return vgl_error_set(err, EBADMSG, "field \"%s\" is not a boolean", key);
        if (json_object_get_boolean(v))
                *flags |= bit;
        return 0;
}

/* Checks every field of a call object and collects the flags. */
static int check_call_fields(struct json_object *msg, unsigned *ret_flags, struct vgl_error *err)
{
        unsigned flags = 0;
        int r = 0;

        json_object_object_foreach(msg, key, v)
        {
                if (strcmp(key, "method") == 0 || strcmp(key, "parameters") == 0)
                        continue;
                if (strcmp(key, "oneway") == 0)
                        r = get_flag(v, key, VGL_VARLINK_CALL_ONEWAY, &flags, err);
                else if (strcmp(key, "more") == 0)
                        r = get_flag(v, key, VGL_VARLINK_CALL_MORE, &flags, err);
                else if (strcmp(key, "upgrade") == 0)
                        r = get_flag(v, key, VGL_VARLINK_CALL_UPGRADE, &flags, err);
                else
                        return vgl_error_set(err, EBADMSG, "unknown field \"%.64s\" in call", key);
                if (r < 0)
                        return r;
        }
        if ((flags & VGL_VARLINK_CALL_ONEWAY) && (flags & VGL_VARLINK_CALL_MORE))
                return vgl_error_set(err, EBADMSG, "\"oneway\" and \"more\" are both set");
        *ret_flags = flags;
        return 0;
}

static int get_method(struct json_object *msg, char **ret, size_t *ret_iface_len,
                      struct vgl_error *err)
{
        struct json_object *m = NULL;
        const char *s;
        size_t len;
        int r;

        if (!json_object_object_get_ex(msg, "method", &m) || !m)
                return vgl_error_set(err, EBADMSG, "call has no \"method\"");
        if (!json_object_is_type(m, json_type_string))
                return vgl_error_set(err, EBADMSG, "field \"method\" is not a string");
        s = json_object_get_string(m);
        len = (size_t)json_object_get_string_len(m);
        r = vgl_varlink_qualified_name_check(s, strnlen(s, len));
        if (r < 0 || strlen(s) != len)
                return vgl_error_set(err, EBADMSG, "invalid method name \"%.64s\"", s);
        *ret = strdup(s);
        if (!*ret)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *ret_iface_len = (size_t)r;
        return 0;
}

int vgl_varlink_request_parse(const char *text, size_t len, struct vgl_varlink_request *ret,
                              struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *msg = NULL;
        _cleanup_varlink_json_ struct json_object *params = NULL;
        _cleanup_free_ char *method = NULL;
        size_t iface_len = 0;
        unsigned flags = 0;
        int r;

        r = vgl_varlink_parse_object(text, len, &msg, err);
        if (r < 0)
                return r;
        r = check_call_fields(msg, &flags, err);
        if (r < 0)
                return r;
        r = get_method(msg, &method, &iface_len, err);
        if (r < 0)
                return r;
        r = take_parameters(msg, &params, err);
        if (r < 0)
                return r;
        *ret = (struct vgl_varlink_request){
                .method = TAKE_PTR(method),
                .interface_len = iface_len,
                .parameters = TAKE_PTR(params),
                .flags = flags,
        };
        return 0;
}

void vgl_varlink_request_done(struct vgl_varlink_request *r)
{
        free(r->method);
        if (r->parameters)
                json_object_put(r->parameters);
        *r = (struct vgl_varlink_request){0};
}

static int get_reply_error(struct json_object *msg, char **ret, struct vgl_error *err)
{
        struct json_object *e = NULL;
        const char *s;
        size_t len;

        if (!json_object_object_get_ex(msg, "error", &e) || !e)
                return 0;
        if (!json_object_is_type(e, json_type_string))
                return vgl_error_set(err, EBADMSG, "field \"error\" is not a string");
        s = json_object_get_string(e);
        len = (size_t)json_object_get_string_len(e);
        if (strlen(s) != len || vgl_varlink_qualified_name_check(s, len) < 0)
                return vgl_error_set(err, EBADMSG, "invalid error name \"%.64s\"", s);
        *ret = strdup(s);
        return *ret ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
}

int vgl_varlink_reply_parse(const char *text, size_t len, struct vgl_varlink_reply *ret,
                            struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *msg = NULL;
        _cleanup_varlink_json_ struct json_object *params = NULL;
        _cleanup_free_ char *error = NULL;
        struct json_object *c = NULL;
        bool continues = false;
        int r;

        r = vgl_varlink_parse_object(text, len, &msg, err);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(msg, "continues", &c) && c) {
                if (!json_object_is_type(c, json_type_boolean))
                        return vgl_error_set(err, EBADMSG, "field \"continues\" is not a boolean");
                continues = json_object_get_boolean(c);
        }
        r = get_reply_error(msg, &error, err);
        if (r < 0)
                return r;
        if (error && continues)
                return vgl_error_set(err, EBADMSG, "error reply with \"continues\"");
        r = take_parameters(msg, &params, err);
        if (r < 0)
                return r;
        *ret = (struct vgl_varlink_reply){
                .error = TAKE_PTR(error),
                .parameters = TAKE_PTR(params),
                .continues = continues,
        };
        return 0;
}

void vgl_varlink_reply_done(struct vgl_varlink_reply *r)
{
        free(r->error);
        if (r->parameters)
                json_object_put(r->parameters);
        *r = (struct vgl_varlink_reply){0};
}

/* Serialises msg and appends it plus the NUL terminator, all or nothing. */
static int append_message(struct vgl_buf *b, struct json_object *msg)
{
        size_t len = 0;
        const char *s = json_object_to_json_string_length(
                msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        int r;

        if (!s)
                return -ENOMEM;
        r = vgl_buf_reserve(b, len + 1);
        if (r < 0)
                return r;
        vgl_buf_append(b, s, len);
        vgl_buf_append(b, "", 1);
        return 0;
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

/* Adds "parameters": a new reference to p, or {} when p is NULL. */
static int add_parameters(struct json_object *o, struct json_object *p)
{
        if (p && !json_object_is_type(p, json_type_object))
                return -EINVAL;
        return add(o, "parameters", p ? json_object_get(p) : json_object_new_object());
}

int vgl_varlink_call_append(struct vgl_buf *b, const char *method, struct json_object *parameters,
                            unsigned flags)
{
        _cleanup_varlink_json_ struct json_object *msg = json_object_new_object();
        unsigned known = VGL_VARLINK_CALL_ONEWAY | VGL_VARLINK_CALL_MORE | VGL_VARLINK_CALL_UPGRADE;
        int r;

        if (!method || vgl_varlink_qualified_name_check(method, strlen(method)) < 0)
                return -EINVAL;
        if ((flags & ~known) ||
            ((flags & VGL_VARLINK_CALL_ONEWAY) && (flags & VGL_VARLINK_CALL_MORE)))
                return -EINVAL;
        if (!msg)
                return -ENOMEM;
        r = add(msg, "method", json_object_new_string(method));
        if (r >= 0 && parameters)
                r = add_parameters(msg, parameters);
        if (r >= 0 && (flags & VGL_VARLINK_CALL_ONEWAY))
                r = add(msg, "oneway", json_object_new_boolean(1));
        if (r >= 0 && (flags & VGL_VARLINK_CALL_MORE))
                r = add(msg, "more", json_object_new_boolean(1));
        if (r >= 0 && (flags & VGL_VARLINK_CALL_UPGRADE))
                r = add(msg, "upgrade", json_object_new_boolean(1));
        return r < 0 ? r : append_message(b, msg);
}

int vgl_varlink_reply_append(struct vgl_buf *b, struct json_object *parameters, bool continues)
{
        _cleanup_varlink_json_ struct json_object *msg = json_object_new_object();
        int r;

        if (!msg)
                return -ENOMEM;
        r = add_parameters(msg, parameters);
        if (r >= 0 && continues)
                r = add(msg, "continues", json_object_new_boolean(1));
        return r < 0 ? r : append_message(b, msg);
}

int vgl_varlink_error_append(struct vgl_buf *b, const char *error, struct json_object *parameters)
{
        _cleanup_varlink_json_ struct json_object *msg = json_object_new_object();
        int r;

        if (!error || vgl_varlink_qualified_name_check(error, strlen(error)) < 0)
                return -EINVAL;
        if (!msg)
                return -ENOMEM;
        r = add(msg, "error", json_object_new_string(error));
        if (r >= 0)
                r = add_parameters(msg, parameters);
        return r < 0 ? r : append_message(b, msg);
}
