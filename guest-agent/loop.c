/* The agent's single-threaded poll loop and the port's byte I/O. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "log.h"

#define RECONNECT_POLL_MS 100u /* virtio ports have no "host connected" event */
#define READS_PER_ROUND   16   /* fairness between the port and the workload */

static uint64_t clock_ms(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t vgl_now_ms(void)
{
        return clock_ms(CLOCK_MONOTONIC);
}

uint64_t vgl_boottime_ms(void)
{
        return clock_ms(CLOCK_BOOTTIME);
}

void vgl_pollset_add(struct vgl_pollset *ps, int fd, short events, enum vgl_poll_tag tag, void *obj)
{
        if (ps->n >= VGL_POLL_MAX)
                return;
        ps->fds[ps->n] = (struct pollfd){.fd = fd, .events = events};
        ps->tag[ps->n] = tag;
        ps->obj[ps->n] = obj;
        ps->n++;
}

void vgl_pollset_deadline(struct vgl_pollset *ps, uint64_t at_ms)
{
        if (at_ms < ps->deadline_ms)
                ps->deadline_ms = at_ms;
}

static int signals_open(void)
{
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return -errno;
        int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int vgl_agent_new(const struct vgl_agent_config *cfg, struct vgl_agent **ret)
{
        struct vgl_agent *a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->cfg = *cfg;
        a->port_fd = cfg->port_fd;
        a->heartbeat_ms = a->sample_ms = VGL_AGENT_DEFAULT_MS;
        vgl_outq_init(&a->out, VGL_AGENT_OUT_SOFT, VGL_AGENT_OUT_HARD);
        vgl_outq_init(&a->tel, VGL_AGENT_TEL_LIMIT, VGL_AGENT_TEL_LIMIT);
        a->sig_fd = signals_open();
        int r = a->sig_fd < 0 ? a->sig_fd : vgl_policy_setup(a);
        if (r < 0) {
                a->port_fd = -1; /* stays the caller's on failure */
                vgl_agent_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

struct vgl_agent *vgl_agent_free(struct vgl_agent *a)
{
        if (!a)
                return NULL;
        vgl_cmds_kill_all(a);
        vgl_trace_close(a);
        vgl_files_abort_all(a);
        vgl_decoder_free(a->dec);
        vgl_outq_free(&a->out);
        vgl_outq_free(&a->tel);
        safe_close(a->port_fd);
        safe_close(a->sig_fd);
        free(a->policy);
        free(a);
        return NULL;
}

static void host_gone(struct vgl_agent *a, const char *why)
{
        vgl_log(a->cfg.reconnect ? LOG_INFO : LOG_DEBUG, "host disconnected (%s)", why);
        vgl_session_disconnect(a);
        if (!a->cfg.reconnect)
                a->quit = true;
        a->next_reconnect_ms = vgl_now_ms() + RECONNECT_POLL_MS;
}

static void port_read(struct vgl_agent *a)
{
        static uint8_t chunk[VGL_FRAME_MAX_SIZE];
        for (int i = 0; i < READS_PER_ROUND && a->connected; i++) {
                ssize_t n = read(a->port_fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n <= 0)
                        return host_gone(a, n == 0 ? "end of stream" : strerror(errno));
                vgl_session_feed(a, chunk, (size_t)n);
        }
}

/* Telemetry first when at a frame boundary: it is small and must not starve
 * behind bulk output; a half-written frame is always finished first. */
static struct vgl_outq *next_queue(struct vgl_agent *a)
{
        if (vgl_outq_mid_frame(&a->out))
                return &a->out;
        if (vgl_outq_pending(&a->tel))
                return &a->tel;
        if (vgl_outq_pending(&a->out))
                return &a->out;
        return NULL;
}

static void port_flush(struct vgl_agent *a)
{
        struct vgl_outq *q;
        while (a->connected && (q = next_queue(a))) {
                int r = vgl_outq_write(q, a->port_fd);
                if (r == -EAGAIN || r == 0)
                        return;
                if (r < 0)
                        return host_gone(a, strerror(-r));
        }
}

/* A virtio port reports POLLHUP for as long as no host has it open. */
static void try_reconnect(struct vgl_agent *a, uint64_t now_ms)
{
        struct pollfd p = {.fd = a->port_fd, .events = POLLIN};
        if (a->connected || now_ms < a->next_reconnect_ms)
                return;
        a->next_reconnect_ms = now_ms + RECONNECT_POLL_MS;
        if (poll(&p, 1, 0) < 0 || (p.revents & (POLLHUP | POLLNVAL)))
                return;
        int r = vgl_session_connect(a);
        if (r < 0)
                vgl_log(LOG_ERR, "cannot start a session: %s", strerror(-r));
        else
                vgl_log(LOG_INFO, "host connected, hello sent");
}

static void signals_read(struct vgl_agent *a)
{
        struct signalfd_siginfo si;
        while (read(a->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        continue;
                if (a->cfg.init_mode) {
                        vgl_log(LOG_INFO, "ignoring signal %u as init", si.ssi_signo);
                        continue;
                }
                vgl_log(LOG_INFO, "signal %u: stopping", si.ssi_signo);
                a->quit = true;
        }
        vgl_cmds_reap(a);
}

/* Periodic and pending work, before waiting: timers, exits, downloads, output. */
static void work(struct vgl_agent *a, struct vgl_pollset *ps, uint64_t now_ms)
{
        if (a->cfg.reconnect && !a->connected) {
                try_reconnect(a, now_ms);
                vgl_pollset_deadline(ps, a->next_reconnect_ms);
        }
        vgl_cmds_tick(a, now_ms);
        vgl_trace_tick(a, now_ms);
        vgl_trace_idle_deadline(a, now_ms, ps);
        vgl_telemetry_tick(a, now_ms, ps);
        vgl_files_pump(a, ps);
        vgl_events_flush_due(a, now_ms, ps);
        port_flush(a);
}

static void build(struct vgl_agent *a, struct vgl_pollset *ps)
{
        vgl_pollset_add(ps, a->sig_fd, POLLIN, VGL_POLL_SIGNAL, NULL);
        if (a->connected) {
                /* The port is read even while output is stalled. */
                short ev = POLLIN;
                if (vgl_outq_pending(&a->out) || vgl_outq_pending(&a->tel))
                        ev |= POLLOUT;
                vgl_pollset_add(ps, a->port_fd, ev, VGL_POLL_PORT, NULL);
        }
        vgl_cmds_poll_add(a, ps);
}

static int wait_events(struct vgl_pollset *ps, uint64_t now_ms)
{
        int timeout = -1;
        if (ps->deadline_ms != UINT64_MAX)
                timeout = ps->deadline_ms <= now_ms          ? 0
                          : ps->deadline_ms - now_ms > 60000 ? 60000
                                                             : (int)(ps->deadline_ms - now_ms);
        int n = poll(ps->fds, ps->n, timeout);
        if (n < 0 && errno != EINTR)
                return -errno;
        return n < 0 ? 0 : n;
}

static void dispatch(struct vgl_agent *a, struct vgl_pollset *ps)
{
        for (nfds_t i = 0; i < ps->n; i++) {
                short rev = ps->fds[i].revents;
                if (!rev)
                        continue;
                switch (ps->tag[i]) {
                case VGL_POLL_SIGNAL:
                        signals_read(a);
                        break;
                case VGL_POLL_PORT:
                        if (rev & (POLLIN | POLLHUP | POLLERR))
                                port_read(a);
                        if (rev & POLLOUT)
                                port_flush(a);
                        break;
                default:
                        vgl_cmds_handle(a, ps->tag[i], ps->obj[i], rev);
                        break;
                }
        }
}

int vgl_agent_run(struct vgl_agent *a)
{
        if (!a->cfg.reconnect) {
                int r = vgl_session_connect(a);
                if (r < 0)
                        return r;
        }
        while (!a->quit) {
                struct vgl_pollset ps = {.deadline_ms = UINT64_MAX};
                uint64_t now = vgl_now_ms();
                work(a, &ps, now);
                if (a->quit)
                        break;
                build(a, &ps);
                int r = wait_events(&ps, now);
                if (r < 0)
                        return r;
                dispatch(a, &ps);
        }
        return 0;
}
