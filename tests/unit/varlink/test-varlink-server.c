/* The varlink server and the blocking client over a real Unix socket, with
 * libvirt's default event loop running in a thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvirt/libvirt.h>

#include "virt.h"

#include "varlink-client.h"
#include "varlink-server.h"

/* Guards against a hang only; no test depends on how fast anything is. */
#define WAIT_LIMIT_S 30

/* Runs fn(data) on the event loop thread (manager/virt.h) and waits for it. */
static void on_loop(void (*fn)(void *data), void *data)
{
        assert_int_equal(vgl_virt_loop_run(fn, data), 0);
}

static void noop(void *data)
{
}

/* Waits (bounded) until *flag becomes true; the loop thread sets it. */
static bool wait_flag(atomic_bool *flag)
{
        for (int i = 0; i < WAIT_LIMIT_S * 1000 && !atomic_load(flag); i++) {
                on_loop(noop, NULL);
                usleep(1000);
        }
        return atomic_load(flag);
}

/* ---- the test interface, io.vigil.Test ---- */

static atomic_int notes;
static atomic_bool hang_cancelled, flood_cancelled;
static atomic_int drops_protocol, drops_output, drops_users;

static int m_echo(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        return vgl_varlink_call_reply(call, params);
}

static int m_fail(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        struct json_object *p = json_tokener_parse("{\"reason\":\"asked to\"}");
        int r = vgl_varlink_call_error(call, "io.vigil.Test.Failed", p);

        json_object_put(p);
        return r;
}

static int m_whoami(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        const struct vgl_varlink_peer *peer = vgl_varlink_call_get_peer(call);
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, "uid", json_object_new_int64(peer->uid));
        json_object_object_add(p, "gid", json_object_new_int64(peer->gid));
        json_object_object_add(p, "pid", json_object_new_int64(peer->pid));
        r = vgl_varlink_call_reply(call, p);
        json_object_put(p);
        return r;
}

static int reply_int(struct vgl_varlink_call *call, int i, bool last)
{
        struct json_object *p = json_object_new_object();
        int r;

        json_object_object_add(p, "i", json_object_new_int(i));
        r = last ? vgl_varlink_call_reply(call, p) : vgl_varlink_call_notify(call, p);
        json_object_put(p);
        return r;
}

static int get_n(struct json_object *params)
{
        struct json_object *n = NULL;

        return json_object_object_get_ex(params, "n", &n) ? json_object_get_int(n) : -1;
}

/* Count(n), more: n replies with continues, then a last one, all at once. */
static int m_count(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        int n = get_n(params);

        if (n < 0)
                return vgl_varlink_call_error_invalid_parameter(call, "n");
        if (!(vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL);
        for (int i = 0; i < n; i++)
                if (reply_int(call, i, false) < 0)
                        return -EIO;
        return reply_int(call, n, true);
}

/* A stream answered later, one reply per loop iteration, like an Exec
 * forwarding output as it arrives. n < 0 never ends (Flood). */
struct stream {
        struct vgl_varlink_call *call;
        int timer, i, n;
        size_t pad;
};

static void stream_free(struct stream *st)
{
        virEventRemoveTimeout(st->timer);
        vgl_varlink_call_unref(st->call);
        free(st);
}

static void stream_tick(int timer, void *opaque)
{
        struct stream *st = opaque;
        struct json_object *p = json_object_new_object();
        bool last = st->n >= 0 && st->i == st->n;
        int r;

        json_object_object_add(p, "i", json_object_new_int(st->i++));
        if (st->pad) {
                char *pad = calloc(1, st->pad + 1);
                memset(pad, 'p', st->pad);
                json_object_object_add(p, "pad", json_object_new_string(pad));
                free(pad);
        }
        r = last ? vgl_varlink_call_reply(st->call, p) : vgl_varlink_call_notify(st->call, p);
        json_object_put(p);
        if (last)
                stream_free(st);
        else if (r < 0)
                virEventUpdateTimeout(st->timer, -1); /* wait for the cancel */
}

static void stream_cancel(struct vgl_varlink_call *call, void *userdata)
{
        struct stream *st = userdata;

        if (st->n < 0)
                atomic_store(&flood_cancelled, true);
        stream_free(st);
}

static int start_stream(struct vgl_varlink_call *call, int n, size_t pad)
{
        struct stream *st = calloc(1, sizeof(*st));

        st->n = n;
        st->pad = pad;
        st->timer = virEventAddTimeout(0, stream_tick, st, NULL);
        st->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, stream_cancel, st);
        return 0;
}

