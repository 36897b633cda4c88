/* Per-command cgroup v2: create with limits, join from the child, read usage
 * at exit, kill and remove. Everything degrades to "no cgroup" where cgroup v2
 * with the pids and memory controllers is not available (a host with v1). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "proto-event.h"

struct vgl_cgroup {
        char path[256]; /* empty: none */
        int procs_fd;   /* cgroup.procs, open for the child to join; -1 once closed */
        bool plain;     /* identification only (no controllers): no usage figures */
};

/* True if root (normally "/sys/fs/cgroup") is a cgroup2 mount that offers the
 * pids and memory controllers; enables them for children on first success.
 * Sets *why to a short reason when false. */
bool vgl_cgroup_usable(const char *root, const char **why);

/* Creates root/vigil-cmd-ID with pids.max / memory.max (0 = unlimited) and
 * opens its cgroup.procs. 0 or -errno (*cg stays "none"). */
int vgl_cgroup_create(const char *root, uint32_t id, uint64_t pids_max, uint64_t memory_max,
                      struct vgl_cgroup *cg, struct vgl_error *err);

/* Changes the limits of an existing cgroup (a new permission set). 0 or -errno. */
int vgl_cgroup_set_limits(const struct vgl_cgroup *cg, uint64_t pids_max, uint64_t memory_max);

/* Child side, before exec: moves the calling process into the cgroup. */
int vgl_cgroup_join(const struct vgl_cgroup *cg);

/* Fills usage fields of *u from the cgroup's files (missing files leave 0). */
void vgl_cgroup_usage(const struct vgl_cgroup *cg, struct vgl_ev_usage *u);

/* Kills what is left in the cgroup and removes it (best effort). */
void vgl_cgroup_destroy(struct vgl_cgroup *cg);

/* ---- cgroup-track.c: cgroups that only identify a command (trace capture) ---- */

/* A cgroup v2 mount to create identification cgroups in: root itself when it
 * is cgroup2, else the first cgroup2 mount in /proc/self/mountinfo (a host
 * with cgroup v1 controllers often has one without controllers, such as
 * /sys/fs/cgroup/unified). 0, or -ENOENT when there is none. */
int vgl_cgroup2_mount(const char *root, char *out, size_t size);

/* Creates root/name without touching any controller (no limits) and opens
 * its cgroup.procs for the child to join; its usage is not reported (a
 * command's usage record says "no cgroup"). 0 or -errno (*cg stays "none"). */
int vgl_cgroup_create_plain(const char *root, const char *name, struct vgl_cgroup *cg,
                            struct vgl_error *err);

/* The cgroup v2 id of the cgroup at path: what bpf_get_current_cgroup_id()
 * returns for its tasks. 0 or -errno. */
int vgl_cgroup_id(const char *path, uint64_t *ret);
