/* Bad API clients (garbage, a 100 MB message, an unknown method) each get
 * their error or are cut off, while a concurrent client's Exec runs on and
 * completes. The Exec waits in the guest for a file the test writes only
 * after the bad clients are done, so the overlap does not depend on timing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "test-daemon.h"
#include "varlink-client.h"

#define BIG_MESSAGE ((size_t)100 << 20)

struct exec_thread {
        pthread_t t;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool started, done;
        int r;
        struct exec_out out;
        struct vgl_error err;
};

static int started_output(void *u, enum vgl_client_stream s, const uint8_t *d, size_t len)
{
        struct exec_thread *x = u;

        pthread_mutex_lock(&x->lock);
        if (len + x->out.out_len < sizeof(x->out.out)) {
                memcpy(x->out.out + x->out.out_len, d, len);
                x->out.out_len += len;
        }
        x->started = true;
        pthread_cond_broadcast(&x->cond);
        pthread_mutex_unlock(&x->lock);
        return 0;
}

static void *exec_main(void *u)
{
        struct exec_thread *x = u;
        const char *const argv[] = {"sh", "-c",
                                    "echo started; i=0; while [ ! -e /tmp/it-go ] && "
                                    "[ $i -lt 900 ]; do sleep 1; i=$((i+1)); done; echo finished",
                                    NULL};
        const struct vgl_client_exec_ops ops = {.on_output = started_output};
        const struct vgl_client_exec_request req = {.argv = argv, .uid = -1};
        _cleanup_client_ struct vgl_client *c = NULL;

        x->r = vgl_client_connect(vd.sock, &c, &x->err);
        if (x->r == 0) {
                vgl_client_set_timeout(c, OP_TIMEOUT_MS * 4);
                x->r = vgl_client_exec(c, warm_id, &req, &ops, x, &x->out.exit, &x->err);
        }
        pthread_mutex_lock(&x->lock);
        x->done = x->started = true;
        pthread_cond_broadcast(&x->cond);
        pthread_mutex_unlock(&x->lock);
        return NULL;
}

static int raw_connect(int timeout_s)
{
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        struct timeval tv = {.tv_sec = timeout_s};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (strlen(vd.sock) >= sizeof(a.sun_path))
                fail_msg("socket path too long: %s", vd.sock);
        memcpy(a.sun_path, vd.sock, strlen(vd.sock) + 1);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                fail_msg("raw connect: %s", strerror(errno));
        return fd;
}

/* Reads until the server closes; returns 0 on EOF/reset, -ETIMEDOUT if it
 * keeps the connection open. The first reply (if any) lands in first. */
static int read_until_closed(int fd, char *first, size_t size)
{
        size_t have = 0;
        char buf[4096];
        ssize_t n;

        first[0] = '\0';
        for (;;) {
                n = recv(fd, buf, sizeof(buf), 0);
                if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
                        return 0;
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -ETIMEDOUT;
                for (ssize_t i = 0; i < n && have < size - 1; i++)
                        first[have++] = buf[i] ? buf[i] : '\n';
                first[have] = '\0';
        }
}

static void garbage_client(void)
{
        static const char junk[] = "\x01\x02 this is not {json \xff\xfe [[[";
        _cleanup_close_ int fd = raw_connect(120);
        char reply[1024];

        assert_int_equal(send(fd, junk, sizeof(junk), MSG_NOSIGNAL), (ssize_t)sizeof(junk));
        if (read_until_closed(fd, reply, sizeof(reply)) < 0)
                fail_msg("garbage: vigild kept the connection open");
        fprintf(stderr, "# garbage: closed; reply before close: %s\n", reply[0] ? reply : "(none)");
}

