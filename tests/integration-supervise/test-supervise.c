/* Supervised execution inside a real microVM, where cgroup v2 exists (the
 * development host has cgroup v1 only, so containment can only be shown in
 * a guest). One VM is booted for all cases; each case pushes its own
 * permission set, runs static probes and busybox in the guest, and checks
 * what the workload saw, what is on the guest's disk, and the telemetry.
 * tests/unit/agent/test-agent-supervise.c makes the same checks on the host. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "sup-harness.h"

#define BOOT_TIMEOUT_S 600
#define OP_TIMEOUT_S   300
#define EVENT_WAIT_S   60

#define PROBE       "/tmp/vigil-probe"
#define HOG         "/tmp/vigil-hog"
#define NOT_ALLOW   "/tmp/vigil-not-allowed"
#define LISTEN_PORT 7000
#define OTHER_PORT  7001
#define PIDS_MAX    32
#define MEMORY_MAX  (32ull << 20)

static struct vm vm;
static struct vgl_image img;
static struct sup_tap tap;
static uint64_t generation;

/* ---- permission sets ---- */

static void add_path(char (*list)[VGL_POLICY_PATH_LEN + 1], uint32_t *n, const char *path)
{
        snprintf(list[(*n)++], VGL_POLICY_PATH_LEN + 1, "%s", path);
}

/* The set of the issue: critical mode, /tmp writable, busybox and the probes
 * executable, /etc/shadow denied, 127.0.0.1:7000 the only endpoint, nothing
 * privileged, pids and memory limited. */
static struct vgl_policy *policy_new(void)
{
        struct vgl_policy *p = calloc(1, sizeof(*p));

        assert_non_null(p);
        p->generation = ++generation;
        p->mode = VGL_POLICY_CRITICAL;
        p->supervise = true;
        p->no_new_privs = true;
        p->uid = p->gid = -1;
        p->pids_max = PIDS_MAX;
        p->memory_max = MEMORY_MAX;
        p->n_egress = 1;
        p->egress[0] = (struct vgl_net_rule){.family = 4,
                                             .prefix = 32,
                                             .addr = {127, 0, 0, 1},
                                             .port_lo = LISTEN_PORT,
                                             .port_hi = LISTEN_PORT};
        add_path(p->writable, &p->n_writable, "/tmp");
        add_path(p->exec, &p->n_exec, "/bin/busybox");
        add_path(p->exec, &p->n_exec, "/bin/sh");
        add_path(p->exec, &p->n_exec, PROBE);
        add_path(p->exec, &p->n_exec, HOG);
        p->n_sensitive = 1;
        snprintf(p->sensitive[0].pattern, sizeof(p->sensitive[0].pattern), "/etc/shadow");
        p->sensitive[0].deny = true;
        return p;
}

static void push(struct vgl_policy *p, struct vgl_policy_ack *ack)
{
        struct vgl_error e = {};

        if (sup_policy_push(&tap, p, ack, OP_TIMEOUT_S, &e) < 0)
                fail_msg("policy push: %s", e.msg);
        assert_int_equal(ack->generation, p->generation);
}

/* Pushes the default set with a fresh generation. */
static void push_default(void)
{
        _cleanup_free_ struct vgl_policy *p = policy_new();
        struct vgl_policy_ack ack;

        push(p, &ack);
}

/* ---- commands ---- */

static char *out_str(struct sup_exec *x)
{
        assert_int_equal(vgl_buf_append(&x->res.out, "", 1), 0);
        x->res.out.len--;
        return (char *)x->res.out.data;
}

/* Runs argv to its end (the agent kills it after timeout_ms, 0 = never). */
static void run(char **argv, uint32_t timeout_ms, struct sup_exec *x)
{
        struct vgl_error e = {};

        if (sup_exec_start(&vm, argv, false, timeout_ms, x, &e) < 0)
                fail_msg("exec %s: %s", argv[0], e.msg);
        if (sup_exec_wait(x, OP_TIMEOUT_S, &e) < 0)
                fail_msg("exec %s: %s", argv[0], e.msg);
}

