/* Supervised path-changing calls (unlink, rename, chmod, chown, mkdir, link,
 * symlink, truncate, mknod, utime) and their fd forms (fchmod, fchown,
 * utimensat/futimesat on an fd): every file they change must be writable.
 * They continue in the kernel when allowed (see docs/security.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "cleanup.h"
#include "procmem.h"
#include "sup-priv.h"

/* One path-changing call: where its paths are. dirfd index -1: AT_FDCWD;
 * path1 -1: the call works on the fd in dir1 itself (fchmod, fchown). */
struct path_call {
        int nr;
        uint8_t op;
        int8_t dir1, path1; /* first path: dirfd arg, path arg */
        int8_t dir2, path2; /* second path (rename, link, symlink), path2 -1: none */
        bool fd_ok;         /* a NULL or "" path1 means the fd in dir1 (utimensat...) */
};

/* The fd forms; utimes change the file like a write does. */
static const struct path_call fd_calls[] = {
        {SYS_fchmod, VGL_FILE_CHMOD, 0, -1, -1, -1, true},
        {SYS_fchown, VGL_FILE_CHOWN, 0, -1, -1, -1, true},
        {SYS_fchownat, VGL_FILE_CHOWN, 0, 1, -1, -1, true},
        {SYS_utimensat, VGL_FILE_WRITE, 0, 1, -1, -1, true},
        {SYS_futimesat, VGL_FILE_WRITE, 0, 1, -1, -1, true},
        {SYS_utime, VGL_FILE_WRITE, -1, 0, -1, -1, false},
        {SYS_utimes, VGL_FILE_WRITE, -1, 0, -1, -1, false},
};

static const struct path_call calls[] = {
        {SYS_unlink, VGL_FILE_UNLINK, -1, 0, -1, -1},
        {SYS_unlinkat, VGL_FILE_UNLINK, 0, 1, -1, -1},
        {SYS_rmdir, VGL_FILE_UNLINK, -1, 0, -1, -1},
        {SYS_rename, VGL_FILE_RENAME, -1, 0, -1, 1},
        {SYS_renameat, VGL_FILE_RENAME, 0, 1, 2, 3},
        {SYS_renameat2, VGL_FILE_RENAME, 0, 1, 2, 3},
        {SYS_chmod, VGL_FILE_CHMOD, -1, 0, -1, -1},
        {SYS_fchmodat, VGL_FILE_CHMOD, 0, 1, -1, -1},
        {SYS_chown, VGL_FILE_CHOWN, -1, 0, -1, -1},
        {SYS_lchown, VGL_FILE_CHOWN, -1, 0, -1, -1},
        {SYS_mkdir, VGL_FILE_MKDIR, -1, 0, -1, -1},
        {SYS_mkdirat, VGL_FILE_MKDIR, 0, 1, -1, -1},
        {SYS_mknod, VGL_FILE_MKDIR, -1, 0, -1, -1},
        {SYS_mknodat, VGL_FILE_MKDIR, 0, 1, -1, -1},
        {SYS_truncate, VGL_FILE_WRITE, -1, 0, -1, -1},
        {SYS_link, VGL_FILE_LINK, -1, 0, -1, 1},
        {SYS_linkat, VGL_FILE_LINK, 0, 1, 2, 3},
        {SYS_symlink, VGL_FILE_LINK, -1, 1, -1, -1}, /* only the new name matters */
        {SYS_symlinkat, VGL_FILE_LINK, 1, 2, -1, -1},
};

/* Reads one path as an absolute path; with fd_ok a NULL or empty path (or
 * none, path_arg -1) names the fd in dir_arg: out is then what it is open
 * on, and -EBADF when that is no file of the tree (a pipe, a socket). */
static int one_path(struct vgl_notif *n, int dir_arg, int path_arg, bool fd_ok, char *out,
                    size_t size)
{
        char raw[VGL_PM_PATH_MAX] = "";
        int dirfd = dir_arg < 0 ? AT_FDCWD : (int)vgl_arg(n, (unsigned)dir_arg);
        uint64_t addr = path_arg < 0 ? 0 : vgl_arg(n, (unsigned)path_arg);
        int r;

        if (!(fd_ok && !addr) &&
            (r = vgl_pm_read_str(vgl_notif_mem(n), addr, raw, sizeof(raw))) < 0)
                return r;
        if (fd_ok && !raw[0] && dirfd == AT_FDCWD)
                return -EBADF; /* utimensat(AT_FDCWD, NULL): the kernel says EFAULT */
        r = vgl_pm_abspath(n->a->cfg.proc_root, n->pid, dirfd, raw, out, size);
        if (!fd_ok || raw[0])
                return r;
        /* An fd that is not open, or an anonymous file ("/memfd:x (deleted)"). */
        if (r == -ENOENT || (r == 0 && strncmp(out, "/memfd:", 7) == 0))
                return -EBADF;
        return r;
}

static bool path_ok(const struct vgl_policy *p, const char *path)
{
        const struct vgl_sensitive *s = vgl_policy_sensitive(p, path);
        return vgl_policy_writable(p, path) && !(s && s->deny);
}

static const struct path_call *find_call(int nr)
{
        for (unsigned i = 0; i < ELEMENTSOF(calls); i++)
                if (calls[i].nr == nr)
                        return &calls[i];
        for (unsigned i = 0; i < ELEMENTSOF(fd_calls); i++)
                if (fd_calls[i].nr == nr)
                        return &fd_calls[i];
        return NULL;
}

static void event(struct vgl_notif *n, uint8_t op, const char *path)
{
        struct vgl_ev_file e = {.h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                                .op = op,
                                .verdict = n->verdict,
                                .err = (uint16_t)n->err};
        uint8_t rec[VGL_EV_FILE_SIZE];
        if (strlen(path) > VGL_EVENT_TEXT_LEN)
                e.flags |= VGL_EVENT_F_TRUNCATED;
        snprintf(e.path, sizeof(e.path), "%.*s", (int)VGL_EVENT_TEXT_LEN, path);
        vgl_ev_file_encode(&e, rec);
        vgl_events_add(n->a, VGL_REC_FILE, rec);
}

bool vgl_sup_path_op(struct vgl_notif *n)
{
        char p1[VGL_PM_PATH_MAX], p2[VGL_PM_PATH_MAX] = "";
        const struct path_call *c = find_call(n->req->data.nr);
        int r;

        if (!c)
                return false;
        r = one_path(n, c->dir1, c->path1, c->fd_ok, p1, sizeof(p1));
        if (r == -EBADF && c->fd_ok) {
                /* No file of the tree (or no such fd): nothing to protect, the
                 * kernel gives its own answer. */
                vgl_notif_decide(n, true, 0);
                return true;
        }
        if (r < 0 || (c->path2 >= 0 && one_path(n, c->dir2, c->path2, false, p2, sizeof(p2)) < 0)) {
                vgl_notif_decide(n, false, EFAULT);
                return true;
        }
        vgl_notif_decide(n, path_ok(n->pol, p1) && (!p2[0] || path_ok(n->pol, p2)), EACCES);
        event(n, c->op, p1);
        if (p2[0])
                event(n, c->op, p2);
        return true;
}
