/* Reading a supervised process's memory and view of the file system. */
#include "procmem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define STR_CHUNK 256 /* strings are read in page-safe pieces */

int vgl_pm_open(const char *proc_root, pid_t pid)
{
        char p[64];
        snprintf(p, sizeof(p), "%s/%d/mem", proc_root, (int)pid);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int vgl_pm_read(int mem_fd, uint64_t addr, void *buf, size_t len)
{
        size_t done = 0;
        while (done < len) {
                ssize_t n = pread(mem_fd, (uint8_t *)buf + done, len - done, (off_t)(addr + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EIO ? -EFAULT : -errno;
                if (n == 0)
                        return -EFAULT;
                done += (size_t)n;
        }
        return 0;
}

int vgl_pm_read_str(int mem_fd, uint64_t addr, char *buf, size_t size)
{
        size_t done = 0;
        if (addr == 0 || size == 0)
                return -EFAULT;
        while (done < size) {
                /* Never read across a page boundary in one go: the next page may be unmapped. */
                size_t room = 4096 - ((addr + done) & 4095);
                size_t want = size - done < room ? size - done : room;
                if (want > STR_CHUNK)
                        want = STR_CHUNK;
                ssize_t n = pread(mem_fd, buf + done, want, (off_t)(addr + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -EFAULT;
                char *nul = memchr(buf + done, '\0', (size_t)n);
                if (nul)
                        return 0;
                done += (size_t)n;
        }
        buf[size - 1] = '\0';
        return -ENAMETOOLONG;
}

void vgl_pm_normalize(char *path)
{
        char *out = path, *in = path;
        while (*in) {
                while (*in == '/')
                        in++;
                size_t n = strcspn(in, "/");
                if (n == 0)
                        break;
                if (n == 1 && in[0] == '.') {
                        in += n;
                        continue;
                }
                if (n == 2 && in[0] == '.' && in[1] == '.') {
                        while (out > path && *--out != '/')
                                ;
                        in += n;
                        continue;
                }
                *out++ = '/';
                memmove(out, in, n);
                out += n;
                in += n;
        }
        if (out == path)
                *out++ = '/';
        *out = '\0';
}

static int read_link(const char *proc_root, pid_t pid, const char *what, char *out, size_t size)
{
        char p[64];
        snprintf(p, sizeof(p), "%s/%d/%s", proc_root, (int)pid, what);
        ssize_t n = readlink(p, out, size - 1);
        if (n < 0)
                return -errno;
        if ((size_t)n >= size - 1)
                return -ENAMETOOLONG;
        out[n] = '\0';
        return out[0] == '/' ? 0 : -EBADF; /* "pipe:[..]" is no directory */
}

/* "/proc/self/..." and "/proc/thread-self/..." name the caller, not the agent. */
static void proc_self(char *path, size_t size, pid_t pid)
{
        static const char *const selves[] = {"/proc/self", "/proc/thread-self"};
        for (unsigned i = 0; i < ELEMENTSOF(selves); i++) {
                size_t n = strlen(selves[i]);
                if (strncmp(path, selves[i], n) != 0 || (path[n] && path[n] != '/'))
                        continue;
                _cleanup_free_ char *rest = strdup(path + n);
                if (rest)
                        snprintf(path, size, "/proc/%d%s", (int)pid, rest);
                return;
        }
}

int vgl_pm_abspath(const char *proc_root, pid_t pid, int dirfd, const char *path, char *out,
                   size_t size)
{
        char base[VGL_PM_PATH_MAX];
        int r;

        if (path[0] == '/') {
                if (strlen(path) >= size)
                        return -ENAMETOOLONG;
                memcpy(out, path, strlen(path) + 1);
        } else {
                char what[32];
                if (dirfd == AT_FDCWD)
                        snprintf(what, sizeof(what), "cwd");
                else
                        snprintf(what, sizeof(what), "fd/%d", dirfd);
                if ((r = read_link(proc_root, pid, what, base, sizeof(base))) < 0)
                        return r;
                if ((size_t)snprintf(out, size, "%s/%s", base, path) >= size)
                        return -ENAMETOOLONG;
        }
        vgl_pm_normalize(out);
        proc_self(out, size, pid);
        return 0;
}

static int parse_status_line(const char *line, struct vgl_pm_creds *c)
{
        unsigned a, b, s, f;
        if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &s, &f) == 4)
                c->fsuid = f;
        else if (sscanf(line, "Gid: %u %u %u %u", &a, &b, &s, &f) == 4)
                c->fsgid = f;
        else if (sscanf(line, "Umask: %o", &a) == 1)
                c->umask = a & 0777;
        else if (strncmp(line, "Groups:", 7) == 0) {
                const char *p = line + 7;
                int n = 0;
                while (c->n_groups < (int)ELEMENTSOF(c->groups) && sscanf(p, "%u%n", &a, &n) == 1) {
                        c->groups[c->n_groups++] = a;
                        p += n;
                }
        }
        return 0;
}

int vgl_pm_creds(const char *proc_root, pid_t pid, struct vgl_pm_creds *ret)
{
        char p[64], line[512];
        struct vgl_pm_creds c = {.umask = 022};
        snprintf(p, sizeof(p), "%s/%d/status", proc_root, (int)pid);
        _cleanup_fclose_ FILE *f = fopen(p, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                parse_status_line(line, &c);
        *ret = c;
        return 0;
}