static int m_count_later(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        return start_stream(call, get_n(params) < 0 ? 0 : get_n(params), 0);
}

static int m_flood(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        return start_stream(call, -1, 4096);
}

static void hang_cancel(struct vgl_varlink_call *call, void *userdata)
{
        atomic_store(&hang_cancelled, true);
        vgl_varlink_call_unref(call);
}

/* Never answers; learns through the cancel callback that the client left. */
static int m_hang(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        vgl_varlink_call_set_cancel(call, hang_cancel, NULL);
        vgl_varlink_call_ref(call);
        return 0;
}

static int m_note(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        atomic_fetch_add(&notes, 1);
        return vgl_varlink_call_reply(call, NULL); /* dropped for a oneway call */
}

static int m_broken(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        return -EPERM;
}

static int m_forgetful(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        return 0;
}

static const struct vgl_varlink_method test_methods[] = {
        {"Echo", m_echo},
        {"Fail", m_fail},
        {"Whoami", m_whoami},
        {"Count", m_count},
        {"CountLater", m_count_later},
        {"Flood", m_flood},
        {"Hang", m_hang},
        {"Note", m_note},
        {"Broken", m_broken},
        {"Forgetful", m_forgetful},
        {"Unwritten", NULL},
        {NULL, NULL},
};

static const char test_description[] = "interface io.vigil.Test\n"
                                       "method Echo() -> ()\n";

static const struct vgl_varlink_interface test_interface = {
        .name = "io.vigil.Test",
        .description = test_description,
        .methods = test_methods,
};

/* ---- fixture: a server in a temporary directory ---- */

struct fixture {
        char dir[64];
        char path[128];
        struct vgl_varlink_server *server;
        struct vgl_varlink_server_config config;
};

static void on_drop(void *userdata, const struct vgl_varlink_peer *peer, int error, const char *why)
{
        if (error == -EBADMSG || error == -EMSGSIZE)
                atomic_fetch_add(&drops_protocol, 1);
        else if (error == -ENOBUFS)
                atomic_fetch_add(&drops_output, 1);
        else if (error == -EUSERS)
                atomic_fetch_add(&drops_users, 1);
}

static void server_start(void *data)
{
        struct fixture *f = data;
        struct vgl_error err = {0};

        f->config.vendor = "vigil";
        f->config.product = "test";
        f->config.version = "0.1";
        f->config.url = "https://example.invalid/vigil";
        f->config.on_drop = on_drop;
        assert_int_equal(vgl_varlink_server_new(&f->config, &f->server, &err), 0);
        assert_int_equal(vgl_varlink_server_add_interface(f->server, &test_interface, f, &err), 0);
        assert_int_equal(vgl_varlink_server_listen(f->server, f->path, 0, &err), 0);
}

static void server_stop(void *data)
{
        struct fixture *f = data;

        f->server = vgl_varlink_server_free(f->server);
}

static struct fixture *fixture_new(size_t max_message, size_t max_output, unsigned max_clients)
{
        struct fixture *f = calloc(1, sizeof(*f));

        strcpy(f->dir, "/tmp/vigil-varlink-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/run/api.sock", f->dir);
        f->config.max_message = max_message;
        f->config.max_output = max_output;
        f->config.max_clients = max_clients;
        atomic_store(&drops_protocol, 0);
        atomic_store(&drops_output, 0);
        atomic_store(&drops_users, 0);
        on_loop(server_start, f);
        return f;
}

static int setup(void **state)
{
        *state = fixture_new(0, 0, 0);
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char sub[160];

        on_loop(server_stop, f);
        on_loop(noop, NULL); /* lets libvirt run the handles' free callbacks */
        on_loop(noop, NULL);
        snprintf(sub, sizeof(sub), "%s/run", f->dir);
        assert_int_equal(access(f->path, F_OK), -1); /* the socket file is gone */
        rmdir(sub);
        rmdir(f->dir);
        free(f);
        return 0;
}

static struct vgl_varlink_client *connect_to(struct fixture *f)
{
        struct vgl_varlink_client *c = NULL;
        struct vgl_error err = {0};

