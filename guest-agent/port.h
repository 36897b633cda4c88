/* Finding and opening the agent's virtio-serial port.
 *
 * With udev the port appears as /dev/virtio-ports/<name>; in the microVM
 * there is no udev, so the name is looked up in /sys/class/virtio-ports/
 * (each vportNpM directory has a "name" file) and /dev/vportNpM is used. */
#pragma once

#include <stddef.h>

/* Looks for the port called `name`: first <dev_dir>/virtio-ports/<name>, then
 * <sys_dir>/class/virtio-ports/ * /name. On success stores the device path
 * (malloc'ed, caller frees) in *ret_path. -ENOENT if the port is not there (yet). */
int vgl_port_find(const char *dev_dir, const char *sys_dir, const char *name, char **ret_path);

/* Opens a port device read-write, non-blocking, close-on-exec. Returns the fd or -errno. */
int vgl_port_open(const char *path);
