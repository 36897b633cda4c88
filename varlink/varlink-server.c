/* The varlink server: configuration, interfaces, the listening socket,
 * accepting clients with their credentials. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <libvirt/libvirt.h>

#include "cleanup.h"
#include "varlink-server-priv.h"

/* How long accepting pauses when the process is out of fds or memory. */
#define VGL_VARLINK_ACCEPT_RETRY_MS 100

static int dup_string(const char *s, char **ret)
{
        *ret = strdup(s ? s : "");
        return *ret ? 0 : -ENOMEM;
}

int vgl_varlink_server_new(const struct vgl_varlink_server_config *config,
                           struct vgl_varlink_server **ret, struct vgl_error *err)
{
        struct vgl_varlink_server *s = calloc(1, sizeof(*s));
        int r;

        if (!s)
                return vgl_error_set(err, ENOMEM, "out of memory");
        s->listen_fd = s->listen_watch = s->retry_timer = -1;
        s->max_message =
                config->max_message ? config->max_message : VGL_VARLINK_MAX_MESSAGE_DEFAULT;
        s->max_output = config->max_output ? config->max_output : VGL_VARLINK_MAX_OUTPUT_DEFAULT;
        s->max_clients =
                config->max_clients ? config->max_clients : VGL_VARLINK_MAX_CLIENTS_DEFAULT;
        s->on_drop = config->on_drop;
        s->userdata = config->userdata;
        r = dup_string(config->vendor, &s->vendor);
        if (r >= 0)
                r = dup_string(config->product, &s->product);
        if (r >= 0)
                r = dup_string(config->version, &s->version);
        if (r >= 0)
                r = dup_string(config->url, &s->url);
        if (r >= 0)
                r = vgl_varlink_server_add_interface(s, &vgl_varlink_service_interface, s, err);
        if (r < 0) {
                vgl_varlink_server_free(s);
                return vgl_error_set(err, -r, "creating the varlink server");
        }
        *ret = s;
        return 0;
}

static void stop_listening(struct vgl_varlink_server *s)
{
        if (s->listen_watch >= 0)
                virEventRemoveHandle(s->listen_watch);
        if (s->retry_timer >= 0)
                virEventRemoveTimeout(s->retry_timer);
        s->listen_watch = s->retry_timer = -1;
        s->listen_fd = safe_close(s->listen_fd);
        if (s->socket_path)
                unlink(s->socket_path);
        free(s->socket_path);
        s->socket_path = NULL;
}

struct vgl_varlink_server *vgl_varlink_server_free(struct vgl_varlink_server *s)
{
        if (!s)
                return NULL;
        stop_listening(s);
        while (s->conns)
                vgl_varlink_conn_close(s->conns, 0, NULL);
        free(s->ifaces);
        free(s->vendor);
        free(s->product);
        free(s->version);
        free(s->url);
        free(s);
        return NULL;
}

static int check_interface(const struct vgl_varlink_interface *iface, struct vgl_error *err)
{
        if (!iface->name || !vgl_varlink_interface_name_valid(iface->name, strlen(iface->name)))
                return vgl_error_set(err, EINVAL, "invalid interface name \"%s\"",
                                     iface->name ? iface->name : "(null)");
        for (const struct vgl_varlink_method *m = iface->methods; m && m->name; m++)
                if (!vgl_varlink_member_name_valid(m->name, strlen(m->name)))
                        return vgl_error_set(err, EINVAL, "invalid method name \"%s.%s\"",
                                             iface->name, m->name);
        return 0;
}

int vgl_varlink_server_add_interface(struct vgl_varlink_server *s,
                                     const struct vgl_varlink_interface *iface, void *userdata,
                                     struct vgl_error *err)
{
        struct vgl_varlink_iface_entry *n;
        int r;

        r = check_interface(iface, err);
        if (r < 0)
                return r;
        if (vgl_varlink_server_find(s, iface->name, strlen(iface->name)))
                return vgl_error_set(err, EEXIST, "interface %s added twice", iface->name);
        n = reallocarray(s->ifaces, s->n_ifaces + 1, sizeof(*n));
        if (!n)
                return vgl_error_set(err, ENOMEM, "out of memory");
        n[s->n_ifaces++] = (struct vgl_varlink_iface_entry){iface, userdata};
        s->ifaces = n;
        return 0;
}

void vgl_varlink_server_get_stats(struct vgl_varlink_server *s,
                                  struct vgl_varlink_server_stats *ret)
{
        *ret = (struct vgl_varlink_server_stats){
                .clients = atomic_load(&s->stat_clients),
                .accepted = atomic_load(&s->stat_accepted),
                .rejected = atomic_load(&s->stat_rejected),
                .dropped_protocol = atomic_load(&s->stat_dropped_protocol),
                .dropped_output = atomic_load(&s->stat_dropped_output),
                .calls = atomic_load(&s->stat_calls),
        };
}

static void accept_one(struct vgl_varlink_server *s, int fd)
{
        struct vgl_varlink_peer peer = {.uid = (uid_t)-1, .gid = (gid_t)-1};
        struct ucred cred = {0};
        socklen_t len = sizeof(cred);

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred)) {
                safe_close(fd); /* no identity, no service */
                return;
        }
        peer = (struct vgl_varlink_peer){.uid = cred.uid, .gid = cred.gid, .pid = cred.pid};
        if (s->n_conns >= s->max_clients) {
                safe_close(fd); /* the client sees EOF at once instead of hanging */
                atomic_fetch_add(&s->stat_rejected, 1);
                if (s->on_drop)
                        s->on_drop(s->userdata, &peer, -EUSERS, "too many clients");
                return;
        }
        if (vgl_varlink_conn_new(s, fd, &peer) >= 0)
                atomic_fetch_add(&s->stat_accepted, 1);
}

static void retry_accept(int timer, void *opaque)
{
        struct vgl_varlink_server *s = opaque;

        virEventUpdateTimeout(timer, -1);
        virEventUpdateHandle(s->listen_watch, VIR_EVENT_HANDLE_READABLE);
}

static void accept_event(int watch, int fd, int events, void *opaque)
{
        struct vgl_varlink_server *s = opaque;

        for (unsigned i = 0; i < VGL_VARLINK_ACCEPT_BUDGET; i++) {
                int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd >= 0) {
                        accept_one(s, cfd);
                        continue;
                }
                if (errno == EINTR || errno == ECONNABORTED)
                        continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                        /* The socket stays readable: pause instead of spinning. */
                        virEventUpdateHandle(watch, 0);
                        virEventUpdateTimeout(s->retry_timer, VGL_VARLINK_ACCEPT_RETRY_MS);
                }
                return;
        }
}

int vgl_varlink_server_listen_fd(struct vgl_varlink_server *s, int fd, struct vgl_error *err)
{
        _cleanup_close_ int owned = fd;
        int flags;

        if (s->listen_fd >= 0)
                return vgl_error_set(err, EBUSY, "the varlink server already listens");
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return vgl_error_set(err, errno, "making the listening socket non-blocking");
        s->retry_timer = virEventAddTimeout(-1, retry_accept, s, NULL);
        if (s->retry_timer < 0)
                return vgl_error_set(err, ENOMEM, "registering a timer with the event loop");
        s->listen_watch = virEventAddHandle(fd, VIR_EVENT_HANDLE_READABLE, accept_event, s, NULL);
        if (s->listen_watch < 0) {
                virEventRemoveTimeout(s->retry_timer);
                s->retry_timer = -1;
                return vgl_error_set(err, ENOMEM, "registering the socket with the event loop");
        }
        s->listen_fd = TAKE_FD(owned);
        return 0;
}
