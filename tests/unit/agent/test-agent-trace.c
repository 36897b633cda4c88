/* Trace mode end to end on the host: the real agent over a socketpair, the
 * probe workload, and the system-call sequence it reports. With eBPF (when
 * the kernel allows it and a cgroup v2 mount exists, such as the
 * controller-less /sys/fs/cgroup/unified of a cgroup v1 host) and with the
 * notification fallback (--trace-method notify). Also EXEC's "supervise"
 * field and the process records of a shell's PATH search. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proto-event.h"
#include "proto-policy.h"

#define N_PPID 400 /* getppid calls per process: a count the critical set never notifies */

static char probe[4096], probe_dir[4096];
static char scratch[] = "/tmp/vigil-trace-XXXXXX";

static const char *probe_path(void)
{
        const char *root = getenv("VIGIL_BUILD_ROOT");
        snprintf(probe, sizeof(probe), "%s/tests/unit/agent/vigil-probe", root ? root : ".");
        snprintf(probe_dir, sizeof(probe_dir), "%s/tests/unit/agent", root ? root : ".");
        return probe;
}

static struct vgl_policy *policy_new(uint64_t gen, enum vgl_policy_mode mode)
{
        struct vgl_policy *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        p->generation = gen;
        p->mode = mode;
        p->supervise = true;
        p->no_new_privs = true;
        p->uid = p->gid = -1;
        p->egress_any = true;
        p->n_writable = 1;
        snprintf(p->writable[0], sizeof(p->writable[0]), "%s", scratch);
        return p;
}

static void start(struct harness *h, const struct vgl_policy *p)
{
        struct vgl_policy_ack ack;
        h_start(h, true, 1000, 60000);
        h_policy(h, p, &ack);
        assert_true(ack.supervised);
}

/* Collects a command's output and exit; returns stdout (caller frees). */
static char *finish(struct harness *h, uint32_t stream, struct vgl_exec_exit *x)
{
        struct vgl_buf out, err;
        vgl_buf_init(&out, 0);
        vgl_buf_init(&err, 0);
        h_collect(h, stream, &out, &err, x);
        assert_int_equal(vgl_buf_append(&out, "", 1), 0);
        char *s = strdup((char *)out.data);
        vgl_buf_free(&out);
        vgl_buf_free(&err);
        return s;
}

static void run_probe(struct harness *h, uint32_t stream, const char *op, const char *arg,
                      const char *want)
{
        const char *argv[] = {probe_path(), op, arg, NULL};
        struct vgl_exec_exit x;
        h_exec(h, stream, argv, 30000, false);
        char *s = finish(h, stream, &x);
        if (x.status != VGL_EXIT_EXITED || strncmp(s, want, strlen(want)) != 0)
                fail_msg("probe %s %s: %s %d \"%s\", want \"%s\"", op, arg,
                         vgl_exit_status_name(x.status), x.code, s, want);
        free(s);
}

/* ---- the sequence of one command ---- */

#define MAX_PIDS 8
struct seq {
        uint32_t n, ppid[MAX_PIDS], pids[MAX_PIDS], n_pids, exits;
        uint32_t entry, observe, deny;
        uint16_t first_nr;
        bool order_ok;
        uint64_t last_us[MAX_PIDS];
};

static int pid_slot(struct seq *s, uint32_t pid)
{
        for (uint32_t i = 0; i < s->n_pids; i++)
                if (s->pids[i] == pid)
                        return (int)i;
        if (s->n_pids == MAX_PIDS)
                fail_msg("more than %d threads in one command", MAX_PIDS);
        s->pids[s->n_pids] = pid;
        return (int)s->n_pids++;
}

