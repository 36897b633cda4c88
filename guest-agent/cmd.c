/* The command table: EXEC/STDIN/SIGNAL requests, pipe I/O, exits. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "exec.h"
#include "log.h"

/* After the command exits, its pipes may be held open by background children;
 * give up on them after this long without data. */
#define LINGER_MS 2000u

struct vgl_cmd *vgl_cmds_find(const struct vgl_agent *a, uint32_t stream)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++)
                if (a->cmds[i] && a->cmds[i]->id == stream)
                        return a->cmds[i];
        return NULL;
}

unsigned vgl_cmds_running(const struct vgl_agent *a)
{
        unsigned n = 0;
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++)
                n += a->cmds[i] && !a->cmds[i]->exited;
        return n;
}

static int free_slot(const struct vgl_agent *a)
{
        for (int i = 0; i < VGL_AGENT_MAX_CMDS; i++)
                if (!a->cmds[i])
                        return i;
        return -1;
}

static void send_failed(struct vgl_agent *a, uint32_t stream, const char *msg)
{
        struct vgl_exec_exit x = {.status = VGL_EXIT_FAILED, .code = -1};
        snprintf(x.error, sizeof(x.error), "%s", msg);
        if (vgl_msg_exec_exit_append(&a->out.buf, stream, &x) < 0)
                a->errors_dropped++;
}

void vgl_cmds_on_exec(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_exec_request req = {0};
        struct vgl_error err = {0};
        struct vgl_cmd *c = NULL;
        int slot;

        if (f->stream == 0 || vgl_session_stream_busy(a, f->stream)) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "stream %u is %s",
                                  f->stream, f->stream ? "already in use" : "reserved");
                return;
        }
        if ((slot = free_slot(a)) < 0) {
                vgl_session_error(a, f->stream, "busy", f->type, "%u commands already running",
                                  VGL_AGENT_MAX_CMDS);
                return;
        }
        if (vgl_msg_exec_parse(f, &req, &err) < 0) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "%s", err.msg);
                return;
        }
        struct vgl_exec_opts opts;
        struct vgl_cgroup cg;
        if (vgl_supcmd_opts(a, f->stream, req.supervise, &opts, &cg, &err) < 0) {
                send_failed(a, f->stream, err.msg);
        } else if (vgl_exec_spawn(&req, &opts, f->stream, vgl_now_ms(), &c, &err) < 0) {
                vgl_supcmd_abort(a, &opts, &cg);
                send_failed(a, f->stream, err.msg);
        } else {
                a->cmds[slot] = c;
                if (vgl_msg_exec_started_append(&a->out.buf, f->stream, c->pid) < 0)
                        a->errors_dropped++;
                vgl_log(LOG_DEBUG, "exec %u: %s pid %d", f->stream, req.argv[0], (int)c->pid);
        }
        vgl_exec_request_done(&req);
}

static void close_stdin(struct vgl_cmd *c)
{
        c->in_fd = safe_close(c->in_fd);
        vgl_buf_free(&c->in_buf);
}

void vgl_cmds_on_stdin(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_cmd *c = vgl_cmds_find(a, f->stream);
        if (!c) {
                vgl_session_error(a, f->stream, "unknown-stream", f->type,
                                  "no command on stream %u", f->stream);
                return;
        }
        if (!c->in_pipe || c->in_eof) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "stdin of stream %u %s",
                                  f->stream, c->in_pipe ? "already ended" : "is /dev/null");
                return;
        }
        if (c->in_fd < 0) {
                /* The command closed its stdin (head, or gone): the rest is discarded. */
                c->in_eof = f->length == 0;
                return;
        }
        if (f->length == 0) {
                c->in_eof = true;
                if (c->in_buf.len == 0)
                        close_stdin(c);
                return;
        }
        if (vgl_buf_append(&c->in_buf, f->payload, f->length) < 0) {
                close_stdin(c);
                vgl_session_error(a, f->stream, "busy", f->type,
                                  "stdin backlog over %u bytes: stdin closed", VGL_AGENT_STDIN_MAX);
        }
}

