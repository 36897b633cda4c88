/* Observation records: TELEMETRY batch record types 2..7 (see
 * docs/protocol.md, "Observation records"). All fixed-width little-endian;
 * paths and argv summaries are NUL-padded fields of fixed size, cut at
 * VGL_EVENT_TEXT_LEN bytes with VGL_EVENT_F_TRUNCATED set. Decoders accept
 * longer records (newer agents append fields) and force a NUL at the end of
 * every text field, so a hostile guest cannot produce an unterminated string. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum vgl_event_record {
        VGL_REC_NET = 3,   /* struct vgl_ev_net */
        VGL_REC_FILE = 4,  /* struct vgl_ev_file */
        VGL_REC_PROC = 5,  /* struct vgl_ev_proc */
        VGL_REC_PRIV = 6,  /* struct vgl_ev_priv */
        VGL_REC_USAGE = 7, /* struct vgl_ev_usage */
};

/* What the supervisor did with a call. */
enum vgl_verdict {
        VGL_VERDICT_ALLOW = 0,   /* continued: the kernel ran the call */
        VGL_VERDICT_DENY = 1,    /* failed with `err` */
        VGL_VERDICT_EMULATE = 2, /* the agent ran it for the workload (fd injected) */
        VGL_VERDICT_REPORT = 3,  /* allowed, but matched a "report" rule */
        VGL_VERDICT_OBSERVE = 4, /* traced only (trace mode, not a critical call) */
};
const char *vgl_verdict_name(uint8_t v);

#define VGL_EVENT_F_TRUNCATED (1u << 0) /* a text field was cut */
#define VGL_EVENT_TEXT_LEN    255u      /* text bytes kept, without the NUL */

/* Common head of every observation record: 16 bytes. */
struct vgl_ev_head {
        uint64_t time_us; /* guest CLOCK_BOOTTIME, microseconds */
        uint32_t exec_id; /* the EXEC stream of the command */
        uint32_t pid;     /* the calling thread's pid in the guest */
};

/* Record 2: one system call (trace mode: every call; critical mode: the
 * notified ones). 24 bytes. */
#define VGL_EV_SYSCALL_SIZE 24u
/* Captured by the agent's eBPF program at system call entry, after the
 * seccomp filter let the call through: verdict is then always "observe"
 * (the decision on a notified call is in its typed record). */
#define VGL_SYSCALL_F_ENTRY (1u << 1)
struct vgl_ev_syscall {
        struct vgl_ev_head h;
        uint16_t nr;     /* x86-64 system call number */
        uint8_t verdict; /* enum vgl_verdict */
        uint8_t flags;   /* VGL_SYSCALL_F_* */
        uint16_t err;    /* errno returned on deny, else 0 */
        uint16_t reserved;
};

enum vgl_net_op { VGL_NET_CONNECT = 1, VGL_NET_SENDTO, VGL_NET_SENDMSG, VGL_NET_BIND };

