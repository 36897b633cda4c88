/* Trace capture with eBPF: the program, its maps, attaching, draining. */
#include "trace-bpf.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-insn.h"
#include "cleanup.h"

/* Value of the cgroup map: which command, whether its exec was seen, and
 * records lost to a full ring buffer (added to by the program). */
struct cmd_state {
        uint32_t exec_id;
        uint32_t armed;
        uint64_t lost;
};

#define REC_SIZE ((int)sizeof(struct vgl_tbpf_rec))

/* ctx is struct bpf_raw_tracepoint_args: args[0] the pt_regs, args[1] the
 * system call number. Registers: r6 ctx, r7 the cgroup's map value, r8 the
 * number, r9 the reserved record. Jump offsets count from the next insn.
 * The agent is woken only once wake_at bytes wait (it also drains on a
 * timer): a wakeup per record would cost more than the record. */
static int load_prog(int cmds_fd, int ring_fd, int32_t wake_at, char *log, size_t log_size)
{
        const struct bpf_insn insns[] = {
                /* 0 */ VGL_MOV64_REG(BPF_REG_6, BPF_REG_1),
                VGL_CALL(BPF_FUNC_get_current_cgroup_id),
                VGL_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_0, -8),
                VGL_LD_MAP_FD(BPF_REG_1, cmds_fd), /* 3, 4 */
                /* 5 */ VGL_MOV64_REG(BPF_REG_2, BPF_REG_10),
                VGL_ALU64_IMM(BPF_ADD, BPF_REG_2, -8),
                VGL_CALL(BPF_FUNC_map_lookup_elem),
                /* 8 */ VGL_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 33), /* not ours: -> 42 */
                VGL_MOV64_REG(BPF_REG_7, BPF_REG_0),
                VGL_LDX_MEM(BPF_DW, BPF_REG_8, BPF_REG_6, 8),
                VGL_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_7, 4),
                /* 12 */ VGL_JMP_IMM(BPF_JNE, BPF_REG_1, 0, 3), /* armed: -> 16 */
                /* Until the command's exec, the calls are the agent's set-up. */
                VGL_JMP_IMM(BPF_JEQ, BPF_REG_8, SYS_execve, 1),    /* -> 15 */
                VGL_JMP_IMM(BPF_JNE, BPF_REG_8, SYS_execveat, 27), /* -> 42 */
                /* 15 */ VGL_ST_MEM(BPF_W, BPF_REG_7, 4, 1),
                VGL_LD_MAP_FD(BPF_REG_1, ring_fd), /* 16, 17 */
                /* 18 */ VGL_MOV64_IMM(BPF_REG_2, REC_SIZE),
                VGL_MOV64_IMM(BPF_REG_3, 0),
                VGL_CALL(BPF_FUNC_ringbuf_reserve),
                /* 21 */ VGL_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 18), /* full: -> 40 */
                VGL_MOV64_REG(BPF_REG_9, BPF_REG_0),
                VGL_LDX_MEM(BPF_W, BPF_REG_1, BPF_REG_7, 0),
                VGL_STX_MEM(BPF_W, BPF_REG_9, BPF_REG_1, 8),  /* exec_id */
                VGL_STX_MEM(BPF_W, BPF_REG_9, BPF_REG_8, 12), /* nr */
                VGL_CALL(BPF_FUNC_get_current_pid_tgid),
                VGL_STX_MEM(BPF_DW, BPF_REG_9, BPF_REG_0, 16), /* pid, tgid */
                VGL_CALL(BPF_FUNC_ktime_get_boot_ns),
                VGL_STX_MEM(BPF_DW, BPF_REG_9, BPF_REG_0, 0), /* time_ns */
                VGL_LD_MAP_FD(BPF_REG_1, ring_fd),            /* 30, 31 */
                /* 32 */ VGL_MOV64_IMM(BPF_REG_2, BPF_RB_AVAIL_DATA),
                VGL_CALL(BPF_FUNC_ringbuf_query),
                VGL_MOV64_IMM(BPF_REG_2, BPF_RB_NO_WAKEUP),
                /* 35 */ VGL_JMP_IMM(BPF_JLT, BPF_REG_0, wake_at, 1), /* -> 37 */
                VGL_MOV64_IMM(BPF_REG_2, BPF_RB_FORCE_WAKEUP),
                /* 37 */ VGL_MOV64_REG(BPF_REG_1, BPF_REG_9),
                VGL_CALL(BPF_FUNC_ringbuf_submit),
                /* 39 */ VGL_JA(2), /* -> 42 */
                /* 40 */ VGL_MOV64_IMM(BPF_REG_1, 1),
                VGL_ATOMIC_ADD(BPF_DW, BPF_REG_7, BPF_REG_1, 8), /* lost++ */
                /* 42 */ VGL_MOV64_IMM(BPF_REG_0, 0),
                VGL_EXIT(),
        };
        union bpf_attr a;

        memset(&a, 0, sizeof(a));
        a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
        a.insns = (uint64_t)(uintptr_t)insns;
        a.insn_cnt = ELEMENTSOF(insns);
        /* No GPL-only helper is called. */
        a.license = (uint64_t)(uintptr_t) "Apache-2.0";
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = (uint32_t)log_size;
        a.log_level = log ? 1 : 0;
        memcpy(a.prog_name, "vigil_trace", sizeof("vigil_trace"));
        int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
        return fd < 0 ? -errno : fd;
}

