/* libvigil-client and vigilctl end to end against a real varlink server in
 * this process: libvirt's default event loop runs in a thread and serves
 * fake-manager.c, a TEST DOUBLE of io.vigil.Manager with canned answers.
 * This checks that the wrappers encode calls and decode replies, errors and
 * streams correctly; the real vigild is tested in tests/integration. */
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <libvirt/libvirt.h>

#include "virt.h"

#include "fake-manager.h"
#include "vigil-client.h"
#include "vigilctl.h"

/* Runs fn(data) on the event loop thread (manager/virt.h) and waits for it. */
static void on_loop(void (*fn)(void *data), void *data)
{
        assert_int_equal(vgl_virt_loop_run(fn, data), 0);
}

static void noop(void *data)
{
}

/* ---- fixture: the double listening on a socket in a temporary dir ---- */

struct fixture {
        char dir[64], path[128];
        struct vgl_varlink_server *server;
        struct vgl_client *client;
};

static void server_start(void *data)
{
        struct fixture *f = data;
        struct vgl_varlink_server_config config = {
                .vendor = "vigil", .product = "vigild-test-double", .version = "9.9"};
        struct vgl_error err = {0};

        assert_int_equal(vgl_varlink_server_new(&config, &f->server, &err), 0);
        assert_int_equal(
                vgl_varlink_server_add_interface(f->server, &fake_manager_interface, f, &err), 0);
        assert_int_equal(vgl_varlink_server_listen(f->server, f->path, 0600, &err), 0);
}

static void server_stop(void *data)
{
        struct fixture *f = data;

        f->server = vgl_varlink_server_free(f->server);
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct vgl_error err = {0};

        strcpy(f->dir, "/tmp/vigil-client-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/vigild.sock", f->dir);
        fake_manager_reset();
        on_loop(server_start, f);
        assert_int_equal(vgl_client_connect(f->path, &f->client, &err), 0);
        vgl_client_set_timeout(f->client, 30000); /* a hang guard only */
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        vgl_client_free(f->client);
        on_loop(server_stop, f);
        on_loop(noop, NULL); /* lets libvirt run the handles' free callbacks */
        rmdir(f->dir);
        free(f);
        return 0;
}

static void assert_last_params(const char *expected)
{
        char *got = fake_manager_last_params();

        assert_non_null(got);
        assert_string_equal(got, expected);
        free(got);
}

/* ---- the library ---- */

static void test_reserve(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_label labels[] = {{"app", "web"}, {"team", "qa"}};
        struct vgl_client_reserve_request req = {.desired_trust_level = 0.25};
        struct vgl_client_sandbox s = {0};
        struct vgl_error err = {0};

        /* Optional members are left out, not sent as null. */
        assert_int_equal(vgl_client_reserve(f->client, &req, &s, &err), 0);
        assert_last_params("{\"desired_trust_level\":0.25}");
        assert_string_equal(s.id, "new1");
        assert_true(s.desired_trust_level == 0.25);
        vgl_client_sandbox_done(&s);

        req = (struct vgl_client_reserve_request){.desired_trust_level = 1,
                                                  .tier = "high",
                                                  .ttl_s = 600,
                                                  .labels = labels,
                                                  .n_labels = 2};
        assert_int_equal(vgl_client_reserve(f->client, &req, &s, &err), 0);
        assert_last_params("{\"desired_trust_level\":1.0,\"tier\":\"high\",\"ttl_s\":600,"
                           "\"labels\":{\"app\":\"web\",\"team\":\"qa\"}}");
        assert_string_equal(s.tier, "high");
        assert_int_equal(s.n_labels, 2);
        assert_string_equal(s.labels[1].value, "qa");
        vgl_client_sandbox_done(&s);
}

