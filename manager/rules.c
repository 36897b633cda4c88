/* Rule sets: loading a directory, listing, severities, the risk value. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "rules-priv.h"

static const char *const severity_names[VGL_SEVERITY_COUNT] = {"low", "medium", "high", "critical"};
static const double severity_weights[VGL_SEVERITY_COUNT] = {0.1, 0.3, 0.7, 2.0};

const char *vgl_severity_name(enum vgl_severity s)
{
        return (unsigned)s < VGL_SEVERITY_COUNT ? severity_names[s] : "unknown";
}

int vgl_severity_from_name(const char *name, enum vgl_severity *ret)
{
        for (unsigned i = 0; i < VGL_SEVERITY_COUNT; i++)
                if (strcmp(severity_names[i], name) == 0) {
                        *ret = (enum vgl_severity)i;
                        return 0;
                }
        return -EINVAL;
}

double vgl_rules_severity_weight(enum vgl_severity s)
{
        return (unsigned)s < VGL_SEVERITY_COUNT ? severity_weights[s] : 0.0;
}

struct vgl_rules *vgl_rules_new(void)
{
        /* Tells a sandbox's state that the set changed under it. */
        static uint64_t generations;
        struct vgl_rules *rs = calloc(1, sizeof(*rs));
        if (rs)
                rs->generation = __atomic_add_fetch(&generations, 1, __ATOMIC_RELAXED);
        return rs;
}

void vgl_rules_cond_clear(struct rules_cond *c)
{
        struct rules_strs *lists[] = {&c->paths, &c->paths_not, &c->programs, &c->argv};
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                for (size_t j = 0; j < lists[i]->n; j++)
                        free(lists[i]->v[j]);
                free(lists[i]->v);
        }
        free(c->cidrs);
        free(c->ports);
        free(c->syscalls.v);
        free(c->arg0_in.v);
        free(c->arg0_not_in.v);
        memset(c, 0, sizeof(*c));
}

struct vgl_rules *vgl_rules_free(struct vgl_rules *rs)
{
        if (!rs)
                return NULL;
        for (size_t i = 0; i < rs->n_rules; i++)
                for (size_t j = 0; j < rs->rules[i].n_steps; j++)
                        vgl_rules_cond_clear(&rs->rules[i].steps[j]);
        for (size_t i = 0; i < rs->n_files; i++)
                free(rs->files[i]);
        free(rs->files);
        free(rs->rules);
        free(rs);
        return NULL;
}

int vgl_rules_parse(const char *path, const char *text, size_t len, struct vgl_rules **ret,
                    struct vgl_error *err)
{
        _cleanup_(vgl_rules_freep) struct vgl_rules *rs = vgl_rules_new();
        if (!rs)
                return vgl_error_set(err, ENOMEM, "out of memory");
        int r = vgl_rules_add_text(rs, path, text, len, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rs);
        return 0;
}

static int has_json_suffix(const char *s)
{
        size_t n = strlen(s);
        return n > 5 && strcmp(s + n - 5, ".json") == 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The dir's NAME.json entries, sorted (the order rules are evaluated in). */
static int list_files(const char *dir, char ***ret, size_t *ret_n, struct vgl_error *err)
{
        DIR *d = opendir(dir);
        if (!d)
                return vgl_error_set(err, errno, "%s: %s", dir, strerror(errno));
        char **names = calloc(VGL_RULES_FILES_MAX, sizeof(char *));
        size_t n = 0;
        int r = names ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
        for (struct dirent *de; r >= 0 && (de = readdir(d));) {
                if (de->d_name[0] == '.' || !has_json_suffix(de->d_name))
                        continue;
                if (n == VGL_RULES_FILES_MAX)
                        r = vgl_error_set(err, E2BIG, "%s: more than %u rule files", dir,
                                          VGL_RULES_FILES_MAX);
                else if (!(names[n++] = strdup(de->d_name)))
                        r = vgl_error_set(err, ENOMEM, "out of memory");
        }
        closedir(d);
        if (r < 0) {
                free_names(names, n);
                return r;
        }
        qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
}

int vgl_rules_load(const char *dir, struct vgl_rules **ret, struct vgl_error *err)
{
        char **names = NULL;
        size_t n = 0;
        int r = list_files(dir, &names, &n, err);
        if (r < 0)
                return r;
        _cleanup_(vgl_rules_freep) struct vgl_rules *rs = vgl_rules_new();
        if (!rs)
                r = vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char path[4096];
                _cleanup_free_ char *text = NULL;
                size_t len = 0;
                if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
                        r = vgl_error_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, names[i]);
                if (r >= 0)
                        r = vgl_file_read_bounded(path, VGL_RULES_FILE_MAX, &text, &len, err);
                if (r >= 0)
                        r = vgl_rules_add_text(rs, path, text, len, err);
        }
        free_names(names, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(rs);
        return 0;
}

size_t vgl_rules_count(const struct vgl_rules *rs)
{
        return rs->n_rules;
}

int vgl_rules_get(const struct vgl_rules *rs, size_t i, struct vgl_rule_info *ret)
{
        if (i >= rs->n_rules)
                return -ERANGE;
        const struct rules_rule *r = &rs->rules[i];
        *ret = (struct vgl_rule_info){
                .name = r->name,
                .tag = r->tag,
                .description = r->description,
                .file = r->file,
                .severity = r->severity,
                .sequence = r->n_steps > 1,
        };
        return 0;
}

/* ---- risk ---- */

static double decayed(const struct vgl_rules_state *st, uint64_t now_ms)
{
        if (st->acc <= 0.0)
                return 0.0;
        double dt = now_ms > st->acc_ms ? (double)(now_ms - st->acc_ms) : 0.0;
        return st->acc * exp2(-dt / (double)VGL_RULES_RISK_HALF_LIFE_MS);
}

void vgl_rules_risk_add(struct vgl_rules_state *st, enum vgl_severity s, uint64_t now_ms)
{
        double a = decayed(st, now_ms) + vgl_rules_severity_weight(s);
        st->acc = a < VGL_RULES_RISK_ACC_MAX ? a : VGL_RULES_RISK_ACC_MAX;
        if (now_ms > st->acc_ms)
                st->acc_ms = now_ms;
}

double vgl_rules_risk(const struct vgl_rules_state *st, uint64_t now_ms)
{
        double risk = 1.0 - exp(-decayed(st, now_ms));
        return risk < 0.0 ? 0.0 : risk > 1.0 ? 1.0 : risk;
}
