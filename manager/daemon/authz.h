/* Who is calling: SO_PEERCRED identity, admin rights, and what a caller may see. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "daemon.h"
#include "error.h"

struct vgd_caller {
        uid_t uid;
        gid_t gid;
        pid_t pid;
        bool admin;
};

/* Resolves --admin-group NAME into *ret. -ENOENT when there is no such group. */
int vgd_authz_admin_gid(const char *name, gid_t *ret, struct vgl_error *err);

/* True if pid's supplementary groups (from /proc/PID/status "Groups:") hold gid.
 * proc_root is "/proc" except in tests. */
bool vgd_authz_pid_in_group(const char *proc_root, pid_t pid, gid_t gid);

/* The caller of a call: admin when uid 0 or (with an admin group) primary
 * or supplementary group membership. */
void vgd_authz_caller(const struct vgd_daemon *d, const struct vgl_varlink_peer *peer,
                      struct vgd_caller *ret);

/* Whether the caller may see (and act on) s: admins see every sandbox,
 * others only the ones they reserved. */
bool vgd_authz_can_see(const struct vgd_caller *c, const struct vgd_sandbox *s);
