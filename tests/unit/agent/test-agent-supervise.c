/* Supervised execution end to end: the real agent over a socketpair, a
 * pushed permission set, and the probe workload (workloads/probe.c). Each
 * case checks what the workload saw, what is on disk, and the telemetry. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proto-event.h"
#include "proto-policy.h"

static char probe[4096];
static char scratch[] = "/tmp/vigil-sup-XXXXXX";

static const char *probe_path(void)
{
        const char *root = getenv("VIGIL_BUILD_ROOT");
        snprintf(probe, sizeof(probe), "%s/tests/unit/agent/vigil-probe", root ? root : ".");
        return probe;
}

/* A policy: critical mode, writes only to the scratch dir, nothing privileged. */
static struct vgl_policy *policy_new(uint64_t gen)
{
        struct vgl_policy *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        p->generation = gen;
        p->supervise = true;
        p->no_new_privs = true;
        p->uid = p->gid = -1;
        p->egress_any = true;
        p->n_writable = 1;
        snprintf(p->writable[0], sizeof(p->writable[0]), "%s", scratch);
        return p;
}

static void start(struct harness *h, const struct vgl_policy *p, struct vgl_policy_ack *ack)
{
        h_start(h, true, 1000, 60000);
        h_policy(h, p, ack);
        assert_true(ack->supervised);
}

/* Runs probe with args; returns its stdout (caller frees) and exit code. */
static char *run(struct harness *h, uint32_t stream, int *code, const char *op, const char *arg)
{
        const char *argv[] = {probe_path(), op, arg, NULL};
        struct vgl_buf out, err;
        struct vgl_exec_exit x;
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_exec(h, stream, argv, 30000, false);
        h_collect(h, stream, &out, &err, &x);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        *code = x.code;
        assert_int_equal(vgl_buf_append(&out, "", 1), 0);
        char *s = strdup((char *)out.data);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        return s;
}

static void expect(struct harness *h, uint32_t stream, const char *op, const char *arg,
                   const char *want)
{
        int code;
        char *s = run(h, stream, &code, op, arg);
        if (strncmp(s, want, strlen(want)) != 0)
                fail_msg("probe %s %s: got \"%s\", want \"%s\"", op, arg, s, want);
        free(s);
}

struct file_match {
        uint32_t stream;
        uint8_t op, verdict;
        const char *path;
};

static bool file_pred(const uint8_t *rec, void *ctx)
{
        const struct file_match *m = ctx;
        struct vgl_ev_file e;
        assert_int_equal(vgl_ev_file_decode(rec, VGL_EV_FILE_SIZE, &e), 0);
        return e.h.exec_id == m->stream && e.op == m->op && e.verdict == m->verdict &&
               strcmp(e.path, m->path) == 0;
}

static void test_write_outside_denied(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);
        char inside[256], outside[] = "/var/tmp/vigil-sup-outside";
        struct stat st;

        unlink(outside);
        start(&h, p, &ack);
        expect(&h, 1, "write", outside, "err 13");
        assert_int_equal(stat(outside, &st), -1);
        struct file_match m = {1, VGL_FILE_WRITE, VGL_VERDICT_DENY, outside};
        h_wait_event(&h, VGL_REC_FILE, file_pred, &m);

        snprintf(inside, sizeof(inside), "%s/inside", scratch);
        expect(&h, 2, "write", inside, "ok");
        assert_int_equal(stat(inside, &st), 0);
        assert_int_equal(st.st_size, 6);
        struct file_match m2 = {2, VGL_FILE_WRITE, VGL_VERDICT_EMULATE, inside};
        h_wait_event(&h, VGL_REC_FILE, file_pred, &m2);
        /* unlink outside the prefix: denied too */
        expect(&h, 3, "unlink", "/etc/hostname", "err 13");
        h_stop(&h);
        free(p);
}

/* A listener on 127.0.0.1, port chosen by the kernel. */
static int listener(uint16_t *port)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(listen(fd, 8), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *port = ntohs(a.sin_port);
        return fd;
}

