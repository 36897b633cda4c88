/* Running vigil-farm as a child and reading what it prints. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "test-farm.h"
#include "vigil-client.h"

const char *farm_path(void)
{
        static char path[4096];
        const char *build = getenv("VIGIL_BUILD_ROOT");

        snprintf(path, sizeof(path), "%s/tools/vigil-farm/vigil-farm", build ? build : ".");
        return path;
}

int farm_spawn(const char *const *args, pid_t *ret_pid, int *ret_fd)
{
        const char *argv[32] = {farm_path(), "-c", vd.sock};
        size_t n = 3;
        int p[2];
        pid_t pid;

        for (size_t i = 0; args[i] && n < 31; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int devnull = open("/dev/null", O_RDONLY);
                dup2(devnull, 0);
                dup2(p[1], 1);
                execv(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        *ret_pid = pid;
        *ret_fd = p[0];
        return 0;
}

/* One line from fd into buf (without the newline); 1, 0 at EOF, -ETIMEDOUT. */
static int read_line(int fd, char *buf, size_t size, time_t deadline)
{
        size_t n = 0;

        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                int left = (int)(deadline - time(NULL));
                char c;
                ssize_t r;

                if (left <= 0)
                        return -ETIMEDOUT;
                if (poll(&pfd, 1, left * 1000) <= 0)
                        continue;
                r = read(fd, &c, 1);
                if (r <= 0) {
                        buf[n] = '\0';
                        return n ? 1 : 0;
                }
                if (c == '\n') {
                        buf[n] = '\0';
                        return 1;
                }
                if (n + 1 < size)
                        buf[n++] = c;
        }
}

bool farm_wait_lines(int fd, const char *needle, int count, int timeout_s)
{
        time_t deadline = time(NULL) + timeout_s;
        char line[4096];
        int seen = 0;

        while (seen < count) {
                if (read_line(fd, line, sizeof(line), deadline) <= 0)
                        return false;
                fprintf(stderr, "# farm: %s\n", line);
                seen += strstr(line, needle) != NULL;
        }
        return true;
}

int farm_finish(pid_t pid, int fd, int timeout_s)
{
        time_t deadline = time(NULL) + timeout_s;
        char line[4096];
        int st, r;

        while ((r = read_line(fd, line, sizeof(line), deadline)) > 0)
                fprintf(stderr, "# farm: %s\n", line);
        close(fd);
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "# vigil-farm ran past %d s: killed\n", timeout_s);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                return -1;
        }
        if (waitpid(pid, &st, 0) != pid)
                return -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void farm_write(const char *name, const char *text)
{
        _cleanup_free_ char *path = vd_printf("%s/%s", work, name);
        FILE *f = path ? fopen(path, "we") : NULL;

        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static const char *label(const struct vgl_client_sandbox *s, const char *key)
{
        for (size_t i = 0; i < s->n_labels; i++)
                if (!strcmp(s->labels[i].key, key))
                        return s->labels[i].value;
        return NULL;
}

int farm_leftovers(const char *run, int *ret_reserved)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        struct vgl_client_sandbox *list = NULL;
        struct vgl_error e = {};
        size_t n = 0;
        int mine = 0, reserved = 0;

        if (vgl_client_connect(vd.sock, &c, &e) < 0 || vgl_client_list(c, &list, &n, &e) < 0)
                fail_msg("List: %s", e.msg);
        for (size_t i = 0; i < n; i++) {
                const char *r = label(&list[i], "vigil.farm/run");
                fprintf(stderr, "# listed: %s %s %s owner %lld run %s\n", list[i].id, list[i].tier,
                        list[i].state, (long long)list[i].owner_uid, r ? r : "-");
                mine += r && !strcmp(r, run);
                reserved += list[i].owner_uid >= 0;
        }
        vgl_client_sandboxes_free(list, n);
        if (ret_reserved)
                *ret_reserved = reserved;
        return mine;
}
