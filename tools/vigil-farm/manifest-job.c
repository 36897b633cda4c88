/* One job's fields, and the defaults every job starts from. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"

static const char *const common_keys =
        "image, tier, desired_trust_level, timeout_s, ttl_s, expect_exit, retries, wrap, "
        "settle, cwd, env, labels";

/* The fields jobs and defaults share: 1 if key was one, 0 if not, < 0 on error. */
static int parse_common(const char *key, struct json_object *v, const struct farm_where *w,
                        struct farm_job *j, struct vgl_error *err)
{
        int64_t n = 0;
        int r;

        if (!strcmp(key, "image") || !strcmp(key, "tier"))
                r = farm_parse_name(v, w, key, !strcmp(key, "image") ? &j->image : &j->tier, err);
        else if (!strcmp(key, "desired_trust_level")) {
                double d = json_object_get_double(v);
                if ((!json_object_is_type(v, json_type_double) &&
                     !json_object_is_type(v, json_type_int)) ||
                    !(d >= 0.0 && d <= 1.0))
                        return farm_bad(err, w, key, "must be a number in [0, 1]");
                j->trust = d;
                r = 0;
        } else if (!strcmp(key, "timeout_s")) {
                r = farm_parse_int(v, w, key, 1, FARM_MAX_TIMEOUT_S, &j->timeout_s, err);
        } else if (!strcmp(key, "ttl_s")) {
                r = farm_parse_int(v, w, key, 0, FARM_MAX_TIMEOUT_S, &j->ttl_s, err);
        } else if (!strcmp(key, "expect_exit")) {
                r = farm_parse_int(v, w, key, 0, 255, &n, err);
                j->expect_exit = (int)n;
        } else if (!strcmp(key, "retries")) {
                r = farm_parse_int(v, w, key, 0, FARM_MAX_RETRIES, &n, err);
                j->retries = (int)n;
        } else if (!strcmp(key, "wrap") || !strcmp(key, "settle")) {
                r = farm_parse_bool(v, w, key, !strcmp(key, "wrap") ? &j->wrap : &j->settle, err);
        } else if (!strcmp(key, "cwd")) {
                const char *s = farm_json_string(v, 4095);
                if (!s || !farm_guest_path_valid(s))
                        return farm_bad(err, w, key, "must be an absolute guest path without '..'");
                r = farm_set_string(&j->cwd, s) < 0 ? vgl_error_set(err, ENOMEM, "out of memory")
                                                    : 0;
        } else if (!strcmp(key, "env")) {
                r = farm_parse_env(v, w, j, err);
        } else if (!strcmp(key, "labels")) {
                r = farm_parse_labels(v, w, j, err);
        } else {
                return 0;
        }
        return r < 0 ? r : 1;
}

int farm_defaults_parse(struct json_object *o, const struct farm_where *top, struct farm_job *j,
                        struct vgl_error *err)
{
        struct farm_where w = *top;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return farm_bad(err, top, "defaults", "must be an object");
        w.section = "defaults";
        json_object_object_foreach(o, key, v)
        {
                r = parse_common(key, v, &w, j, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return farm_bad(err, &w, key, "unknown field (known: %s)", common_keys);
        }
        return 0;
}

/* command: a string (run by /bin/sh -c) or a non-empty array of strings. */
static int parse_command(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                         struct vgl_error *err)
{
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 3;
        char **argv;

        if (json_object_is_type(v, json_type_string) &&
            !farm_json_string(v, FARM_ARG_MAX_BYTES - 1))
                return farm_bad(err, w, "command", "must be 1..%d bytes", FARM_ARG_MAX_BYTES - 1);
        if (!json_object_is_type(v, json_type_string) &&
            (!json_object_is_type(v, json_type_array) || n == 0 || n > FARM_ARG_MAX_N - 8))
                return farm_bad(err, w, "command",
                                "must be a string (run by /bin/sh -c) or an array of 1..%d "
                                "strings",
                                FARM_ARG_MAX_N - 8);
        argv = calloc(n + 1, sizeof(*argv));
        if (!argv)
                return vgl_error_set(err, ENOMEM, "out of memory");
        farm_free_strv(j->argv);
        j->argv = argv;
        if (json_object_is_type(v, json_type_string)) {
                argv[0] = strdup("/bin/sh");
                argv[1] = strdup("-c");
                argv[2] = strdup(json_object_get_string(v));
        } else {
                for (size_t i = 0; i < n; i++) {
                        struct json_object *a = json_object_array_get_idx(v, i);
                        const char *s = json_object_is_type(a, json_type_string)
                                                ? json_object_get_string(a)
                                                : NULL;
                        if (!s || strlen(s) != (size_t)json_object_get_string_len(a) ||
                            strlen(s) >= FARM_ARG_MAX_BYTES || (i == 0 && !s[0]))
                                return farm_bad(err, w, "command",
                                                "[%zu]: must be a string of "
                                                "under %d bytes (the first not empty)",
                                                i, FARM_ARG_MAX_BYTES);
                        argv[i] = strdup(s);
                }
        }
        for (size_t i = 0; i < n; i++)
                if (!argv[i])
                        return vgl_error_set(err, ENOMEM, "out of memory");
        return 0;
}

static int parse_artifacts(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                           struct vgl_error *err)
{
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

        if (!json_object_is_type(v, json_type_array) || n > FARM_MAX_ARTIFACTS)
                return farm_bad(err, w, "artifacts", "must be an array of at most %d guest paths",
                                FARM_MAX_ARTIFACTS);
        j->artifacts = calloc(n + 1, sizeof(*j->artifacts));
        if (!j->artifacts)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                const char *s = farm_json_string(json_object_array_get_idx(v, i), 4095);
                if (!s || !farm_guest_path_valid(s) || s[strlen(s) - 1] == '/')
                        return farm_bad(err, w, "artifacts",
                                        "[%zu]: must be an absolute guest "
                                        "file path without '..'",
                                        i);
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(j->artifacts[k], s))
                                return farm_bad(err, w, "artifacts",
                                                "[%zu]: '%s' is listed "
                                                "twice",
                                                i, s);
                if (!(j->artifacts[i] = strdup(s)))
                        return vgl_error_set(err, ENOMEM, "out of memory");
                j->n_artifacts = i + 1;
        }
        return 0;
}