static void big_client(void)
{
        static const char head[] = "{\"method\":\"io.vigil.Manager.Get\",\"parameters\":{\"id\":\"";
        _cleanup_close_ int fd = raw_connect(120);
        _cleanup_free_ char *chunk = malloc(1 << 20);
        size_t sent = 0;
        char reply[1024];
        bool cut = false;

        memset(chunk, 'a', 1 << 20);
        assert_int_equal(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
        while (sent < BIG_MESSAGE) {
                ssize_t n = send(fd, chunk, 1 << 20, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
                        cut = true;
                        break;
                }
                if (n < 0)
                        fail_msg("100 MB: send after %zu bytes: %s (vigild stopped reading "
                                 "without closing?)",
                                 sent, strerror(errno));
                sent += (size_t)n;
        }
        if (!cut) /* everything went into buffers: the close must follow */
                (void)!send(fd, "\"}}", 4, MSG_NOSIGNAL);
        if (read_until_closed(fd, reply, sizeof(reply)) < 0)
                fail_msg("100 MB: vigild kept the connection open after %zu bytes", sent);
        assert_true(sent < BIG_MESSAGE);
        fprintf(stderr, "# 100 MB message: cut off after %zu bytes sent; reply: %s\n", sent,
                reply[0] ? reply : "(none)");
}

static void expect_error(struct vgl_varlink_client *c, const char *method,
                         struct json_object *params, const char *error)
{
        struct vgl_varlink_reply r = {};
        struct vgl_error e = {};

        if (vgl_varlink_client_call(c, method, params, &r, &e) < 0)
                fail_msg("%s: %s", method, e.msg);
        if (!r.error || strcmp(r.error, error) != 0)
                fail_msg("%s: got %s, want %s", method, r.error ? r.error : "success", error);
        fprintf(stderr, "# %s -> %s %s\n", method, r.error,
                json_object_to_json_string(r.parameters));
        vgl_varlink_reply_done(&r);
}

static void unknown_method_client(void)
{
        _cleanup_varlink_client_ struct vgl_varlink_client *c = NULL;
        struct json_object *p = json_object_new_object();
        struct vgl_varlink_reply r = {};
        struct vgl_error e = {};

        if (vgl_varlink_client_connect(vd.sock, &c, &e) < 0)
                fail_msg("connect: %s", e.msg);
        vgl_varlink_client_set_timeout(c, OP_TIMEOUT_MS);
        expect_error(c, "io.vigil.Manager.NoSuchMethod", NULL,
                     "org.varlink.service.MethodNotFound");
        expect_error(c, "com.example.Nothing.Ping", NULL, "org.varlink.service.InterfaceNotFound");
        json_object_object_add(p, "id", json_object_new_int(42));
        expect_error(c, "io.vigil.Manager.Get", p, "org.varlink.service.InvalidParameter");
        json_object_put(p);
        /* the connection stays usable after error replies */
        assert_int_equal(vgl_varlink_client_call(c, "org.varlink.service.GetInfo", NULL, &r, &e),
                         0);
        assert_null(r.error);
        vgl_varlink_reply_done(&r);
}

void test_bad_clients(void **state)
{
        static struct exec_thread x = {.lock = PTHREAD_MUTEX_INITIALIZER,
                                       .cond = PTHREAD_COND_INITIALIZER};
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        struct vgl_error e = {};

        SKIP_UNLESS(warm_id[0]);
        assert_int_equal(pthread_create(&x.t, NULL, exec_main, &x), 0);
        pthread_mutex_lock(&x.lock);
        while (!x.started)
                pthread_cond_wait(&x.cond, &x.lock);
        pthread_mutex_unlock(&x.lock);
        if (x.done) {
                pthread_join(x.t, NULL);
                fail_msg("the concurrent Exec ended before the bad clients: %s", x.err.msg);
        }

        garbage_client();
        big_client();
        unknown_method_client();
        assert_true(vd_alive(&vd));

        /* release the waiting command, then its Exec must complete in full */
        c = connect_or_fail();
        if (vgl_client_put_file(c, warm_id, "/tmp/it-go", "go", 2, -1, NULL, &e) < 0)
                fail_msg("PutFile: %s", e.msg);
        pthread_join(x.t, NULL);
        if (x.r < 0)
                fail_msg("concurrent Exec: %s", x.err.msg);
        assert_string_equal(x.out.out, "started\nfinished\n");
        assert_int_equal(x.out.exit.kind, VGL_CLIENT_EXITED);
        assert_int_equal(x.out.exit.code, 0);
        assert_int_equal(vgl_client_get(c, warm_id, &s, &e), 0);
        assert_string_equal(s.state, "reserved");
}
