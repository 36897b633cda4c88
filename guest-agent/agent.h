/* The agent core: one connection to the host, the commands and file transfers
 * it runs, and the single-threaded poll loop that drives them.
 *
 * Files: loop.c (poll loop, port I/O), session.c (handshake, frame dispatch,
 * connect/disconnect), cmd.c (command table and I/O), exec.c (starting a
 * command), files.c (file transfers), telemetry.c (heartbeats, samples). */
#pragma once

#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "events.h"
#include "outq.h"
#include "proto-msg.h"
#include "proto-policy.h"
#include "proto.h"
#include "trace-bpf.h"

#define VGL_AGENT_MAX_CMDS  64
#define VGL_AGENT_MAX_XFERS 16
#define VGL_AGENT_OUT_SOFT  (256u * 1024u)  /* bulk output stops here */
#define VGL_AGENT_OUT_HARD  (1024u * 1024u) /* control frames may go up to here */
#define VGL_AGENT_ERR_LIMIT                                                                        \
        (VGL_AGENT_OUT_SOFT + 128u * 1024u)   /* ERROR replies beyond: dropped                     \
                                               */
#define VGL_AGENT_TEL_LIMIT   (256u * 1024u)  /* telemetry queue; beyond: dropped and counted */
#define VGL_AGENT_STDIN_MAX   (1024u * 1024u) /* per-command stdin backlog */
#define VGL_AGENT_PUT_MAX     (1024ull * 1024 * 1024)
#define VGL_AGENT_DEFAULT_MS  1000u
#define VGL_AGENT_MIN_MS      10u
#define VGL_AGENT_MAX_SAMPLES 16u

struct vgl_cmd;
struct vgl_xfer;
struct vgl_decoder;

/* How trace mode captures the system-call sequence. */
enum vgl_trace_method {
        VGL_TRACE_AUTO = 0, /* eBPF when the kernel allows it, else notification */
        VGL_TRACE_NOTIFY,   /* always seccomp notification of every call (--trace-method notify) */
};

struct vgl_agent_config {
        int port_fd;             /* the open port; the agent owns it from vgl_agent_new on */
        bool reconnect;          /* a virtio port: EOF/HUP means "host away", not "done" */
        bool init_mode;          /* the agent is the VM's init: SHUTDOWN powers off */
        const char *proc_root;   /* "/proc" */
        const char *cgroup_root; /* "/sys/fs/cgroup" */
        enum vgl_trace_method trace_method;
};

enum vgl_session_state {
        VGL_SESSION_DOWN,       /* no host connected */
        VGL_SESSION_HELLO_SENT, /* waiting for HELLO_ACK */
        VGL_SESSION_READY,      /* requests accepted, heartbeats flowing */
        VGL_SESSION_MISMATCH,   /* versions incompatible: requests refused */
};

struct vgl_agent {
        struct vgl_agent_config cfg;
        int port_fd;
        int sig_fd;
        bool connected;
        enum vgl_session_state state;
        bool mismatch_sent;
        struct vgl_decoder *dec;
        struct vgl_outq out; /* control replies and command/file output, never dropped */
        struct vgl_outq tel; /* heartbeats and telemetry, dropped when full */
        uint32_t heartbeat_ms, sample_ms;
        uint64_t next_heartbeat_ms, next_sample_ms, next_reconnect_ms;
        uint64_t hb_seq, tel_sent, tel_dropped, decode_errors, errors_dropped;
        struct vgl_resource_sample samples[VGL_AGENT_MAX_SAMPLES];
        uint32_t n_samples;
        struct vgl_cmd *cmds[VGL_AGENT_MAX_CMDS];
        struct vgl_xfer *xfers[VGL_AGENT_MAX_XFERS];
        bool quit;
        bool shutdown_requested, shutdown_reboot;
        struct vgl_policy *policy; /* the permission set in force; never NULL */
        bool have_policy;          /* the host pushed one */
        bool cgroup2;              /* per-command cgroups possible */
        const char *cgroup_why;    /* why not, when !cgroup2 */
        bool seccomp_ok;           /* seccomp user notification available */
        struct vgl_ev_stage ev[VGL_EV_TYPES];
        uint64_t ev_staged_ms; /* when the oldest staged record was staged; 0 = none */
        uint64_t ev_sample_seq, tel_sampled_out;
        struct vgl_tbpf tbpf;    /* eBPF trace capture (trace.c); prog_fd -1: none */
        const char *trace_why;   /* why trace mode notifies every call instead */
        char trace_cg_root[256]; /* cgroup2 mount that tells traced commands apart */
        uint64_t trace_records;  /* records taken from the ring buffer */
        uint64_t trace_next_ms;  /* next timed drain */
        uint64_t trace_idle_ms;  /* detach after this when nothing is traced */
        uint64_t trace_lost;     /* records the ring buffer had no room for */
};

