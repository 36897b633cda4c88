/* PID-1 duties: the early mounts, the hostname, and powering off. */
#pragma once

#include <stdbool.h>

/* Mounts /proc, /sys, /dev, /dev/pts, /dev/shm, /tmp, /run and cgroup2 at
 * /sys/fs/cgroup, each only if it is not a mount point already. Returns the
 * number of mounts that failed (0: all fine); each failure is logged. */
int vgl_init_mount_all(void);

/* Sets the hostname if none is set yet ("(none)" or empty). 0 or -errno. */
int vgl_init_hostname(const char *name);

/* True when cgroup v2 is mounted at /sys/fs/cgroup. */
bool vgl_init_have_cgroup2(void);

/* Stops every other process, syncs and powers off (or reboots). Returns only on failure (-errno).
 */
int vgl_init_poweroff(bool reboot);
