/* Reading a supervised process: its memory (strings, structs) through
 * /proc/PID/mem, its credentials, and paths as it would see them. Every read
 * is bounded; the caller re-checks the notification id afterwards. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGL_PM_PATH_MAX 4096 /* longest path read from a workload, with the NUL */

/* Opens /proc/PID/mem read-only. fd or -errno. */
int vgl_pm_open(const char *proc_root, pid_t pid);

/* Reads exactly len bytes at addr. 0, -EFAULT (short or unmapped) or -errno. */
int vgl_pm_read(int mem_fd, uint64_t addr, void *buf, size_t len);

/* Reads a NUL-terminated string of at most size-1 bytes at addr into buf.
 * -ENAMETOOLONG if no NUL within size bytes, -EFAULT if unreadable. */
int vgl_pm_read_str(int mem_fd, uint64_t addr, char *buf, size_t size);

/* Makes path absolute the way the kernel would resolve it for pid: relative
 * to its cwd (dirfd AT_FDCWD) or to the directory open as dirfd, then "." and
 * ".." removed lexically and "/proc/self" turned into "/proc/PID". Writes at
 * most size bytes to out. 0 or -errno (-ENAMETOOLONG, -EBADF). */
int vgl_pm_abspath(const char *proc_root, pid_t pid, int dirfd, const char *path, char *out,
                   size_t size);

/* The fs uid/gid, supplementary groups (at most max) and umask of pid. */
struct vgl_pm_creds {
        uid_t fsuid;
        gid_t fsgid;
        gid_t groups[32];
        int n_groups;
        unsigned umask;
};
int vgl_pm_creds(const char *proc_root, pid_t pid, struct vgl_pm_creds *ret);

/* Lexically normalises an absolute path in place (//, ".", ".."). */
void vgl_pm_normalize(char *path);