        assert_int_equal(vgl_varlink_client_connect(f->path, &c, &err), 0);
        vgl_varlink_client_set_timeout(c, WAIT_LIMIT_S * 1000);
        return c;
}

static struct vgl_varlink_server_stats stats_of(struct fixture *f)
{
        struct vgl_varlink_server_stats st;

        on_loop(noop, NULL); /* whatever the loop had pending has run */
        vgl_varlink_server_get_stats(f->server, &st);
        return st;
}

/* Calls method with parameters given as JSON text; returns the reply. */
static struct vgl_varlink_reply call_json(struct vgl_varlink_client *c, const char *method,
                                          const char *params)
{
        struct json_object *p = params ? json_tokener_parse(params) : NULL;
        struct vgl_varlink_reply rep = {0};
        struct vgl_error err = {0};
        int r = vgl_varlink_client_call(c, method, p, &rep, &err);

        if (r < 0)
                fail_msg("%s: %d %s", method, r, err.msg);
        json_object_put(p);
        return rep;
}

static const char *param_string(const struct vgl_varlink_reply *rep, const char *key)
{
        struct json_object *v = NULL;

        assert_true(json_object_object_get_ex(rep->parameters, key, &v));
        return json_object_get_string(v);
}

static int64_t param_int(const struct vgl_varlink_reply *rep, const char *key)
{
        struct json_object *v = NULL;

        assert_true(json_object_object_get_ex(rep->parameters, key, &v));
        return json_object_get_int64(v);
}

/* ---- tests ---- */

static void test_get_info(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);
        struct vgl_varlink_reply rep = call_json(c, "org.varlink.service.GetInfo", NULL);
        struct json_object *ifaces = NULL;

        assert_null(rep.error);
        assert_string_equal(param_string(&rep, "vendor"), "vigil");
        assert_string_equal(param_string(&rep, "product"), "test");
        assert_string_equal(param_string(&rep, "version"), "0.1");
        assert_string_equal(param_string(&rep, "url"), "https://example.invalid/vigil");
        assert_true(json_object_object_get_ex(rep.parameters, "interfaces", &ifaces));
        assert_int_equal(json_object_array_length(ifaces), 2);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 0)),
                            "org.varlink.service");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(ifaces, 1)),
                            "io.vigil.Test");
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
}

static void test_interface_description(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);
        struct vgl_varlink_reply rep;

        rep = call_json(c, "org.varlink.service.GetInterfaceDescription",
                        "{\"interface\":\"io.vigil.Test\"}");
        assert_null(rep.error);
        assert_string_equal(param_string(&rep, "description"), test_description);
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "org.varlink.service.GetInterfaceDescription",
                        "{\"interface\":\"org.varlink.service\"}");
        assert_non_null(strstr(param_string(&rep, "description"), "method GetInfo()"));
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "org.varlink.service.GetInterfaceDescription",
                        "{\"interface\":\"io.vigil.Nope\"}");
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_INTERFACE_NOT_FOUND);
        assert_string_equal(param_string(&rep, "interface"), "io.vigil.Nope");
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "org.varlink.service.GetInterfaceDescription", "{\"iface\":1}");
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_INVALID_PARAMETER);
        assert_string_equal(param_string(&rep, "parameter"), "interface");
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
}

static void test_echo_and_errors(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);
        struct vgl_varlink_reply rep;
        struct json_object *want = json_tokener_parse("{\"a\":[1,2,{\"b\":\"é\"}],\"c\":null}");

        rep = call_json(c, "io.vigil.Test.Echo", "{\"a\":[1,2,{\"b\":\"é\"}],\"c\":null}");
        assert_null(rep.error);
        assert_true(json_object_equal(rep.parameters, want));
        vgl_varlink_reply_done(&rep);
        json_object_put(want);

        rep = call_json(c, "io.vigil.Test.Fail", NULL);
        assert_string_equal(rep.error, "io.vigil.Test.Failed");
        assert_string_equal(param_string(&rep, "reason"), "asked to");
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Test.Nope", NULL);
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_METHOD_NOT_FOUND);
        assert_string_equal(param_string(&rep, "method"), "io.vigil.Test.Nope");
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Missing.Echo", NULL);
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_INTERFACE_NOT_FOUND);
        assert_string_equal(param_string(&rep, "interface"), "io.vigil.Missing");
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Test.Unwritten", NULL);
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_METHOD_NOT_IMPLEMENTED);
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Test.Broken", NULL);
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_SYSTEM);
        assert_int_equal(param_int(&rep, "errno"), EPERM);
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Test.Forgetful", NULL);
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_SYSTEM);
        assert_int_equal(param_int(&rep, "errno"), EIO);
        vgl_varlink_reply_done(&rep);

        rep = call_json(c, "io.vigil.Test.Count", "{\"n\":3}"); /* without more */
        assert_string_equal(rep.error, VGL_VARLINK_ERROR_EXPECTED_MORE);
        vgl_varlink_reply_done(&rep);

        /* The connection is still fine after all those errors. */
        rep = call_json(c, "io.vigil.Test.Echo", "{}");
        assert_null(rep.error);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
}

