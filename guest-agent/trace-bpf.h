/* Trace capture with eBPF: a hand-assembled program on the raw_syscalls
 * sys_enter raw tracepoint records every system call of the registered
 * cgroups (one per traced command) into a BPF ring buffer, which the agent
 * drains from its poll loop: every few milliseconds, and at once when the
 * program wakes it (a quarter of the ring filled). The workload never waits
 * for the agent.
 *
 * Loaded with the raw bpf(2) system call (no libbpf, no ELF): the agent is
 * static and PID 1 of a busybox initramfs. See docs/security.md. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGL_TBPF_MAX_CMDS 64u

/* One record as the program writes it (native byte order: same machine). */
struct vgl_tbpf_rec {
        uint64_t time_ns; /* bpf_ktime_get_boot_ns: CLOCK_BOOTTIME */
        uint32_t exec_id; /* the command (from the cgroup's map entry) */
        uint32_t nr;      /* system call number */
        uint32_t pid;     /* the calling thread (init pid namespace) */
        uint32_t tgid;    /* its process */
};

struct vgl_tbpf {
        int prog_fd, cmds_fd, ring_fd, link_fd; /* -1 when none */
        int poll_fd; /* epoll on the ring: readable when the program woke us */
        void *cons;  /* consumer page (read-write) */
        void *prod;  /* producer page + data twice (read-only) */
        size_t ring_size, page_size;
        unsigned n_cmds; /* registered cgroups */
};

/* Creates the maps, loads the program (the kernel's verifier checks it) and
 * attaches it once to prove the tracepoint works. 0, or -errno with *why
 * naming the step that failed (a fixed string). */
int vgl_tbpf_open(struct vgl_tbpf *t, size_t ring_size, const char **why);

/* Detaches and frees everything. Safe on a zeroed or closed struct (fds -1). */
void vgl_tbpf_close(struct vgl_tbpf *t);

/* Attaches the program to the tracepoint (nothing if it is). From then on
 * every system call in the system takes the tracepoint's slow path and runs
 * the program (a map lookup for tasks of no traced cgroup). Attaching takes
 * milliseconds (the kernel patches code), so the caller keeps it attached
 * while trace mode is in use rather than per command. 0 or -errno. */
int vgl_tbpf_attach(struct vgl_tbpf *t);
void vgl_tbpf_detach(struct vgl_tbpf *t);

/* Starts recording the tasks of cgroup (v2) id cgid as exec_id (attaching
 * first if needed). Recording begins with the cgroup's first
 * execve/execveat (the command's own exec, not the agent's set-up in the
 * child). 0 or -errno. */
int vgl_tbpf_add(struct vgl_tbpf *t, uint64_t cgid, uint32_t exec_id);

/* Stops recording cgid; *ret_lost: records of it the ring buffer had no room
 * for (counted in the kernel). Drain first: records already written stay in
 * the ring. The tracepoint stays attached. 0 or -errno. */
int vgl_tbpf_remove(struct vgl_tbpf *t, uint64_t cgid, uint64_t *ret_lost);

/* Records of cgid lost so far (ring buffer full). 0 or -errno. */
int vgl_tbpf_lost(struct vgl_tbpf *t, uint64_t cgid, uint64_t *ret_lost);

/* The kernel verifier's log of the last refused load ("" if none). */
const char *vgl_tbpf_verifier_log(void);

/* Hands up to max records to fn in ring order (per thread: call order);
 * returns how many. */
typedef void (*vgl_tbpf_fn)(const struct vgl_tbpf_rec *r, void *userdata);
unsigned vgl_tbpf_drain(struct vgl_tbpf *t, unsigned max, vgl_tbpf_fn fn, void *userdata);

/* Takes the wakeups poll_fd reported (call before draining). */
void vgl_tbpf_ack(struct vgl_tbpf *t);

/* True if records are waiting. */
bool vgl_tbpf_pending(const struct vgl_tbpf *t);