/* Every syscall record of exec_id received so far, in arrival order. */
static void seq_of(struct harness *h, uint32_t exec_id, struct seq *s)
{
        *s = (struct seq){.order_ok = true};
        for (uint32_t i = 0; i < h->ev_count[VGL_REC_SYSCALL]; i++) {
                struct vgl_ev_syscall e;
                assert_int_equal(vgl_ev_syscall_decode(h->ev[VGL_REC_SYSCALL].data +
                                                               (size_t)i * VGL_EV_SYSCALL_SIZE,
                                                       VGL_EV_SYSCALL_SIZE, &e),
                                 0);
                if (e.h.exec_id != exec_id)
                        continue;
                int k = pid_slot(s, e.h.pid);
                if (s->n++ == 0)
                        s->first_nr = e.nr;
                /* In call order per thread: times never go back. */
                if (e.h.time_us < s->last_us[k])
                        s->order_ok = false;
                s->last_us[k] = e.h.time_us;
                s->ppid[k] += e.nr == SYS_getppid;
                s->exits += e.nr == SYS_exit_group;
                s->entry += (e.flags & VGL_SYSCALL_F_ENTRY) != 0;
                s->observe += e.verdict == VGL_VERDICT_OBSERVE;
                s->deny += e.verdict == VGL_VERDICT_DENY;
        }
}

/* Records can follow EXEC_EXIT by a flush interval: wait for the exits. */
static void wait_exits(struct harness *h, uint32_t exec_id, uint32_t exits, struct seq *s)
{
        for (int i = 0; i < H_GUARD_MS / 100; i++) {
                seq_of(h, exec_id, s);
                if (s->exits >= exits)
                        return;
                h_pump(h, 100);
        }
        fail_msg("exec %u: %u of %u exit_group records", exec_id, s->exits, exits);
}

static bool have_bpf(const struct harness *h)
{
        if (h->hello.caps & VGL_CAP_TRACE_BPF)
                return true;
        print_message("note: the agent has no eBPF capture here (its log says why): the "
                      "notification fallback was tested instead\n");
        return false;
}

/* Two commands at once, one with a child: each sequence complete, in order
 * per thread, and nobody's calls under the other's id. */
static void check_two_commands(struct harness *h, bool bpf)
{
        const char *a1[] = {probe_path(), "fork-ppid", "400", NULL};
        const char *a2[] = {probe_path(), "ppid", "400", NULL};
        struct vgl_exec_exit x1, x2;
        struct seq s1, s2;

        h_exec(h, 1, a1, 30000, false);
        h_exec(h, 2, a2, 30000, false);
        free(finish(h, 1, &x1));
        free(finish(h, 2, &x2));
        assert_int_equal(x1.code, 0);
        assert_int_equal(x2.code, 0);
        wait_exits(h, 1, 2, &s1);
        wait_exits(h, 2, 1, &s2);
        print_message("exec 1: %u records, %u threads; exec 2: %u records (%s)\n", s1.n, s1.n_pids,
                      s2.n, bpf ? "eBPF" : "notification");
        assert_int_equal(s1.first_nr, SYS_execve);
        assert_int_equal(s2.first_nr, SYS_execve);
        assert_true(s1.order_ok);
        assert_true(s2.order_ok);
        /* the child, traced too: the same count in both processes */
        assert_int_equal(s1.n_pids, 2);
        assert_int_equal(s1.ppid[0], N_PPID);
        assert_int_equal(s1.ppid[1], N_PPID);
        assert_int_equal(s2.n_pids, 1);
        assert_int_equal(s2.ppid[0], N_PPID);
        for (uint32_t i = 0; i < s1.n_pids; i++)
                assert_int_not_equal(s1.pids[i], s2.pids[0]);
        /* eBPF: captured at entry, observed; notification: the decision, no flag */
        assert_int_equal(s1.entry, bpf ? s1.n : 0);
        assert_int_equal(s2.entry, bpf ? s2.n : 0);
        if (bpf)
                assert_int_equal(s2.observe, s2.n);
}

static void test_trace_sequence(void **state)
{
        struct harness h;
        struct vgl_policy *p = policy_new(1, VGL_POLICY_TRACE);

        h_agent_trace_method = NULL;
        start(&h, p);
        check_two_commands(&h, have_bpf(&h));
        h_stop(&h);
        free(p);
}