static void test_peer_credentials(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);
        struct vgl_varlink_reply rep = call_json(c, "io.vigil.Test.Whoami", NULL);

        assert_int_equal(param_int(&rep, "uid"), getuid());
        assert_int_equal(param_int(&rep, "gid"), getgid());
        assert_int_equal(param_int(&rep, "pid"), getpid());
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
}

/* In a child running as another uid: 0 if connect fails with EACCES, else
 * the uid the server saw (as exit status), 255 on other failures. */
static int whoami_as(struct fixture *f, uid_t uid)
{
        pid_t pid = fork();
        int status = 0;

        assert_true(pid >= 0);
        if (pid == 0) {
                struct vgl_varlink_client *c = NULL;
                struct vgl_varlink_reply rep = {0};
                struct json_object *v = NULL;
                int r;

                if (setgid(uid) < 0 || setuid(uid) < 0)
                        _exit(255);
                r = vgl_varlink_client_connect(f->path, &c, NULL);
                if (r == -EACCES)
                        _exit(0);
                if (r < 0 ||
                    vgl_varlink_client_call(c, "io.vigil.Test.Whoami", NULL, &rep, NULL) < 0 ||
                    !json_object_object_get_ex(rep.parameters, "uid", &v))
                        _exit(255);
                _exit(json_object_get_int(v) & 0xff);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        return WEXITSTATUS(status);
}

static void test_peer_other_uid(void **state)
{
        struct fixture *f = *state;
        if (geteuid() != 0)
                skip();                           /* needs to switch uids */
        assert_int_equal(chmod(f->dir, 0755), 0); /* mkdtemp made it 0700 */
        /* Mode 0660, owned by root: another uid may not connect. */
        assert_int_equal(whoami_as(f, 4242), 0);
        /* Opened up: the handler sees the caller's real uid. */
        assert_int_equal(chmod(f->path, 0666), 0);
        assert_int_equal(whoami_as(f, 4242), 4242 & 0xff);
}

/* Receives a stream of {"i": 0..n}; the last reply has no continues. */
static void expect_stream(struct vgl_varlink_client *c, int n)
{
        for (int i = 0; i <= n; i++) {
                struct vgl_varlink_reply rep = {0};
                struct vgl_error err = {0};

                assert_int_equal(vgl_varlink_client_receive(c, &rep, &err), 0);
                assert_null(rep.error);
                assert_int_equal(param_int(&rep, "i"), i);
                assert_int_equal(rep.continues, i < n);
                vgl_varlink_reply_done(&rep);
        }
}

static void send_json(struct vgl_varlink_client *c, const char *method, const char *params,
                      unsigned flags)
{
        struct json_object *p = params ? json_tokener_parse(params) : NULL;
        struct vgl_error err = {0};

        assert_int_equal(vgl_varlink_client_send(c, method, p, flags, &err), 0);
        json_object_put(p);
}

static void test_more_streams(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);

        send_json(c, "io.vigil.Test.Count", "{\"n\":100}", VGL_VARLINK_CALL_MORE);
        expect_stream(c, 100);
        send_json(c, "io.vigil.Test.CountLater", "{\"n\":50}", VGL_VARLINK_CALL_MORE);
        expect_stream(c, 50);
        vgl_varlink_client_free(c);
}

