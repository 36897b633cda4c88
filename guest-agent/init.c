#include "init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <signal.h>
#include <unistd.h>

#include "log.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct mount_spec {
        const char *what, *where, *type, *opts;
        unsigned long flags;
        mode_t mode;
};

static const struct mount_spec mounts[] = {
        {"proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0555},
        {"sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0555},
        {"devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID, 0755},
        {"devpts", "/dev/pts", "devpts", "gid=5,mode=0620,ptmxmode=0666", MS_NOSUID | MS_NOEXEC,
         0755},
        {"tmpfs", "/dev/shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 01777},
        {"tmpfs", "/tmp", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, 01777},
        {"tmpfs", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV, 0755},
        {"cgroup2", "/sys/fs/cgroup", "cgroup2", "nsdelegate", MS_NOSUID | MS_NODEV | MS_NOEXEC,
         0755},
};

/* A mount point lives on another device than its parent (works before /proc exists). */
static bool is_mount_point(const char *path)
{
        char parent[256];
        struct stat a, b;
        if (stat(path, &a) < 0)
                return false;
        snprintf(parent, sizeof(parent), "%s/..", path);
        if (stat(parent, &b) < 0)
                return false;
        return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

static int mount_one(const struct mount_spec *m)
{
        if (is_mount_point(m->where))
                return 0;
        if (mkdir(m->where, m->mode) < 0 && errno != EEXIST)
                return -errno;
        if (mount(m->what, m->where, m->type, m->flags, m->opts) < 0) {
                /* Older kernels lack nsdelegate: try cgroup2 without options. */
                if (errno == EINVAL && m->opts && strcmp(m->type, "cgroup2") == 0 &&
                    mount(m->what, m->where, m->type, m->flags, NULL) == 0)
                        return 0;
                return -errno;
        }
        return 0;
}

int vgl_init_mount_all(void)
{
        int failed = 0;
        for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
                int r = mount_one(&mounts[i]);
                if (r < 0) {
                        vgl_log(LOG_WARNING, "mount %s on %s: %s", mounts[i].type, mounts[i].where,
                                strerror(-r));
                        failed++;
                }
        }
        return failed;
}

int vgl_init_hostname(const char *name)
{
        char cur[256] = "";
        if (gethostname(cur, sizeof(cur) - 1) == 0 && cur[0] && strcmp(cur, "(none)") != 0)
                return 0;
        return sethostname(name, strlen(name)) < 0 ? -errno : 0;
}

bool vgl_init_have_cgroup2(void)
{
        struct statfs s;
        return statfs("/sys/fs/cgroup", &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

int vgl_init_poweroff(bool reboot_instead)
{
        /* Give the workload a moment to flush, then make sure nothing writes during sync. */
        kill(-1, SIGTERM);
        sleep(1);
        kill(-1, SIGKILL);
        sync();
        if (reboot(reboot_instead ? RB_AUTOBOOT : RB_POWER_OFF) < 0)
                return -errno;
        return 0;
}
