/* See vigild-harness.h: tier templates, QEMU processes, other uids. */
#include "vigild-harness-priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"

static int pool_for(const char *name, const struct vd_pool *pools, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(pools[i].tier, name) == 0)
                        return pools[i].size;
        return 0;
}

static int write_tier(struct vd *d, const char *src, const char *file, const struct vd_pool *pools,
                      size_t n, struct vgl_error *err)
{
        _cleanup_free_ char *in = vd_printf("%s/%s", src, file);
        _cleanup_free_ char *out = vd_printf("%s/tiers/%s", d->policies, file);
        struct json_object *o, *name;
        int r = 0;

        if (!in || !out)
                return vgl_error_set(err, ENOMEM, "out of memory");
        o = json_object_from_file(in);
        if (!o || !json_object_object_get_ex(o, "name", &name))
                r = vgl_error_set(err, EINVAL, "cannot read tier template %s", in);
        else if (json_object_object_add(o, "pool",
                                        json_object_new_int(pool_for(json_object_get_string(name),
                                                                     pools, n))) < 0 ||
                 json_object_to_file_ext(out, o, JSON_C_TO_STRING_PRETTY) < 0)
                r = vgl_error_set(err, EIO, "cannot write %s", out);
        json_object_put(o);
        return r;
}

int vd_write_adjust(struct vd *d, const char *adjust_json, struct vgl_error *err)
{
        _cleanup_free_ char *path = vd_printf("%s/adjust.json", d->policies);
        _cleanup_free_ char *tmp = vd_printf("%s/adjust.json.new", d->policies);
        FILE *f;

        if (!path || !tmp)
                return vgl_error_set(err, ENOMEM, "out of memory");
        f = fopen(tmp, "we");
        if (!f)
                return vgl_error_set(err, errno, "%s: %m", tmp);
        fputs(adjust_json, f);
        if (fclose(f) != 0 || rename(tmp, path) < 0)
                return vgl_error_set(err, errno, "writing %s: %m", path);
        return 0;
}

int vd_write_policies(struct vd *d, const struct vd_pool *pools, size_t n, const char *adjust_json,
                      struct vgl_error *err)
{
        static const char *const shipped[] = {"permissions", "rules", "nwfilter", "adjust.json"};
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        char src[4096], dir[4096];
        struct dirent *e;
        DIR *dp;
        int r = 0, count = 0;

        if (!root || !root[0])
                return vgl_error_set(err, ENOENT, "VIGIL_SOURCE_ROOT is not set");
        snprintf(src, sizeof(src), "%s/policies/tiers", root);
        snprintf(dir, sizeof(dir), "%s/tiers", d->policies);
        if (mkdir(d->policies, 0755) < 0 || mkdir(dir, 0755) < 0)
                return vgl_error_set(err, errno, "mkdir %s: %m", dir);
        dp = opendir(src);
        if (!dp)
                return vgl_error_set(err, errno, "opendir %s: %m", src);
        while (r == 0 && (e = readdir(dp))) {
                size_t len = strlen(e->d_name);
                if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
                        r = write_tier(d, src, e->d_name, pools, n, err);
                        count++;
                }
        }
        closedir(dp);
        if (r == 0 && count == 0)
                r = vgl_error_set(err, ENOENT, "no tier templates in %s", src);
        /* Everything else (permission sets, rules, filters...) as shipped. */
        for (size_t i = 0; r == 0 && i < sizeof(shipped) / sizeof(shipped[0]); i++) {
                if (adjust_json && strcmp(shipped[i], "adjust.json") == 0) {
                        r = vd_write_adjust(d, adjust_json, err);
                        continue;
                }
                snprintf(src, sizeof(src), "%s/policies/%s", root, shipped[i]);
                snprintf(dir, sizeof(dir), "%s/%s", d->policies, shipped[i]);
                if (access(src, F_OK) == 0 && symlink(src, dir) < 0)
                        r = vgl_error_set(err, errno, "symlink %s: %m", dir);
        }
        return r;
}

/* Reads a whole small file (NULs kept) into buf; returns its length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n, total = 0;

        if (fd < 0)
                return -errno;
        while ((size_t)total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
                total += n;
        buf[total] = '\0';
        return total;
}

/* True if /proc/pid/cmdline holds an argument containing needle. */
static bool cmdline_has(pid_t pid, const char *needle)
{
        char path[64], buf[16384];
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
        n = read_small(path, buf, sizeof(buf));
        for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
                if (strstr(buf + i, needle))
                        return true;
        return false;
}

static int pid_from_file(const char *path, pid_t *ret)
{
        char buf[32];
        long v;

        if (read_small(path, buf, sizeof(buf)) <= 0)
                return -ENOENT;
        v = strtol(buf, NULL, 10);
        if (v <= 1)
                return -ENOENT;
        *ret = (pid_t)v;
        return 0;
}

int vd_qemu_pid(struct vd *d, const char *id, pid_t *ret)
{
        char path[4096], name[128];
        pid_t pid;

        snprintf(path, sizeof(path), "%s/run/qemu/vigil-%s.pid", d->state, id);
        snprintf(name, sizeof(name), "guest=vigil-%s,", id);
        if (pid_from_file(path, &pid) < 0 || !cmdline_has(pid, name) || !cmdline_has(pid, d->state))
                return -ENOENT;
        *ret = pid;
        return 0;
}

void vd_kill_leftover_qemu(struct vd *d)
{
        char dir[4096], path[8192];
        struct dirent *e;
        DIR *dp;

        if (!d->state[0])
                return;
        snprintf(dir, sizeof(dir), "%s/run/qemu", d->state);
        dp = opendir(dir);
        if (!dp)
                return;
        while ((e = readdir(dp))) {
                size_t len = strlen(e->d_name);
                pid_t pid;
                if (len < 5 || strcmp(e->d_name + len - 4, ".pid") != 0 ||
                    strncmp(e->d_name, "vigil-", 6) != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                if (pid_from_file(path, &pid) == 0 && cmdline_has(pid, d->state)) {
                        fprintf(stderr, "# killing leftover QEMU %d (%s)\n", (int)pid, e->d_name);
                        kill(pid, SIGKILL);
                }
        }
        closedir(dp);
}

int vd_run_as(uid_t uid, gid_t gid, int (*fn)(void *arg), void *arg)
{
        const gid_t groups[] = {0};
        pid_t pid;
        int st;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (setgroups(1, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
                    setresuid(uid, uid, uid) < 0) {
                        fprintf(stderr, "# dropping to uid %u: %m\n", (unsigned)uid);
                        _exit(125);
                }
                fflush(NULL);
                _exit(fn(arg) & 0xff);
        }
        if (waitpid(pid, &st, 0) < 0)
                return -errno;
        if (!WIFEXITED(st))
                return -EINTR;
        return WEXITSTATUS(st);
}
