/* One client connection of the varlink server: reading, framing, writing,
 * and the lifecycle (cut-off, cancel, free). Runs on the event loop. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <libvirt/libvirt.h>

#include "cleanup.h"
#include "varlink-server-priv.h"

/* Idle buffers larger than this are given back to the allocator. */
#define VGL_VARLINK_KEEP_BUFFER ((size_t)64 << 10)

struct vgl_varlink_conn *vgl_varlink_conn_ref(struct vgl_varlink_conn *c)
{
        c->n_ref++;
        return c;
}

void vgl_varlink_conn_unref(struct vgl_varlink_conn *c)
{
        if (!c || --c->n_ref > 0)
                return;
        c->fd = safe_close(c->fd);
        vgl_varlink_reader_done(&c->in);
        vgl_buf_free(&c->out);
        free(c);
}

static void handle_free(void *opaque)
{
        vgl_varlink_conn_unref(opaque);
}

static void count_drop(struct vgl_varlink_server *s, const struct vgl_varlink_peer *peer, int error,
                       const char *why)
{
        if (error == -EBADMSG || error == -EMSGSIZE)
                atomic_fetch_add(&s->stat_dropped_protocol, 1);
        else if (error == -ENOBUFS)
                atomic_fetch_add(&s->stat_dropped_output, 1);
        else
                return; /* an ordinary disconnect or I/O error: nothing to report */
        if (s->on_drop)
                s->on_drop(s->userdata, peer, error, why);
}

void vgl_varlink_conn_close(struct vgl_varlink_conn *c, int error, const char *why)
{
        struct vgl_varlink_server *s = c->server;

        if (c->dead)
                return;
        c->dead = true;
        if (s) {
                if (c->prev)
                        c->prev->next = c->next;
                else
                        s->conns = c->next;
                if (c->next)
                        c->next->prev = c->prev;
                s->n_conns--;
                atomic_fetch_sub(&s->stat_clients, 1);
                count_drop(s, &c->peer, error, why);
        }
        c->server = NULL;
        c->prev = c->next = NULL;
        virEventRemoveTimeout(c->kick_timer);
        virEventRemoveHandle(c->watch); /* its free callback drops the handle's reference */
        /* Best effort, never blocking: answers to the calls before a bad
         * message still reach a client that reads. */
        if (c->out_sent < c->out.len && error != -ENOBUFS)
                (void)!send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent,
                            MSG_DONTWAIT | MSG_NOSIGNAL);
        c->fd = safe_close(c->fd);
        vgl_varlink_reader_done(&c->in);
        vgl_buf_free(&c->out);
        c->out_sent = 0;
        if (c->active)
                vgl_varlink_call_cancel(c->active);
}

void vgl_varlink_conn_kick(struct vgl_varlink_conn *c)
{
        if (!c->dead)
                virEventUpdateTimeout(c->kick_timer, 0);
}

void vgl_varlink_conn_doom(struct vgl_varlink_conn *c, int error)
{
        /* Closing runs cancel callbacks: never inside a reply function. */
        if (!c->doomed)
                c->doomed = error;
        vgl_varlink_conn_kick(c);
}

static int append(struct vgl_varlink_conn *c, const char *error, struct json_object *parameters,
                  bool continues)
{
        if (error)
                return vgl_varlink_error_append(&c->out, error, parameters);
        return vgl_varlink_reply_append(&c->out, parameters, continues);
}

/* Drops the bytes already written from the front of the output buffer. */
static void out_compact(struct vgl_varlink_conn *c)
{
        vgl_buf_consume(&c->out, c->out_sent);
        c->out_sent = 0;
}

int vgl_varlink_conn_queue(struct vgl_varlink_conn *c, const char *error,
                           struct json_object *parameters, bool continues)
{
        int r;

        if (c->dead || c->doomed)
                return -ECONNRESET;
        /* Compacting only past half keeps a slow reader's backlog from
         * being moved on every reply. */
        if (c->out_sent > 0 && c->out_sent >= c->out.len / 2)
                out_compact(c);
        r = append(c, error, parameters, continues);
        if (r == -ENOBUFS && c->out_sent > 0) {
                out_compact(c);
                r = append(c, error, parameters, continues);
        }
        if (r == -ENOBUFS) {
                vgl_varlink_conn_doom(c, r);
                return r;
        }
        if (r < 0)
                return r;
        if (!c->dispatching)
                vgl_varlink_conn_kick(c);
        return 0;
}