/* Runs the probe; checks its output starts with want; returns its exec id. */
static uint32_t probe(const char *op, const char *arg, const char *want)
{
        char *argv[] = {PROBE, (char *)op, (char *)arg, NULL};
        struct sup_exec x;
        uint32_t id;

        run(argv, 0, &x);
        if (x.res.exit.status != VGL_EXIT_EXITED || strncmp(out_str(&x), want, strlen(want)))
                fail_msg("probe %s %s: %s %d, output \"%s\", want \"%s\"", op, arg,
                         vgl_exit_status_name(x.res.exit.status), x.res.exit.code, out_str(&x),
                         want);
        fprintf(stderr, "# probe %s %s -> %s", op, arg, out_str(&x));
        id = x.id;
        sup_exec_done(&x);
        return id;
}

/* The agent still answers: a fresh exec right after. */
static void agent_answers(void)
{
        char *argv[] = {"/bin/busybox", "echo", "alive", NULL};
        struct sup_exec x;

        run(argv, 0, &x);
        assert_int_equal(x.res.exit.status, VGL_EXIT_EXITED);
        assert_int_equal(x.res.exit.code, 0);
        assert_string_equal(out_str(&x), "alive\n");
        sup_exec_done(&x);
}

static bool guest_file_exists(const char *path)
{
        struct vm_file_result r;
        struct vgl_error e = {};
        bool ok;

        if (vm_get(&vm, path, 1 << 20, &r, OP_TIMEOUT_S, &e) < 0)
                fail_msg("get %s: %s", path, e.msg);
        ok = r.r.ok;
        vgl_buf_free(&r.data);
        return ok;
}

/* ---- telemetry ---- */

struct want {
        uint32_t exec_id;
        uint8_t op; /* file/net op, 0 = any */
        uint8_t verdict;
        uint16_t err;  /* 0 = any */
        uint16_t nr;   /* privilege: system call */
        uint16_t port; /* net */
        const char *path;
};

static bool match(uint16_t type, const uint8_t *rec, size_t size, void *ctx)
{
        const struct want *w = ctx;
        struct vgl_ev_file f;
        struct vgl_ev_proc pr;
        struct vgl_ev_priv pv;
        struct vgl_ev_net n;
        struct vgl_ev_usage u;

        switch (type) {
        case VGL_REC_FILE:
                return vgl_ev_file_decode(rec, size, &f) == 0 && f.h.exec_id == w->exec_id &&
                       (!w->op || f.op == w->op) && f.verdict == w->verdict &&
                       (!w->err || f.err == w->err) && !strcmp(f.path, w->path);
        case VGL_REC_PROC:
                return vgl_ev_proc_decode(rec, size, &pr) == 0 && pr.h.exec_id == w->exec_id &&
                       pr.verdict == w->verdict && (!w->err || pr.err == w->err) &&
                       !strcmp(pr.path, w->path);
        case VGL_REC_PRIV:
                return vgl_ev_priv_decode(rec, size, &pv) == 0 && pv.h.exec_id == w->exec_id &&
                       pv.nr == w->nr && pv.verdict == w->verdict && (!w->err || pv.err == w->err);
        case VGL_REC_NET:
                return vgl_ev_net_decode(rec, size, &n) == 0 && n.h.exec_id == w->exec_id &&
                       n.op == w->op && n.verdict == w->verdict && n.port == w->port &&
                       n.family == AF_INET && n.addr[0] == 127;
        case VGL_REC_USAGE:
                return vgl_ev_usage_decode(rec, size, &u) == 0 && u.h.exec_id == w->exec_id;
        }
        return false;
}

static const char *rec_name(uint16_t type)
{
        static const char *names[] = {"?",    "resource", "syscall", "net",
                                      "file", "proc",     "priv",    "usage"};
        return type < 8 ? names[type] : "?";
}

static void expect_record(uint16_t type, struct want *w, struct sup_record *ret)
{
        if (!sup_wait_record(&tap, type, match, w, ret, EVENT_WAIT_S))
                fail_msg("no %s record (exec %u, verdict %s, path %s, nr %u, port %u)",
                         rec_name(type), w->exec_id, vgl_verdict_name(w->verdict),
                         w->path ? w->path : "-", w->nr, w->port);
        if (type != VGL_REC_USAGE)
                fprintf(stderr, "# telemetry: %s record, exec %u, verdict %s%s%s\n", rec_name(type),
                        w->exec_id, vgl_verdict_name(w->verdict), w->path ? ", " : "",
                        w->path ? w->path : "");
}