static void test_oneway_and_pipelining(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);
        char params[32];

        atomic_store(&notes, 0);
        /* Three oneway calls, a stream answered later, then twenty calls,
         * all sent before reading anything: answered in order, oneway
         * calls not at all. */
        for (int i = 0; i < 3; i++)
                send_json(c, "io.vigil.Test.Note", NULL, VGL_VARLINK_CALL_ONEWAY);
        send_json(c, "io.vigil.Test.CountLater", "{\"n\":5}", VGL_VARLINK_CALL_MORE);
        for (int i = 0; i < 20; i++) {
                snprintf(params, sizeof(params), "{\"i\":%d}", i);
                send_json(c, "io.vigil.Test.Echo", params, 0);
        }
        expect_stream(c, 5);
        assert_int_equal(atomic_load(&notes), 3);
        for (int i = 0; i < 20; i++) {
                struct vgl_varlink_reply rep = {0};
                assert_int_equal(vgl_varlink_client_receive(c, &rep, NULL), 0);
                assert_int_equal(param_int(&rep, "i"), i);
                assert_false(rep.continues);
                vgl_varlink_reply_done(&rep);
        }
        /* Oneway calls to unknown methods get no error reply either. */
        send_json(c, "io.vigil.Test.Nope", NULL, VGL_VARLINK_CALL_ONEWAY);
        struct vgl_varlink_reply rep = call_json(c, "io.vigil.Test.Echo", "{\"last\":1}");
        assert_int_equal(param_int(&rep, "last"), 1);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
}

static int raw_connect(struct fixture *f)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        strcpy(addr.sun_path, f->path);
        assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        return fd;
}

/* Reads until EOF; returns the bytes read (bounded wait via SO_RCVTIMEO). */
static ssize_t read_to_eof(int fd)
{
        struct timeval tv = {.tv_sec = WAIT_LIMIT_S};
        char buf[4096];
        ssize_t total = 0, n;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                total += n;
        return n == 0 ? total : -1;
}

static void test_garbage_closes_only_that_client(void **state)
{
        static const char *garbage[] = {
                "{not json",
                "[]",
                "42",
                "\"str\"",
                "{\"method\":7}",
                "{\"method\":\"io.vigil.Test.Echo\",\"x\":1}",
                "",
                "{\"method\":\"a.b.C\"}}",
        };
        struct fixture *f = *state;
        struct vgl_varlink_client *good = connect_to(f);

        /* The good client has a stream open the whole time. */
        send_json(good, "io.vigil.Test.Count", "{\"n\":3}", VGL_VARLINK_CALL_MORE);
        for (size_t i = 0; i < sizeof(garbage) / sizeof(*garbage); i++) {
                int fd = raw_connect(f);
                /* A valid call first: it is answered before the garbage is seen. */
                const char ok[] = "{\"method\":\"io.vigil.Test.Echo\"}";
                assert_int_equal(write(fd, ok, sizeof(ok)), sizeof(ok));
                assert_int_equal(write(fd, garbage[i], strlen(garbage[i]) + 1),
                                 strlen(garbage[i]) + 1);
                assert_int_equal(read_to_eof(fd), strlen("{\"parameters\":{}}") + 1);
                close(fd);
        }
        expect_stream(good, 3);
        struct vgl_varlink_reply rep = call_json(good, "io.vigil.Test.Echo", "{\"still\":1}");
        assert_int_equal(param_int(&rep, "still"), 1);
        vgl_varlink_reply_done(&rep);
        assert_int_equal(stats_of(f).dropped_protocol, sizeof(garbage) / sizeof(*garbage));
        assert_int_equal(atomic_load(&drops_protocol), sizeof(garbage) / sizeof(*garbage));
        assert_int_equal(stats_of(f).clients, 1);
        vgl_varlink_client_free(good);
}

static void test_oversized_message_cut_off(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *other = connect_to(f);
        const size_t total = (size_t)100 << 20;
        const size_t chunk = (size_t)1 << 20;
        char *block = malloc(chunk);
        size_t sent = 0;
        int fd = raw_connect(f);

        memset(block, ' ', chunk); /* whitespace: valid JSON so far, never a message end */
        block[0] = '{';
        while (sent < total) {
                ssize_t n = send(fd, block, chunk, MSG_NOSIGNAL);
                if (n < 0) {
                        assert_true(errno == EPIPE || errno == ECONNRESET);
                        break;
                }
                sent += (size_t)n;
                block[0] = ' ';
        }
        /* Cut off after about the 1 MiB cap plus what the socket buffers held,
         * not after reading (or storing) the whole 100 MB. */
        print_message("sent %zu bytes before the cut-off\n", sent);
        assert_true(sent < (size_t)16 << 20);
        close(fd);
        free(block);
        assert_int_equal(stats_of(f).dropped_protocol, 1);

        /* The other client is served as before. */
        struct vgl_varlink_reply rep = call_json(other, "io.vigil.Test.Echo", "{\"ok\":true}");
        assert_null(rep.error);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(other);
}

