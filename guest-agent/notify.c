/* Seccomp user notifications: attach the listener, receive, decide, answer.
 *
 * Bounded: at most NOTIFS_PER_ROUND notifications per listener per loop
 * iteration, every read of workload memory bounded, and the notification id
 * re-validated after reading (the caller may have died, its pid been reused). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "procmem.h"
#include "sup-priv.h"
#include "supervise.h"

#define NOTIFS_PER_ROUND 64

static bool is_listener(int fd)
{
        char p[64], target[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(p, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, "anon_inode:seccomp notify") == 0;
}

int vgl_sup_attach(struct vgl_cmd *c, int num)
{
        if (c->pidfd < 0)
                return -ESRCH;
        int fd = (int)syscall(SYS_pidfd_getfd, c->pidfd, num, 0);
        if (fd < 0)
                return errno == EBADF ? -EAGAIN : -errno;
        if (!is_listener(fd)) {
                close(fd);
                return -EAGAIN; /* the filter is not loaded yet */
        }
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                close(fd);
                return -errno;
        }
        c->listener = fd;
        c->pidfd = safe_close(c->pidfd);
        return 0;
}

static void syscall_event(struct vgl_notif *n)
{
        struct vgl_ev_syscall e = {
                .h = vgl_events_head(n->c->id, (uint32_t)n->pid),
                .nr = (uint16_t)n->req->data.nr,
                .verdict = n->verdict,
                .err = (uint16_t)n->err,
        };
        vgl_events_syscall(n->a, &e);
}

static void decide(struct vgl_notif *n)
{
        if (vgl_sup_exec(n) || vgl_sup_file(n) || vgl_sup_net(n) || vgl_sup_priv(n))
                return;
        n->cont = true; /* trace mode: observed only */
        n->verdict = VGL_VERDICT_OBSERVE;
}

static int respond(struct vgl_cmd *c, struct vgl_notif *n, struct seccomp_notif_resp *resp)
{
        if (n->inject_fd >= 0) {
                struct seccomp_notif_addfd add = {
                        .id = n->req->id,
                        .flags = SECCOMP_ADDFD_FLAG_SEND,
                        .srcfd = (uint32_t)n->inject_fd,
                        .newfd_flags = n->inject_flags,
                };
                /* SEND: the fd is installed and the call answered in one step. */
                if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0)
                        return 0;
                if (errno == ENOENT)
                        return 0; /* the caller is gone */
                n->err = errno == EMFILE ? EMFILE : EACCES;
        }
        *resp = (struct seccomp_notif_resp){.id = n->req->id};
        if (n->cont)
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        else
                resp->error = -n->err;
        return seccomp_notify_respond(c->listener, resp);
}

static void handle_one(struct vgl_agent *a, struct vgl_cmd *c, struct seccomp_notif *req,
                       struct seccomp_notif_resp *resp)
{
        struct vgl_notif n = {.a = a,
                              .c = c,
                              .req = req,
                              .pol = a->policy,
                              .inject_fd = -1,
                              .mem_fd = -1,
                              .pid = (pid_t)req->pid};
        decide(&n);
        /* What was read may belong to another process if the caller died
         * meanwhile and its pid was reused: only answer a live request. */
        if (seccomp_notify_id_valid(c->listener, req->id) == 0) {
                /* With eBPF capture, a call the kernel runs (continued) is
                 * recorded by the tracepoint; one it never runs (denied,
                 * emulated) only here, after the thread's earlier calls. */
                if (c->trace_bpf && !n.cont)
                        vgl_trace_drain(a, UINT_MAX);
                if (!c->trace_bpf || !n.cont)
                        syscall_event(&n);
                if (respond(c, &n, resp) < 0)
                        vgl_log(LOG_DEBUG, "exec %u: notification answer failed", c->id);
        }
        safe_close(n.inject_fd);
        safe_close(n.mem_fd);
}

static bool pending(int fd, bool *hup)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0)
                return false;
        *hup = (p.revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p.revents & POLLIN);
        return (p.revents & POLLIN) != 0;
}

void vgl_sup_handle(struct vgl_agent *a, struct vgl_cmd *c)
{
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        bool hup = false;

        if (seccomp_notify_alloc(&req, &resp) < 0)
                return;
        for (int i = 0; i < NOTIFS_PER_ROUND && c->listener >= 0 && pending(c->listener, &hup);
             i++) {
                memset(req, 0, sizeof(*req));
                if (seccomp_notify_receive(c->listener, req) < 0)
                        continue; /* ENOENT: the caller was interrupted meanwhile */
                handle_one(a, c, req, resp);
        }
        /* No task uses the filter any more. */
        if (hup)
                c->listener = safe_close(c->listener);
        seccomp_notify_free(req, resp);
}