void vgl_cmds_on_signal(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_error err = {0};
        struct vgl_cmd *c = vgl_cmds_find(a, f->stream);
        int32_t sig;

        if (!c) {
                vgl_session_error(a, f->stream, "unknown-stream", f->type,
                                  "no command on stream %u", f->stream);
                return;
        }
        if (vgl_msg_signal_parse(f, &sig, &err) < 0) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "%s", err.msg);
                return;
        }
        if (sig <= 0 || sig >= NSIG) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "signal %d out of range",
                                  (int)sig);
                return;
        }
        if (c->exited) {
                vgl_session_error(a, f->stream, "bad-request", f->type,
                                  "command on stream %u has exited", f->stream);
                return;
        }
        if (killpg(c->pid, sig) < 0 && kill(c->pid, sig) < 0)
                vgl_session_error(a, f->stream, "internal", f->type, "kill: %s", strerror(errno));
}

void vgl_cmds_poll_add(struct vgl_agent *a, struct vgl_pollset *ps)
{
        bool room = vgl_outq_has_room(&a->out);
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                struct vgl_cmd *c = a->cmds[i];
                if (!c)
                        continue;
                /* Back-pressure: with the queue full the workload blocks on its pipe. */
                if (room && c->out_fd >= 0)
                        vgl_pollset_add(ps, c->out_fd, POLLIN, VGL_POLL_CMD_STDOUT, c);
                if (room && c->err_fd >= 0)
                        vgl_pollset_add(ps, c->err_fd, POLLIN, VGL_POLL_CMD_STDERR, c);
                if (c->in_fd >= 0 && c->in_buf.len)
                        vgl_pollset_add(ps, c->in_fd, POLLOUT, VGL_POLL_CMD_STDIN, c);
                if (c->status_fd >= 0)
                        vgl_pollset_add(ps, c->status_fd, POLLIN, VGL_POLL_CMD_STATUS, c);
                if (c->deadline_ms && !c->exited)
                        vgl_pollset_deadline(ps, c->deadline_ms);
                if (c->exited)
                        vgl_pollset_deadline(ps, c->linger_ms);
                vgl_supcmd_poll_add(a, c, ps);
        }
        vgl_trace_poll_add(a, ps);
}

/* One chunk of stdout/stderr into the queue; the empty frame marks EOF. */
static void read_output(struct vgl_agent *a, struct vgl_cmd *c, bool is_err)
{
        int *fd = is_err ? &c->err_fd : &c->out_fd;
        uint8_t type = is_err ? VGL_MSG_STDERR : VGL_MSG_STDOUT;
        if (!vgl_outq_has_room(&a->out))
                return;
        int n = vgl_outq_read_frame(&a->out, *fd, type, c->id, VGL_FRAME_MAX_PAYLOAD);
        if (n == -EAGAIN)
                return;
        if (n > 0) {
                *(is_err ? &c->err_bytes : &c->out_bytes) += (uint64_t)n;
                c->linger_ms = vgl_now_ms() + LINGER_MS;
                return;
        }
        if (n == -ENOBUFS || n == -ENOMEM)
                return;
        *fd = safe_close(*fd);
        if (vgl_outq_append(&a->out, type, c->id, NULL, 0) < 0)
                a->errors_dropped++;
}

static void write_stdin(struct vgl_cmd *c)
{
        ssize_t n = write(c->in_fd, c->in_buf.data, c->in_buf.len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0) {
                /* EPIPE: the command closed its stdin; the rest is discarded. */
                close_stdin(c);
                return;
        }
        vgl_buf_consume(&c->in_buf, (size_t)n);
        if (c->in_buf.len == 0 && c->in_eof)
                close_stdin(c);
}

