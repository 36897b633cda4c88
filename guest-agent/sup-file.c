/* Supervised file calls: opens (write/create always, reads when the
 * permission set has sensitive patterns) and path-changing calls. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "procmem.h"
#include "sup-priv.h"

#define WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | __O_TMPFILE)

/* Devices every program writes to; not files of the guest. */
static const char *const always_writable[] = {"/dev/null", "/dev/zero", "/dev/full",
                                              "/dev/tty",  "/dev/pts",  "/dev/ptmx"};

static void file_event(struct vgl_notif *n, uint8_t op, const char *path, uint32_t oflags)
{
        struct vgl_ev_file e = {.h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                                .oflags = oflags,
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

/* Reads the path argument at addr (relative to dirfd) as an absolute path. */
static int get_path(struct vgl_notif *n, int dirfd, uint64_t addr, char *out, size_t size)
{
        char raw[VGL_PM_PATH_MAX];
        int r = vgl_pm_read_str(vgl_notif_mem(n), addr, raw, sizeof(raw));
        if (r < 0)
                return r;
        return vgl_pm_abspath(n->a->cfg.proc_root, n->pid, dirfd, raw, out, size);
}

static bool in_list(const char *path, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (vgl_path_has_prefix(path, list[i]))
                        return true;
        return false;
}

/* "/proc/PID/fd/N" re-opens an fd the caller holds: decide on what it points to. */
static bool reopen_target(struct vgl_notif *n, char *path, size_t size)
{
        int pid, fd, used = 0;
        char link[VGL_PM_PATH_MAX];
        if (sscanf(path, "/proc/%d/fd/%d%n", &pid, &fd, &used) != 2 || path[used])
                return false;
        ssize_t r = readlink(path, link, sizeof(link) - 1);
        if (r < 0)
                return false;
        link[r] = '\0';
        snprintf(path, size, "%s", link);
        return true;
}

/* The writable prefix path lies under (NULL: anywhere allowed). */
static const char *writable_root(const struct vgl_policy *p, const char *path)
{
        for (uint32_t i = 0; !p->writable_any && i < p->n_writable; i++)
                if (vgl_path_has_prefix(path, p->writable[i]))
                        return p->writable[i];
        return NULL;
}

static bool has_deny_patterns(const struct vgl_policy *p)
{
        for (uint32_t i = 0; i < p->n_sensitive; i++)
                if (p->sensitive[i].deny)
                        return true;
        return false;
}

static void emulate(struct vgl_notif *n, const char *path, uint64_t flags, uint64_t mode,
                    uint64_t resolve, const char *beneath, uint8_t verdict)
{
        int fd = vgl_sup_open_as(n, path, flags, mode, resolve, beneath);
        if (fd < 0) {
                vgl_notif_decide(n, false, -fd);
                return;
        }
        n->cont = false;
        n->inject_fd = fd;
        n->inject_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
        n->verdict = verdict;
}

static void open_write(struct vgl_notif *n, char *path, size_t size, uint64_t flags, uint64_t mode,
                       uint64_t resolve)
{
        bool reopen = reopen_target(n, path, size);
        const struct vgl_sensitive *s = vgl_policy_sensitive(n->pol, path);

        if (in_list(path, always_writable, ELEMENTSOF(always_writable)) ||
            (reopen && path[0] != '/'))
                vgl_notif_decide(n, true, 0); /* a device, or a pipe/socket the caller holds */
        else if (!vgl_policy_writable(n->pol, path) || (s && s->deny))
                vgl_notif_decide(n, false, EACCES);
        else if (reopen)
                vgl_notif_decide(n, true, 0);
        else
                emulate(n, path, flags, mode, resolve, writable_root(n->pol, path),
                        s ? VGL_VERDICT_REPORT : VGL_VERDICT_EMULATE);
        file_event(n, VGL_FILE_WRITE, path, (uint32_t)flags);
}

/* After an emulated read: the path the kernel really opened (symlinks followed). */
static bool real_path_denied(struct vgl_notif *n)
{
        char p[64], real[VGL_PM_PATH_MAX];
        const struct vgl_sensitive *s;
        snprintf(p, sizeof(p), "/proc/self/fd/%d", n->inject_fd);
        ssize_t r = readlink(p, real, sizeof(real) - 1);
        if (r < 0)
                return false;
        real[r] = '\0';
        return (s = vgl_policy_sensitive(n->pol, real)) && s->deny;
}

static void open_read(struct vgl_notif *n, const char *path, uint64_t flags, uint64_t resolve)
{
        const struct vgl_sensitive *s = vgl_policy_sensitive(n->pol, path);
        bool virt = vgl_path_has_prefix(path, "/proc") || vgl_path_has_prefix(path, "/dev") ||
                    vgl_path_has_prefix(path, "/sys");

        if (s && s->deny) {
                vgl_notif_decide(n, false, EACCES);
        } else if (has_deny_patterns(n->pol) && !virt) {
                emulate(n, path, flags, 0, resolve, NULL,
                        s ? VGL_VERDICT_REPORT : VGL_VERDICT_EMULATE);
                if (n->inject_fd >= 0 && real_path_denied(n)) {
                        n->inject_fd = safe_close(n->inject_fd);
                        vgl_notif_decide(n, false, EACCES);
                }
        } else {
                vgl_notif_decide(n, true, 0);
                n->verdict = s ? VGL_VERDICT_REPORT : VGL_VERDICT_ALLOW;
        }
        if (s || n->err)
                file_event(n, VGL_FILE_READ, path, (uint32_t)flags);
}

static void do_open(struct vgl_notif *n, int dirfd, uint64_t pa, uint64_t flags, uint64_t mode,
                    uint64_t resolve)
{
        char path[VGL_PM_PATH_MAX];
        int r = get_path(n, dirfd, pa, path, sizeof(path));
        if (r < 0) {
                vgl_notif_decide(n, false, r == -ENAMETOOLONG ? ENAMETOOLONG : EFAULT);
                return;
        }
        if (flags & WRITE_FLAGS)
                open_write(n, path, sizeof(path), flags, mode, resolve);
        else
                open_read(n, path, flags, resolve);
}

static void do_openat2(struct vgl_notif *n)
{
        struct open_how how = {0};
        uint64_t size = vgl_arg(n, 3);
        if (size < sizeof(how) || size > 4096 ||
            vgl_pm_read(vgl_notif_mem(n), vgl_arg(n, 2), &how, sizeof(how)) < 0) {
                vgl_notif_decide(n, false, size < sizeof(how) ? EINVAL : EFAULT);
                return;
        }
        do_open(n, (int)vgl_arg(n, 0), vgl_arg(n, 1), how.flags, how.mode, how.resolve);
}

bool vgl_sup_file(struct vgl_notif *n)
{
        switch (n->req->data.nr) {
        case SYS_open:
                do_open(n, AT_FDCWD, vgl_arg(n, 0), vgl_arg(n, 1), vgl_arg(n, 2), 0);
                return true;
        case SYS_openat:
                do_open(n, (int)vgl_arg(n, 0), vgl_arg(n, 1), vgl_arg(n, 2), vgl_arg(n, 3), 0);
                return true;
        case SYS_creat:
                do_open(n, AT_FDCWD, vgl_arg(n, 0), O_CREAT | O_WRONLY | O_TRUNC, vgl_arg(n, 1), 0);
                return true;
        case SYS_openat2:
                do_openat2(n);
                return true;
        default:
                return vgl_sup_path_op(n);
        }
}