static void test_list_get_release_tiers(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_sandbox *list = NULL, s = {0};
        struct vgl_client_tier *tiers = NULL;
        struct vgl_error err = {0};
        size_t n = 0;

        assert_int_equal(vgl_client_list(f->client, &list, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(list[0].id, "a1b2c3");
        assert_string_equal(list[1].state, "booting");
        vgl_client_sandboxes_free(list, n);

        assert_int_equal(vgl_client_get(f->client, "ffff", &s, &err), 0);
        assert_last_params("{\"id\":\"ffff\"}");
        assert_string_equal(s.tier, "paranoid");
        assert_false(s.has_agent);
        vgl_client_sandbox_done(&s);

        assert_int_equal(vgl_client_release(f->client, "a1b2c3", &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\"}");

        assert_int_equal(vgl_client_list_tiers(f->client, &tiers, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(tiers[1].name, "paranoid");
        assert_true(tiers[1].min_trust == 0.9);
        assert_int_equal(tiers[0].resources.memory_mib, 1024);
        vgl_client_tiers_free(tiers, n);
}

static void test_errors_mapped(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_reserve_request req = {.desired_trust_level = 0.5, .tier = "nope"};
        struct vgl_client_sandbox s = {.id = "untouched"};
        const char *argv[] = {"true", NULL};
        struct vgl_client_exec_request ex = {.argv = argv, .uid = -1};
        struct vgl_error err = {0};
        struct json_object *v = NULL;

        assert_int_equal(vgl_client_get(f->client, "nope", &s, &err), -ENOENT);
        assert_string_equal(err.msg, "no such sandbox: nope");
        assert_string_equal(vgl_client_error_name(f->client), "io.vigil.Manager.NoSuchSandbox");
        assert_true(json_object_object_get_ex(vgl_client_error_parameters(f->client), "id", &v));
        assert_string_equal(json_object_get_string(v), "nope");
        assert_string_equal(s.id, "untouched");

        assert_int_equal(vgl_client_reserve(f->client, &req, &s, &err), -ENOENT);
        assert_string_equal(err.msg, "no such tier: nope");

        assert_int_equal(vgl_client_exec(f->client, "ffff", &ex, NULL, NULL, NULL, &err), -EBUSY);
        assert_string_equal(err.msg, "sandbox not ready: ffff (state: booting)");

        assert_int_equal(vgl_client_get(f->client, "boom", &s, &err), -EIO);
        assert_string_equal(vgl_client_error_name(f->client), "io.vigil.System");
        assert_string_equal(err.msg, "vigild failed: Input/output error");

        /* A malformed record is not an error reply: no name. */
        assert_int_equal(vgl_client_get(f->client, "garbage", &s, &err), -EBADMSG);
        assert_null(vgl_client_error_name(f->client));
        assert_non_null(strstr(err.msg, "sandbox.id is not a string"));

        /* The connection is still good, and a success clears the error. */
        assert_int_equal(vgl_client_get(f->client, "a1b2c3", &s, &err), 0);
        assert_null(vgl_client_error_name(f->client));
        vgl_client_sandbox_done(&s);
}

struct collected {
        char out[512], err[512];
        int replies, exits;
        int fail_output; /* a negative errno to return from on_output */
};

static int collect_output(void *userdata, enum vgl_client_stream stream, const uint8_t *data,
                          size_t len)
{
        struct collected *c = userdata;
        char *dst = stream == VGL_CLIENT_STDOUT ? c->out : c->err;

        if (c->fail_output)
                return c->fail_output;
        strncat(dst, (const char *)data, len);
        return 0;
}

static int collect_reply(void *userdata, struct json_object *parameters)
{
        ((struct collected *)userdata)->replies++;
        return 0;
}

static int collect_exit(void *userdata, const struct vgl_client_exec_exit *x)
{
        ((struct collected *)userdata)->exits++;
        return 0;
}

static const struct vgl_client_exec_ops collect_ops = {
        .on_reply = collect_reply, .on_output = collect_output, .on_exit = collect_exit};

static void test_exec_stream(void **state)
{
        struct fixture *f = *state;
        const char *argv[] = {"echo", "hi", NULL}, *env[] = {"A=1", NULL};
        struct vgl_client_exec_request req = {.argv = argv,
                                              .env = env,
                                              .cwd = "/tmp",
                                              .uid = 0,
                                              .timeout_ms = 500,
                                              .stdin_data = "in\n",
                                              .stdin_len = 3};
        struct vgl_client_exec_exit x = {0};
        struct collected c = {0};
        struct vgl_error err = {0};

        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, &collect_ops, &c, &x, &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\",\"argv\":[\"echo\",\"hi\"],\"env\":[\"A=1\"],"
                           "\"cwd\":\"/tmp\",\"uid\":0,\"timeout_ms\":500,\"stdin_b64\":\"aW4K\"}");
        assert_string_equal(c.out, "out:hi\nin\n");
        assert_string_equal(c.err, "err\n");
        assert_int_equal(c.replies, 4); /* three chunks and the exit */
        assert_int_equal(c.exits, 1);
        assert_int_equal(x.kind, VGL_CLIENT_EXITED);
        assert_string_equal(x.status, "exited");
        assert_int_equal(x.code, 0);
        assert_int_equal(x.duration_ms, 7);

        /* Without "more": one reply with all the output. */
        memset(&c, 0, sizeof(c));
        req = (struct vgl_client_exec_request){.argv = argv, .uid = -1, .no_stream = true};
        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, &collect_ops, &c, &x, &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\",\"argv\":[\"echo\",\"hi\"]}");
        assert_string_equal(c.out, "out:hi\n");
        assert_string_equal(c.err, "err\n");
        assert_int_equal(c.replies, 1);
}

static void test_exec_exits(void **state)
{
        static const struct {
                const char *argv[3];
                enum vgl_client_exit_kind kind;
                int code;
        } cases[] = {
                {{"exit", "3"}, VGL_CLIENT_EXITED, 3},
                {{"kill"}, VGL_CLIENT_SIGNALED, 9},
                {{"sleep"}, VGL_CLIENT_TIMEOUT, 9},
                {{"nostart"}, VGL_CLIENT_FAILED, -1},
        };
        struct fixture *f = *state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vgl_client_exec_request req = {.argv = cases[i].argv, .uid = -1};
                struct vgl_client_exec_exit x = {0};
                struct vgl_error err = {0};

                assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, NULL, NULL, &x, &err),
                                 0);
                assert_int_equal(x.kind, cases[i].kind);
                assert_int_equal(x.code, cases[i].code);
        }
}

