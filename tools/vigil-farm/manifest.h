/* The farm's manifest: a JSON file of jobs (docs in vigil-farm --help and
 * tools/vigil-farm/README.md). Parsing is strict: unknown fields, wrong
 * types and out-of-range values are errors that name the file, the job and
 * the field. Files to upload are resolved (stat'ed, directories walked) at
 * load time, so a missing source fails before any sandbox is reserved. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"

#define FARM_NAME_MAX        64 /* job names: [A-Za-z0-9_.-]{1,64}, not starting with '.' */
#define FARM_MAX_JOBS        10000
#define FARM_MAX_CONCURRENCY 64
#define FARM_MAX_RETRIES     10
#define FARM_MAX_TIMEOUT_S   86400
#define FARM_MAX_FILES       1024 /* per job, after walking a directory */
#define FARM_MAX_ARTIFACTS   64
#define FARM_MAX_LABELS      28                   /* vigild takes 32; the farm adds 4 of its own */
#define FARM_MAX_FILE_SIZE   ((int64_t)760 << 10) /* VGL_CLIENT_MAX_INLINE */
#define FARM_ARG_MAX_BYTES   4096                 /* vigild's limit on one argv or env entry */
#define FARM_ARG_MAX_N       256                  /* ... and on their number */
#define FARM_LABEL_PREFIX    "vigil.farm/"
#define FARM_DEFAULT_IMAGE   "microvm"

/* One file to upload: a local source, a destination in the guest. */
struct farm_file {
        char *src;  /* absolute or relative to the working directory */
        char *dest; /* absolute, no ".." */
        int mode;   /* permission bits sent with PutFile */
        int64_t size;
};

struct farm_label {
        char *key, *value;
};

struct farm_job {
        char *name;
        char *image;  /* "microvm" unless given */
        char *tier;   /* explicit tier, or NULL */
        double trust; /* desired_trust_level */
        char **argv;  /* NULL-terminated; a string command is ["/bin/sh", "-c", it] */
        char **env;   /* NULL-terminated "K=V", or NULL */
        char *cwd;    /* or NULL */
        int64_t timeout_s;
        int64_t ttl_s; /* 0: the tier's default */
        int expect_exit;
        int retries;
        bool wrap;   /* run under the output/exit-recording wrapper (survives hops) */
        bool settle; /* an Adjust round after the command, before the profile is read */
        struct farm_file *files;
        size_t n_files;
        char **artifacts; /* guest paths fetched after the command */
        size_t n_artifacts;
        struct farm_label *labels;
        size_t n_labels;
};

struct farm_manifest {
        char *path;  /* as given */
        char *suite; /* "suite", else the file's base name without .json */
        int concurrency;
        struct farm_job *jobs;
        size_t n_jobs;
};

/* Parses the manifest text; path names it in errors and relative sources
 * are resolved against its directory. Files are stat'ed and directories
 * walked. -EINVAL (or the errno of a source) with a message such as
 * "m.json: job 'build' (jobs[2]): timeout_s: must be an integer in 1..86400". */
int farm_manifest_parse(const char *path, const char *text, struct farm_manifest *ret,
                        struct vgl_error *err);

/* Reads (at most 16 MiB) and parses the file at path. */
int farm_manifest_load(const char *path, struct farm_manifest *ret, struct vgl_error *err);

/* Frees the members and zeroes m. Accepts a zeroed manifest. */
void farm_manifest_done(struct farm_manifest *m);

/* True when s is a valid job name. */
bool farm_name_valid(const char *s);

/* ---- helpers shared by the manifest's files (manifest-*.c) ---- */

/* Where an error is: "FILE: job 'NAME' (jobs[I])" or "FILE: defaults". */
struct farm_where {
        const char *file;
        const char *job;     /* NULL outside a job */
        size_t index;        /* (size_t)-1 outside jobs[] */
        const char *section; /* "defaults", or NULL */
        const char *dir;     /* the manifest's directory, for relative sources */
};

/* Sets err to "WHERE: FIELD: message" and returns -EINVAL. */
int farm_bad(struct vgl_error *err, const struct farm_where *w, const char *field, const char *fmt,
             ...) __attribute__((format(printf, 4, 5)));

/* Parses one job object into j (defaults already in j). */
int farm_job_parse(struct json_object *o, const struct farm_where *w, struct farm_job *j,
                   struct vgl_error *err);

/* Parses the "defaults" object into j. */
int farm_defaults_parse(struct json_object *o, const struct farm_where *w, struct farm_job *j,
                        struct vgl_error *err);

/* "files" (array of {src, dest, mode?}) and "directory" ({src, dest}). */
int farm_files_parse(struct json_object *files, struct json_object *dir, const struct farm_where *w,
                     struct farm_job *j, struct vgl_error *err);

/* Copies the defaults (strings duplicated). */
int farm_job_copy_defaults(const struct farm_job *def, struct farm_job *j);

void farm_job_done(struct farm_job *j);

/* An absolute guest path without ".." components, at most 4095 bytes. */
bool farm_guest_path_valid(const char *s);

/* ---- field parsers (manifest-fields.c); errors through farm_bad ---- */

/* The string of v when it is one without NUL bytes, of 1..max bytes; else NULL. */
const char *farm_json_string(struct json_object *v, size_t max);

/* Replaces *dst with a copy of s (NULL: none). -ENOMEM. */
int farm_set_string(char **dst, const char *s);

/* Tier and image names: [A-Za-z0-9_.-]{1,31}. */
bool farm_tier_name_valid(const char *s);

/* Frees a NULL-terminated string list (and the list). Accepts NULL. */
int farm_free_strv(char **v);
void farm_free_labels(struct farm_label *l, size_t n);

/* An integer in [min, max] into *ret. */
int farm_parse_int(struct json_object *v, const struct farm_where *w, const char *key, int64_t min,
                   int64_t max, int64_t *ret, struct vgl_error *err);
int farm_parse_bool(struct json_object *v, const struct farm_where *w, const char *key, bool *ret,
                    struct vgl_error *err);

/* A tier or image name into *dst. */
int farm_parse_name(struct json_object *v, const struct farm_where *w, const char *key, char **dst,
                    struct vgl_error *err);

/* env ({"NAME": "value"}) into j->env; labels into j->labels (replacing). */
int farm_parse_env(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                   struct vgl_error *err);
int farm_parse_labels(struct json_object *v, const struct farm_where *w, struct farm_job *j,
                      struct vgl_error *err);
