/* Supervised execution: the seccomp filter a command runs under (built in the
 * child before exec) and the agent's handling of its user notifications. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto-policy.h"

struct vgl_agent;
struct vgl_cmd;

/* What the child needs to know to supervise itself (decided by the agent from
 * the permission set in force when the command starts). */
struct vgl_sup_opts {
        bool enabled;
        bool trace;        /* notify every system call, not only the critical ones */
        bool notify_reads; /* read-only opens notify too (sensitive patterns exist) */
        bool no_new_privs;
};

/* Child side: builds the filter and loads it with a listener. Returns the
 * listener fd (>= 0) or -errno. The caller must have computed which fd
 * number the listener will get (vgl_sup_next_fd) and told the agent. */
int vgl_sup_load_filter(const struct vgl_sup_opts *o);

/* The lowest free fd number of the calling process (what the next open gets). */
int vgl_sup_next_fd(void);

/* Agent side: fetches the listener (fd number `num` in the child) through a
 * pidfd. 0 when attached, -EAGAIN while the child has not loaded its filter
 * yet, other -errno on failure. */
int vgl_sup_attach(struct vgl_cmd *c, int num);

/* Handles up to a bounded number of pending notifications of c's listener. */
void vgl_sup_handle(struct vgl_agent *a, struct vgl_cmd *c);