/* ---- the poll set, rebuilt every iteration ---- */

enum vgl_poll_tag {
        VGL_POLL_PORT,
        VGL_POLL_SIGNAL,
        VGL_POLL_CMD_STDOUT,
        VGL_POLL_CMD_STDERR,
        VGL_POLL_CMD_STDIN,
        VGL_POLL_CMD_STATUS,
        VGL_POLL_CMD_NOTIFY,
        VGL_POLL_TRACE, /* the eBPF ring buffer */
};
#define VGL_POLL_MAX (8 + 5 * VGL_AGENT_MAX_CMDS)
struct vgl_pollset {
        struct pollfd fds[VGL_POLL_MAX];
        void *obj[VGL_POLL_MAX];
        enum vgl_poll_tag tag[VGL_POLL_MAX];
        nfds_t n;
        uint64_t deadline_ms; /* earliest timer; UINT64_MAX = none */
};
void vgl_pollset_add(struct vgl_pollset *ps, int fd, short events, enum vgl_poll_tag tag,
                     void *obj);
void vgl_pollset_deadline(struct vgl_pollset *ps, uint64_t at_ms);

/* CLOCK_MONOTONIC and CLOCK_BOOTTIME in milliseconds. */
uint64_t vgl_now_ms(void);
uint64_t vgl_boottime_ms(void);

/* ---- loop.c ---- */

/* Creates the agent for an open port (ownership of cfg->port_fd moves in). */
int vgl_agent_new(const struct vgl_agent_config *cfg, struct vgl_agent **ret);
/* Frees; kills running commands, removes partial uploads. Accepts NULL, returns NULL. */
struct vgl_agent *vgl_agent_free(struct vgl_agent *a);
/* Runs until the host goes away (non-reconnecting port) or SHUTDOWN/SIGTERM.
 * Returns 0, or a negative errno on a fatal error. */
int vgl_agent_run(struct vgl_agent *a);

/* ---- session.c ---- */

