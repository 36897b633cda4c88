/* The eBPF capture module (guest-agent/trace-bpf.c) on its own: the kernel
 * accepts the program, records start at the command's exec, come in call
 * order with the right ids, and a full ring buffer is counted, never silent.
 * Needs root, a kernel with BPF ring buffers and a cgroup v2 mount (on a
 * cgroup v1 host a controller-less one such as /sys/fs/cgroup/unified);
 * without them it says why and exits 77 (skipped). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "trace-bpf.h"

static char cg_root[256];

struct got {
        uint32_t n, ppid, execs, other_ids;
        uint32_t first_nr, pid;
        uint64_t last_ns;
        bool ordered;
};

static void on_rec(const struct vgl_tbpf_rec *r, void *u)
{
        struct got *g = u;
        if (r->exec_id != 7) {
                g->other_ids++;
                return;
        }
        if (g->n++ == 0) {
                g->first_nr = r->nr;
                g->pid = r->pid;
        }
        g->ordered = g->ordered && r->time_ns >= g->last_ns && r->pid == g->pid;
        g->last_ns = r->time_ns;
        g->ppid += r->nr == SYS_getppid;
        g->execs += r->nr == SYS_execve;
}

/* Runs "probe ppid N" in a fresh cgroup registered as exec 7; the child
 * makes calls of its own (getpid) before its exec, which must not count. */
/* True if the program woke the agent (its epoll fd is readable). */
static bool woken(const struct vgl_tbpf *t)
{
        struct pollfd p = {.fd = t->poll_fd, .events = POLLIN};
        return poll(&p, 1, 0) == 1;
}

static void run_traced(struct vgl_tbpf *t, long n, struct got *g, uint64_t *lost, bool *woke)
{
        char name[64], count[24], probe[4096];
        struct vgl_cgroup cg = {.procs_fd = -1};
        struct vgl_error err = {0};
        uint64_t cgid;
        int st;

        snprintf(name, sizeof(name), "vigil-tbpf-test-%d", (int)getpid());
        snprintf(count, sizeof(count), "%ld", n);
        snprintf(probe, sizeof(probe), "%s/tests/unit/agent/vigil-probe",
                 getenv("VIGIL_BUILD_ROOT") ? getenv("VIGIL_BUILD_ROOT") : ".");
        assert_int_equal(vgl_cgroup_create_plain(cg_root, name, &cg, &err), 0);
        assert_int_equal(vgl_cgroup_id(cg.path, &cgid), 0);
        assert_int_equal(vgl_tbpf_add(t, cgid, 7), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (vgl_cgroup_join(&cg) < 0)
                        _exit(120);
                for (int i = 0; i < 50; i++)
                        syscall(SYS_getppid); /* before the exec: not the command's */
                execl(probe, probe, "ppid", count, (char *)NULL);
                _exit(121);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        *woke = woken(t);
        vgl_tbpf_ack(t);
        assert_false(woken(t));
        *g = (struct got){.ordered = true};
        while (vgl_tbpf_drain(t, 1000, on_rec, g) > 0)
                ;
        assert_int_equal(vgl_tbpf_remove(t, cgid, lost), 0);
        assert_false(vgl_tbpf_pending(t));
        vgl_cgroup_destroy(&cg);
}

static void open_ring(struct vgl_tbpf *t, size_t ring)
{
        const char *why = "";
        int r = vgl_tbpf_open(t, ring, &why);
        if (r < 0)
                fail_msg("vgl_tbpf_open: %s (%s)", why, strerror(-r));
}

/* NULL, or why this host cannot run the cases. */
static const char *unusable(void)
{
        static char msg[256];
        struct vgl_tbpf t;
        const char *why = "";
        int r;

        if (geteuid() != 0)
                return "eBPF needs root";
        if (vgl_cgroup2_mount("/sys/fs/cgroup", cg_root, sizeof(cg_root)) < 0)
                return "no cgroup v2 mount on this host (the agent notifies every call in "
                       "trace mode here)";
        if ((r = vgl_tbpf_open(&t, 1u << 20, &why)) < 0) {
                snprintf(msg, sizeof(msg), "no eBPF capture here: %s (%s)", why, strerror(-r));
                return msg;
        }
        vgl_tbpf_close(&t);
        return NULL;
}

static void test_records(void **state)
{
        struct vgl_tbpf t;
        struct got g;
        uint64_t lost = 1;
        bool woke = true;

        open_ring(&t, 1u << 20);
        run_traced(&t, 300, &g, &lost, &woke);
        print_message("%u records, %u getppid, lost %llu\n", g.n, g.ppid, (unsigned long long)lost);
        assert_int_equal(lost, 0);
        assert_false(woke); /* ~10 KB in a 1 MiB ring: left for the agent's timer */
        assert_int_equal(g.other_ids, 0);
        assert_int_equal(g.first_nr, SYS_execve); /* armed by the exec */
        assert_int_equal(g.execs, 1);
        assert_int_equal(g.ppid, 300); /* none of the 50 before the exec */
        assert_true(g.ordered);
        assert_int_equal(t.n_cmds, 0);
        vgl_tbpf_detach(&t);
        assert_int_equal(t.link_fd, -1);
        vgl_tbpf_close(&t);
}

static void test_overflow_counted(void **state)
{
        struct vgl_tbpf t;
        struct got g;
        uint64_t lost = 0;
        bool woke = false;

        /* One page of ring (128 records of 32 bytes), not drained while it runs. */
        open_ring(&t, (size_t)sysconf(_SC_PAGESIZE));
        run_traced(&t, 2000, &g, &lost, &woke);
        print_message("%u records kept, %llu counted lost\n", g.n, (unsigned long long)lost);
        assert_true(lost > 0);
        assert_true(woke); /* past a quarter of the ring the program wakes the agent */
        assert_true(g.n < 200);
        /* Every call is either kept or counted: at least the 2000 getppid. */
        assert_true(g.n + lost >= 2000);
        vgl_tbpf_close(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_records),
                cmocka_unit_test(test_overflow_counted),
        };
        const char *why = unusable();
        if (why) {
                printf("SKIP: %s\n", why);
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