static int map_create(enum bpf_map_type type, uint32_t key, uint32_t value, uint32_t max,
                      const char *name)
{
        union bpf_attr a;

        memset(&a, 0, sizeof(a));
        a.map_type = type;
        a.key_size = key;
        a.value_size = value;
        a.max_entries = max;
        memcpy(a.map_name, name, strlen(name) < BPF_OBJ_NAME_LEN ? strlen(name) : 0);
        int fd = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a));
        return fd < 0 ? -errno : fd;
}

int vgl_tbpf_attach(struct vgl_tbpf *t)
{
        union bpf_attr a;

        if (t->link_fd >= 0)
                return 0;
        if (t->prog_fd < 0)
                return -EBADF;
        memset(&a, 0, sizeof(a));
        a.raw_tracepoint.name = (uint64_t)(uintptr_t) "sys_enter";
        a.raw_tracepoint.prog_fd = (uint32_t)t->prog_fd;
        int fd = (int)syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &a, sizeof(a));
        if (fd < 0)
                return -errno;
        t->link_fd = fd;
        return 0;
}

static int ring_map(struct vgl_tbpf *t)
{
        void *p = mmap(NULL, t->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->ring_fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        t->cons = p;
        /* The data area is mapped twice in a row: a record never wraps. */
        p = mmap(NULL, t->page_size + 2 * t->ring_size, PROT_READ, MAP_SHARED, t->ring_fd,
                 (off_t)t->page_size);
        if (p == MAP_FAILED)
                return -errno;
        t->prod = p;
        return 0;
}

/* Edge-triggered: the ring's fd polls readable while any record waits, but
 * the agent wants to hear only of the program's forced wakeups. */
static int ring_epoll(struct vgl_tbpf *t)
{
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
        t->poll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (t->poll_fd < 0)
                return -errno;
        if (epoll_ctl(t->poll_fd, EPOLL_CTL_ADD, t->ring_fd, &ev) < 0)
                return -errno;
        return 0;
}

void vgl_tbpf_ack(struct vgl_tbpf *t)
{
        struct epoll_event ev[4];
        while (t->poll_fd >= 0 && epoll_wait(t->poll_fd, ev, 4, 0) > 0)
                ;
}

static char verifier_log[4096];

const char *vgl_tbpf_verifier_log(void)
{
        return verifier_log;
}

int vgl_tbpf_open(struct vgl_tbpf *t, size_t ring_size, const char **why)
{
        int r;

        *t = (struct vgl_tbpf){
                .prog_fd = -1, .cmds_fd = -1, .ring_fd = -1, .link_fd = -1, .poll_fd = -1};
        t->page_size = (size_t)sysconf(_SC_PAGESIZE);
        t->ring_size = ring_size;
        if ((r = map_create(BPF_MAP_TYPE_HASH, sizeof(uint64_t), sizeof(struct cmd_state),
                            VGL_TBPF_MAX_CMDS, "vigil_cmds")) < 0) {
                *why = "bpf(BPF_MAP_CREATE) of a hash map failed (no CONFIG_BPF_SYSCALL, or "
                       "not permitted)";
                goto fail;
        }
        t->cmds_fd = r;
        if ((r = map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)ring_size, "vigil_ring")) < 0) {
                *why = "no BPF ring buffer (kernel before 5.8)";
                goto fail;
        }
        t->ring_fd = r;
        if ((r = ring_map(t)) < 0) {
                *why = "mmap of the BPF ring buffer failed";
                goto fail;
        }
        if ((r = ring_epoll(t)) < 0) {
                *why = "epoll on the BPF ring buffer failed";
                goto fail;
        }
        int32_t wake_at = (int32_t)(ring_size / 4);
        if ((r = load_prog(t->cmds_fd, t->ring_fd, wake_at, NULL, 0)) < 0) {
                /* Again with the verifier's log, for whoever debugs it. */
                load_prog(t->cmds_fd, t->ring_fd, wake_at, verifier_log, sizeof(verifier_log));
                *why = "the kernel refused the raw tracepoint program (helpers missing?)";
                goto fail;
        }
        t->prog_fd = r;
        if ((r = vgl_tbpf_attach(t)) < 0) {
                *why = "raw tracepoint sys_enter cannot be attached (no CONFIG_BPF_EVENTS or "
                       "syscall tracepoints)";
                goto fail;
        }
        vgl_tbpf_detach(t); /* attached when trace mode is used */
        return 0;