static void usage_of(uint32_t exec_id, struct vgl_ev_usage *u)
{
        struct want w = {.exec_id = exec_id};
        struct sup_record r;

        expect_record(VGL_REC_USAGE, &w, &r);
        assert_int_equal(vgl_ev_usage_decode(r.data, r.size, u), 0);
        fprintf(stderr,
                "# usage exec %u: flags %#x pids_peak %llu pids_refused %llu memory_peak %llu "
                "oom_kills %llu\n",
                exec_id, u->flags, (unsigned long long)u->pids_peak,
                (unsigned long long)u->pids_refused, (unsigned long long)u->memory_peak,
                (unsigned long long)u->oom_kills);
}

/* ---- cases ---- */

static void test_hello_caps(void **state)
{
        assert_true(vm.hello);
        assert_true(vm.h.caps & VGL_CAP_CGROUP2);
        assert_true(vm.h.caps & VGL_CAP_SECCOMP_NOTIFY);
        assert_true(vm.h.caps & VGL_CAP_POLICY);
        /* The guest kernel (Debian 6.1) loads and attaches the agent's eBPF
         * program: BPF syscall, raw tracepoints, ring buffer, the helpers. */
        assert_true(vm.h.caps & VGL_CAP_TRACE_BPF);
}

static void test_policy_ack(void **state)
{
        _cleanup_free_ struct vgl_policy *p = policy_new();
        struct vgl_policy_ack ack;

        push(p, &ack);
        assert_true(ack.supervised);
        assert_true(ack.cgroup2);
        fprintf(stderr, "# POLICY_ACK generation %llu supervised %d cgroup2 %d\n",
                (unsigned long long)ack.generation, ack.supervised, ack.cgroup2);
}

static void test_write_outside_denied(void **state)
{
        const char *outside = "/etc/vigil-outside", *inside = "/tmp/vigil-inside";
        struct vm_file_result r;
        struct vgl_error e = {};
        uint32_t id;

        push_default();
        id = probe("write", outside, "err 13");
        assert_false(guest_file_exists(outside));
        struct want w = {id, VGL_FILE_WRITE, VGL_VERDICT_DENY, EACCES, 0, 0, outside};
        expect_record(VGL_REC_FILE, &w, NULL);

        id = probe("write", inside, "ok");
        if (vm_get(&vm, inside, 1 << 20, &r, OP_TIMEOUT_S, &e) < 0)
                fail_msg("get: %s", e.msg);
        assert_true(r.r.ok);
        assert_int_equal(r.data.len, 6);
        assert_memory_equal(r.data.data, "probe\n", 6);
        vgl_buf_free(&r.data);
        struct want w2 = {id, VGL_FILE_WRITE, VGL_VERDICT_EMULATE, 0, 0, 0, inside};
        expect_record(VGL_REC_FILE, &w2, NULL);
}

static void test_exec_denied(void **state)
{
        char *sh[] = {"/bin/sh", "-c", NOT_ALLOW " write /tmp/vigil-ran", NULL};
        struct sup_exec x;
        uint32_t id;

        push_default();
        id = probe("exec", NOT_ALLOW, "err 13");
        struct want w = {id, 0, VGL_VERDICT_DENY, EACCES, 0, 0, NOT_ALLOW};
        expect_record(VGL_REC_PROC, &w, NULL);
        struct want allowed = {id, 0, VGL_VERDICT_ALLOW, 0, 0, 0, PROBE};
        expect_record(VGL_REC_PROC, &allowed, NULL);

        /* The same from a shell: it cannot run the program (126), which never ran. */
        run(sh, 0, &x);
        assert_int_equal(x.res.exit.status, VGL_EXIT_EXITED);
        assert_int_equal(x.res.exit.code, 126);
        sup_exec_done(&x);
        assert_false(guest_file_exists("/tmp/vigil-ran"));
}

static void test_sensitive_read_denied(void **state)
{
        char *cat[] = {"/bin/busybox", "cat", "/etc/shadow", NULL};
        struct sup_exec x;
        uint32_t id;

        push_default();
        id = probe("read", "/etc/shadow", "err 13");
        struct want w = {id, VGL_FILE_READ, VGL_VERDICT_DENY, EACCES, 0, 0, "/etc/shadow"};
        expect_record(VGL_REC_FILE, &w, NULL);

        /* A real tool gets nothing out of it either. */
        run(cat, 0, &x);
        assert_int_equal(x.res.exit.status, VGL_EXIT_EXITED);
        assert_int_not_equal(x.res.exit.code, 0);
        assert_null(strstr(out_str(&x), "secret"));
        sup_exec_done(&x);
        /* Non-sensitive reads still work (opened by the agent, fd injected). */
        probe("read", "/etc/passwd", "ok");
}