static void test_trace_fallback(void **state)
{
        struct harness h;
        struct vgl_policy *p = policy_new(1, VGL_POLICY_TRACE);

        h_agent_trace_method = "notify";
        start(&h, p);
        h_agent_trace_method = NULL;
        assert_false(h.hello.caps & VGL_CAP_TRACE_BPF);
        check_two_commands(&h, false);
        h_stop(&h);
        free(p);
}

/* A call the agent denies never reaches the tracepoint: it is reported by
 * the notification path, in its place in the sequence. */
static void test_trace_denied_in_order(void **state)
{
        struct harness h;
        struct vgl_policy *p = policy_new(1, VGL_POLICY_TRACE);
        struct seq s;
        int denied_at = -1, exit_at = -1, k = 0;

        start(&h, p);
        run_probe(&h, 1, "write", "/var/tmp/vigil-trace-outside", "err 13");
        wait_exits(&h, 1, 1, &s);
        assert_int_equal(s.deny, 1);
        for (uint32_t i = 0; i < h.ev_count[VGL_REC_SYSCALL]; i++) {
                struct vgl_ev_syscall e;
                vgl_ev_syscall_decode(h.ev[VGL_REC_SYSCALL].data + (size_t)i * VGL_EV_SYSCALL_SIZE,
                                      VGL_EV_SYSCALL_SIZE, &e);
                if (e.h.exec_id != 1)
                        continue;
                if (e.verdict == VGL_VERDICT_DENY) {
                        assert_int_equal(e.nr, SYS_openat);
                        assert_int_equal(e.err, EACCES);
                        denied_at = k;
                }
                if (e.nr == SYS_exit_group)
                        exit_at = k;
                k++;
        }
        assert_true(denied_at > 0);
        assert_true(exit_at > denied_at);
        assert_true(s.order_ok);
        h_stop(&h);
        free(p);
}

/* ---- EXEC "supervise" ---- */

static void exec_sup(struct harness *h, uint32_t stream, enum vgl_exec_supervise sup,
                     const char *op, const char *arg, struct vgl_exec_exit *x, char **out)
{
        const char *argv[] = {probe_path(), op, arg, NULL};
        struct vgl_exec_request r = {
                .argv = (char **)argv, .uid = -1, .gid = -1, .timeout_ms = 30000, .supervise = sup};
        h_exec_req(h, stream, &r);
        char *s = finish(h, stream, x);
        if (out)
                *out = s;
        else
                free(s);
}