static void test_message_at_cap(void **state)
{
        struct fixture *f = fixture_new(4096, 0, 0);
        struct vgl_varlink_client *c = connect_to(f);
        char params[5000];
        struct vgl_varlink_reply rep;
        size_t overhead = strlen("{\"method\":\"io.vigil.Test.Echo\",\"parameters\":{\"s\":\"\"}}");

        /* A call of exactly 4096 bytes is served... */
        memset(params, 0, sizeof(params));
        strcpy(params, "{\"s\":\"");
        memset(params + 6, 'x', 4096 - overhead);
        strcat(params, "\"}");
        rep = call_json(c, "io.vigil.Test.Echo", params);
        assert_null(rep.error);
        vgl_varlink_reply_done(&rep);
        /* ...one more byte closes the connection. */
        memset(params + 6, 'x', 4097 - overhead);
        strcpy(params + 6 + 4097 - overhead, "\"}");
        struct json_object *p = json_tokener_parse(params);
        assert_int_equal(vgl_varlink_client_send(c, "io.vigil.Test.Echo", p, 0, NULL), 0);
        json_object_put(p);
        assert_int_equal(vgl_varlink_client_receive(c, &rep, NULL), -ECONNRESET);
        assert_int_equal(stats_of(f).dropped_protocol, 1);
        vgl_varlink_client_free(c);
        void *s = f;
        teardown(&s);
}

static void test_client_gone_cancels(void **state)
{
        struct fixture *f = *state;
        struct vgl_varlink_client *c = connect_to(f);

        atomic_store(&hang_cancelled, false);
        send_json(c, "io.vigil.Test.Hang", NULL, 0);
        /* Make sure the call is being handled before leaving. */
        for (int i = 0; i < WAIT_LIMIT_S * 1000 && stats_of(f).calls < 1; i++)
                usleep(1000);
        vgl_varlink_client_free(c);
        assert_true(wait_flag(&hang_cancelled));
        assert_int_equal(stats_of(f).clients, 0);
}

static void test_half_close_still_answered(void **state)
{
        struct fixture *f = *state;
        int fd = raw_connect(f);
        const char calls[] = "{\"method\":\"io.vigil.Test.Echo\"}\0"
                             "{\"method\":\"io.vigil.Test.CountLater\",\"more\":true,"
                             "\"parameters\":{\"n\":2}}";

        assert_int_equal(write(fd, calls, sizeof(calls)), sizeof(calls));
        shutdown(fd, SHUT_WR);
        /* {"parameters":{}} then {"i":0..2} with continues on the first two. */
        size_t want = strlen("{\"parameters\":{}}") + 1 +
                      2 * (strlen("{\"parameters\":{\"i\":0},\"continues\":true}") + 1) +
                      strlen("{\"parameters\":{\"i\":2}}") + 1;
        assert_int_equal(read_to_eof(fd), want);
        close(fd);
}

static void test_slow_reader_cut_off(void **state)
{
        struct fixture *f = fixture_new(0, 64 << 10, 0);
        struct vgl_varlink_client *c = connect_to(f);
        struct vgl_varlink_client *other = connect_to(f);

        atomic_store(&flood_cancelled, false);
        send_json(c, "io.vigil.Test.Flood", NULL, VGL_VARLINK_CALL_MORE);
        /* Never read c: the server must cut it off rather than buffer forever. */
        assert_true(wait_flag(&flood_cancelled));
        assert_int_equal(stats_of(f).dropped_output, 1);
        assert_int_equal(atomic_load(&drops_output), 1);
        struct vgl_varlink_reply rep = call_json(other, "io.vigil.Test.Echo", NULL);
        assert_null(rep.error);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c);
        vgl_varlink_client_free(other);
        void *s = f;
        teardown(&s);
}