static void test_privileged_denied(void **state)
{
        static const struct {
                const char *op;
                uint16_t nr;
        } calls[] = {{"ptrace", SYS_ptrace},
                     {"mount", SYS_mount},
                     {"bpf", SYS_bpf},
                     {"pidfd_getfd", SYS_pidfd_getfd}};

        push_default();
        for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
                uint32_t id = probe(calls[i].op, "", "err 1");
                struct want w = {id, 0, VGL_VERDICT_DENY, EPERM, calls[i].nr, 0, NULL};
                expect_record(VGL_REC_PRIV, &w, NULL);
        }
}

static void test_loopback_endpoint(void **state)
{
        char *nc[] = {"/bin/busybox", "nc", "-l", "-p", "7000", NULL};
        char *nap[] = {"/bin/busybox", "usleep", "200000", NULL};
        /* static: if an assertion ends the case early, the listener's callbacks
         * still have somewhere to write */
        static struct sup_exec l;
        struct sup_exec s;
        struct vgl_error e = {};
        uint32_t id = 0;
        int tries;

        push_default();
        if (sup_exec_start(&vm, nc, false, 120000, &l, &e) < 0)
                fail_msg("nc: %s", e.msg);
        /* Until the listener is up the kernel refuses (err 111, verdict allow). */
        for (tries = 0; tries < 100; tries++) {
                char *argv[] = {PROBE, "connect", "7000", NULL};
                struct sup_exec x;
                bool ok;

                run(argv, 0, &x);
                ok = !strncmp(out_str(&x), "ok", 2);
                id = x.id;
                sup_exec_done(&x);
                if (ok)
                        break;
                run(nap, 0, &s);
                sup_exec_done(&s);
        }
        assert_true(tries < 100);
        struct want w = {id, VGL_NET_CONNECT, VGL_VERDICT_ALLOW, 0, 0, LISTEN_PORT, NULL};
        expect_record(VGL_REC_NET, &w, NULL);
        if (sup_exec_wait(&l, OP_TIMEOUT_S, &e) < 0)
                fail_msg("nc: %s", e.msg);
        sup_exec_done(&l);

        id = probe("connect", "7001", "err 111");
        struct want w2 = {id, VGL_NET_CONNECT, VGL_VERDICT_DENY, ECONNREFUSED, 0, OTHER_PORT, NULL};
        expect_record(VGL_REC_NET, &w2, NULL);
}

static void test_fork_bomb_contained(void **state)
{
        char *bounded[] = {HOG, "bomb", "5", NULL};
        char *endless[] = {HOG, "bomb", "0", NULL};
        unsigned long forks, failed;
        struct vgl_ev_usage u;
        struct sup_exec x;
        int err;

        push_default();
        /* A bomb that stops by itself: forks start failing at pids.max. */
        run(bounded, 120000, &x);
        assert_int_equal(x.res.exit.status, VGL_EXIT_EXITED);
        fprintf(stderr, "# %s", out_str(&x));
        assert_int_equal(
                sscanf(out_str(&x), "bomb forks %lu failed %lu errno %d", &forks, &failed, &err),
                3);
        assert_true(failed > 0);
        assert_int_equal(err, EAGAIN);
        usage_of(x.id, &u);
        sup_exec_done(&x);
        assert_true(u.flags & VGL_USAGE_F_CGROUP);
        assert_true(u.flags & VGL_USAGE_F_PIDS);
        assert_true(u.pids_refused > 0);
        assert_true(u.pids_peak <= PIDS_MAX);
        agent_answers();

        /* One that never stops: the agent's timeout ends it, limits held throughout. */
        run(endless, 5000, &x);
        assert_int_equal(x.res.exit.status, VGL_EXIT_TIMEOUT);
        usage_of(x.id, &u);
        sup_exec_done(&x);
        assert_true(u.flags & VGL_USAGE_F_PIDS);
        assert_true(u.pids_peak <= PIDS_MAX);
        agent_answers();
}

