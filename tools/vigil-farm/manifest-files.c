/* A job's uploads: "files" (each {src, dest, mode?}) and "directory"
 * ({src, dest}, walked recursively, entries in name order). Sources are
 * checked now: regular files (symlinks to them are followed) of at most
 * FARM_MAX_FILE_SIZE bytes, since a missing input should fail the run
 * before any sandbox is reserved. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "manifest.h"

#define WALK_MAX_DEPTH 32

static int add_file(struct farm_job *j, const char *src, const char *dest, int mode, int64_t size)
{
        struct farm_file *f;

        f = reallocarray(j->files, j->n_files + 1, sizeof(*j->files));
        if (!f)
                return -ENOMEM;
        j->files = f;
        f = &j->files[j->n_files];
        *f = (struct farm_file){
                .src = strdup(src), .dest = strdup(dest), .mode = mode, .size = size};
        j->n_files++;
        return f->src && f->dest ? 0 : -ENOMEM;
}

/* src relative to the manifest's directory, unless absolute. */
static char *resolve(const struct farm_where *w, const char *src)
{
        char *p = NULL;

        if (src[0] == '/' || !w->dir || !strcmp(w->dir, "."))
                return strdup(src);
        return asprintf(&p, "%s/%s", w->dir, src) < 0 ? NULL : p;
}

static int check_regular(const struct farm_where *w, const char *field, const char *path,
                         struct stat *st, struct vgl_error *err)
{
        if (stat(path, st) < 0) {
                int e = errno;
                farm_bad(err, w, field, "%s: %s", path, strerror(e));
                err->code = e;
                return -e;
        }
        if (!S_ISREG(st->st_mode))
                return farm_bad(err, w, field, "%s: not a regular file", path);
        if (st->st_size > FARM_MAX_FILE_SIZE)
                return farm_bad(err, w, field, "%s: %lld bytes, more than the %lld a file may have",
                                path, (long long)st->st_size, (long long)FARM_MAX_FILE_SIZE);
        return 0;
}

static const char *str_member(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
                return NULL;
        return json_object_get_string(v);
}

static int parse_one_file(struct json_object *o, size_t i, const struct farm_where *w,
                          struct farm_job *j, struct vgl_error *err)
{
        _cleanup_free_ char *path = NULL;
        struct json_object *mode = NULL;
        const char *src, *dest;
        char field[64];
        struct stat st;
        int r, m;

        snprintf(field, sizeof(field), "files[%zu]", i);
        if (!json_object_is_type(o, json_type_object))
                return farm_bad(err, w, field, "must be an object {src, dest, mode?}");
        json_object_object_foreach(o, key, v)
        {
                (void)v;
                if (strcmp(key, "src") && strcmp(key, "dest") && strcmp(key, "mode"))
                        return farm_bad(err, w, field,
                                        "unknown field '%s' (known: src, dest, "
                                        "mode)",
                                        key);
        }
        src = str_member(o, "src");
        dest = str_member(o, "dest");
        if (!src || !src[0] || strlen(src) > 4095)
                return farm_bad(err, w, field, "src: must be a local path");
        if (!dest || !farm_guest_path_valid(dest) || dest[strlen(dest) - 1] == '/')
                return farm_bad(err, w, field,
                                "dest: must be an absolute guest file path "
                                "without '..'");
        if (!(path = resolve(w, src)))
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((r = check_regular(w, field, path, &st, err)) < 0)
                return r;
        m = (int)(st.st_mode & 07777);
        if (json_object_object_get_ex(o, "mode", &mode)) {
                if (!json_object_is_type(mode, json_type_int) || json_object_get_int64(mode) < 0 ||
                    json_object_get_int64(mode) > 07777)
                        return farm_bad(err, w, field,
                                        "mode: must be an integer in 0..4095 "
                                        "(0755 is 493)");
                m = (int)json_object_get_int64(mode);
        }
        return add_file(j, path, dest, m, st.st_size) < 0
                       ? vgl_error_set(err, ENOMEM, "out of memory")
                       : 0;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir except . and .., sorted. */
static int list_dir(const char *dir, char ***ret, size_t *ret_n)
{
        DIR *d = opendir(dir);
        char **v = NULL, **nv;
        size_t n = 0;
        struct dirent *e;

        if (!d)
                return -errno;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                nv = reallocarray(v, n + 1, sizeof(*v));
                if (!nv || !(nv[n] = strdup(e->d_name))) {
                        v = nv ? nv : v;
                        while (n)
                                free(v[--n]);
                        free(v);
                        closedir(d);
                        return -ENOMEM;
                }
                v = nv;
                n++;
        }
        closedir(d);
        if (n)
                qsort(v, n, sizeof(*v), name_cmp);
        *ret = v;
        *ret_n = n;
        return 0;
}

static int walk(const char *src, const char *dest, int depth, const struct farm_where *w,
                struct farm_job *j, struct vgl_error *err);