static int parse_job_fields(struct json_object *o, const struct farm_where *w, struct farm_job *j,
                            struct json_object **files, struct json_object **dir, bool *has_command,
                            struct vgl_error *err)
{
        int r;

        json_object_object_foreach(o, key, v)
        {
                if (!strcmp(key, "name"))
                        continue;
                if (!strcmp(key, "files") || !strcmp(key, "directory")) {
                        *(!strcmp(key, "files") ? files : dir) = v;
                        continue;
                }
                if (!strcmp(key, "command")) {
                        if ((r = parse_command(v, w, j, err)) < 0)
                                return r;
                        *has_command = true;
                        continue;
                }
                if (!strcmp(key, "artifacts")) {
                        if ((r = parse_artifacts(v, w, j, err)) < 0)
                                return r;
                        continue;
                }
                r = parse_common(key, v, w, j, err);
                if (r < 0)
                        return r;
                if (r == 0)
                        return farm_bad(err, w, key,
                                        "unknown field (known: name, command, files, "
                                        "directory, artifacts, %s)",
                                        common_keys);
        }
        return 0;
}

int farm_job_parse(struct json_object *o, const struct farm_where *at, struct farm_job *j,
                   struct vgl_error *err)
{
        struct json_object *name = NULL, *files = NULL, *dir = NULL;
        struct farm_where w = *at;
        bool has_command = false;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return farm_bad(err, &w, "job", "must be an object");
        if (!json_object_object_get_ex(o, "name", &name))
                return farm_bad(err, &w, "name", "missing");
        if (!farm_json_string(name, FARM_NAME_MAX) ||
            !farm_name_valid(json_object_get_string(name)))
                return farm_bad(err, &w, "name",
                                "must be 1..%d characters [A-Za-z0-9_.-], not "
                                "starting with '.'",
                                FARM_NAME_MAX);
        if (farm_set_string(&j->name, json_object_get_string(name)) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        w.job = j->name;
        if ((r = parse_job_fields(o, &w, j, &files, &dir, &has_command, err)) < 0)
                return r;
        if (!has_command)
                return farm_bad(err, &w, "command", "missing");
        if (j->trust < 0)
                return farm_bad(err, &w, "desired_trust_level",
                                "missing (give it in the job or in defaults)");
        if (!j->image && farm_set_string(&j->image, FARM_DEFAULT_IMAGE) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return farm_files_parse(files, dir, &w, j, err);
}

int farm_job_copy_defaults(const struct farm_job *def, struct farm_job *j)
{
        *j = (struct farm_job){
                .trust = def->trust,
                .timeout_s = def->timeout_s,
                .ttl_s = def->ttl_s,
                .expect_exit = def->expect_exit,
                .retries = def->retries,
                .wrap = def->wrap,
                .settle = def->settle,
        };
        if (farm_set_string(&j->image, def->image) < 0 ||
            farm_set_string(&j->tier, def->tier) < 0 || farm_set_string(&j->cwd, def->cwd) < 0)
                return -ENOMEM;
        if (def->env) {
                size_t n = 0;
                while (def->env[n])
                        n++;
                if (!(j->env = calloc(n + 1, sizeof(*j->env))))
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        if (!(j->env[i] = strdup(def->env[i])))
                                return -ENOMEM;
        }
        if (def->n_labels) {
                if (!(j->labels = calloc(def->n_labels, sizeof(*j->labels))))
                        return -ENOMEM;
                for (size_t i = 0; i < def->n_labels; i++, j->n_labels++)
                        if (!(j->labels[i].key = strdup(def->labels[i].key)) ||
                            !(j->labels[i].value = strdup(def->labels[i].value)))
                                return j->n_labels++, -ENOMEM;
        }
        return 0;
}

void farm_job_done(struct farm_job *j)
{
        free(j->name);
        free(j->image);
        free(j->tier);
        free(j->cwd);
        farm_free_strv(j->argv);
        farm_free_strv(j->env);
        for (size_t i = 0; i < j->n_files; i++) {
                free(j->files[i].src);
                free(j->files[i].dest);
        }
        free(j->files);
        farm_free_strv(j->artifacts);
        farm_free_labels(j->labels, j->n_labels);
        *j = (struct farm_job){0};
}