static void test_memory_hog_contained(void **state)
{
        char *argv[] = {HOG, "mem", "200", NULL};
        struct vgl_ev_usage u;
        struct sup_exec x;

        push_default();
        run(argv, 120000, &x);
        fprintf(stderr, "# memory hog: %s %d, output \"%s\"\n",
                vgl_exit_status_name(x.res.exit.status), x.res.exit.code, out_str(&x));
        assert_int_equal(x.res.exit.status, VGL_EXIT_SIGNALED);
        assert_int_equal(x.res.exit.code, SIGKILL);
        assert_null(strstr(out_str(&x), "allocated"));
        usage_of(x.id, &u);
        sup_exec_done(&x);
        assert_true(u.flags & VGL_USAGE_F_CGROUP);
        assert_true(u.flags & VGL_USAGE_F_OOM);
        assert_true(u.oom_kills >= 1);
        assert_true(u.memory_peak <= MEMORY_MAX);
        agent_answers();
}

/* Starts "probe wait-write target", pushes p once it waits, lets it write. */
static void write_after_push(const char *target, struct vgl_policy *p, const char *want)
{
        char *argv[] = {PROBE, "wait-write", (char *)target, NULL};
        struct vgl_policy_ack ack;
        struct vgl_error e = {};
        static struct sup_exec x; /* outlives a failed assertion, as in the loopback case */

        if (sup_exec_start(&vm, argv, true, 0, &x, &e) < 0)
                fail_msg("exec: %s", e.msg);
        if (!sup_exec_wait_output(&x, "waiting", OP_TIMEOUT_S))
                fail_msg("the probe did not start waiting");
        push(p, &ack);
        assert_int_equal(sup_exec_stdin(&x, "go\n", 3), 0);
        assert_int_equal(sup_exec_stdin(&x, NULL, 0), 0);
        if (sup_exec_wait(&x, OP_TIMEOUT_S, &e) < 0)
                fail_msg("wait-write: %s", e.msg);
        fprintf(stderr, "# wait-write %s after generation %llu: %s", target,
                (unsigned long long)p->generation, out_str(&x));
        assert_int_equal(x.res.exit.status, VGL_EXIT_EXITED);
        if (strncmp(out_str(&x), "waiting\n", 8) || strncmp(out_str(&x) + 8, want, strlen(want)))
                fail_msg("wait-write %s: \"%s\", want \"%s\"", target, out_str(&x), want);
        sup_exec_done(&x);
}

static void test_policy_mid_run(void **state)
{
        _cleanup_free_ struct vgl_policy *p = NULL;

        /* Writable when it started, nothing writable when it writes. */
        push_default();
        p = policy_new();
        p->n_writable = 0;
        write_after_push("/tmp/vigil-late", p, "err 13");
        assert_false(guest_file_exists("/tmp/vigil-late"));

        /* And the other way: denied when it started, allowed when it writes. */
        p->generation = ++generation;
        push(p, &(struct vgl_policy_ack){});
        free(p);
        p = policy_new();
        write_after_push("/tmp/vigil-late2", p, "ok");
        assert_true(guest_file_exists("/tmp/vigil-late2"));
}

/* ---- trace mode: the whole sequence, captured with eBPF ---- */

#define N_PPID   400
#define MAX_PIDS 8

struct seq {
        uint32_t n, n_pids, exits, entry, observe, ppid[MAX_PIDS], pids[MAX_PIDS];
        uint64_t last_us[MAX_PIDS];
        uint16_t first_nr;
        bool order_ok;
};

static void seq_of(uint32_t exec_id, struct seq *s)
{
        _cleanup_free_ struct vgl_ev_syscall *e = NULL;
        uint32_t n = sup_syscalls_of(&tap, exec_id, &e);

        *s = (struct seq){.order_ok = true};
        for (uint32_t i = 0; i < n; i++) {
                uint32_t k = 0;
                while (k < s->n_pids && s->pids[k] != e[i].h.pid)
                        k++;
                if (k == s->n_pids) {
                        assert_true(k < MAX_PIDS);
                        s->pids[s->n_pids++] = e[i].h.pid;
                }
                if (s->n++ == 0)
                        s->first_nr = e[i].nr;
                if (e[i].h.time_us < s->last_us[k])
                        s->order_ok = false; /* per thread, in call order */
                s->last_us[k] = e[i].h.time_us;
                s->ppid[k] += e[i].nr == SYS_getppid;
                s->exits += e[i].nr == SYS_exit_group;
                s->entry += (e[i].flags & VGL_SYSCALL_F_ENTRY) != 0;
                s->observe += e[i].verdict == VGL_VERDICT_OBSERVE;
        }
}

