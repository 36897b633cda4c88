/* Opening a file for the workload (the race-free way to allow an open):
 * the agent opens the path it checked, with the workload's fs credentials,
 * groups and umask, and injects the fd (SECCOMP_IOCTL_NOTIF_ADDFD). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "procmem.h"
#include "sup-priv.h"

#define OPEN_FLAGS_OK                                                                              \
        (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |     \
         O_ASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH |        \
         O_SYNC | __O_TMPFILE)

struct saved_creds {
        uid_t fsuid;
        gid_t fsgid;
        gid_t groups[64];
        int n_groups;
        mode_t umask;
};

static int become(const struct vgl_pm_creds *c, struct saved_creds *s)
{
        s->n_groups = getgroups((int)ELEMENTSOF(s->groups), s->groups);
        if (s->n_groups < 0)
                return -errno;
        if (setgroups((size_t)c->n_groups, c->groups) < 0 && geteuid() == 0)
                return -errno;
        s->fsgid = (gid_t)setfsgid(c->fsgid);
        s->fsuid = (uid_t)setfsuid(c->fsuid);
        s->umask = umask(c->umask);
        return 0;
}

static void restore(const struct saved_creds *s)
{
        umask(s->umask);
        setfsuid(s->fsuid);
        setfsgid(s->fsgid);
        setgroups((size_t)s->n_groups, s->groups);
}

/* Opens beneath (a directory path) or "/" for the absolute path. */
static int open_base(const char *beneath, const char *path, const char **rest)
{
        const char *base = beneath ? beneath : "/";
        size_t n = strlen(base);
        *rest = path + (n == 1 ? 1 : n);
        while (**rest == '/')
                (*rest)++;
        if (!**rest)
                *rest = ".";
        int fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int vgl_sup_open_as(struct vgl_notif *n, const char *path, uint64_t flags, uint64_t mode,
                    uint64_t resolve, const char *beneath)
{
        struct vgl_pm_creds c;
        struct saved_creds s;
        const char *rest;
        int r;

        if ((r = vgl_pm_creds(n->a->cfg.proc_root, n->pid, &c)) < 0)
                return r;
        _cleanup_close_ int dir = open_base(beneath, path, &rest);
        if (dir < 0)
                return dir;
        struct open_how how = {
                .flags = (flags & OPEN_FLAGS_OK) | O_CLOEXEC,
                .mode = (flags & (O_CREAT | __O_TMPFILE)) ? (mode & 07777) : 0,
                .resolve = resolve | RESOLVE_NO_MAGICLINKS | (beneath ? RESOLVE_BENEATH : 0),
        };
        if ((r = become(&c, &s)) < 0)
                return r;
        int fd = (int)syscall(SYS_openat2, dir, rest, &how, sizeof(how));
        r = fd < 0 ? -errno : fd;
        restore(&s);
        /* A symlink that leaves the allowed tree: the same answer as outside it. */
        return r == -EXDEV ? -EACCES : r;
}
