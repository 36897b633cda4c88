/* A test workload for supervised execution: performs one operation named on
 * its command line and prints "ok" or "err <errno>" (exit 0 / 1).
 *
 *   probe write PATH | read PATH | connect PORT | exec PATH | ptrace | mount |
 *   bpf | wait-write PATH (reads a line from stdin first) | unlink PATH |
 *   pidfd_getfd (fd 0 of the parent) | fchmod PATH | fchown PATH | utimensat PATH | futimens PATH
 * (on an fd open read-only) | ppid N (N x getppid) | fork-ppid N (a child and the parent each N x
 * getppid; prints "ok child PID") */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(int r)
{
        if (r < 0) {
                printf("err %d %s\n", errno, strerror(errno));
                return 1;
        }
        printf("ok\n");
        return 0;
}

static int do_write(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return report(-1);
        int r = write(fd, "probe\n", 6) == 6 ? 0 : -1;
        close(fd);
        return report(r);
}

static int do_read(const char *path)
{
        char buf[64];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return report(-1);
        int r = read(fd, buf, sizeof(buf)) < 0 ? -1 : 0;
        close(fd);
        return report(r);
}

static int do_connect(const char *port)
{
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)atoi(port)),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return report(-1);
        int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
        return report(r);
}

static int do_bpf(void)
{
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        return report((int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
}

/* fchmod/fchown/futimens on an fd open read-only: the fd forms of the checks. */
static int do_fd_op(const char *op, const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return report(-1);
        int r;
        if (!strcmp(op, "fchmod"))
                r = fchmod(fd, 0600);
        else if (!strcmp(op, "fchown"))
                r = fchown(fd, (uid_t)-1, (gid_t)-1);
        else
                r = futimens(fd, NULL);
        int e = errno;
        close(fd);
        errno = e;
        return report(r);
}

static void ppid_loop(long n)
{
        for (long i = 0; i < n; i++)
                (void)syscall(SYS_getppid); /* not the libc wrapper: one call each */
}

static int fork_ppid(long n)
{
        pid_t pid = fork();
        if (pid < 0)
                return report(-1);
        if (pid == 0) {
                ppid_loop(n);
                _exit(0);
        }
        ppid_loop(n);
        int st;
        if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
                return report(-1);
        printf("ok child %d\n", (int)pid);
        return 0;
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        const char *op = argc > 1 ? argv[1] : "", *arg = argc > 2 ? argv[2] : "";
        if (!strcmp(op, "write"))
                return do_write(arg);
        if (!strcmp(op, "read"))
                return do_read(arg);
        if (!strcmp(op, "connect"))
                return do_connect(arg);
        if (!strcmp(op, "unlink"))
                return report(unlink(arg));
        if (!strcmp(op, "exec")) {
                execl(arg, arg, (char *)NULL);
                return report(-1);
        }
        if (!strcmp(op, "ptrace"))
                return report((int)ptrace(PTRACE_ATTACH, getppid(), NULL, NULL));
        if (!strcmp(op, "mount"))
                return report(mount("none", "/mnt", "tmpfs", 0, NULL));
        if (!strcmp(op, "bpf"))
                return do_bpf();
        if (!strcmp(op, "pidfd_getfd")) {
                int pfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
                if (pfd < 0)
                        return report(-1);
                return report((int)syscall(SYS_pidfd_getfd, pfd, 0, 0));
        }
        if (!strcmp(op, "fchmod") || !strcmp(op, "fchown") || !strcmp(op, "futimens"))
                return do_fd_op(op, arg);
        if (!strcmp(op, "utimensat"))
                return report(utimensat(AT_FDCWD, arg, NULL, 0));
        if (!strcmp(op, "ppid")) {
                ppid_loop(atol(arg));
                return report(0);
        }
        if (!strcmp(op, "fork-ppid"))
                return fork_ppid(atol(arg));
        if (!strcmp(op, "wait-write")) {
                char line[16];
                printf("waiting\n");
                if (!fgets(line, sizeof(line), stdin))
                        return 2;
                return do_write(arg);
        }
        fprintf(stderr, "usage: probe OP [ARG]\n");
        return 2;
}