/* The host connected: fresh decoder, HELLO first in the queue. */
int vgl_session_connect(struct vgl_agent *a);
/* The host went away: drop what only it could use, keep the workload running. */
void vgl_session_disconnect(struct vgl_agent *a);
/* Feeds bytes read from the port to the decoder and dispatches frames. */
int vgl_session_feed(struct vgl_agent *a, const void *data, size_t len);
/* Queues an ERROR reply; dropped (and counted) when the queue is too full. */
void vgl_session_error(struct vgl_agent *a, uint32_t stream, const char *code, uint8_t ref_type,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* True if `stream` is used by a command or a transfer. */
bool vgl_session_stream_busy(const struct vgl_agent *a, uint32_t stream);

/* ---- cmd.c ---- */

void vgl_cmds_on_exec(struct vgl_agent *a, const struct vgl_frame *f);
void vgl_cmds_on_stdin(struct vgl_agent *a, const struct vgl_frame *f);
void vgl_cmds_on_signal(struct vgl_agent *a, const struct vgl_frame *f);
struct vgl_cmd *vgl_cmds_find(const struct vgl_agent *a, uint32_t stream);
void vgl_cmds_poll_add(struct vgl_agent *a, struct vgl_pollset *ps);
void vgl_cmds_handle(struct vgl_agent *a, enum vgl_poll_tag tag, struct vgl_cmd *c, short revents);
/* Collects exit statuses (all children, orphans too) after SIGCHLD. */
void vgl_cmds_reap(struct vgl_agent *a);
/* Timeouts, lingering pipes, EXEC_EXIT of finished commands. */
void vgl_cmds_tick(struct vgl_agent *a, uint64_t now_ms);
unsigned vgl_cmds_running(const struct vgl_agent *a);
/* SIGKILLs every command's process group and forgets them. */
void vgl_cmds_kill_all(struct vgl_agent *a);

/* ---- files.c ---- */

void vgl_files_on_put(struct vgl_agent *a, const struct vgl_frame *f);
void vgl_files_on_get(struct vgl_agent *a, const struct vgl_frame *f);
void vgl_files_on_data(struct vgl_agent *a, const struct vgl_frame *f);
struct vgl_xfer *vgl_files_find(const struct vgl_agent *a, uint32_t stream);
/* Streams file data of GET transfers while the output queue has room; sets a
 * zero deadline in ps when more is ready. */
void vgl_files_pump(struct vgl_agent *a, struct vgl_pollset *ps);
/* Ends every transfer; uploads in progress are removed. */
void vgl_files_abort_all(struct vgl_agent *a);

/* ---- supcmd.c: supervision of one command ---- */
struct vgl_exec_opts;
struct vgl_cgroup;
/* Start options from the permission set in force, the request's "supervise"
 * (and a cgroup when possible). -EPERM/-EOPNOTSUPP with *err when the request
 * cannot be honoured ("off" under a set that requires supervision). */
int vgl_supcmd_opts(struct vgl_agent *a, uint32_t id, enum vgl_exec_supervise want,
                    struct vgl_exec_opts *o, struct vgl_cgroup *cg, struct vgl_error *err);
/* Undoes vgl_supcmd_opts when the command could not be started. */
void vgl_supcmd_abort(struct vgl_agent *a, struct vgl_exec_opts *o, struct vgl_cgroup *cg);
/* The listener to poll, or a short deadline while it is not attached yet. */
void vgl_supcmd_poll_add(struct vgl_agent *a, struct vgl_cmd *c, struct vgl_pollset *ps);
/* Attaches the listener once the child has loaded its filter. */
void vgl_supcmd_tick(struct vgl_agent *a, struct vgl_cmd *c, uint64_t now_ms);
/* The command ended: its last trace records (before its EXEC_EXIT). */
void vgl_supcmd_end(struct vgl_agent *a, struct vgl_cmd *c);
/* Queues the command's resource usage record (at its end). */
void vgl_supcmd_usage(struct vgl_agent *a, struct vgl_cmd *c);

/* ---- policy.c ---- */

/* Sets up the open permission set and probes seccomp/cgroup support. */
int vgl_policy_setup(struct vgl_agent *a);
/* POLICY from the host: validate, apply (to running commands too), acknowledge. */
void vgl_policy_on_frame(struct vgl_agent *a, const struct vgl_frame *f);

/* ---- trace.c: trace capture with eBPF (see trace-bpf.h) ---- */

#define VGL_TRACE_DRAIN_ROUND 4096u /* records per loop iteration, then the rest waits */
#define VGL_TRACE_BATCH_MS    10u   /* the ring is drained at least this often */
#define VGL_TRACE_IDLE_MS     5000u /* detached this long after the last traced command */

/* Loads the eBPF capture unless told not to; logs which method trace mode uses. */
void vgl_trace_setup(struct vgl_agent *a);
void vgl_trace_close(struct vgl_agent *a);
/* True if trace mode captures with eBPF. */
bool vgl_trace_bpf(const struct vgl_agent *a);
/* A trace-mode command is about to start: puts it in a cgroup (an
 * identification-only one where there are no limits) and registers that with
 * the eBPF program; on success o's filter becomes the critical one. Leaves o
 * alone (notification of every call) when that fails. */
void vgl_trace_cmd_start(struct vgl_agent *a, uint32_t id, struct vgl_exec_opts *o,
                         struct vgl_cgroup *cg);
/* Stops recording a command; drains its records first and counts its losses. */
void vgl_trace_cmd_end(struct vgl_agent *a, uint64_t cgid, uint64_t *lost_seen);
/* Ring buffer records into syscall records, at most max of them. */
void vgl_trace_drain(struct vgl_agent *a, unsigned max);
/* The ring's poll fd and the drain timer, while commands are traced. */
void vgl_trace_poll_add(struct vgl_agent *a, struct vgl_pollset *ps);
/* The program woke the agent (the ring is filling): drain. */
void vgl_trace_on_wakeup(struct vgl_agent *a);
/* Drains when the timer is due; attaches/detaches the program as trace
 * mode comes and goes. */
void vgl_trace_tick(struct vgl_agent *a, uint64_t now_ms);
void vgl_trace_idle_deadline(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps);
/* A new permission set: attached at once when it is in trace mode, so the
 * first traced command does not wait for the kernel to patch itself. */
void vgl_trace_policy(struct vgl_agent *a);
/* Adds losses of running commands to the telemetry loss count (per heartbeat). */
void vgl_trace_count_losses(struct vgl_agent *a);

/* ---- telemetry.c ---- */

/* Takes samples and queues heartbeats when due; adds the next deadline to ps. */
void vgl_telemetry_tick(struct vgl_agent *a, uint64_t now_ms, struct vgl_pollset *ps);
/* Restarts the timers (after HELLO_ACK). */
void vgl_telemetry_start(struct vgl_agent *a, uint64_t now_ms);
