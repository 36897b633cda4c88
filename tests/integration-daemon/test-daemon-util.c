/* Helpers shared by the daemon integration test programs: the vigild they
 * drive, a connected client, a streamed Exec collected in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "test-daemon.h"

struct vd vd;
int skipped;

struct vgl_client *connect_or_fail(void)
{
        struct vgl_client *c = NULL;
        struct vgl_error e = {};

        if (vgl_client_connect(vd.sock, &c, &e) < 0)
                fail_msg("connect %s: %s", vd.sock, e.msg);
        vgl_client_set_timeout(c, OP_TIMEOUT_MS);
        return c;
}

static int on_output(void *u, enum vgl_client_stream s, const uint8_t *data, size_t len)
{
        struct exec_out *o = u;
        char *buf = s == VGL_CLIENT_STDOUT ? o->out : o->err;
        size_t *n = s == VGL_CLIENT_STDOUT ? &o->out_len : &o->err_len;

        if (len > sizeof(o->out) - 1 - *n)
                return -EMSGSIZE;
        memcpy(buf + *n, data, len);
        *n += len;
        buf[*n] = '\0';
        if (s == VGL_CLIENT_STDOUT)
                o->out_replies++;
        else
                o->err_replies++;
        if (!o->got_exit)
                o->replies_before_exit++;
        return 0;
}

static int on_exit_cb(void *u, const struct vgl_client_exec_exit *x)
{
        struct exec_out *o = u;

        o->got_exit = true;
        o->exit = *x;
        return 0;
}

int exec_collect(struct vgl_client *c, const char *id, const char *const *argv,
                 struct exec_out *ret, struct vgl_error *err)
{
        const struct vgl_client_exec_ops ops = {.on_output = on_output, .on_exit = on_exit_cb};
        const struct vgl_client_exec_request req = {.argv = argv, .uid = -1};

        memset(ret, 0, sizeof(*ret));
        return vgl_client_exec(c, id, &req, &ops, ret, NULL, err);
}

const char *vigilctl_path(void)
{
        static char path[4096];
        const char *build = getenv("VIGIL_BUILD_ROOT");

        if (!path[0])
                snprintf(path, sizeof(path), "%s/tools/vigilctl/vigilctl", build ? build : ".");
        return path;
}

int run_vigilctl(char *buf, size_t size, const char *sock, const char *const *args)
{
        const char *argv[32] = {vigilctl_path(), "-c", sock};
        size_t n = 3, have = 0;
        int p[2], st;
        ssize_t k;
        pid_t pid;

        for (; *args && n < ELEMENTSOF(argv) - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
                        _exit(127);
                execv(argv[0], (char **)argv);
                _exit(127);
        }
        close(p[1]);
        while (have < size - 1 && (k = read(p[0], buf + have, size - 1 - have)) > 0)
                have += (size_t)k;
        buf[have] = '\0';
        close(p[0]);
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
