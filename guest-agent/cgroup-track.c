/* Cgroups that only identify a command: the eBPF trace program filters on
 * the cgroup v2 id, which needs no controller. Where cgroup v2 cannot limit
 * (a host with v1 controllers), a controller-less v2 mount still can. */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cleanup.h"

/* The mount point of the first cgroup2 line of mountinfo ("ID PARENT MAJ:MIN
 * ROOT MOUNTPOINT OPTS... - FSTYPE SOURCE SUPEROPTS"); escaped names skipped. */
static int from_mountinfo(char *out, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[1024], mnt[512];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                const char *sep = strstr(line, " - ");
                if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
                        continue;
                if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 || strchr(mnt, '\\'))
                        continue;
                if ((size_t)snprintf(out, size, "%s", mnt) >= size)
                        continue;
                return 0;
        }
        return -ENOENT;
}

int vgl_cgroup2_mount(const char *root, char *out, size_t size)
{
        struct statfs s;

        if (root && statfs(root, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC) {
                if ((size_t)snprintf(out, size, "%s", root) >= size)
                        return -ENAMETOOLONG;
                return 0;
        }
        return from_mountinfo(out, size);
}

int vgl_cgroup_create_plain(const char *root, const char *name, struct vgl_cgroup *cg,
                            struct vgl_error *err)
{
        char dir[256], p[320];

        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, name) >= sizeof(dir))
                return vgl_error_set(err, ENAMETOOLONG, "cgroup path too long");
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return vgl_error_set(err, errno, "mkdir %s: %s", dir, strerror(errno));
        snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                rmdir(dir);
                return vgl_error_set(err, e, "open %s: %s", p, strerror(e));
        }
        snprintf(cg->path, sizeof(cg->path), "%s", dir);
        cg->procs_fd = fd;
        cg->plain = true;
        return 0;
}

int vgl_cgroup_id(const char *path, uint64_t *ret)
{
        /* kernfs hands out the 64-bit cgroup id as the file handle. */
        union {
                struct file_handle fh;
                char space[sizeof(struct file_handle) + sizeof(uint64_t)];
        } h;
        int mount_id;

        h.fh.handle_bytes = sizeof(uint64_t);
        if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
                return -errno;
        if (h.fh.handle_bytes != sizeof(uint64_t))
                return -EPROTO;
        memcpy(ret, h.fh.f_handle, sizeof(*ret));
        return 0;
}
