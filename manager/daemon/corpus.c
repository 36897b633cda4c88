/* See corpus.h. */
#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

#define RUN_DIGITS 12

struct run {
        uint64_t seq;
        uint64_t bytes;
};

static int cmp_run(const void *a, const void *b)
{
        const struct run *x = a, *y = b;

        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "000000000042.tsv" -> 42; false for any other name. */
static bool run_name(const char *name, uint64_t *ret)
{
        char *end = NULL;
        unsigned long long v;

        if (strlen(name) != RUN_DIGITS + 4 || strcmp(name + RUN_DIGITS, ".tsv") != 0)
                return false;
        for (int i = 0; i < RUN_DIGITS; i++)
                if (name[i] < '0' || name[i] > '9')
                        return false;
        errno = 0;
        v = strtoull(name, &end, 10);
        if (errno || end != name + RUN_DIGITS)
                return false;
        *ret = v;
        return true;
}

/* The runs of dir, sorted oldest first (*ret malloc'd). Missing dir: none. */
static int list_runs(const char *dir, struct run **ret, size_t *ret_n)
{
        DIR *dp = opendir(dir);
        struct run *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *e;

        *ret = NULL;
        *ret_n = 0;
        if (!dp)
                return errno == ENOENT ? 0 : -errno;
        while ((e = readdir(dp))) {
                struct stat st;
                uint64_t seq;
                if (!run_name(e->d_name, &seq) ||
                    fstatat(dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                if (n == cap) {
                        struct run *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
                        if (!nv) {
                                free(v);
                                closedir(dp);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[n++] = (struct run){seq, (uint64_t)st.st_size};
        }
        closedir(dp);
        if (n)
                qsort(v, n, sizeof(*v), cmp_run);
        *ret = v;
        *ret_n = n;
        return 0;
}

static void run_path(char *buf, size_t size, const char *dir, uint64_t seq)
{
        snprintf(buf, size, "%s/%0*" PRIu64 ".tsv", dir, RUN_DIGITS, seq);
}

int vgd_corpus_scan(const char *dir, struct vgd_corpus_info *ret)
{
        _cleanup_free_ struct run *v = NULL;
        size_t n;
        int r = list_runs(dir, &v, &n);

        if (r < 0)
                return r;
        *ret = (struct vgd_corpus_info){.runs = n, .next_seq = n ? v[n - 1].seq + 1 : 1};
        for (size_t i = 0; i < n; i++)
                ret->bytes += v[i].bytes;
        return 0;
}

static int write_run(FILE *f, uint64_t seq, const struct vgl_traceset *ts)
{
        for (size_t i = 0; i < ts->n; i++) {
                const struct vgl_trace *t = &ts->v[i];
                fprintf(f, "%" PRIu64 "-%s\t", seq, t->name);
                for (uint32_t k = 0; k < t->len; k++)
                        fprintf(f, k ? " %u" : "%u", (unsigned)t->calls[k]);
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}

/* Drops the oldest runs until the bounds hold. */
static int trim(const char *dir, struct vgd_corpus_info *info)
{
        _cleanup_free_ struct run *v = NULL;
        char path[PATH_MAX];
        size_t n, first = 0;
        int r = list_runs(dir, &v, &n);

        if (r < 0)
                return r;
        info->bytes = 0;
        for (size_t i = 0; i < n; i++)
                info->bytes += v[i].bytes;
        while (n - first > 1 &&
               (n - first > VGD_CORPUS_RUNS_MAX || info->bytes > VGD_CORPUS_BYTES_MAX)) {
                run_path(path, sizeof(path), dir, v[first].seq);
                unlink(path);
                info->bytes -= v[first++].bytes;
        }
        info->runs = n - first;
        return 0;
}

int vgd_corpus_add(const char *dir, uint64_t seq, const struct vgl_traceset *ts,
                   struct vgd_corpus_info *info, struct vgl_error *err)
{
        char path[PATH_MAX], tmp[PATH_MAX + 8];
        FILE *f;
        int r;

        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "%s: %s", dir, strerror(errno));
        run_path(path, sizeof(path), dir, seq);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        f = fopen(tmp, "we");
        if (!f)
                return vgl_error_set(err, errno, "%s: %s", tmp, strerror(errno));
        r = write_run(f, seq, ts);
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vgl_error_set(err, -r, "%s: %s", path, strerror(-r));
        }
        if (seq >= info->next_seq)
                info->next_seq = seq + 1;
        return trim(dir, info);
}

static int append_set(struct vgl_traceset *to, const struct vgl_traceset *from)
{
        for (size_t i = 0; i < from->n; i++) {
                int r = vgl_traceset_add(to, from->v[i].name, from->v[i].calls, from->v[i].len);
                if (r < 0)
                        return r;
        }
        return 0;
}

int vgd_corpus_read(const char *dir, unsigned held_every, struct vgl_traceset *train,
                    struct vgl_traceset *held, struct vgl_error *err)
{
        _cleanup_free_ struct run *v = NULL;
        char path[PATH_MAX];
        size_t n;
        int r = list_runs(dir, &v, &n);

        if (r < 0)
                return vgl_error_set(err, -r, "%s: %s", dir, strerror(-r));
        for (size_t i = 0; i < n; i++) {
                struct vgl_traceset one = {0};
                struct vgl_error e = {};
                bool is_held = held_every && i % held_every == held_every - 1;
                run_path(path, sizeof(path), dir, v[i].seq);
                r = vgl_traceset_read(path, &one, &e);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return vgl_error_set(err, -r, "%s", e.msg);
                r = append_set(is_held ? held : train, &one);
                vgl_traceset_free(&one);
                if (r < 0)
                        return vgl_error_set(err, -r, "out of memory");
        }
        return 0;
}