static void test_exec_broken_streams(void **state)
{
        struct fixture *f = *state;
        const char *noexit[] = {"noexit", NULL}, *badb64[] = {"badb64", NULL},
                   *echo[] = {"echo", NULL};
        struct vgl_client_exec_request req = {.argv = noexit, .uid = -1};
        struct vgl_client_sandbox s = {0};
        struct collected c = {.fail_output = -EPIPE};
        struct vgl_error err = {0};

        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, NULL, NULL, NULL, &err),
                         -EPROTO);
        req.argv = NULL;
        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, NULL, NULL, NULL, &err),
                         -EINVAL);

        /* A callback that fails stops the stream; the connection is given up. */
        req.argv = echo;
        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, &collect_ops, &c, NULL, &err),
                         -EPIPE);
        assert_int_equal(vgl_client_get(f->client, "a1b2c3", &s, &err), -ENOTCONN);

        /* Invalid base64 from the server, on a new connection. */
        vgl_client_free(f->client);
        assert_int_equal(vgl_client_connect(f->path, &f->client, &err), 0);
        req.argv = badb64;
        assert_int_equal(vgl_client_exec(f->client, "a1b2c3", &req, NULL, NULL, NULL, &err),
                         -EBADMSG);
        assert_non_null(strstr(err.msg, "data_b64"));
}