/* Records can trail EXEC_EXIT by a flush interval. */
static void wait_exits(uint32_t exec_id, uint32_t exits, struct seq *s)
{
        for (int i = 0; i < EVENT_WAIT_S * 10; i++) {
                seq_of(exec_id, s);
                if (s->exits >= exits)
                        return;
                usleep(100000);
        }
        fail_msg("exec %u: %u of %u exit_group records", exec_id, s->exits, exits);
}

static void test_trace_sequence(void **state)
{
        _cleanup_free_ struct vgl_policy *p = policy_new();
        char *a1[] = {PROBE, "fork-ppid", "400", NULL}, *a2[] = {PROBE, "ppid", "400", NULL};
        static struct sup_exec x1, x2; /* outlive a failed assertion */
        struct vgl_policy_ack ack;
        struct vgl_error e = {};
        struct seq s1, s2;

        p->mode = VGL_POLICY_TRACE;
        push(p, &ack);
        /* Two at once, one with a child. */
        if (sup_exec_start(&vm, a1, false, 0, &x1, &e) < 0 ||
            sup_exec_start(&vm, a2, false, 0, &x2, &e) < 0)
                fail_msg("exec: %s", e.msg);
        if (sup_exec_wait(&x1, OP_TIMEOUT_S, &e) < 0 || sup_exec_wait(&x2, OP_TIMEOUT_S, &e) < 0)
                fail_msg("wait: %s", e.msg);
        assert_int_equal(x1.res.exit.code, 0);
        assert_int_equal(x2.res.exit.code, 0);
        wait_exits(x1.id, 2, &s1);
        wait_exits(x2.id, 1, &s2);
        fprintf(stderr, "# trace: exec %u %u records in %u processes, exec %u %u records\n", x1.id,
                s1.n, s1.n_pids, x2.id, s2.n);
        /* from the command's exec on, every call: getppid is never notified */
        assert_int_equal(s1.first_nr, SYS_execve);
        assert_int_equal(s2.first_nr, SYS_execve);
        assert_int_equal(s1.n_pids, 2);
        assert_int_equal(s1.ppid[0], N_PPID);
        assert_int_equal(s1.ppid[1], N_PPID); /* the child, in the same cgroup */
        assert_int_equal(s2.n_pids, 1);
        assert_int_equal(s2.ppid[0], N_PPID);
        assert_true(s1.order_ok && s2.order_ok);
        assert_int_equal(s1.entry, s1.n); /* all from the tracepoint */
        assert_int_equal(s2.observe, s2.n);
        for (uint32_t i = 0; i < s1.n_pids; i++)
                assert_int_not_equal(s1.pids[i], s2.pids[0]); /* nothing mixed in */
        sup_exec_done(&x1);
        sup_exec_done(&x2);
        agent_answers();
}

/* EXEC "supervise":"trace" traces one command under a critical set. */
static void test_exec_supervise_trace(void **state)
{
        char *argv[] = {PROBE, "ppid", "50", NULL};
        struct vgl_exec_request r = {.argv = argv,
                                     .uid = -1,
                                     .gid = -1,
                                     .timeout_ms = 60000,
                                     .supervise = VGL_EXEC_SUP_TRACE};
        struct vgl_error e = {};
        struct sup_exec x;
        struct seq s;

        push_default();
        if (sup_exec_start_req(&vm, &r, &x, &e) < 0 || sup_exec_wait(&x, OP_TIMEOUT_S, &e) < 0)
                fail_msg("exec: %s", e.msg);
        assert_int_equal(x.res.exit.code, 0);
        wait_exits(x.id, 1, &s);
        assert_int_equal(s.ppid[0], 50);
        sup_exec_done(&x);
}

