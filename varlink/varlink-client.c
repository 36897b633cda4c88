/* The blocking varlink client. The socket is non-blocking underneath so
 * that every wait goes through poll() and honours the timeout. */
#include "varlink-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "buf.h"
#include "cleanup.h"
#include "varlink-reader.h"

struct vgl_varlink_client {
        int fd;
        int timeout_ms;
        struct vgl_varlink_reader in;
        struct vgl_buf out;
};

int vgl_varlink_client_connect(const char *path, struct vgl_varlink_client **ret,
                               struct vgl_error *err)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        _cleanup_close_ int fd = -1;
        struct vgl_varlink_client *c;

        if (strlen(path) == 0 || strlen(path) >= sizeof(addr.sun_path))
                return vgl_error_set(err, ENAMETOOLONG, "socket path \"%s\" is empty or too long",
                                     path);
        memcpy(addr.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return vgl_error_set(err, errno, "creating a socket");
        /* A blocking connect: on a Unix socket it never waits for long. */
        if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0)
                return vgl_error_set(err, errno, "connecting to %s: %m", path);
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
                return vgl_error_set(err, errno, "making the socket non-blocking");
        c = calloc(1, sizeof(*c));
        if (!c)
                return vgl_error_set(err, ENOMEM, "out of memory");
        c->fd = TAKE_FD(fd);
        c->timeout_ms = -1;
        vgl_varlink_reader_init(&c->in, VGL_VARLINK_CLIENT_MAX_MESSAGE);
        vgl_buf_init(&c->out, 0);
        *ret = c;
        return 0;
}

struct vgl_varlink_client *vgl_varlink_client_free(struct vgl_varlink_client *c)
{
        if (!c)
                return NULL;
        safe_close(c->fd);
        vgl_varlink_reader_done(&c->in);
        vgl_buf_free(&c->out);
        free(c);
        return NULL;
}

void vgl_varlink_client_set_timeout(struct vgl_varlink_client *c, int timeout_ms)
{
        c->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
}

void vgl_varlink_client_set_max_message(struct vgl_varlink_client *c, size_t max_message)
{
        if (vgl_varlink_reader_pending(&c->in) > 0)
                return; /* bytes of a reply are buffered: keep them */
        vgl_varlink_reader_done(&c->in);
        vgl_varlink_reader_init(&c->in, max_message ? max_message : VGL_VARLINK_CLIENT_MAX_MESSAGE);
}

int vgl_varlink_client_fd(const struct vgl_varlink_client *c)
{
        return c->fd;
}

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket until deadline (-1: none). */
static int wait_for(struct vgl_varlink_client *c, short events, int64_t deadline)
{
        struct pollfd p = {.fd = c->fd, .events = events};
        int left = -1;
        int n;

        if (deadline >= 0) {
                int64_t d = deadline - now_ms();
                left = d < 0 ? 0 : (d > INT32_MAX ? INT32_MAX : (int)d);
        }
        n = poll(&p, 1, left);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -ETIMEDOUT;
        return 0;
}

static int64_t deadline_of(const struct vgl_varlink_client *c)
{
        return c->timeout_ms < 0 ? -1 : now_ms() + c->timeout_ms;
}

static int write_all(struct vgl_varlink_client *c, struct vgl_error *err)
{
        int64_t deadline = deadline_of(c);
        size_t done = 0;

        while (done < c->out.len) {
                ssize_t n = send(c->fd, c->out.data + done, c->out.len - done, MSG_NOSIGNAL);
                if (n >= 0) {
                        done += (size_t)n;
                        continue;
                }
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        return vgl_error_set(err, errno, "sending to the server: %m");
                int r = wait_for(c, POLLOUT, deadline);
                if (r < 0)
                        return vgl_error_set(err, -r, "sending to the server");
        }
        return 0;
}

int vgl_varlink_client_send(struct vgl_varlink_client *c, const char *method,
                            struct json_object *parameters, unsigned flags, struct vgl_error *err)
{
        int r;

        c->out.len = 0;
        r = vgl_varlink_call_append(&c->out, method, parameters, flags);
        if (r < 0)
                return vgl_error_set(err, -r, "encoding a call of %s", method ? method : "(null)");
        r = write_all(c, err);
        c->out.len = 0;
        return r;
}

/* Reads more bytes into the reader, waiting until deadline. */
static int fill(struct vgl_varlink_client *c, int64_t deadline, struct vgl_error *err)
{
        for (;;) {
                uint8_t *p = NULL;
                size_t room = 0;
                ssize_t n;
                int r;

                r = vgl_varlink_reader_space(&c->in, 64 << 10, &p, &room);
                if (r < 0)
                        return vgl_error_set(err, -r, "out of memory");
                n = recv(c->fd, p, room, 0);
                if (n > 0) {
                        vgl_varlink_reader_advance(&c->in, (size_t)n);
                        return 0;
                }
                if (n == 0)
                        return vgl_error_set(err, ECONNRESET, "the server closed the connection");
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                        return vgl_error_set(err, errno, "reading from the server: %m");
                r = wait_for(c, POLLIN, deadline);
                if (r < 0)
                        return vgl_error_set(err, -r, "waiting for the server");
        }
}

int vgl_varlink_client_receive(struct vgl_varlink_client *c, struct vgl_varlink_reply *ret,
                               struct vgl_error *err)
{
        int64_t deadline = deadline_of(c);
        const char *msg = NULL;
        size_t len = 0;
        int r;

        for (;;) {
                r = vgl_varlink_reader_next(&c->in, &msg, &len);
                if (r < 0)
                        return vgl_error_set(err, -r, "reply over %zu bytes", c->in.max_message);
                if (r > 0)
                        break;
                r = fill(c, deadline, err);
                if (r < 0)
                        return r;
        }
        return vgl_varlink_reply_parse(msg, len, ret, err);
}

int vgl_varlink_client_call(struct vgl_varlink_client *c, const char *method,
                            struct json_object *parameters, struct vgl_varlink_reply *ret,
                            struct vgl_error *err)
{
        int r = vgl_varlink_client_send(c, method, parameters, 0, err);

        return r < 0 ? r : vgl_varlink_client_receive(c, ret, err);
}