struct net_match {
        uint32_t stream;
        uint16_t port;
        uint8_t verdict;
};

static bool net_pred(const uint8_t *rec, void *ctx)
{
        const struct net_match *m = ctx;
        struct vgl_ev_net e;
        assert_int_equal(vgl_ev_net_decode(rec, VGL_EV_NET_SIZE, &e), 0);
        return e.h.exec_id == m->stream && e.port == m->port && e.verdict == m->verdict &&
               e.op == VGL_NET_CONNECT && e.family == AF_INET && e.addr[0] == 127;
}

static void test_connect(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);
        uint16_t good, bad;
        char port[16];
        int l1 = listener(&good), l2 = listener(&bad);

        p->egress_any = false;
        p->n_egress = 1;
        p->egress[0] = (struct vgl_net_rule){
                .family = 4, .prefix = 8, .addr = {127}, .port_lo = good, .port_hi = good};
        start(&h, p, &ack);
        snprintf(port, sizeof(port), "%u", good);
        expect(&h, 1, "connect", port, "ok");
        snprintf(port, sizeof(port), "%u", bad);
        expect(&h, 2, "connect", port, "err 111");
        struct net_match m1 = {1, good, VGL_VERDICT_ALLOW}, m2 = {2, bad, VGL_VERDICT_DENY};
        h_wait_event(&h, VGL_REC_NET, net_pred, &m1);
        h_wait_event(&h, VGL_REC_NET, net_pred, &m2);
        h_stop(&h);
        close(l1);
        close(l2);
        free(p);
}

struct proc_match {
        uint32_t stream;
        uint8_t verdict;
        const char *path;
};

static bool proc_pred(const uint8_t *rec, void *ctx)
{
        const struct proc_match *m = ctx;
        struct vgl_ev_proc e;
        assert_int_equal(vgl_ev_proc_decode(rec, VGL_EV_PROC_SIZE, &e), 0);
        return e.h.exec_id == m->stream && e.verdict == m->verdict &&
               strcmp(e.path, m->path) == 0 && e.argc >= 1;
}

static void test_exec_allow_list(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);

        p->n_exec = 1;
        snprintf(p->exec[0], sizeof(p->exec[0]), "%.255s", probe_path());
        start(&h, p, &ack);
        expect(&h, 1, "exec", "/bin/true", "err 13");
        struct proc_match allowed = {1, VGL_VERDICT_ALLOW, probe};
        struct proc_match denied = {1, VGL_VERDICT_DENY, "/bin/true"};
        h_wait_event(&h, VGL_REC_PROC, proc_pred, &allowed);
        h_wait_event(&h, VGL_REC_PROC, proc_pred, &denied);
        h_stop(&h);
        free(p);
}

static void test_sensitive_reads(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);

        p->n_sensitive = 2;
        snprintf(p->sensitive[0].pattern, sizeof(p->sensitive[0].pattern), "/etc/shadow");
        p->sensitive[0].deny = true;
        snprintf(p->sensitive[1].pattern, sizeof(p->sensitive[1].pattern), "/etc/host*");
        start(&h, p, &ack);
        /* denied and reported */
        expect(&h, 1, "read", "/etc/shadow", "err 13");
        struct file_match m1 = {1, VGL_FILE_READ, VGL_VERDICT_DENY, "/etc/shadow"};
        h_wait_event(&h, VGL_REC_FILE, file_pred, &m1);
        /* allowed (opened by the agent, fd injected) and reported */
        expect(&h, 2, "read", "/etc/hostname", "ok");
        struct file_match m2 = {2, VGL_FILE_READ, VGL_VERDICT_REPORT, "/etc/hostname"};
        h_wait_event(&h, VGL_REC_FILE, file_pred, &m2);
        /* a symlink to a denied file is denied on what it resolves to */
        char link[256];
        snprintf(link, sizeof(link), "%s/shadow-link", scratch);
        unlink(link);
        assert_int_equal(symlink("/etc/shadow", link), 0);
        expect(&h, 3, "read", link, "err 13");
        h_stop(&h);
        free(p);
}

