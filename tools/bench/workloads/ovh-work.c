/* Workloads for tools/bench/overhead, run by the agent (supervised or not).
 *
 *   vigil-ovh-work syscalls DIR N_FILE N_PPID N_CONNECT
 *       N_FILE x open/read/close of a file in DIR, N_PPID x getppid, then
 *       N_CONNECT x socket/connect/accept/close against a loopback listener
 *       this program starts itself. Prints "file_ns=.. ppid_ns=.. connect_ns=.."
 *       (per iteration).
 *   vigil-ovh-work forkexec N PROG
 *       N x fork + execv(PROG) + wait. Prints "forkexec_us=.." per iteration.
 *
 * Exits 0 only if every operation succeeded: a supervised run that was
 * denied something must not look fast. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
        fprintf(stderr, "vigil-ovh-work: %s: %s\n", what, strerror(errno));
        return 1;
}

static int file_loop(const char *dir, long n)
{
        char path[4096], buf[512];
        snprintf(path, sizeof(path), "%s/ovh-read.txt", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "vigil overhead benchmark\n", 25) != 25 || close(fd) < 0)
                return die("create the read file");
        for (long i = 0; i < n; i++) {
                fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, buf, sizeof(buf)) != 25 || close(fd) < 0)
                        return die("open/read/close");
        }
        return 0;
}

static int ppid_loop(long n)
{
        pid_t p = getppid();
        for (long i = 0; i < n; i++)
                if (getppid() != p)
                        return die("getppid changed");
        return 0;
}

static int listener(struct sockaddr_in *a)
{
        socklen_t len = sizeof(*a);
        *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 || listen(fd, 64) < 0 ||
            getsockname(fd, (struct sockaddr *)a, &len) < 0)
                return -1;
        return fd;
}

static int connect_loop(long n)
{
        struct sockaddr_in a;
        int l = listener(&a);
        if (l < 0)
                return die("listener");
        for (long i = 0; i < n; i++) {
                int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
                        return die("connect");
                int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
                if (s < 0)
                        return die("accept");
                close(s);
                close(c);
        }
        close(l);
        return 0;
}

static double per(uint64_t t0, uint64_t t1, long n)
{
        return n > 0 ? (double)(t1 - t0) / (double)n : 0.0;
}

static int syscalls(const char *dir, long n_file, long n_ppid, long n_conn)
{
        uint64_t t0 = now_ns();
        if (file_loop(dir, n_file))
                return 1;
        uint64_t t1 = now_ns();
        if (ppid_loop(n_ppid))
                return 1;
        uint64_t t2 = now_ns();
        if (connect_loop(n_conn))
                return 1;
        uint64_t t3 = now_ns();
        printf("file_ns=%.0f ppid_ns=%.0f connect_ns=%.0f\n", per(t0, t1, n_file),
               per(t1, t2, n_ppid), per(t2, t3, n_conn));
        return 0;
}

static int forkexec(long n, const char *prog)
{
        uint64_t t0 = now_ns();
        for (long i = 0; i < n; i++) {
                int status;
                pid_t pid = fork();
                if (pid < 0)
                        return die("fork");
                if (pid == 0) {
                        execl(prog, prog, (char *)NULL);
                        _exit(127);
                }
                if (waitpid(pid, &status, 0) < 0)
                        return die("waitpid");
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "vigil-ovh-work: %s failed (status %#x)\n", prog, status);
                        return 1;
                }
        }
        printf("forkexec_us=%.1f\n", per(t0, now_ns(), n) / 1000.0);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 6 && strcmp(argv[1], "syscalls") == 0)
                return syscalls(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
        if (argc == 4 && strcmp(argv[1], "forkexec") == 0)
                return forkexec(atol(argv[2]), argv[3]);
        fprintf(stderr, "usage: vigil-ovh-work syscalls DIR N_FILE N_PPID N_CONNECT\n"
                        "       vigil-ovh-work forkexec N PROG\n");
        return 2;
}
