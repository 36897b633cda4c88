/* The manifest's top level: version, suite, concurrency, defaults, jobs. */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "manifest.h"

#define MANIFEST_MAX_BYTES ((size_t)16 << 20)

int farm_bad(struct vgl_error *err, const struct farm_where *w, const char *field, const char *fmt,
             ...)
{
        char msg[VGL_ERROR_MSG_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (w->job)
                return vgl_error_set(err, EINVAL, "%s: job '%s' (jobs[%zu]): %s: %s", w->file,
                                     w->job, w->index, field, msg);
        if (w->section)
                return vgl_error_set(err, EINVAL, "%s: %s.%s: %s", w->file, w->section, field, msg);
        if (w->index != (size_t)-1)
                return vgl_error_set(err, EINVAL, "%s: jobs[%zu]: %s: %s", w->file, w->index, field,
                                     msg);
        return vgl_error_set(err, EINVAL, "%s: %s: %s", w->file, field, msg);
}

bool farm_name_valid(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > FARM_NAME_MAX || s[0] == '.')
                return false;
        return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* The suite's default name: the file's base name without ".json". */
static char *suite_from_path(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        char *base, *dot;

        if (!copy)
                return NULL;
        base = basename(copy);
        dot = strrchr(base, '.');
        if (dot && dot != base && strcmp(dot, ".json") == 0)
                *dot = '\0';
        return strdup(base[0] ? base : "vigil-farm");
}

static int parse_top_scalar(const char *key, struct json_object *v, const struct farm_where *w,
                            struct farm_manifest *m, struct vgl_error *err)
{
        if (strcmp(key, "version") == 0) {
                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1)
                        return farm_bad(err, w, key, "must be 1");
                return 0;
        }
        if (strcmp(key, "suite") == 0) {
                const char *s = json_object_get_string(v);
                if (!json_object_is_type(v, json_type_string) || !s[0] ||
                    strlen(s) != (size_t)json_object_get_string_len(v) || strlen(s) > 128)
                        return farm_bad(err, w, key, "must be a string of 1..128 bytes");
                free(m->suite);
                m->suite = strdup(s);
                return m->suite ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
        }
        if (strcmp(key, "concurrency") == 0) {
                int64_t n = json_object_get_int64(v);
                if (!json_object_is_type(v, json_type_int) || n < 1 || n > FARM_MAX_CONCURRENCY)
                        return farm_bad(err, w, key, "must be an integer in 1..%d",
                                        FARM_MAX_CONCURRENCY);
                m->concurrency = (int)n;
                return 0;
        }
        return 1;
}

static int check_unique(const struct farm_manifest *m, const struct farm_where *w,
                        struct vgl_error *err)
{
        for (size_t i = 0; i < m->n_jobs; i++)
                for (size_t k = 0; k < i; k++)
                        if (strcmp(m->jobs[i].name, m->jobs[k].name) == 0)
                                return vgl_error_set(err, EINVAL,
                                                     "%s: jobs[%zu]: name: '%s' is also the name "
                                                     "of jobs[%zu]",
                                                     w->file, i, m->jobs[i].name, k);
        return 0;
}

static int parse_jobs(struct json_object *jobs, const struct farm_job *def,
                      const struct farm_where *top, struct farm_manifest *m, struct vgl_error *err)
{
        size_t n;
        int r;

        if (!json_object_is_type(jobs, json_type_array))
                return farm_bad(err, top, "jobs", "must be an array of job objects");
        n = json_object_array_length(jobs);
        if (n == 0 || n > FARM_MAX_JOBS)
                return farm_bad(err, top, "jobs", "must hold 1..%d jobs", FARM_MAX_JOBS);
        m->jobs = calloc(n, sizeof(*m->jobs));
        if (!m->jobs)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct farm_where w = *top;
                w.index = i;
                m->n_jobs = i + 1;
                if ((r = farm_job_copy_defaults(def, &m->jobs[i])) < 0)
                        return vgl_error_set(err, -r, "out of memory");
                r = farm_job_parse(json_object_array_get_idx(jobs, i), &w, &m->jobs[i], err);
                if (r < 0)
                        return r;
        }
        return check_unique(m, top, err);
}

static int parse_root(struct json_object *root, const struct farm_where *top,
                      struct farm_manifest *m, struct vgl_error *err)
{
        _cleanup_(farm_job_done) struct farm_job def = {
                .timeout_s = 600, .wrap = true, .settle = true, .trust = -1};
        struct json_object *jobs = NULL, *defaults = NULL;
        int r;

        if (!json_object_is_type(root, json_type_object))
                return vgl_error_set(err, EINVAL, "%s: the manifest must be a JSON object",
                                     top->file);
        json_object_object_foreach(root, key, v)
        {
                if (strcmp(key, "jobs") == 0)
                        jobs = v;
                else if (strcmp(key, "defaults") == 0)
                        defaults = v;
                else if ((r = parse_top_scalar(key, v, top, m, err)) < 0)
                        return r;
                else if (r > 0)
                        return farm_bad(err, top, key,
                                        "unknown field (known: version, suite, concurrency, "
                                        "defaults, jobs)");
        }
        if (defaults && (r = farm_defaults_parse(defaults, top, &def, err)) < 0)
                return r;
        if (!jobs)
                return farm_bad(err, top, "jobs", "missing");
        return parse_jobs(jobs, &def, top, m, err);
}

int farm_manifest_parse(const char *path, const char *text, struct farm_manifest *ret,
                        struct vgl_error *err)
{
        _cleanup_free_ char *dircopy = strdup(path);
        struct farm_manifest m = {.concurrency = 1};
        struct farm_where top = {.file = path, .index = (size_t)-1};
        struct json_tokener *tok = json_tokener_new();
        struct json_object *root;
        size_t end;
        int r;

        if (!tok || !dircopy)
                return json_tokener_free(tok), vgl_error_set(err, ENOMEM, "out of memory");
        top.dir = dirname(dircopy);
        root = json_tokener_parse_ex(tok, text, (int)strlen(text));
        end = json_tokener_get_parse_end(tok);
        if (root)
                end += strspn(text + end, " \t\r\n");
        if (!root || end < strlen(text)) {
                r = vgl_error_set(err, EINVAL, "%s: not valid JSON (at byte %zu: %s)", path, end,
                                  root ? "text after the object"
                                       : json_tokener_error_desc(json_tokener_get_error(tok)));
                json_object_put(root);
                json_tokener_free(tok);
                return r;
        }
        json_tokener_free(tok);
        m.path = strdup(path);
        r = m.path ? parse_root(root, &top, &m, err) : vgl_error_set(err, ENOMEM, "out of memory");
        json_object_put(root);
        if (r >= 0 && !m.suite && !(m.suite = suite_from_path(path)))
                r = vgl_error_set(err, ENOMEM, "out of memory");
        if (r < 0) {
                farm_manifest_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

int farm_manifest_load(const char *path, struct farm_manifest *ret, struct vgl_error *err)
{
        _cleanup_free_ char *text = NULL;
        int r = vgl_file_read_bounded(path, MANIFEST_MAX_BYTES, &text, NULL, err);

        if (r < 0)
                return r;
        return farm_manifest_parse(path, text, ret, err);
}

void farm_manifest_done(struct farm_manifest *m)
{
        for (size_t i = 0; i < m->n_jobs; i++)
                farm_job_done(&m->jobs[i]);
        free(m->jobs);
        free(m->path);
        free(m->suite);
        *m = (struct farm_manifest){0};
}