struct priv_match {
        uint32_t stream;
        uint16_t nr;
};

static bool priv_pred(const uint8_t *rec, void *ctx)
{
        const struct priv_match *m = ctx;
        struct vgl_ev_priv e;
        assert_int_equal(vgl_ev_priv_decode(rec, VGL_EV_PRIV_SIZE, &e), 0);
        return e.h.exec_id == m->stream && e.nr == m->nr && e.verdict == VGL_VERDICT_DENY &&
               e.err == EPERM;
}

static void test_privileged_denied(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);

        start(&h, p, &ack);
        expect(&h, 1, "ptrace", "", "err 1");
        expect(&h, 2, "mount", "", "err 1");
        expect(&h, 3, "bpf", "", "err 1");
        expect(&h, 4, "pidfd_getfd", "", "err 1");
        struct priv_match m1 = {1, SYS_ptrace}, m2 = {2, SYS_mount}, m3 = {3, SYS_bpf},
                          m4 = {4, SYS_pidfd_getfd};
        h_wait_event(&h, VGL_REC_PRIV, priv_pred, &m1);
        h_wait_event(&h, VGL_REC_PRIV, priv_pred, &m2);
        h_wait_event(&h, VGL_REC_PRIV, priv_pred, &m3);
        h_wait_event(&h, VGL_REC_PRIV, priv_pred, &m4);
        h_stop(&h);
        free(p);
}

static void test_policy_mid_run(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);
        struct vgl_buf out, err, in;
        struct vgl_exec_exit x;
        char target[256];
        struct stat st;
        const char *argv[] = {probe_path(), "wait-write", target, NULL};

        snprintf(target, sizeof(target), "%s/late", scratch);
        unlink(target);
        start(&h, p, &ack);
        h_exec(&h, 1, argv, 30000, true);
        /* "waiting": it runs (the frame stays queued for h_collect) */
        for (int i = 0; i < H_GUARD_MS / 100 && !h_has(&h, VGL_MSG_STDOUT, 1); i++)
                h_pump(&h, 100);
        assert_true(h_has(&h, VGL_MSG_STDOUT, 1));
        p->generation = 2;
        p->n_writable = 0; /* nothing writable any more */
        h_policy(&h, p, &ack);
        vgl_buf_init(&in, 0);
        assert_int_equal(vgl_frame_append(&in, VGL_MSG_STDIN, 1, "go\n", 3), 0);
        assert_int_equal(vgl_frame_append(&in, VGL_MSG_STDIN, 1, NULL, 0), 0);
        h_send(&h, &in);
        vgl_buf_free(&in);
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_collect(&h, 1, &out, &err, &x);
        assert_int_equal(vgl_buf_append(&out, "", 1), 0);
        assert_non_null(strstr((char *)out.data, "err 13"));
        assert_int_equal(stat(target, &st), -1);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        h_stop(&h);
        free(p);
}

static bool usage_pred(const uint8_t *rec, void *ctx)
{
        struct vgl_ev_usage u;
        assert_int_equal(vgl_ev_usage_decode(rec, VGL_EV_USAGE_SIZE, &u), 0);
        return u.h.exec_id == *(uint32_t *)ctx;
}

static void test_cgroup_absence(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);
        uint32_t stream = 1;
        struct vgl_ev_usage u;

        p->pids_max = 64;
        p->memory_max = 64u << 20;
        start(&h, p, &ack);
        expect(&h, 1, "write", "/var/tmp/vigil-sup-outside", "err 13");
        vgl_ev_usage_decode(h_wait_event(&h, VGL_REC_USAGE, usage_pred, &stream), VGL_EV_USAGE_SIZE,
                            &u);
        if (!ack.cgroup2) {
                /* The host (cgroup v1 here): said in the ACK, HELLO caps and the usage record. */
                assert_false(h.hello.caps & VGL_CAP_CGROUP2);
                assert_false(u.flags & VGL_USAGE_F_CGROUP);
                print_message("note: no usable cgroup v2 here: limits not enforced, "
                              "supervision still works (checked above)\n");
        } else {
                assert_true(u.flags & VGL_USAGE_F_CGROUP);
                assert_true(u.pids_peak >= 1);
        }
        h_stop(&h);
        free(p);
}

