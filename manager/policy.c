/* Loading and validating the set of tier templates. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "policy.h"

static int has_suffix(const char *s, const char *suffix)
{
        size_t a = strlen(s), b = strlen(suffix);
        return a > b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_tier_posture(const void *a, const void *b)
{
        const struct vgl_tier *x = a, *y = b;
        return (int)x->posture - (int)y->posture;
}

/* Trust ranges must tile [0, 1]: sorted by posture (least restrictive first)
 * each tier's min_trust is the next one's max_trust. */
static int validate_ranges(const struct vgl_tier_set *p, struct vgl_error *err)
{
        const struct vgl_tier *t = p->tiers;
        if (t[0].max_trust != 1.0)
                return vgl_error_set(err, EINVAL,
                                     "tier '%s' (least restrictive) must reach max_trust 1.0",
                                     t[0].name);
        for (size_t i = 0; i + 1 < p->n_tiers; i++)
                if (t[i].min_trust != t[i + 1].max_trust)
                        return vgl_error_set(err, EINVAL,
                                             "trust ranges of tiers '%s' and '%s' must meet "
                                             "(%.3g vs %.3g): no gap, no overlap",
                                             t[i].name, t[i + 1].name, t[i].min_trust,
                                             t[i + 1].max_trust);
        if (t[p->n_tiers - 1].min_trust != 0.0)
                return vgl_error_set(err, EINVAL,
                                     "tier '%s' (most restrictive) must start at min_trust 0",
                                     t[p->n_tiers - 1].name);
        return 0;
}

/* A rate cap, 0 meaning none: is `stricter` looser than `looser`? */
static bool cap_looser(uint64_t stricter, uint64_t looser)
{
        return looser != 0 && (stricter == 0 || stricter > looser);
}

static int limit_error(const struct vgl_tier *s, const struct vgl_tier *l, const char *field,
                       uint64_t vs, uint64_t vl, struct vgl_error *err)
{
        return vgl_error_set(err, EINVAL,
                             "tier '%s' is stricter than '%s' but has a looser '%s' (%llu vs "
                             "%llu; 0 is no cap)",
                             s->name, l->name, field, (unsigned long long)vs,
                             (unsigned long long)vl);
}

/* A demotion must never hand out more: each stricter tier's limits are at
 * most those of the tier before it. */
static int validate_limits(const struct vgl_tier_set *p, struct vgl_error *err)
{
        for (size_t i = 0; i + 1 < p->n_tiers; i++) {
                const struct vgl_tier *l = &p->tiers[i], *s = &p->tiers[i + 1];
                if (s->vcpus > l->vcpus)
                        return limit_error(s, l, "vcpus.current", s->vcpus, l->vcpus, err);
                if (s->memory_mib > l->memory_mib)
                        return limit_error(s, l, "memory_mib.current", s->memory_mib, l->memory_mib,
                                           err);
                if (s->cpu_quota_percent > l->cpu_quota_percent)
                        return limit_error(s, l, "cpu_quota_percent", s->cpu_quota_percent,
                                           l->cpu_quota_percent, err);
                if (cap_looser(s->net_in_kbps, l->net_in_kbps))
                        return limit_error(s, l, "bandwidth_kbps.in", s->net_in_kbps,
                                           l->net_in_kbps, err);
                if (cap_looser(s->net_out_kbps, l->net_out_kbps))
                        return limit_error(s, l, "bandwidth_kbps.out", s->net_out_kbps,
                                           l->net_out_kbps, err);
                if (cap_looser(s->disk_iops, l->disk_iops))
                        return limit_error(s, l, "disk.iops", s->disk_iops, l->disk_iops, err);
                if (cap_looser(s->disk_bytes_per_s, l->disk_bytes_per_s))
                        return limit_error(s, l, "disk.bytes_per_s", s->disk_bytes_per_s,
                                           l->disk_bytes_per_s, err);
        }
        return 0;
}

int vgl_tier_set_validate(struct vgl_tier_set *p, struct vgl_error *err)
{
        if (p->n_tiers == 0)
                return vgl_error_set(err, ENOENT, "no tier templates");
        qsort(p->tiers, p->n_tiers, sizeof(p->tiers[0]), cmp_tier_posture);
        for (size_t i = 0; i < p->n_tiers; i++)
                for (size_t j = i + 1; j < p->n_tiers; j++) {
                        if (strcmp(p->tiers[i].name, p->tiers[j].name) == 0)
                                return vgl_error_set(err, EINVAL, "two tiers are named '%s'",
                                                     p->tiers[i].name);
                        if (p->tiers[i].posture == p->tiers[j].posture)
                                return vgl_error_set(err, EINVAL,
                                                     "tiers '%s' and '%s' have the same posture",
                                                     p->tiers[i].name, p->tiers[j].name);
                }
        int r = validate_ranges(p, err);
        return r < 0 ? r : validate_limits(p, err);
}

static int load_one(const char *dir, const char *name, struct vgl_tier_set *p,
                    struct vgl_error *err)
{
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
                return vgl_error_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
        if (p->n_tiers >= VGL_TIER_MAX)
                return vgl_error_set(err, E2BIG, "%s: more than %d tier files", dir, VGL_TIER_MAX);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = vgl_file_read_bounded(path, VGL_TIER_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = vgl_tier_parse(path, text, len, &p->tiers[p->n_tiers], err);
        if (r < 0)
                return r;
        p->n_tiers++;
        return 0;
}

int vgl_tier_set_load(const char *dir, struct vgl_tier_set *ret, struct vgl_error *err)
{
        char tiers_dir[4096];
        if (snprintf(tiers_dir, sizeof(tiers_dir), "%s/tiers", dir) >= (int)sizeof(tiers_dir))
                return vgl_error_set(err, ENAMETOOLONG, "%s: path too long", dir);
        DIR *d = opendir(tiers_dir);
        if (!d)
                return vgl_error_set(err, errno, "%s: %s", tiers_dir, strerror(errno));
        _cleanup_free_ struct vgl_tier_set *p = calloc(1, sizeof(*p));
        int r = p ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
        for (struct dirent *de; r >= 0 && (de = readdir(d));)
                if (de->d_name[0] != '.' && has_suffix(de->d_name, ".json"))
                        r = load_one(tiers_dir, de->d_name, p, err);
        closedir(d);
        if (r < 0)
                return r;
        struct vgl_error e = {0};
        r = vgl_tier_set_validate(p, &e);
        if (r < 0)
                return vgl_error_set(err, -r, "%s: %s", tiers_dir, e.msg);
        *ret = *p;
        return 0;
}

const struct vgl_tier *vgl_tier_set_for_trust(const struct vgl_tier_set *p, double level)
{
        if (!(level >= 0.0 && level <= 1.0))
                return NULL;
        for (size_t i = 0; i < p->n_tiers; i++) {
                const struct vgl_tier *t = &p->tiers[i];
                if (level >= t->min_trust && (level < t->max_trust || t->max_trust == 1.0))
                        return t;
        }
        return NULL;
}

const struct vgl_tier *vgl_tier_set_find(const struct vgl_tier_set *p, const char *name)
{
        for (size_t i = 0; i < p->n_tiers; i++)
                if (strcmp(p->tiers[i].name, name) == 0)
                        return &p->tiers[i];
        return NULL;
}