void vgl_cmds_handle(struct vgl_agent *a, enum vgl_poll_tag tag, struct vgl_cmd *c, short revents)
{
        switch (tag) {
        case VGL_POLL_CMD_STDOUT:
                read_output(a, c, false);
                break;
        case VGL_POLL_CMD_STDERR:
                read_output(a, c, true);
                break;
        case VGL_POLL_CMD_STDIN:
                if (revents & (POLLERR | POLLHUP) && !(revents & POLLOUT))
                        close_stdin(c);
                else
                        write_stdin(c);
                break;
        case VGL_POLL_CMD_STATUS:
                vgl_cmd_read_status(c);
                break;
        case VGL_POLL_CMD_NOTIFY:
                vgl_sup_handle(a, c);
                break;
        case VGL_POLL_TRACE:
                vgl_trace_on_wakeup(a);
                break;
        default:
                break;
        }
}

void vgl_cmds_reap(struct vgl_agent *a)
{
        int status;
        pid_t pid;
        /* As init (or subreaper) every orphan lands here too: reap them all. */
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                        struct vgl_cmd *c = a->cmds[i];
                        if (c && c->pid == pid && !c->exited) {
                                c->exited = true;
                                c->wstatus = status;
                                c->linger_ms = vgl_now_ms() + LINGER_MS;
                        }
                }
        }
}

static void finish(struct vgl_agent *a, unsigned i, uint64_t now_ms)
{
        struct vgl_cmd *c = a->cmds[i];
        struct vgl_exec_exit x;

        /* Drain the start-failure record before deciding how the command ended. */
        for (int k = 0; k < 4 && c->status_fd >= 0; k++)
                vgl_cmd_read_status(c);
        c->status_fd = safe_close(c->status_fd);
        vgl_supcmd_end(a, c);
        vgl_cmd_exit_info(c, now_ms, &x);
        if (vgl_msg_exec_exit_append(&a->out.buf, c->id, &x) < 0)
                return; /* the hard bound is full: try again next round */
        vgl_supcmd_usage(a, c);
        vgl_log(LOG_DEBUG, "exec %u: %s %d", c->id, vgl_exit_status_name(x.status), x.code);
        a->cmds[i] = vgl_cmd_free(c);
}

/* Gives up on pipes still open LINGER_MS after the exit (held by background children). */
static void close_lingering(struct vgl_agent *a, struct vgl_cmd *c)
{
        if (c->out_fd >= 0) {
                c->out_fd = safe_close(c->out_fd);
                vgl_outq_append(&a->out, VGL_MSG_STDOUT, c->id, NULL, 0);
        }
        if (c->err_fd >= 0) {
                c->err_fd = safe_close(c->err_fd);
                vgl_outq_append(&a->out, VGL_MSG_STDERR, c->id, NULL, 0);
        }
}

void vgl_cmds_tick(struct vgl_agent *a, uint64_t now_ms)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                struct vgl_cmd *c = a->cmds[i];
                if (!c)
                        continue;
                vgl_supcmd_tick(a, c, now_ms);
                if (!c->exited && c->deadline_ms && now_ms >= c->deadline_ms && !c->timed_out) {
                        c->timed_out = true;
                        killpg(c->pid, SIGKILL);
                }
                if (!c->exited)
                        continue;
                if (!vgl_outq_has_room(&a->out))
                        c->linger_ms = now_ms + LINGER_MS; /* stalled by the host, not idle */
                else if (now_ms >= c->linger_ms)
                        close_lingering(a, c);
                if (c->out_fd < 0 && c->err_fd < 0)
                        finish(a, i, now_ms);
        }
}

void vgl_cmds_kill_all(struct vgl_agent *a)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_CMDS; i++) {
                struct vgl_cmd *c = a->cmds[i];
                if (!c)
                        continue;
                if (!c->exited) {
                        killpg(c->pid, SIGKILL);
                        waitpid(c->pid, NULL, 0);
                }
                a->cmds[i] = vgl_cmd_free(c);
        }
}