/* fchmod/fchown/futimens on an fd and utimensat on a path: checked against
 * the writable prefixes like chmod/chown/open for writing. */
static void test_fd_and_utime_checks(void **state)
{
        static const struct {
                const char *op;
                uint8_t fop;
        } ops[] = {{"fchmod", VGL_FILE_CHMOD},
                   {"fchown", VGL_FILE_CHOWN},
                   {"futimens", VGL_FILE_WRITE},
                   {"utimensat", VGL_FILE_WRITE}};
        const char *outside = "/var/tmp/vigil-sup-fd-outside";
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);
        struct stat before, after;
        char inside[256];
        uint32_t stream = 1;

        unlink(outside);
        FILE *f = fopen(outside, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(chmod(outside, 0644), 0);
        assert_int_equal(utimensat(AT_FDCWD, outside, (struct timespec[]){{1, 0}, {1, 0}}, 0), 0);
        assert_int_equal(stat(outside, &before), 0);
        snprintf(inside, sizeof(inside), "%s/fd-inside", scratch);
        f = fopen(inside, "w");
        assert_non_null(f);
        fclose(f);
        start(&h, p, &ack);
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                expect(&h, stream, ops[i].op, outside, "err 13");
                struct file_match m = {stream, ops[i].fop, VGL_VERDICT_DENY, outside};
                h_wait_event(&h, VGL_REC_FILE, file_pred, &m);
                stream++;
                expect(&h, stream, ops[i].op, inside, "ok");
                struct file_match m2 = {stream, ops[i].fop, VGL_VERDICT_ALLOW, inside};
                h_wait_event(&h, VGL_REC_FILE, file_pred, &m2);
                stream++;
        }
        /* The file outside was not touched: mode and times as they were. */
        assert_int_equal(stat(outside, &after), 0);
        assert_int_equal(after.st_mode, before.st_mode);
        assert_int_equal(after.st_mtim.tv_sec, 1);
        assert_int_equal(stat(inside, &after), 0);
        assert_int_equal(after.st_mode & 07777, 0600);
        h_stop(&h);
        unlink(outside);
        free(p);
}

static void test_trace_mode(void **state)
{
        struct harness h;
        struct vgl_policy_ack ack;
        struct vgl_policy *p = policy_new(1);

        p->mode = VGL_POLICY_TRACE;
        start(&h, p, &ack);
        expect(&h, 1, "write", "/var/tmp/vigil-sup-outside", "err 13");
        /* every call is reported: the probe makes far more than a handful */
        uint64_t guard = 0;
        while (h.ev_count[VGL_REC_SYSCALL] < 20 && guard++ < 50)
                h_pump(&h, 100);
        assert_true(h.ev_count[VGL_REC_SYSCALL] >= 20);
        h_stop(&h);
        free(p);
}

static int setup(void **state)
{
        if (geteuid() != 0) {
                print_message("skip: supervised execution tests need root (uid switching, "
                              "pidfd_getfd on the workload)\n");
                return -1;
        }
        if (!mkdtemp(scratch))
                return -1;
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_outside_denied), cmocka_unit_test(test_connect),
                cmocka_unit_test(test_exec_allow_list),      cmocka_unit_test(test_sensitive_reads),
                cmocka_unit_test(test_privileged_denied),    cmocka_unit_test(test_policy_mid_run),
                cmocka_unit_test(test_cgroup_absence),       cmocka_unit_test(test_trace_mode),
                cmocka_unit_test(test_fd_and_utime_checks),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
