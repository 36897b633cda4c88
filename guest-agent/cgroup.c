/* Per-command cgroup v2. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cleanup.h"

#define RMDIR_TRIES 50

static int write_file(const char *dir, const char *name, const char *val)
{
        char p[320];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, val, strlen(val));
        return n < 0 ? -errno : 0;
}

static int read_file(const char *dir, const char *name, char *buf, size_t size)
{
        char p[320];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return 0;
}

bool vgl_cgroup_usable(const char *root, const char **why)
{
        struct statfs s;
        char ctl[512];

        if (statfs(root, &s) < 0 || s.f_type != CGROUP2_SUPER_MAGIC) {
                *why = "no cgroup v2 mounted there";
                return false;
        }
        if (read_file(root, "cgroup.controllers", ctl, sizeof(ctl)) < 0 || !strstr(ctl, "pids") ||
            !strstr(ctl, "memory")) {
                *why = "cgroup v2 has no pids/memory controllers (held by cgroup v1?)";
                return false;
        }
        if (write_file(root, "cgroup.subtree_control", "+pids +memory") < 0) {
                *why = "cannot enable pids/memory for child cgroups";
                return false;
        }
        /* cpu and io are nice to have (usage figures), not required. */
        write_file(root, "cgroup.subtree_control", "+cpu");
        write_file(root, "cgroup.subtree_control", "+io");
        return true;
}

static int set_limit(const char *dir, const char *name, uint64_t v)
{
        char val[32] = "max";
        if (v)
                snprintf(val, sizeof(val), "%" PRIu64, v);
        return write_file(dir, name, val);
}

int vgl_cgroup_set_limits(const struct vgl_cgroup *cg, uint64_t pids_max, uint64_t memory_max)
{
        int r;
        if (!cg->path[0])
                return 0;
        if ((r = set_limit(cg->path, "pids.max", pids_max)) < 0)
                return r;
        return set_limit(cg->path, "memory.max", memory_max);
}

int vgl_cgroup_create(const char *root, uint32_t id, uint64_t pids_max, uint64_t memory_max,
                      struct vgl_cgroup *cg, struct vgl_error *err)
{
        char dir[256], p[320];
        int r;

        snprintf(dir, sizeof(dir), "%s/vigil-cmd-%u", root, id);
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "mkdir %s: %s", dir, strerror(errno));
        if ((r = set_limit(dir, "pids.max", pids_max)) < 0 ||
            (r = set_limit(dir, "memory.max", memory_max)) < 0) {
                rmdir(dir);
                return vgl_error_set(err, -r, "cgroup limits: %s", strerror(-r));
        }
        write_file(dir, "memory.swap.max", "0");
        snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                rmdir(dir);
                return vgl_error_set(err, -r, "open %s: %s", p, strerror(-r));
        }
        snprintf(cg->path, sizeof(cg->path), "%s", dir);
        cg->procs_fd = fd;
        return 0;
}

int vgl_cgroup_join(const struct vgl_cgroup *cg)
{
        if (cg->procs_fd < 0)
                return 0;
        return write(cg->procs_fd, "0", 1) == 1 ? 0 : -errno;
}

/* The value after "key " in a flat-keyed file such as cpu.stat. */
static uint64_t keyed(const char *text, const char *key)
{
        size_t n = strlen(key);
        for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                if (strncmp(l, key, n) == 0 && l[n] == ' ')
                        return strtoull(l + n + 1, NULL, 10);
        return 0;
}

static uint64_t single(const char *dir, const char *name, const char *fallback)
{
        char buf[64];
        if (read_file(dir, name, buf, sizeof(buf)) < 0 &&
            (!fallback || read_file(dir, fallback, buf, sizeof(buf)) < 0))
                return 0;
        return strtoull(buf, NULL, 10);
}

/* io.stat: one line per device, "MAJ:MIN rbytes=N wbytes=N ...". */
static void io_usage(const char *dir, struct vgl_ev_usage *u)
{
        char buf[4096];
        if (read_file(dir, "io.stat", buf, sizeof(buf)) < 0)
                return;
        for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                const char *r = strstr(l, "rbytes="), *w = strstr(l, "wbytes=");
                const char *end = strchr(l, '\n');
                if (r && (!end || r < end))
                        u->io_read_bytes += strtoull(r + 7, NULL, 10);
                if (w && (!end || w < end))
                        u->io_write_bytes += strtoull(w + 7, NULL, 10);
        }
}

void vgl_cgroup_usage(const struct vgl_cgroup *cg, struct vgl_ev_usage *u)
{
        char buf[1024];
        if (!cg->path[0] || cg->plain)
                return;
        u->flags |= VGL_USAGE_F_CGROUP;
        if (read_file(cg->path, "cpu.stat", buf, sizeof(buf)) == 0) {
                u->cpu_usage_usec = keyed(buf, "usage_usec");
                u->cpu_user_usec = keyed(buf, "user_usec");
                u->cpu_system_usec = keyed(buf, "system_usec");
        }
        u->memory_peak = single(cg->path, "memory.peak", "memory.current");
        u->pids_peak = single(cg->path, "pids.peak", "pids.current");
        if (read_file(cg->path, "memory.events", buf, sizeof(buf)) == 0)
                u->oom_kills = keyed(buf, "oom_kill");
        if (read_file(cg->path, "pids.events", buf, sizeof(buf)) == 0)
                u->pids_refused = keyed(buf, "max");
        u->flags |= (u->oom_kills ? VGL_USAGE_F_OOM : 0) | (u->pids_refused ? VGL_USAGE_F_PIDS : 0);
        io_usage(cg->path, u);
}

void vgl_cgroup_destroy(struct vgl_cgroup *cg)
{
        cg->procs_fd = safe_close(cg->procs_fd);
        if (!cg->path[0])
                return;
        write_file(cg->path, "cgroup.kill", "1");
        /* rmdir fails (EBUSY) while the killed tasks are still exiting: give
         * them a few milliseconds rather than leave the directory behind. */
        for (int i = 0; i < RMDIR_TRIES; i++) {
                if (rmdir(cg->path) == 0 || errno == ENOENT) {
                        cg->path[0] = '\0';
                        return;
                }
                if (errno != EBUSY)
                        return;
                usleep(1000);
        }
}
