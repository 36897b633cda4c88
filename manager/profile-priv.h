/* Strict JSON field access for the profile and the adjust policy: every
 * message names the field by its dotted path ("profile.resource_limits.vcpus:
 * 0 not in [1, 64]"), every number is range-checked, unknown fields are
 * errors. Internal to manager/profile*.c and manager/adjust*.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

#define VGL_JF_WHERE_MAX 96

/* Where the fields of one JSON object are: their path and how to fail. */
struct vgl_jf {
        char where[VGL_JF_WHERE_MAX]; /* "profile.resource_limits"; "" at the top */
        int code;                     /* errno of every failure: EBADMSG or EINVAL */
        struct vgl_error *err;
};

/* The context of the object field `name` of c's object. */
struct vgl_jf vgl_jf_sub(const struct vgl_jf *c, const char *name);

/* Fails with "<where>.<name>: <message>" (or "<name>: ..." at the top). */
int vgl_jf_fail(const struct vgl_jf *c, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Rejects any member of o not in known (NULL-terminated). */
int vgl_jf_known(const struct vgl_jf *c, struct json_object *o, const char *const *known);

/* Each getter: 1 with *ret set when the field is there and valid; 0 when it
 * is absent (or null) and not required, *ret untouched; < 0 otherwise. */
int vgl_jf_object(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  struct json_object **ret);
int vgl_jf_array(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                 size_t max_len, struct json_object **ret);
/* A finite number (integer or not) in [min, max]. */
int vgl_jf_number(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  double min, double max, double *ret);
/* An integer in [min, max] (max <= INT64_MAX). */
int vgl_jf_uint(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                uint64_t min, uint64_t max, uint64_t *ret);
int vgl_jf_int(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
               int64_t min, int64_t max, int64_t *ret);
int vgl_jf_bool(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                bool *ret);
/* A string of at most size - 1 bytes copied into buf; flags are
 * VGL_JSON_STR_* (proto-msg.h). */
int vgl_jf_string(const struct vgl_jf *c, struct json_object *o, const char *name, bool required,
                  unsigned flags, char *buf, size_t size);

/* Checks one value (an array element) the same ways; name is its path
 * suffix ("endpoints[3]"). */
int vgl_jf_value_number(const struct vgl_jf *c, struct json_object *v, const char *name, double min,
                        double max, double *ret);
int vgl_jf_value_string(const struct vgl_jf *c, struct json_object *v, const char *name,
                        unsigned flags, char *buf, size_t size);

/* Parses text (at most max bytes, one JSON object, nothing after it) into *ret;
 * errors name path. */
int vgl_jf_parse_file_text(const char *path, const char *text, size_t len, size_t max,
                           struct json_object **ret, struct vgl_error *err);