static int walk_entry(const char *src, const char *dest, int depth, const struct farm_where *w,
                      struct farm_job *j, struct vgl_error *err)
{
        struct stat st;
        int r;

        if (lstat(src, &st) < 0)
                return farm_bad(err, w, "directory", "%s: %s", src, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return walk(src, dest, depth + 1, w, j, err);
        if (S_ISLNK(st.st_mode) && stat(src, &st) == 0 && S_ISDIR(st.st_mode))
                return farm_bad(err, w, "directory", "%s: a link to a directory (not followed)",
                                src);
        if ((r = check_regular(w, "directory", src, &st, err)) < 0)
                return r;
        if (j->n_files >= FARM_MAX_FILES)
                return farm_bad(err, w, "directory", "more than %d files", FARM_MAX_FILES);
        if (strlen(dest) > 4095)
                return farm_bad(err, w, "directory", "%s: the guest path is too long", dest);
        return add_file(j, src, dest, (int)(st.st_mode & 07777), st.st_size) < 0
                       ? vgl_error_set(err, ENOMEM, "out of memory")
                       : 0;
}

static int walk(const char *src, const char *dest, int depth, const struct farm_where *w,
                struct farm_job *j, struct vgl_error *err)
{
        char **names = NULL;
        size_t n = 0;
        int r;

        if (depth > WALK_MAX_DEPTH)
                return farm_bad(err, w, "directory", "%s: deeper than %d levels", src,
                                WALK_MAX_DEPTH);
        r = list_dir(src, &names, &n);
        if (r < 0)
                return farm_bad(err, w, "directory", "%s: %s", src, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = NULL, *d = NULL;
                if (r >= 0 && (asprintf(&s, "%s/%s", src, names[i]) < 0 ||
                               asprintf(&d, "%s/%s", dest, names[i]) < 0)) {
                        s = d = NULL;
                        r = vgl_error_set(err, ENOMEM, "out of memory");
                }
                if (r >= 0)
                        r = walk_entry(s, d, depth, w, j, err);
                free(names[i]);
        }
        free(names);
        return r;
}

static int parse_directory(struct json_object *o, const struct farm_where *w, struct farm_job *j,
                           struct vgl_error *err)
{
        _cleanup_free_ char *path = NULL, *dest = NULL;
        const char *src, *d;
        struct stat st;

        if (!json_object_is_type(o, json_type_object))
                return farm_bad(err, w, "directory", "must be an object {src, dest}");
        json_object_object_foreach(o, key, v)
        {
                (void)v;
                if (strcmp(key, "src") && strcmp(key, "dest"))
                        return farm_bad(err, w, "directory",
                                        "unknown field '%s' (known: src, "
                                        "dest)",
                                        key);
        }
        src = str_member(o, "src");
        d = str_member(o, "dest");
        if (!src || !src[0] || strlen(src) > 4095)
                return farm_bad(err, w, "directory", "src: must be a local directory");
        if (!d || !farm_guest_path_valid(d) || !strcmp(d, "/"))
                return farm_bad(err, w, "directory",
                                "dest: must be an absolute guest path "
                                "without '..', not /");
        if (!(path = resolve(w, src)) || !(dest = strdup(d)))
                return vgl_error_set(err, ENOMEM, "out of memory");
        while (strlen(dest) > 1 && dest[strlen(dest) - 1] == '/')
                dest[strlen(dest) - 1] = '\0';
        if (stat(path, &st) < 0)
                return farm_bad(err, w, "directory", "src: %s: %s", path, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return farm_bad(err, w, "directory", "src: %s: not a directory", path);
        return walk(path, dest, 0, w, j, err);
}

static int check_dests(const struct farm_where *w, const struct farm_job *j, struct vgl_error *err)
{
        for (size_t i = 0; i < j->n_files; i++)
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(j->files[i].dest, j->files[k].dest))
                                return farm_bad(err, w, "files", "two uploads go to %s",
                                                j->files[i].dest);
        return 0;
}

int farm_files_parse(struct json_object *files, struct json_object *dir, const struct farm_where *w,
                     struct farm_job *j, struct vgl_error *err)
{
        int r;

        if (files) {
                size_t n = json_object_is_type(files, json_type_array)
                                   ? json_object_array_length(files)
                                   : 0;
                if (!json_object_is_type(files, json_type_array) || n > FARM_MAX_FILES)
                        return farm_bad(err, w, "files",
                                        "must be an array of at most %d "
                                        "{src, dest, mode?} objects",
                                        FARM_MAX_FILES);
                for (size_t i = 0; i < n; i++)
                        if ((r = parse_one_file(json_object_array_get_idx(files, i), i, w, j,
                                                err)) < 0)
                                return r;
        }
        if (dir && (r = parse_directory(dir, w, j, err)) < 0)
                return r;
        return check_dests(w, j, err);
}