static void test_exec_supervise_field(void **state)
{
        struct harness h;
        struct vgl_policy *p = policy_new(1, VGL_POLICY_CRITICAL);
        struct vgl_exec_exit x;
        struct seq s;
        char *out;

        start(&h, p);
        /* "off" under a set that requires supervision: refused, nothing runs */
        const char *argv[] = {probe_path(), "write", "/var/tmp/vigil-trace-off", NULL};
        struct vgl_exec_request r = {
                .argv = (char **)argv, .uid = -1, .gid = -1, .supervise = VGL_EXEC_SUP_OFF};
        struct vgl_error e = {0};
        h_exec_req(&h, 1, &r);
        struct h_frame f = h_wait(&h, VGL_MSG_EXEC_EXIT, 1);
        struct vgl_frame vf = {.type = f.type, .stream = 1, .payload = f.data, .length = f.len};
        assert_int_equal(vgl_msg_exec_exit_parse(&vf, &x, &e), 0);
        h_frame_free(&f);
        assert_false(h_has(&h, VGL_MSG_EXEC_STARTED, 1));
        assert_int_equal(x.status, VGL_EXIT_FAILED);
        assert_non_null(strstr(x.error, "refused"));
        assert_int_equal(access("/var/tmp/vigil-trace-off", F_OK), -1);
        /* "trace" on a critical set: this command's every call */
        exec_sup(&h, 2, VGL_EXEC_SUP_TRACE, "ppid", "50", &x, NULL);
        assert_int_equal(x.code, 0);
        wait_exits(&h, 2, 1, &s);
        assert_int_equal(s.ppid[0], 50);
        /* and the set's own mode for the next one: no getppid reported */
        exec_sup(&h, 3, VGL_EXEC_SUP_DEFAULT, "ppid", "50", &x, NULL);
        assert_int_equal(x.code, 0);
        h_pump(&h, 200);
        seq_of(&h, 3, &s);
        assert_int_equal(s.ppid[0], 0);

        /* A set that does not supervise: "off" runs, "critical" is supervised. */
        p->generation = 2;
        p->supervise = false;
        h_policy(&h, p, &(struct vgl_policy_ack){0});
        exec_sup(&h, 4, VGL_EXEC_SUP_OFF, "ppid", "5", &x, &out);
        assert_int_equal(x.status, VGL_EXIT_EXITED);
        assert_string_equal(out, "ok\n");
        free(out);
        exec_sup(&h, 5, VGL_EXEC_SUP_CRITICAL, "write", "/var/tmp/vigil-trace-off", &x, &out);
        assert_string_equal(out, "err 13 Permission denied\n");
        free(out);
        h_stop(&h);
        free(p);
}

/* ---- a shell's PATH search: one process record per program that runs ---- */

static bool proc_of(const uint8_t *rec, uint32_t stream, struct vgl_ev_proc *e)
{
        assert_int_equal(vgl_ev_proc_decode(rec, VGL_EV_PROC_SIZE, e), 0);
        return e->h.exec_id == stream;
}

static void test_path_search_records(void **state)
{
        struct harness h;
        struct vgl_policy *p = policy_new(1, VGL_POLICY_CRITICAL);
        char path_env[4200], *env[] = {path_env, NULL};
        const char *argv[] = {"/bin/sh", "-c", "vigil-probe ppid 1", NULL};
        struct vgl_exec_request r = {
                .argv = (char **)argv, .env = env, .uid = -1, .gid = -1, .timeout_ms = 30000};
        struct vgl_exec_exit x;
        unsigned n = 0;

        probe_path();
        snprintf(path_env, sizeof(path_env), "PATH=/nonexistent-vigil:/nonexistent-vigil2:%s",
                 probe_dir);
        p->n_exec = 2;
        snprintf(p->exec[0], sizeof(p->exec[0]), "/bin/sh");
        snprintf(p->exec[1], sizeof(p->exec[1]), "%.255s", probe_dir);
        start(&h, p);
        h_exec_req(&h, 1, &r);
        char *out = finish(&h, 1, &x);
        assert_int_equal(x.code, 0);
        assert_string_equal(out, "ok\n");
        free(out);
        h_pump(&h, 200);
        for (uint32_t i = 0; i < h.ev_count[VGL_REC_PROC]; i++) {
                struct vgl_ev_proc e;
                if (!proc_of(h.ev[VGL_REC_PROC].data + (size_t)i * VGL_EV_PROC_SIZE, 1, &e))
                        continue;
                print_message("process record: %s (%s)\n", e.path, vgl_verdict_name(e.verdict));
                assert_null(strstr(e.path, "nonexistent"));
                assert_int_equal(e.verdict, VGL_VERDICT_ALLOW);
                n++;
        }
        assert_int_equal(n, 2); /* sh, then the probe */
        h_stop(&h);
        free(p);
}

static int setup(void **state)
{
        if (geteuid() != 0) {
                print_message("skip: supervised execution tests need root\n");
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
                cmocka_unit_test(test_trace_sequence),
                cmocka_unit_test(test_trace_fallback),
                cmocka_unit_test(test_trace_denied_in_order),
                cmocka_unit_test(test_exec_supervise_field),
                cmocka_unit_test(test_path_search_records),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