/* Reads what is available, bounded by the input buffer and a budget. */
static void read_input(struct vgl_varlink_conn *c)
{
        size_t total = 0;

        while (!c->read_eof && total < VGL_VARLINK_READ_BUDGET) {
                uint8_t *p = NULL;
                size_t room = 0;
                ssize_t n;

                if (vgl_varlink_reader_space(&c->in, VGL_VARLINK_READ_CHUNK, &p, &room) < 0 ||
                    room == 0)
                        return; /* full: the waiting messages go first */
                n = recv(c->fd, p, room, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return;
                if (n < 0) {
                        vgl_varlink_conn_close(c, -errno, "read failed");
                        return;
                }
                if (n == 0)
                        c->read_eof = true;
                vgl_varlink_reader_advance(&c->in, (size_t)n);
                total += (size_t)n;
        }
}

/* Dispatches complete messages while no call is active. Returns true if
 * it stopped on the budget with work left (a kick is scheduled). */
static bool process(struct vgl_varlink_conn *c)
{
        unsigned budget = VGL_VARLINK_DISPATCH_BUDGET;
        bool more = false;

        c->dispatching = true;
        while (!c->dead && !c->doomed && !c->active) {
                struct vgl_varlink_request req = {0};
                struct vgl_error err = {0};
                const char *msg = NULL;
                size_t len = 0;
                int r;

                if (budget-- == 0) {
                        vgl_varlink_conn_kick(c);
                        more = true;
                        break;
                }
                r = vgl_varlink_reader_next(&c->in, &msg, &len);
                if (r == 0)
                        break;
                if (r < 0) {
                        vgl_varlink_conn_close(c, r, "message over the size limit");
                        break;
                }
                r = vgl_varlink_request_parse(msg, len, &req, &err);
                if (r < 0) {
                        vgl_varlink_conn_close(c, r == -ENOMEM ? r : -EBADMSG, err.msg);
                        break;
                }
                vgl_varlink_call_dispatch(c, &req);
        }
        c->dispatching = false;
        return more;
}

static int flush(struct vgl_varlink_conn *c)
{
        while (c->out_sent < c->out.len) {
                ssize_t n = send(c->fd, c->out.data + c->out_sent, c->out.len - c->out_sent,
                                 MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return 0;
                if (n < 0) {
                        int r = -errno;
                        vgl_varlink_conn_close(c, r, "write failed");
                        return r;
                }
                c->out_sent += (size_t)n;
        }
        c->out.len = c->out_sent = 0;
        if (c->out.cap > VGL_VARLINK_KEEP_BUFFER)
                vgl_buf_free(&c->out);
        return 0;
}

static void update_events(struct vgl_varlink_conn *c)
{
        int want = 0;

        if (vgl_varlink_reader_pending(&c->in) == 0 && c->in.buf.cap > VGL_VARLINK_KEEP_BUFFER)
                vgl_varlink_reader_done(&c->in);
        if (!c->read_eof && vgl_varlink_reader_pending(&c->in) <= c->in.max_message)
                want |= VIR_EVENT_HANDLE_READABLE;
        if (c->out_sent < c->out.len)
                want |= VIR_EVENT_HANDLE_WRITABLE;
        if (want != c->watch_events) {
                virEventUpdateHandle(c->watch, want);
                c->watch_events = want;
        }
}

/* All deferred work of a connection: cut-off, dispatch, write, EOF. */
static void conn_run(struct vgl_varlink_conn *c)
{
        bool more;

        if (c->dead)
                return;
        if (c->doomed) {
                vgl_varlink_conn_close(c, c->doomed,
                                       c->doomed == -ENOBUFS ? "client does not read its replies"
                                                             : "cannot answer the client");
                return;
        }
        more = process(c);
        if (c->dead || c->doomed || flush(c) < 0)
                return;
        if (c->read_eof && !c->active && !more && c->out.len == 0) {
                vgl_varlink_conn_close(c, 0, NULL);
                return;
        }
        update_events(c);
}

static void handle_event(int watch, int fd, int events, void *opaque)
{
        struct vgl_varlink_conn *c = vgl_varlink_conn_ref(opaque);

        if (!c->dead && (events & VIR_EVENT_HANDLE_READABLE))
                read_input(c);
        conn_run(c);
        /* The peer is gone entirely: what it sent was dispatched above,
         * unfinished calls are cancelled now. */
        if (events & (VIR_EVENT_HANDLE_HANGUP | VIR_EVENT_HANDLE_ERROR))
                vgl_varlink_conn_close(c, 0, NULL);
        vgl_varlink_conn_unref(c);
}

static void kick_event(int timer, void *opaque)
{
        struct vgl_varlink_conn *c = vgl_varlink_conn_ref(opaque);

        virEventUpdateTimeout(timer, -1);
        conn_run(c);
        vgl_varlink_conn_unref(c);
}

int vgl_varlink_conn_new(struct vgl_varlink_server *s, int fd, const struct vgl_varlink_peer *peer)
{
        struct vgl_varlink_conn *c = calloc(1, sizeof(*c));

        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        *c = (struct vgl_varlink_conn){.n_ref = 1, .server = s, .fd = fd, .peer = *peer};
        vgl_varlink_reader_init(&c->in, s->max_message);
        vgl_buf_init(&c->out, s->max_output);
        c->kick_timer = virEventAddTimeout(-1, kick_event, c, NULL);
        if (c->kick_timer < 0) {
                vgl_varlink_conn_unref(c);
                return -ENOMEM;
        }
        c->watch_events = VIR_EVENT_HANDLE_READABLE;
        c->watch = virEventAddHandle(fd, c->watch_events, handle_event, c, handle_free);
        if (c->watch < 0) {
                virEventRemoveTimeout(c->kick_timer);
                vgl_varlink_conn_unref(c);
                return -ENOMEM;
        }
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        s->n_conns++;
        atomic_fetch_add(&s->stat_clients, 1);
        return 0;
}
