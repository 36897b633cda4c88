/* The host's own view of a domain's QEMU process, where libvirt runs on
 * this host: its vCPU threads.
 *
 * libvirt counts a vCPU as gone only when QEMU reports DEVICE_DELETED for
 * it, and QEMU 7.2 under TCG never does (it reports the vCPU's lapic
 * child only; the vCPU object is never finalized), although the guest
 * ejected the CPU and QEMU ended its thread. The threads are the truth
 * both ways: a vCPU is running iff its thread exists. */
#include "enforce-priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define CMDLINE_MAX (256u * 1024u)

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Reads up to size-1 bytes of a /proc file; its length, or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t size)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t n = 0;
        ssize_t k;

        if (fd < 0)
                return -1;
        while (n < size - 1 && (k = read(fd, buf + n, size - 1 - n)) > 0)
                n += (size_t)k;
        buf[n] = '\0';
        return (ssize_t)n;
}

/* True if the NUL-separated argv in buf[0..n) has "-uuid" then uuid. */
static bool has_uuid(const char *buf, size_t n, const char *uuid)
{
        for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
                if (strcmp(buf + i, "-uuid") == 0 && i + 6 < n && strcmp(buf + i + 6, uuid) == 0)
                        return true;
        return false;
}

int vgl_qemu_pid(virDomainPtr dom, pid_t *ret_pid)
{
        __attribute__((cleanup(closedirp))) DIR *d = opendir("/proc");
        _cleanup_free_ char *buf = malloc(CMDLINE_MAX);
        char uuid[VIR_UUID_STRING_BUFLEN], path[64];
        struct dirent *de;

        if (!d || !buf)
                return -errno;
        if (virDomainGetUUIDString(dom, uuid) < 0) {
                virResetLastError();
                return -EINVAL;
        }
        while ((de = readdir(d))) {
                ssize_t n;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%.20s/cmdline", de->d_name);
                n = read_proc(path, buf, CMDLINE_MAX);
                if (n > 0 && has_uuid(buf, (size_t)n, uuid)) {
                        *ret_pid = (pid_t)strtol(de->d_name, NULL, 10);
                        return 0;
                }
        }
        return -ENOENT;
}

int vgl_qemu_vcpu_threads(pid_t pid)
{
        __attribute__((cleanup(closedirp))) DIR *d = NULL;
        char path[96], comm[32];
        struct dirent *de;
        int n = 0;

        snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/task/%.20s/comm", (int)pid, de->d_name);
                /* libvirt starts QEMU with debug-threads=on: "CPU 1/KVM", "CPU 1/TCG" */
                if (read_proc(path, comm, sizeof(comm)) > 0 && strncmp(comm, "CPU ", 4) == 0 &&
                    strchr(comm, '/'))
                        n++;
        }
        /* single-threaded TCG runs all vCPUs on one "ALL CPUs/TCG" thread */
        return n ? n : -ENODATA;
}
