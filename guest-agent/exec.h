/* One command: starting it (fork, pipes, credentials, exec) and its state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "cgroup.h"
#include "error.h"
#include "proto-msg.h"
#include "supervise.h"

/* Where in the child a start failed (reported through the status pipe). */
enum vgl_exec_stage {
        VGL_STAGE_SETUP = 1,      /* fds, session */
        VGL_STAGE_CREDS,          /* setgroups/setgid/setuid */
        VGL_STAGE_CWD,            /* chdir */
        VGL_STAGE_EXEC,           /* execvp: reported as exit 127/126, not "failed" */
        VGL_STAGE_CGROUP,         /* joining the command's cgroup */
        VGL_STAGE_SECCOMP,        /* building/loading the seccomp filter */
        VGL_STAGE_LISTENER = 100, /* not a failure: err = the listener's fd number */
};

/* How to start a command beyond what the EXEC request says. */
struct vgl_exec_opts {
        struct vgl_sup_opts sup;
        int64_t uid, gid;      /* used when the request leaves them -1 */
        struct vgl_cgroup *cg; /* join this cgroup (procs_fd), or NULL */
        bool trace_bpf;        /* its calls are recorded by the eBPF program */
        uint64_t trace_cgid;   /* the cgroup id it is registered under */
};

struct vgl_cmd {
        uint32_t id;
        pid_t pid;                            /* also the process group and session id */
        int out_fd, err_fd, in_fd, status_fd; /* -1 once closed */
        struct vgl_buf in_buf;                /* stdin backlog from the host */
        bool in_pipe;                         /* stdin is a pipe fed by STDIN frames */
        bool in_eof;                          /* host sent end of stdin */
        bool exited, timed_out;
        int wstatus;
        uint64_t start_ms, deadline_ms, linger_ms; /* deadline 0: no timeout */
        uint64_t out_bytes, err_bytes;
        int fail_stage, fail_errno; /* from the status pipe; 0 if none */
        char fail_what[64];
        bool supervised;
        int listener_num;    /* the child's listener fd number, -1 until told */
        int listener, pidfd; /* -1 when none */
        uint64_t attach_deadline_ms;
        struct vgl_cgroup cg;
        bool trace_bpf;           /* registered with the eBPF program (trace.c) */
        uint64_t trace_cgid;      /* under this cgroup id */
        uint64_t trace_lost_seen; /* ring buffer losses already counted */
};

/* Starts req as a new session/process group with its stdio on fresh pipes
 * (non-blocking, close-on-exec on the agent's side). stdin is a pipe when
 * req->stdin_pipe, else /dev/null. On success *ret owns the pipes. */
int vgl_exec_spawn(const struct vgl_exec_request *req, const struct vgl_exec_opts *opts,
                   uint32_t id, uint64_t now_ms, struct vgl_cmd **ret, struct vgl_error *err);

/* Closes the pipes and frees c (the process is not touched). Accepts NULL, returns NULL. */
struct vgl_cmd *vgl_cmd_free(struct vgl_cmd *c);

/* Reads the child's start-failure record, if any; closes the pipe at EOF. */
void vgl_cmd_read_status(struct vgl_cmd *c);

/* Fills the EXEC_EXIT message for a finished command. */
void vgl_cmd_exit_info(const struct vgl_cmd *c, uint64_t now_ms, struct vgl_exec_exit *ret);