static void test_files(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_file file = {0};
        struct vgl_error err = {0};
        uint8_t data[1000];
        int64_t size = 0;

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 31);
        assert_int_equal(vgl_client_put_file(f->client, "a1b2c3", "/tmp/blob", data, sizeof(data),
                                             0600, &size, &err),
                         0);
        assert_int_equal(size, sizeof(data));
        assert_int_equal(vgl_client_get_file(f->client, "a1b2c3", "/tmp/blob", 0, &file, &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\",\"path\":\"/tmp/blob\"}");
        assert_int_equal(file.size, sizeof(data));
        assert_memory_equal(file.data, data, sizeof(data));
        assert_int_equal(file.mode, 0600);
        free(file.data);

        /* An empty file; mode not sent. */
        assert_int_equal(
                vgl_client_put_file(f->client, "a1b2c3", "/tmp/empty", "", 0, -1, NULL, &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\",\"path\":\"/tmp/empty\",\"data_b64\":\"\"}");

        assert_int_equal(vgl_client_get_file(f->client, "a1b2c3", "/tmp/blob", 10, &file, &err),
                         -EFBIG);
        assert_string_equal(err.msg, "too large (limit: 10)");
        assert_int_equal(vgl_client_get_file(f->client, "a1b2c3", "/nope", 0, &file, &err), -EIO);
        assert_string_equal(err.msg, "transfer failed: no such file");
        assert_int_equal(vgl_client_put_file(f->client, "a1b2c3", "/ro/x", "x", 1, -1, NULL, &err),
                         -EIO);
        assert_string_equal(vgl_client_error_name(f->client), "io.vigil.Manager.TransferFailed");
        assert_int_equal(vgl_client_put_file(f->client, "a1b2c3", "/x", data,
                                             VGL_CLIENT_MAX_INLINE + 1, -1, NULL, &err),
                         -EFBIG);
}

static void test_subscribe(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_event e = {0};
        struct vgl_client_sandbox s = {0};
        struct vgl_error err = {0};

        assert_int_equal(vgl_client_subscribe(f->client, "ffff", &err), 0);
        /* The connection carries nothing else while the stream runs. */
        assert_int_equal(vgl_client_get(f->client, "a1b2c3", &s, &err), -EBUSY);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(vgl_client_next_event(f->client, &e, &err), 1);
                assert_last_params("{\"sandbox\":\"ffff\"}");
                assert_string_equal(e.sandbox, "ffff");
                assert_int_equal(e.time, 1700000000 + i);
                vgl_client_event_done(&e);
        }
        assert_int_equal(vgl_client_next_event(f->client, &e, &err), 0);
        assert_int_equal(vgl_client_next_event(f->client, &e, &err), 0);

        /* A stream that stays silent times out and may be waited on again. */
        assert_int_equal(vgl_client_subscribe(f->client, "quiet", &err), 0);
        vgl_client_set_timeout(f->client, 50);
        assert_int_equal(vgl_client_next_event(f->client, &e, &err), -ETIMEDOUT);
        assert_int_equal(vgl_client_next_event(f->client, &e, &err), -ETIMEDOUT);
}

static void test_get_info(void **state)
{
        struct fixture *f = *state;
        struct vgl_client_info info = {0};
        struct vgl_error err = {0};

        assert_int_equal(vgl_client_get_info(f->client, &info, &err), 0);
        assert_string_equal(info.product, "vigild-test-double");
        assert_string_equal(info.version, "9.9");
}

static void test_default_socket(void **state)
{
        char dir[] = "/tmp/vigil-xdg-XXXXXX", sub[64], sock[96];

        /* A non-root user's vigild listens under $XDG_RUNTIME_DIR. */
        assert_non_null(mkdtemp(dir));
        snprintf(sub, sizeof(sub), "%s/vigil", dir);
        snprintf(sock, sizeof(sock), "%s/vigild.sock", sub);
        setenv("XDG_RUNTIME_DIR", dir, 1);
        unsetenv(VGL_CLIENT_SOCKET_ENV);
        assert_string_equal(vgl_client_default_socket(), "/run/vigil/vigild.sock");
        assert_int_equal(mkdir(sub, 0700), 0);
        fclose(fopen(sock, "w"));
        if (geteuid() != 0 && access("/run/vigil/vigild.sock", F_OK) != 0)
                assert_string_equal(vgl_client_default_socket(), sock);
        unlink(sock);
        rmdir(sub);
        rmdir(dir);
        unsetenv("XDG_RUNTIME_DIR");

        assert_string_equal(vgl_client_default_socket(), "/run/vigil/vigild.sock");
        setenv(VGL_CLIENT_SOCKET_ENV, "", 1);
        assert_string_equal(vgl_client_default_socket(), "/run/vigil/vigild.sock");
        setenv(VGL_CLIENT_SOCKET_ENV, "/tmp/x.sock", 1);
        assert_string_equal(vgl_client_default_socket(), "/tmp/x.sock");
        unsetenv(VGL_CLIENT_SOCKET_ENV);
}