/* fchmod/fchown/futimens on an fd, utimensat on a path: /etc is not writable. */
static void test_fd_and_utime_checks(void **state)
{
        static const struct {
                const char *op;
                uint8_t fop;
        } ops[] = {{"fchmod", VGL_FILE_CHMOD},
                   {"fchown", VGL_FILE_CHOWN},
                   {"futimens", VGL_FILE_WRITE},
                   {"utimensat", VGL_FILE_WRITE}};

        push_default();
        probe("write", "/tmp/vigil-fd", "ok");
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
                uint32_t id = probe(ops[i].op, "/etc/passwd", "err 13");
                struct want w = {id, ops[i].fop, VGL_VERDICT_DENY, EACCES, 0, 0, "/etc/passwd"};
                expect_record(VGL_REC_FILE, &w, NULL);
                id = probe(ops[i].op, "/tmp/vigil-fd", "ok");
                struct want w2 = {id, ops[i].fop, VGL_VERDICT_ALLOW, 0, 0, 0, "/tmp/vigil-fd"};
                expect_record(VGL_REC_FILE, &w2, NULL);
        }
}

/* Process records of exec_id kept so far. */
static uint32_t count_proc(uint32_t exec_id)
{
        uint32_t n = 0;

        pthread_mutex_lock(&vm.lock);
        for (uint32_t i = 0; i < tap.n_records; i++) {
                struct vgl_ev_proc pr;
                if (tap.records[i].type != VGL_REC_PROC ||
                    vgl_ev_proc_decode(tap.records[i].data, tap.records[i].size, &pr) < 0 ||
                    pr.h.exec_id != exec_id)
                        continue;
                fprintf(stderr, "# process record: %s (%s)\n", pr.path,
                        vgl_verdict_name(pr.verdict));
                n++;
        }
        pthread_mutex_unlock(&vm.lock);
        return n;
}

/* A PATH search (the agent's execvp, then the shell's): one process record
 * per program that runs, none for the directories that do not have it. */
static void test_path_search_records(void **state)
{
        char *argv[] = {"sh", "-c", "vigil-probe ppid 1", NULL};
        char *env[] = {"PATH=/nonexistent:/tmp/nothing-here:/bin:/tmp", NULL};
        struct vgl_exec_request r = {
                .argv = argv, .env = env, .uid = -1, .gid = -1, .timeout_ms = 60000};
        struct vgl_error e = {};
        struct sup_exec x;
        struct want last = {0, 0, VGL_VERDICT_ALLOW, 0, 0, 0, PROBE};

        push_default();
        if (sup_exec_start_req(&vm, &r, &x, &e) < 0 || sup_exec_wait(&x, OP_TIMEOUT_S, &e) < 0)
                fail_msg("exec: %s", e.msg);
        assert_int_equal(x.res.exit.code, 0);
        assert_string_equal(out_str(&x), "ok\n");
        last.exec_id = x.id;
        sup_exec_done(&x);
        expect_record(VGL_REC_PROC, &last, NULL);
        assert_int_equal(count_proc(last.exec_id), 2); /* /bin/sh, then the probe */
}

static void test_session_clean(void **state)
{
        pthread_mutex_lock(&vm.lock);
        fprintf(stderr,
                "# telemetry seen: syscall %llu net %llu file %llu proc %llu priv %llu usage %llu; "
                "kept %u, lost %llu; heartbeat telemetry_dropped %llu sent %llu\n",
                (unsigned long long)tap.records_seen[VGL_REC_SYSCALL],
                (unsigned long long)tap.records_seen[VGL_REC_NET],
                (unsigned long long)tap.records_seen[VGL_REC_FILE],
                (unsigned long long)tap.records_seen[VGL_REC_PROC],
                (unsigned long long)tap.records_seen[VGL_REC_PRIV],
                (unsigned long long)tap.records_seen[VGL_REC_USAGE], tap.n_records,
                (unsigned long long)tap.records_lost,
                (unsigned long long)vm.last_hb.telemetry_dropped,
                (unsigned long long)vm.last_hb.telemetry_sent);
        pthread_mutex_unlock(&vm.lock);
        assert_false(vm.closed);
        assert_int_equal(vm.protocol_errors, 0);
        assert_int_equal(tap.decode_errors, 0);
        assert_int_equal(tap.bad_records, 0);
        agent_answers();
}

/* ---- setup ---- */

static void *slurp(const char *path, size_t *len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        void *p;

        if (fd < 0 || fstat(fd, &st) < 0)
                return NULL;
        p = malloc((size_t)st.st_size + 1);
        if (p && read(fd, p, (size_t)st.st_size) != st.st_size) {
                free(p);
                return NULL;
        }
        *len = (size_t)st.st_size;
        return p;
}