fail:
        vgl_tbpf_close(t);
        return r;
}

void vgl_tbpf_close(struct vgl_tbpf *t)
{
        t->link_fd = safe_close(t->link_fd);
        t->poll_fd = safe_close(t->poll_fd);
        t->prog_fd = safe_close(t->prog_fd);
        t->cmds_fd = safe_close(t->cmds_fd);
        if (t->cons)
                munmap(t->cons, t->page_size);
        if (t->prod)
                munmap(t->prod, t->page_size + 2 * t->ring_size);
        t->cons = t->prod = NULL;
        t->ring_fd = safe_close(t->ring_fd);
        t->n_cmds = 0;
}

static int map_op(int cmd, int fd, uint64_t key, void *value, uint64_t flags)
{
        union bpf_attr a;

        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)fd;
        a.key = (uint64_t)(uintptr_t)&key;
        a.value = (uint64_t)(uintptr_t)value;
        a.flags = flags;
        return syscall(SYS_bpf, cmd, &a, sizeof(a)) < 0 ? -errno : 0;
}

int vgl_tbpf_add(struct vgl_tbpf *t, uint64_t cgid, uint32_t exec_id)
{
        struct cmd_state s = {.exec_id = exec_id};
        int r;

        if (t->prog_fd < 0)
                return -EBADF;
        if ((r = map_op(BPF_MAP_UPDATE_ELEM, t->cmds_fd, cgid, &s, BPF_NOEXIST)) < 0)
                return r;
        if ((r = vgl_tbpf_attach(t)) < 0) {
                map_op(BPF_MAP_DELETE_ELEM, t->cmds_fd, cgid, NULL, 0);
                return r;
        }
        t->n_cmds++;
        return 0;
}

int vgl_tbpf_lost(struct vgl_tbpf *t, uint64_t cgid, uint64_t *ret_lost)
{
        struct cmd_state s;
        int r = map_op(BPF_MAP_LOOKUP_ELEM, t->cmds_fd, cgid, &s, 0);
        if (r < 0)
                return r;
        *ret_lost = s.lost;
        return 0;
}

int vgl_tbpf_remove(struct vgl_tbpf *t, uint64_t cgid, uint64_t *ret_lost)
{
        int r = vgl_tbpf_lost(t, cgid, ret_lost);
        if (r < 0)
                return r;
        if ((r = map_op(BPF_MAP_DELETE_ELEM, t->cmds_fd, cgid, NULL, 0)) < 0)
                return r;
        if (t->n_cmds)
                t->n_cmds--;
        return 0;
}

void vgl_tbpf_detach(struct vgl_tbpf *t)
{
        t->link_fd = safe_close(t->link_fd);
}

bool vgl_tbpf_pending(const struct vgl_tbpf *t)
{
        if (!t->cons)
                return false;
        uint64_t cons = __atomic_load_n((const uint64_t *)t->cons, __ATOMIC_RELAXED);
        uint64_t prod = __atomic_load_n((const uint64_t *)t->prod, __ATOMIC_ACQUIRE);
        return cons < prod;
}

unsigned vgl_tbpf_drain(struct vgl_tbpf *t, unsigned max, vgl_tbpf_fn fn, void *userdata)
{
        uint64_t *consp = t->cons;
        const uint8_t *data = (const uint8_t *)t->prod + t->page_size;
        unsigned n = 0;

        if (!consp)
                return 0;
        uint64_t cons = __atomic_load_n(consp, __ATOMIC_RELAXED);
        uint64_t prod = __atomic_load_n((const uint64_t *)t->prod, __ATOMIC_ACQUIRE);
        while (n < max && cons < prod) {
                const uint8_t *hdr = data + (cons & (t->ring_size - 1));
                uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
                if (len & BPF_RINGBUF_BUSY_BIT)
                        break; /* reserved, not submitted yet */
                uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
                if (!(len & BPF_RINGBUF_DISCARD_BIT) && size >= sizeof(struct vgl_tbpf_rec)) {
                        struct vgl_tbpf_rec r;
                        memcpy(&r, hdr + BPF_RINGBUF_HDR_SZ, sizeof(r));
                        fn(&r, userdata);
                        n++;
                }
                cons += (size + BPF_RINGBUF_HDR_SZ + 7u) & ~7ull;
                __atomic_store_n(consp, cons, __ATOMIC_RELEASE);
        }
        return n;
}