/* ---- vigilctl against the double ---- */

struct run {
        int status;
        char *out, *err;
};

static void run_done(struct run *r)
{
        free(r->out);
        free(r->err);
}

/* Runs `vigilctl -c SOCKET args...` with stdin (NULL: empty). */
static struct run ctl(struct fixture *f, const char *in, const char *const *args)
{
        char *argv[32] = {"vigilctl", "-c", f->path};
        size_t out_len = 0, err_len = 0, argc = 3;
        struct run r = {0};
        FILE *fo = open_memstream(&r.out, &out_len), *fe = open_memstream(&r.err, &err_len);
        FILE *fi = fmemopen((void *)(in ? in : ""), in ? strlen(in) + 1 : 1, "r");

        for (size_t i = 0; args[i]; i++)
                argv[argc++] = (char *)args[i];
        if (in)
                fi = (fclose(fi), fmemopen((void *)in, strlen(in), "r"));
        r.status = vgl_ctl_main((int)argc, argv, fi, fo, fe);
        fclose(fi);
        fclose(fo);
        fclose(fe);
        return r;
}

#define CTL(f, in, ...) ctl(f, in, (const char *const[]){__VA_ARGS__, NULL})

static void test_ctl_sandboxes(void **state)
{
        struct fixture *f = *state;
        struct run r = CTL(f, NULL, "list");

        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, " ID       TIER       STATE      TRUST"));
        assert_non_null(strstr(r.out, " a1b2c3   medium     reserved   0.75"));
        run_done(&r);

        r = CTL(f, NULL, "--json", "list");
        assert_int_equal(r.status, 0);
        assert_true(strncmp(r.out, "{\"sandboxes\":[{\"id\":\"a1b2c3\"", 28) == 0);
        run_done(&r);

        r = CTL(f, NULL, "info", "a1b2c3");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "Memory:         512 MiB (max 1024 MiB)\n"));
        assert_non_null(strstr(r.out, "Heartbeats:     42\n"));
        run_done(&r);

        r = CTL(f, NULL, "info", "nope");
        assert_int_equal(r.status, 1);
        assert_string_equal(
                r.err, "vigilctl info: no such sandbox: nope [io.vigil.Manager.NoSuchSandbox]\n");
        assert_string_equal(r.out, "");
        run_done(&r);

        r = CTL(f, NULL, "reserve", "--trust", "0.3", "--label", "app=x");
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "new1\n");
        assert_last_params("{\"desired_trust_level\":0.3,\"labels\":{\"app\":\"x\"}}");
        run_done(&r);

        r = CTL(f, NULL, "reserve", "--trust", "0.3", "--tier", "nope");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "no such tier: nope"));
        run_done(&r);

        r = CTL(f, NULL, "release", "a1b2c3", "--json");
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "{\"id\":\"a1b2c3\",\"state\":\"released\"}\n");
        run_done(&r);

        r = CTL(f, NULL, "tiers");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, " paranoid   paranoid   0.90-1.00"));
        run_done(&r);

        r = CTL(f, NULL, "version");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "vigild-test-double 9.9\n"));
        run_done(&r);
}

