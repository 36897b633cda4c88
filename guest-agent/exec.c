#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
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

static int child_creds(int64_t uid, int64_t gid)
{
        if (uid < 0 && gid < 0)
                return 0;
        gid_t g = (gid_t)gid;
        if (setgroups(gid >= 0 ? 1 : 0, &g) < 0)
                return -1;
        if (gid >= 0 && setgid(g) < 0)
                return -1;
        if (uid >= 0 && setuid((uid_t)uid) < 0)
                return -1;
        return 0;
}

/* Loads the filter; the agent learns the listener's fd number first (it
 * fetches the fd with pidfd_getfd: after the load every call may wait for it). */
static void child_supervise(const struct vgl_sup_opts *o, int status_fd)
{
        struct status_rec rec = {VGL_STAGE_LISTENER, vgl_sup_next_fd()};
        if (rec.err < 0 || write(status_fd, &rec, sizeof(rec)) != (ssize_t)sizeof(rec)) {
                errno = rec.err < 0 ? -rec.err : EIO;
                child_fail(status_fd, VGL_STAGE_SECCOMP, 126, "seccomp listener");
        }
        int fd = vgl_sup_load_filter(o);
        if (fd != rec.err) {
                errno = fd < 0 ? -fd : EBADFD;
                child_fail(status_fd, VGL_STAGE_SECCOMP, 126, "seccomp filter");
        }
}

static _Noreturn void child(const struct vgl_exec_request *req, const struct vgl_exec_opts *opts,
                            int in_fd, int out_fd, int err_fd, int status_fd)
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
        if (opts->cg && (errno = -vgl_cgroup_join(opts->cg)) != 0)
                child_fail(status_fd, VGL_STAGE_CGROUP, 126, "cgroup");
        if (child_creds(req->uid >= 0 ? req->uid : opts->uid,
                        req->gid >= 0 ? req->gid : opts->gid) < 0)
                child_fail(status_fd, VGL_STAGE_CREDS, 126, "credentials");
        if (chdir(req->cwd ? req->cwd : "/") < 0) {
                snprintf(what, sizeof(what), "chdir %s", req->cwd ? req->cwd : "/");
                child_fail(status_fd, VGL_STAGE_CWD, 126, what);
        }
        if (req->env)
                environ = req->env;
        if (opts->sup.enabled)
                child_supervise(&opts->sup, status_fd);
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

int vgl_exec_spawn(const struct vgl_exec_request *req, const struct vgl_exec_opts *opts,
                   uint32_t id, uint64_t now_ms, struct vgl_cmd **ret, struct vgl_error *err)
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
                child(req, opts, in[0], out[1], errp[1], st[1]);
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
                .supervised = opts->sup.enabled,
                .listener_num = -1,
                .listener = -1,
                .pidfd = opts->sup.enabled ? pidfd_open(pid, 0) : -1,
                .cg = {.procs_fd = -1},
                .trace_bpf = opts->trace_bpf,
                .trace_cgid = opts->trace_cgid,
        };
        if (opts->cg) {
                c->cg = *opts->cg;
                c->cg.procs_fd = safe_close(c->cg.procs_fd);
        }
        if (c->pidfd >= 0)
                fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
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
        safe_close(c->listener);
        safe_close(c->pidfd);
        vgl_cgroup_destroy(&c->cg);
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
        if (n == (ssize_t)sizeof(rec) && rec.stage == VGL_STAGE_LISTENER) {
                c->listener_num = rec.err;
                return;
        }
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
        case VGL_STAGE_CGROUP:
                return "joining the cgroup";
        case VGL_STAGE_SECCOMP:
                return "loading the seccomp filter";
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
