/* Field parsers the manifest's files share (declared in manifest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"

const char *farm_json_string(struct json_object *v, size_t max)
{
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return NULL;
        s = json_object_get_string(v);
        if (!s[0] || strlen(s) != (size_t)json_object_get_string_len(v) || strlen(s) > max)
                return NULL;
        return s;
}

int farm_set_string(char **dst, const char *s)
{
        char *copy = s ? strdup(s) : NULL;

        if (s && !copy)
                return -ENOMEM;
        free(*dst);
        *dst = copy;
        return 0;
}

bool farm_tier_name_valid(const char *s)
{
        size_t n = strlen(s);

        return n > 0 && n < 32 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

bool farm_guest_path_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > 4095 || s[0] != '/')
                return false;
        for (const char *p = s; (p = strstr(p, "..")); p += 2)
                if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
                        return false;
        return true;
}

int farm_free_strv(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return 0;
}

int farm_parse_int(struct json_object *v, const struct farm_where *w, const char *key, int64_t min,
                   int64_t max, int64_t *ret, struct vgl_error *err)
{
        int64_t n = json_object_get_int64(v);

        if (!json_object_is_type(v, json_type_int) || n < min || n > max)
                return farm_bad(err, w, key, "must be an integer in %lld..%lld", (long long)min,
                                (long long)max);
        *ret = n;
        return 0;
}

/* env: {"NAME": "value", ...} into a NULL-terminated "NAME=value" list. */
int farm_parse_env(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                   struct vgl_error *err)
{
        char **env;
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object) ||
            json_object_object_length(v) > FARM_ARG_MAX_N)
                return farm_bad(err, w, "env",
                                "must be an object of at most %d \"NAME\": "
                                "\"value\" pairs",
                                FARM_ARG_MAX_N);
        env = calloc((size_t)json_object_object_length(v) + 1, sizeof(*env));
        if (!env)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_object_object_foreach(v, key, val)
        {
                size_t klen = strlen(key);
                const char *s = json_object_is_type(val, json_type_string)
                                        ? json_object_get_string(val)
                                        : NULL;
                if (!klen ||
                    strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789_") != klen ||
                    (key[0] >= '0' && key[0] <= '9')) {
                        farm_free_strv(env);
                        return farm_bad(err, w, "env", "'%s' is not a variable name", key);
                }
                if (!s || strlen(s) != (size_t)json_object_get_string_len(val) ||
                    klen + strlen(s) + 1 >= FARM_ARG_MAX_BYTES) {
                        farm_free_strv(env);
                        return farm_bad(err, w, "env",
                                        "%s: must be a string (NAME=value under "
                                        "%d bytes)",
                                        key, FARM_ARG_MAX_BYTES);
                }
                if (asprintf(&env[n], "%s=%s", key, s) < 0) {
                        env[n] = NULL;
                        farm_free_strv(env);
                        return vgl_error_set(err, ENOMEM, "out of memory");
                }
                n++;
        }
        farm_free_strv(j->env);
        j->env = env;
        return 0;
}

static bool label_key_valid(const char *k)
{
        size_t n = strlen(k);

        return n > 0 && n <= 63 &&
               strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:/-") ==
                       n;
}

void farm_free_labels(struct farm_label *l, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(l[i].key);
                free(l[i].value);
        }
        free(l);
}

int farm_parse_labels(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                      struct vgl_error *err)
{
        struct farm_label *l;
        size_t n = 0;

        if (!json_object_is_type(v, json_type_object) ||
            json_object_object_length(v) > FARM_MAX_LABELS)
                return farm_bad(err, w, "labels",
                                "must be an object of at most %d \"key\": "
                                "\"value\" pairs",
                                FARM_MAX_LABELS);
        l = calloc((size_t)json_object_object_length(v) + 1, sizeof(*l));
        if (!l)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_object_object_foreach(v, key, val)
        {
                const char *s = json_object_is_type(val, json_type_string)
                                        ? json_object_get_string(val)
                                        : NULL;
                if (!label_key_valid(key) ||
                    !strncmp(key, FARM_LABEL_PREFIX, strlen(FARM_LABEL_PREFIX))) {
                        farm_free_labels(l, n);
                        return farm_bad(err, w, "labels",
                                        "'%s': keys are [A-Za-z0-9_.:/-]{1,63} "
                                        "and not under '" FARM_LABEL_PREFIX "'",
                                        key);
                }
                if (!s || strlen(s) != (size_t)json_object_get_string_len(val) || strlen(s) > 256) {
                        farm_free_labels(l, n);
                        return farm_bad(err, w, "labels",
                                        "%s: must be a string of at most "
                                        "256 bytes",
                                        key);
                }
                l[n].key = strdup(key);
                l[n].value = strdup(s);
                if (!l[n].key || !l[n++].value) {
                        farm_free_labels(l, n);
                        return vgl_error_set(err, ENOMEM, "out of memory");
                }
        }
        farm_free_labels(j->labels, j->n_labels);
        j->labels = l;
        j->n_labels = n;
        return 0;
}

int farm_parse_bool(struct json_object *v, const struct farm_where *w, const char *key, bool *ret,
                    struct vgl_error *err)
{
        if (!json_object_is_type(v, json_type_boolean))
                return farm_bad(err, w, key, "must be true or false");
        *ret = json_object_get_boolean(v);
        return 0;
}

int farm_parse_name(struct json_object *v, const struct farm_where *w, const char *key, char **dst,
                    struct vgl_error *err)
{
        const char *s = farm_json_string(v, 31);

        if (!s || !farm_tier_name_valid(s))
                return farm_bad(err, w, key, "must be a name of 1..31 characters [A-Za-z0-9_.-]");
        return farm_set_string(dst, s) < 0 ? vgl_error_set(err, ENOMEM, "out of memory") : 0;
}
