/* The API side of the reserve benchmark: timed Reserve calls, releases and
 * Get round trips, through libvigil-client and the raw varlink client. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-reserve.h"
#include "cleanup.h"
#include "varlink-client.h"
#include "vigil-client.h"

uint64_t bench_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int connect_client(struct vd *d, struct vgl_client **ret, struct vgl_error *err)
{
        int r = vgl_client_connect(d->sock, ret, err);

        if (r == 0)
                vgl_client_set_timeout(*ret, BENCH_TIMEOUT_S * 1000);
        return r;
}

/* exec-ready: the agent handshake is in the record and `true` exits 0. */
static int check_exec_ready(struct vgl_client *c, const struct vgl_client_sandbox *s,
                            struct vgl_error *err)
{
        const char *const argv[] = {"true", NULL};
        const struct vgl_client_exec_request req = {.argv = argv, .uid = -1};
        struct vgl_client_exec_exit x = {};
        int r;

        if (!s->has_agent || strcmp(s->state, "reserved") != 0)
                return vgl_error_set(err, EPROTO, "%s: state %s, agent %s", s->id, s->state,
                                     s->has_agent ? "connected" : "missing");
        if ((r = vgl_client_exec(c, s->id, &req, NULL, NULL, &x, err)) < 0)
                return r;
        if (x.kind != VGL_CLIENT_EXITED || x.code != 0)
                return vgl_error_set(err, EPROTO, "%s: `true` ended %s %lld", s->id, x.status,
                                     (long long)x.code);
        return 0;
}

int bench_reserve_once(struct vd *d, double *ret_ms, char *ret_id, size_t id_size,
                       struct vgl_error *err)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        _cleanup_sandbox_ struct vgl_client_sandbox s = {};
        const struct vgl_client_reserve_request req = {.desired_trust_level = BENCH_TRUST};
        uint64_t t0, t1;
        int r;

        if ((r = connect_client(d, &c, err)) < 0)
                return r;
        t0 = bench_now_ns();
        r = vgl_client_reserve(c, &req, &s, err);
        t1 = bench_now_ns();
        if (r < 0)
                return r;
        if ((r = check_exec_ready(c, &s, err)) < 0) {
                vgl_client_release(c, s.id, NULL);
                return r;
        }
        *ret_ms = (double)(t1 - t0) / 1e6;
        if (ret_id)
                snprintf(ret_id, id_size, "%s", s.id);
        else
                return bench_release(d, s.id, err);
        return 0;
}

int bench_release(struct vd *d, const char *id, struct vgl_error *err)
{
        _cleanup_client_ struct vgl_client *c = NULL;
        pid_t qemu;
        int r;

        if ((r = connect_client(d, &c, err)) < 0 || (r = vgl_client_release(c, id, err)) < 0)
                return r;
        for (int i = 0; i < BENCH_TIMEOUT_S * 20; i++) {
                if (vd_qemu_pid(d, id, &qemu) < 0)
                        return 0;
                usleep(50 * 1000);
        }
        return vgl_error_set(err, ETIMEDOUT, "%s: QEMU still running after Release", id);
}

struct get_thread {
        pthread_t t;
        struct vd *d;
        const char *id;
        double seconds;
        uint64_t calls, elapsed_ns;
        int r;
        struct vgl_error err;
};

/* Plain Get calls back to back on one connection until the time is up. */
static void *get_main(void *u)
{
        struct get_thread *g = u;
        _cleanup_varlink_client_ struct vgl_varlink_client *c = NULL;
        struct json_object *p = json_object_new_object();
        uint64_t t0, limit = (uint64_t)(g->seconds * 1e9);

        json_object_object_add(p, "id", json_object_new_string(g->id));
        g->r = vgl_varlink_client_connect(g->d->sock, &c, &g->err);
        t0 = bench_now_ns();
        while (g->r == 0 && (g->calls & 255 || bench_now_ns() - t0 < limit)) {
                struct vgl_varlink_reply reply = {};
                g->r = vgl_varlink_client_call(c, "io.vigil.Manager.Get", p, &reply, &g->err);
                if (g->r == 0 && reply.error)
                        g->r = vgl_error_set(&g->err, EPROTO, "Get: %s", reply.error);
                vgl_varlink_reply_done(&reply);
                g->calls++;
        }
        g->elapsed_ns = bench_now_ns() - t0;
        json_object_put(p);
        return NULL;
}

int bench_get_rps(struct vd *d, const char *id, int conns, double s, double *ret_rps,
                  struct vgl_error *err)
{
        struct get_thread g[64] = {};
        uint64_t calls = 0, longest = 1;
        int r = 0;

        if (conns < 1 || conns > 64)
                return vgl_error_set(err, EINVAL, "connections: 1..64");
        for (int i = 0; i < conns; i++) {
                g[i] = (struct get_thread){.d = d, .id = id, .seconds = s};
                if (pthread_create(&g[i].t, NULL, get_main, &g[i]) != 0)
                        return vgl_error_set(err, EAGAIN, "pthread_create");
        }
        for (int i = 0; i < conns; i++) {
                pthread_join(g[i].t, NULL);
                if (g[i].r < 0 && r == 0) {
                        r = g[i].r;
                        *err = g[i].err;
                }
                calls += g[i].calls;
                if (g[i].elapsed_ns > longest)
                        longest = g[i].elapsed_ns;
        }
        if (r == 0)
                *ret_rps = (double)calls / ((double)longest / 1e9);
        return r;
}