static void test_max_clients(void **state)
{
        struct fixture *f = fixture_new(0, 0, 2);
        struct vgl_varlink_client *c[3];
        struct vgl_varlink_reply rep;

        for (int i = 0; i < 2; i++) {
                c[i] = connect_to(f);
                rep = call_json(c[i], "io.vigil.Test.Echo", NULL); /* accepted by now */
                vgl_varlink_reply_done(&rep);
        }
        c[2] = connect_to(f); /* the kernel accepts, the server closes it */
        (void)vgl_varlink_client_send(c[2], "io.vigil.Test.Echo", NULL, 0, NULL); /* may fail */
        assert_int_equal(vgl_varlink_client_receive(c[2], &rep, NULL), -ECONNRESET);
        assert_int_equal(stats_of(f).rejected, 1);
        assert_int_equal(atomic_load(&drops_users), 1);
        /* A freed slot is usable again. */
        vgl_varlink_client_free(c[0]);
        vgl_varlink_client_free(c[2]);
        for (int i = 0; i < WAIT_LIMIT_S * 1000 && stats_of(f).clients > 1; i++)
                usleep(1000);
        c[0] = connect_to(f);
        rep = call_json(c[0], "io.vigil.Test.Echo", "{\"back\":1}");
        assert_int_equal(param_int(&rep, "back"), 1);
        vgl_varlink_reply_done(&rep);
        vgl_varlink_client_free(c[0]);
        vgl_varlink_client_free(c[1]);
        void *s = f;
        teardown(&s);
}

struct listen_case {
        struct vgl_varlink_server *server;
        const char *path;
        int result;
};

static void listen_on_loop(void *data)
{
        struct listen_case *lc = data;
        struct vgl_varlink_server_config cfg = {0};
        struct vgl_error err = {0};

        assert_int_equal(vgl_varlink_server_new(&cfg, &lc->server, &err), 0);
        lc->result = vgl_varlink_server_listen(lc->server, lc->path, 0600, &err);
        if (lc->result < 0)
                lc->server = vgl_varlink_server_free(lc->server);
}

static void free_on_loop(void *data)
{
        struct listen_case *lc = data;

        lc->server = vgl_varlink_server_free(lc->server);
}

static void test_listen_paths(void **state)
{
        struct fixture *f = *state; /* a live server at f->path */
        char path[160];
        struct stat st;
        struct listen_case lc = {.path = f->path};

        assert_int_equal(stat(f->path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0660);

        on_loop(listen_on_loop, &lc); /* somebody listens there */
        assert_int_equal(lc.result, -EADDRINUSE);

        snprintf(path, sizeof(path), "%s/file", f->dir); /* not a socket */
        fclose(fopen(path, "w"));
        lc.path = path;
        on_loop(listen_on_loop, &lc);
        assert_int_equal(lc.result, -EEXIST);
        unlink(path);

        /* A stale socket (bound, nobody listening) is replaced. */
        snprintf(path, sizeof(path), "%s/stale.sock", f->dir);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strcpy(addr.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
        close(fd);
        on_loop(listen_on_loop, &lc);
        assert_int_equal(lc.result, 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        struct vgl_varlink_client *c = NULL;
        assert_int_equal(vgl_varlink_client_connect(path, &c, NULL), 0);
        vgl_varlink_client_free(c);
        on_loop(free_on_loop, &lc);
        assert_int_equal(access(path, F_OK), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_get_info, setup, teardown),
                cmocka_unit_test_setup_teardown(test_interface_description, setup, teardown),
                cmocka_unit_test_setup_teardown(test_echo_and_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_peer_credentials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_peer_other_uid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_more_streams, setup, teardown),
                cmocka_unit_test_setup_teardown(test_oneway_and_pipelining, setup, teardown),
                cmocka_unit_test_setup_teardown(test_garbage_closes_only_that_client, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_oversized_message_cut_off, setup, teardown),
                cmocka_unit_test(test_message_at_cap),
                cmocka_unit_test_setup_teardown(test_client_gone_cancels, setup, teardown),
                cmocka_unit_test_setup_teardown(test_half_close_still_answered, setup, teardown),
                cmocka_unit_test(test_slow_reader_cut_off),
                cmocka_unit_test(test_max_clients),
                cmocka_unit_test_setup_teardown(test_listen_paths, setup, teardown),
        };
        int r;

        if (vgl_virt_loop_start(NULL) < 0)
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        vgl_virt_loop_stop();
        return r;
}