/* Copies a file from the build dir into the guest. */
static int put_build_file(const char *rel, const char *dest)
{
        const char *root = getenv("VIGIL_BUILD_ROOT");
        _cleanup_free_ void *data = NULL;
        struct vm_file_result r;
        struct vgl_error e = {};
        char path[4096];
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
        data = slurp(path, &len);
        if (!data) {
                fprintf(stderr, "# cannot read %s\n", path);
                return -1;
        }
        if (vm_put(&vm, dest, data, len, &r, OP_TIMEOUT_S, &e) < 0 || !r.r.ok) {
                fprintf(stderr, "# put %s: %s%s\n", dest, e.msg, r.r.error);
                vgl_buf_free(&r.data);
                return -1;
        }
        vgl_buf_free(&r.data);
        return 0;
}

/* Unsupervised (no POLICY yet) preparation in the guest. */
static int prepare_guest(void)
{
        char *chmod[] = {"/bin/busybox", "chmod", "755", PROBE, HOG, NOT_ALLOW, NULL};
        char *lo[] = {"/bin/busybox", "ip", "link", "set", "lo", "up", NULL};
        char **cmds[] = {chmod, lo};
        const char *shadow = "root:secret-hash:19000:0:99999:7:::\n";
        struct vm_file_result r;
        struct vgl_error e = {};

        if (put_build_file("tests/integration-supervise/vigil-probe-static", PROBE) < 0 ||
            put_build_file("tests/integration-supervise/vigil-probe-static", NOT_ALLOW) < 0 ||
            put_build_file("tests/integration-supervise/vigil-hog-static", HOG) < 0)
                return -1;
        if (vm_put(&vm, "/etc/shadow", shadow, strlen(shadow), &r, OP_TIMEOUT_S, &e) < 0 || !r.r.ok)
                return -1;
        vgl_buf_free(&r.data);
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                struct vm_exec_result x;
                int code;

                if (vm_exec(&vm, cmds[i], &x, OP_TIMEOUT_S, &e) < 0)
                        return -1;
                code = x.exit.status == VGL_EXIT_EXITED ? x.exit.code : -1;
                vm_exec_result_done(&x);
                if (code != 0) {
                        fprintf(stderr, "# %s %s failed\n", cmds[i][0], cmds[i][1]);
                        return -1;
                }
        }
        return 0;
}

static int group_setup(void **state)
{
        struct vgl_error e = {};

        if (vm_start_agent(&vm, "sup", &img, BOOT_TIMEOUT_S, &e) < 0) {
                fprintf(stderr, "# setup: %s\n", e.msg);
                return -1;
        }
        fprintf(stderr, "# booted (%s), agent caps %#x\n", vgl_virt_domain_type(), vm.h.caps);
        if (sup_tap_install(&tap, &vm, &e) < 0) {
                fprintf(stderr, "# tap: %s\n", e.msg);
                return -1;
        }
        if (prepare_guest() < 0) {
                fprintf(stderr, "# preparing the guest failed\n");
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        sup_tap_remove(&tap);
        vm_fini(&vm);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hello_caps),
                cmocka_unit_test(test_policy_ack),
                cmocka_unit_test(test_write_outside_denied),
                cmocka_unit_test(test_exec_denied),
                cmocka_unit_test(test_sensitive_read_denied),
                cmocka_unit_test(test_privileged_denied),
                cmocka_unit_test(test_loopback_endpoint),
                cmocka_unit_test(test_fork_bomb_contained),
                cmocka_unit_test(test_memory_hog_contained),
                cmocka_unit_test(test_policy_mid_run),
                cmocka_unit_test(test_trace_sequence),
                cmocka_unit_test(test_exec_supervise_trace),
                cmocka_unit_test(test_fd_and_utime_checks),
                cmocka_unit_test(test_path_search_records),
                cmocka_unit_test(test_session_clean),
        };
        const int n = (int)(sizeof(tests) / sizeof(tests[0]));
        struct vgl_error e = {};
        int failed;

        if (vm_find_image(&img, &e) < 0) {
                printf("SKIP: no microVM image: %s\n", e.msg);
                return 77;
        }
        failed = cmocka_run_group_tests_name("supervise-in-vm", tests, group_setup, group_teardown);
        if (failed < 0 || failed > n)
                failed = n;
        printf("supervise-in-vm: %d passed, %d failed\n", n - failed, failed);
        return failed ? 1 : 0;
}
