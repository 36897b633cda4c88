/* One measurement: a fresh agent, the variant's permission set, one EXEC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bench-overhead.h"
#include "harness.h"
#include "proto-event.h"
#include "proto-policy.h"

#define RUN_TIMEOUT_MS 600000u

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add_path(char (*list)[VGL_POLICY_PATH_LEN + 1], uint32_t *n, const char *path)
{
        if (strlen(path) > VGL_POLICY_PATH_LEN) {
                fprintf(stderr, "overhead: path too long for a permission set: %s\n", path);
                exit(1);
        }
        memcpy(list[*n], path, strlen(path) + 1);
        (*n)++;
}

/* What the workloads need and nothing more: writes only in the scratch dir,
 * the compiler toolchain and the workload program, loopback endpoints. */
static struct vgl_policy *policy_new(const struct ovh_setup *s, enum vgl_policy_mode mode)
{
        struct vgl_policy *p = calloc(1, sizeof(*p));
        if (!p)
                abort();
        p->generation = 1;
        p->mode = mode;
        p->supervise = true;
        p->no_new_privs = true;
        p->uid = p->gid = -1;
        p->n_egress = 1;
        p->egress[0] = (struct vgl_net_rule){
                .family = 4, .prefix = 32, .addr = {127, 0, 0, 1}, .port_lo = 0, .port_hi = 65535};
        add_path(p->writable, &p->n_writable, s->dir);
        add_path(p->exec, &p->n_exec, "/usr/bin");
        add_path(p->exec, &p->n_exec, "/bin");
        add_path(p->exec, &p->n_exec, "/usr/lib/gcc");
        add_path(p->exec, &p->n_exec, "/usr/libexec");
        add_path(p->exec, &p->n_exec, s->work_dir);
        return p;
}

static void exec_job(struct harness *h, const struct ovh_setup *s, const char *const *argv)
{
        char tmpdir[300], home[300];
        char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", tmpdir, home, NULL};
        snprintf(tmpdir, sizeof(tmpdir), "TMPDIR=%s", s->dir);
        snprintf(home, sizeof(home), "HOME=%s", s->dir);
        struct vgl_exec_request r = {.argv = (char **)argv,
                                     .env = env,
                                     .cwd = (char *)s->dir,
                                     .uid = -1,
                                     .gid = -1,
                                     .timeout_ms = RUN_TIMEOUT_MS};
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        if (vgl_msg_exec_append(&b, 1, &r) < 0) {
                fprintf(stderr, "overhead: cannot encode EXEC\n");
                exit(1);
        }
        h_send(h, &b);
        vgl_buf_free(&b);
}

static void check_exit(enum ovh_job job, enum ovh_variant v, const struct vgl_exec_exit *x,
                       struct vgl_buf *err)
{
        if (x->status == VGL_EXIT_EXITED && x->code == 0)
                return;
        fprintf(stderr, "overhead: %s (%s) failed: status %d code %d %s\n", ovh_job_name(job),
                ovh_variant_name(v), (int)x->status, (int)x->code, x->error);
        fprintf(stderr, "%.*s\n", (int)(err->len > 4000 ? 4000 : err->len), (char *)err->data);
        exit(1);
}

static void first_line(const struct vgl_buf *out, char *to, size_t size)
{
        size_t n = 0;
        while (n < out->len && n + 1 < size && out->data[n] != '\n')
                n++;
        memcpy(to, out->data, n);
        to[n] = '\0';
}

void ovh_run_once(const struct ovh_setup *s, enum ovh_job job, enum ovh_variant v,
                  struct ovh_result *ret)
{
        const char *argv[24];
        int k = 0;
        struct harness h;
        struct vgl_buf out, err;
        struct vgl_exec_exit x;

        if (v == OVH_STRACE) {
                static const char *const st[] = {"/usr/bin/strace", "-f", "-o", "/dev/null"};
                for (; k < 4; k++)
                        argv[k] = st[k];
        }
        ovh_job_argv(s, job, argv + k);
        ret->cgroup2 = -1;
        /* Heartbeats every 100 ms: the one after the exit carries the losses. */
        h_agent_trace_method = v == OVH_NOTIFY ? "notify" : NULL;
        h_start(&h, true, 100, 60000);
        h_agent_trace_method = NULL;
        ret->trace_bpf = (h.hello.caps & VGL_CAP_TRACE_BPF) != 0;
        if (v == OVH_CRITICAL || v == OVH_TRACE || v == OVH_NOTIFY) {
                struct vgl_policy_ack ack;
                struct vgl_policy *p =
                        policy_new(s, v == OVH_CRITICAL ? VGL_POLICY_CRITICAL : VGL_POLICY_TRACE);
                h_policy(&h, p, &ack);
                free(p);
                ret->cgroup2 = ack.cgroup2;
                if (!ack.supervised) {
                        fprintf(stderr, "overhead: the agent cannot supervise here\n");
                        exit(1);
                }
        }
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        double t0 = now_s();
        exec_job(&h, s, argv);
        h_collect(&h, 1, &out, &err, &x);
        ret->wall_s = now_s() - t0;
        h_pump(&h, 250); /* records queued just before the exit, a heartbeat after it */
        ret->syscall_recs = h.ev_count[VGL_REC_SYSCALL];
        ret->dropped = h.last_hb.telemetry_dropped;
        check_exit(job, v, &x, &err);
        first_line(&out, ret->detail, sizeof(ret->detail));
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
}