static void test_ctl_exec(void **state)
{
        static const struct {
                const char *cmd;
                int status;
                const char *err;
        } exits[] = {
                {"kill", 128 + 9, ""},
                {"sleep", 124, "timed out"},
                {"nostart", 125, "could not be started"},
        };
        struct fixture *f = *state;
        struct run r = CTL(f, "piped\n", "exec", "a1b2c3", "--env", "X=1", "--", "echo", "a");

        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "out:a\npiped\n");
        assert_string_equal(r.err, "err\n");
        assert_last_params("{\"id\":\"a1b2c3\",\"argv\":[\"echo\",\"a\"],\"env\":[\"X=1\"],"
                           "\"stdin_b64\":\"cGlwZWQK\"}");
        run_done(&r);

        r = CTL(f, "ignored", "exec", "-n", "a1b2c3", "--", "exit", "42");
        assert_int_equal(r.status, 42);
        assert_last_params("{\"id\":\"a1b2c3\",\"argv\":[\"exit\",\"42\"]}");
        run_done(&r);

        for (size_t i = 0; i < sizeof(exits) / sizeof(exits[0]); i++) {
                r = CTL(f, NULL, "exec", "-n", "a1b2c3", "--", exits[i].cmd);
                assert_int_equal(r.status, exits[i].status);
                assert_non_null(strstr(r.err, exits[i].err));
                run_done(&r);
        }

        r = CTL(f, NULL, "--json", "exec", "-n", "a1b2c3", "--", "echo");
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out,
                            "{\"stream\":\"stdout\",\"data_b64\":\"b3V0Ogo=\"}\n"
                            "{\"stream\":\"stderr\",\"data_b64\":\"ZXJyCg==\"}\n"
                            "{\"exit\":{\"status\":\"exited\",\"code\":0,\"duration_ms\":7}}\n");
        run_done(&r);

        r = CTL(f, NULL, "exec", "ffff", "--", "true");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "sandbox not ready: ffff (state: booting) "
                                      "[io.vigil.Manager.SandboxNotReady]"));
        run_done(&r);
}

static void test_ctl_cp(void **state)
{
        struct fixture *f = *state;
        char local[160], back[160], dir_copy[160], remote[] = "a1b2c3:/tmp/copied";
        struct stat st;
        struct run r;
        FILE *file;

        snprintf(local, sizeof(local), "%s/local.txt", f->dir);
        snprintf(back, sizeof(back), "%s/back.txt", f->dir);
        snprintf(dir_copy, sizeof(dir_copy), "%s/copied", f->dir);
        file = fopen(local, "w");
        fputs("hello sandbox\n", file);
        fclose(file);
        chmod(local, 0640);

        r = CTL(f, NULL, "cp", local, remote);
        assert_int_equal(r.status, 0);
        run_done(&r);
        r = CTL(f, NULL, "--json", "cp", remote, back);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "{\"size\":14,\"mode\":416}\n");
        run_done(&r);
        assert_int_equal(stat(back, &st), 0);
        assert_int_equal(st.st_size, 14);
        assert_int_equal(st.st_mode & 0777, 0640);

        /* Into a local directory: the remote file's name. To stdout with '-'. */
        r = CTL(f, NULL, "cp", remote, f->dir);
        assert_int_equal(r.status, 0);
        assert_int_equal(stat(dir_copy, &st), 0);
        run_done(&r);
        r = CTL(f, NULL, "cp", remote, "-");
        assert_string_equal(r.out, "hello sandbox\n");
        run_done(&r);

        /* From stdin. */
        r = CTL(f, "from stdin", "cp", "-", "a1b2c3:/tmp/in");
        assert_int_equal(r.status, 0);
        run_done(&r);
        r = CTL(f, NULL, "cp", "a1b2c3:/tmp/in", "-");
        assert_string_equal(r.out, "from stdin");
        run_done(&r);

        r = CTL(f, NULL, "cp", "a1b2c3:/missing", "-");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "transfer failed: no such file"));
        run_done(&r);
        r = CTL(f, NULL, "cp", "/nonexistent/file", remote);
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "/nonexistent/file"));
        run_done(&r);

        unlink(local);
        unlink(back);
        unlink(dir_copy);
}

static void test_ctl_events(void **state)
{
        struct fixture *f = *state;
        struct run r = CTL(f, NULL, "events");

        setenv("TZ", "UTC", 1);
        tzset();
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "2023-11-14 22:13:20  a1b2c3        reserved        canned\n");
        run_done(&r);

        r = CTL(f, NULL, "events", "--follow", "--json", "ffff");
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "{\"time\":1700000000,\"sandbox\":\"ffff\",\"kind\":"
                                   "\"reserved\",\"message\":\"canned\"}\n"
                                   "{\"time\":1700000001,\"sandbox\":\"ffff\",\"kind\":\"agent-"
                                   "silent\",\"message\":\"canned\"}\n"
                                   "{\"time\":1700000002,\"sandbox\":\"ffff\",\"kind\":"
                                   "\"released\",\"message\":\"canned\"}\n");
        run_done(&r);

        r = CTL(f, NULL, "events", "--follow", "--timeout", "1", "quiet");
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "");
        run_done(&r);
}

