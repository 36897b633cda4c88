#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

extern char **environ;

struct status_rec {
        int stage;
        int err;
};

/* Child side only: tell the agent what failed, then leave. */
static _Noreturn void child_fail(int status_fd, int stage, int code, const char *what)
{
        struct status_rec rec = {stage, errno};
        char msg[256];
        int n = snprintf(msg, sizeof(msg), "vigil-agent: %s: %s\n", what, strerror(errno));
        (void)!write(status_fd, &rec, sizeof(rec));
        if (n > 0)
                (void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
        _exit(code);
}

static int child_stdio(int in_fd, int out_fd, int err_fd)
{
        if (in_fd < 0)
                in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
                return -1;
        return 0;
}

static int child_creds(const struct vgl_exec_request *req)
{
        if (req->uid < 0 && req->gid < 0)
                return 0;
        gid_t gid = (gid_t)req->gid;
        if (setgroups(req->gid >= 0 ? 1 : 0, &gid) < 0)
                return -1;
        if (req->gid >= 0 && setgid(gid) < 0)
                return -1;
        if (req->uid >= 0 && setuid((uid_t)req->uid) < 0)
                return -1;
        return 0;
}

static _Noreturn void child(const struct vgl_exec_request *req, int in_fd, int out_fd, int err_fd,
                            int status_fd)
{
        sigset_t none;
        char what[VGL_MAX_ARG_LEN + 16];

        /* The agent blocks SIGCHLD (signalfd) and ignores SIGPIPE: both survive exec. */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        if (setsid() < 0 || child_stdio(in_fd, out_fd, err_fd) < 0)
                child_fail(status_fd, VGL_STAGE_SETUP, 126, "stdio");
        if (child_creds(req) < 0)
                child_fail(status_fd, VGL_STAGE_CREDS, 126, "credentials");
        if (chdir(req->cwd ? req->cwd : "/") < 0) {
                snprintf(what, sizeof(what), "chdir %s", req->cwd ? req->cwd : "/");
                child_fail(status_fd, VGL_STAGE_CWD, 126, what);
        }
        if (req->env)
                environ = req->env;
        execvp(req->argv[0], req->argv);
        snprintf(what, sizeof(what), "%s", req->argv[0]);
        child_fail(status_fd, VGL_STAGE_EXEC, errno == ENOENT ? 127 : 126, what);
}

static int make_pipe(int p[2], bool parent_reads)
{
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        int parent = parent_reads ? p[0] : p[1];
        if (fcntl(parent, F_SETFL, O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

static void close_pair(int p[2])
{
        p[0] = safe_close(p[0]);
        p[1] = safe_close(p[1]);
}

int vgl_exec_spawn(const struct vgl_exec_request *req, uint32_t id, uint64_t now_ms,
                   struct vgl_cmd **ret, struct vgl_error *err)
{
        int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, st[2] = {-1, -1};
        int r = 0;

        if ((req->stdin_pipe && (r = make_pipe(in, false)) < 0) || (r = make_pipe(out, true)) < 0 ||
            (r = make_pipe(errp, true)) < 0 || (r = make_pipe(st, true)) < 0)
                goto fail;
        struct vgl_cmd *c = calloc(1, sizeof(*c));
        if (!c) {
                r = -ENOMEM;
                goto fail;
        }
        pid_t pid = fork();
        if (pid < 0) {
                r = -errno;
                free(c);
                goto fail;
        }
        if (pid == 0)
                child(req, in[0], out[1], errp[1], st[1]);
        *c = (struct vgl_cmd){
                .id = id,
                .pid = pid,
                .out_fd = out[0],
                .err_fd = errp[0],
                .in_fd = in[1],
                .in_pipe = req->stdin_pipe,
                .status_fd = st[0],
                .start_ms = now_ms,
                .deadline_ms = req->timeout_ms ? now_ms + req->timeout_ms : 0,
        };
        vgl_buf_init(&c->in_buf, 0);
        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(errp[1]);
        safe_close(st[1]);
        *ret = c;
        return 0;
fail:
        close_pair(in);
        close_pair(out);
        close_pair(errp);
        close_pair(st);
        return vgl_error_set(err, -r, "cannot start %s: %s", req->argv[0], strerror(-r));
}

struct vgl_cmd *vgl_cmd_free(struct vgl_cmd *c)
{
        if (!c)
                return NULL;
        safe_close(c->out_fd);
        safe_close(c->err_fd);
        safe_close(c->in_fd);
        safe_close(c->status_fd);
        vgl_buf_free(&c->in_buf);
        free(c);
        return NULL;
}

void vgl_cmd_read_status(struct vgl_cmd *c)
{
        struct status_rec rec;
        ssize_t n = read(c->status_fd, &rec, sizeof(rec));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n == (ssize_t)sizeof(rec) && c->fail_stage == 0) {
                c->fail_stage = rec.stage;
                c->fail_errno = rec.err;
                return;
        }
        c->status_fd = safe_close(c->status_fd);
}

static const char *stage_name(int stage)
{
        switch (stage) {
        case VGL_STAGE_SETUP:
                return "stdio setup";
        case VGL_STAGE_CREDS:
                return "setting uid/gid";
        case VGL_STAGE_CWD:
                return "changing directory";
        default:
                return "exec";
        }
}

void vgl_cmd_exit_info(const struct vgl_cmd *c, uint64_t now_ms, struct vgl_exec_exit *ret)
{
        struct vgl_exec_exit x = {
                .duration_ms = now_ms - c->start_ms,
                .stdout_bytes = c->out_bytes,
                .stderr_bytes = c->err_bytes,
        };
        if (c->fail_stage && c->fail_stage != VGL_STAGE_EXEC) {
                x.status = VGL_EXIT_FAILED;
                x.code = -1;
        } else if (c->timed_out) {
                x.status = VGL_EXIT_TIMEOUT;
                x.code = WIFSIGNALED(c->wstatus) ? WTERMSIG(c->wstatus) : SIGKILL;
        } else if (WIFSIGNALED(c->wstatus)) {
                x.status = VGL_EXIT_SIGNALED;
                x.code = WTERMSIG(c->wstatus);
        } else {
                x.status = VGL_EXIT_EXITED;
                x.code = WEXITSTATUS(c->wstatus);
        }
        if (c->fail_stage)
                snprintf(x.error, sizeof(x.error), "%s failed: %s", stage_name(c->fail_stage),
                         strerror(c->fail_errno));
        *ret = x;
}