/* Record 3: a network call with an address. 40 bytes. */
#define VGL_EV_NET_SIZE 40u
struct vgl_ev_net {
        struct vgl_ev_head h;
        uint16_t family; /* AF_INET 2, AF_INET6 10, AF_UNIX 1, other */
        uint16_t port;   /* host order */
        uint8_t op;      /* enum vgl_net_op */
        uint8_t verdict;
        uint16_t err;
        uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

enum vgl_file_op {
        VGL_FILE_READ = 1, /* an open for reading (sensitive path) */
        VGL_FILE_WRITE,    /* an open for writing or creating */
        VGL_FILE_UNLINK,
        VGL_FILE_RENAME,
        VGL_FILE_CHMOD,
        VGL_FILE_CHOWN,
        VGL_FILE_MKDIR,
        VGL_FILE_LINK,
};

/* Record 4: a file operation. 32 + 256 = 288 bytes. */
#define VGL_EV_FILE_SIZE 288u
struct vgl_ev_file {
        struct vgl_ev_head h;
        uint32_t oflags; /* open(2) flags, or 0 */
        uint8_t op;      /* enum vgl_file_op */
        uint8_t verdict;
        uint8_t flags; /* VGL_EVENT_F_* */
        uint8_t reserved;
        uint16_t err;
        uint16_t reserved2;
        char path[VGL_EVENT_TEXT_LEN + 1]; /* absolute, as the agent resolved it */
};

/* Record 5: an exec. 24 + 256 + 256 = 536 bytes. */
#define VGL_EV_PROC_SIZE 536u
struct vgl_ev_proc {
        struct vgl_ev_head h;
        uint32_t argc;
        uint8_t verdict;
        uint8_t flags;
        uint16_t err;
        char path[VGL_EVENT_TEXT_LEN + 1];
        char argv[VGL_EVENT_TEXT_LEN + 1]; /* arguments joined by spaces, cut */
};

/* Record 6: a privilege call. 32 bytes. */
#define VGL_EV_PRIV_SIZE 32u
struct vgl_ev_priv {
        struct vgl_ev_head h;
        uint16_t nr;
        uint16_t call; /* one VGL_PRIV_* bit index (0 = ptrace ...) */
        uint8_t verdict;
        uint8_t reserved;
        uint16_t err;
        uint64_t arg0; /* first argument (ptrace request, target uid, ...) */
};

#define VGL_USAGE_F_CGROUP (1u << 0) /* the command ran in its own cgroup v2 */
#define VGL_USAGE_F_OOM    (1u << 1) /* memory.events oom_kill > 0 */
#define VGL_USAGE_F_PIDS   (1u << 2) /* pids.events max > 0 (forks refused) */

/* Record 7: resource usage of one command, read from its cgroup at exit.
 * Fields are 0 when the cgroup (or the file) is missing. 96 bytes. */
#define VGL_EV_USAGE_SIZE 96u
struct vgl_ev_usage {
        struct vgl_ev_head h;
        uint32_t flags; /* VGL_USAGE_F_* */
        uint32_t reserved;
        uint64_t cpu_usage_usec; /* cpu.stat */
        uint64_t cpu_user_usec;
        uint64_t cpu_system_usec;
        uint64_t memory_peak;    /* memory.peak (kernel >= 5.19), else memory.current */
        uint64_t pids_peak;      /* pids.peak (kernel >= 6.x), else pids.current */
        uint64_t io_read_bytes;  /* io.stat rbytes, all devices */
        uint64_t io_write_bytes; /* io.stat wbytes */
        uint64_t oom_kills;      /* memory.events oom_kill */
        uint64_t pids_refused;   /* pids.events max */
};

void vgl_ev_syscall_encode(const struct vgl_ev_syscall *e, uint8_t out[VGL_EV_SYSCALL_SIZE]);
void vgl_ev_net_encode(const struct vgl_ev_net *e, uint8_t out[VGL_EV_NET_SIZE]);
void vgl_ev_file_encode(const struct vgl_ev_file *e, uint8_t out[VGL_EV_FILE_SIZE]);
void vgl_ev_proc_encode(const struct vgl_ev_proc *e, uint8_t out[VGL_EV_PROC_SIZE]);
void vgl_ev_priv_encode(const struct vgl_ev_priv *e, uint8_t out[VGL_EV_PRIV_SIZE]);
void vgl_ev_usage_encode(const struct vgl_ev_usage *e, uint8_t out[VGL_EV_USAGE_SIZE]);

/* Decoders: -EBADMSG if len is below the record's size; extra bytes ignored. */
int vgl_ev_syscall_decode(const uint8_t *p, size_t len, struct vgl_ev_syscall *ret);
int vgl_ev_net_decode(const uint8_t *p, size_t len, struct vgl_ev_net *ret);
int vgl_ev_file_decode(const uint8_t *p, size_t len, struct vgl_ev_file *ret);
int vgl_ev_proc_decode(const uint8_t *p, size_t len, struct vgl_ev_proc *ret);
int vgl_ev_priv_decode(const uint8_t *p, size_t len, struct vgl_ev_priv *ret);
int vgl_ev_usage_decode(const uint8_t *p, size_t len, struct vgl_ev_usage *ret);

/* The record size this version knows for an observation record type, 0 if none. */
size_t vgl_ev_record_size(uint16_t record_type);