/* The control loop's calls: library and vigilctl verbs. */
static void test_profile_hop_audit(void **state)
{
        struct fixture *f = *state;
        struct json_object *p = NULL, *hop = NULL, *rec = NULL;
        struct json_object *changes = json_tokener_parse("{\"tier\":\"high\"}");
        struct vgl_client_audit_verdict v;
        struct vgl_error err = {0};
        struct run r;
        int n = 0;

        assert_int_equal(vgl_client_get_profile(f->client, "a1b2c3", &p, &err), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(p, "tier")), "high");
        json_object_put(p);
        assert_int_equal(vgl_client_get_profile(f->client, "zzz", &p, &err), -ENOENT);
        assert_int_equal(vgl_client_update_profile(f->client, "a1b2c3", changes, NULL, &err), 0);
        assert_last_params("{\"id\":\"a1b2c3\",\"changes\":{\"tier\":\"high\"}}");
        json_object_put(changes);
        assert_int_equal(vgl_client_hop(f->client, "a1b2c3", "paranoid", NULL, &hop, &err), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(hop, "state")), "moved");
        json_object_put(hop);
        assert_int_equal(vgl_client_hop(f->client, "a1b2c3", "low", NULL, NULL, &err), -EIO);
        assert_string_equal(vgl_client_error_name(f->client), "io.vigil.Manager.HopFailed");
        assert_non_null(strstr(err.msg, "restore refused"));
        assert_int_equal(vgl_client_audit(f->client, 2, false, &err), 0);
        while (vgl_client_next_audit_record(f->client, &rec, &err) == 1) {
                n++;
                json_object_put(rec);
        }
        assert_int_equal(n, 1);
        assert_last_params("{\"since\":2}"); /* once the stream was answered */
        assert_int_equal(vgl_client_audit_verify(f->client, &v, &err), 0);
        assert_false(v.ok);
        assert_int_equal(v.line, 3);
        assert_string_equal(v.reason, "altered");

        r = CTL(f, NULL, "profile", "a1b2c3");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "high (posture high)"));
        assert_non_null(strstr(r.out, "demote"));
        run_done(&r);
        r = CTL(f, NULL, "profile", "set", "a1b2c3", "trust_score=0.2", "tier=paranoid");
        assert_int_equal(r.status, 0);
        assert_last_params(
                "{\"id\":\"a1b2c3\",\"changes\":{\"trust_score\":0.2,\"tier\":\"paranoid\"}}");
        run_done(&r);
        r = CTL(f, NULL, "adjust", "a1b2c3");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "hold high -> high"));
        run_done(&r);
        r = CTL(f, NULL, "hop", "a1b2c3", "--tier", "paranoid");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "hop high -> paranoid: moved in 1500 ms"));
        run_done(&r);
        r = CTL(f, NULL, "hop", "a1b2c3", "--tier", "low");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.err, "HopFailed"));
        run_done(&r);
        r = CTL(f, NULL, "--json", "audit");
        assert_int_equal(r.status, 0);
        assert_non_null(strstr(r.out, "\"seq\":1"));
        assert_non_null(strstr(r.out, "\"seq\":2"));
        run_done(&r);
        r = CTL(f, NULL, "audit", "verify");
        assert_int_equal(r.status, 1);
        assert_non_null(strstr(r.out, "BROKEN at line 3 (seq 3): altered"));
        run_done(&r);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_reserve),
                T(test_list_get_release_tiers),
                T(test_errors_mapped),
                T(test_exec_stream),
                T(test_exec_exits),
                T(test_exec_broken_streams),
                T(test_files),
                T(test_subscribe),
                T(test_get_info),
                T(test_ctl_sandboxes),
                T(test_ctl_exec),
                T(test_ctl_cp),
                T(test_ctl_events),
                T(test_profile_hop_audit),
                cmocka_unit_test(test_default_socket),
        };
        int r;

        setenv("TZ", "UTC", 1);
        if (vgl_virt_loop_start(NULL) < 0)
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        vgl_virt_loop_stop();
        fake_manager_reset();
        return r;
}
