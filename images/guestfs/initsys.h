/* The guest's init system: detection from a few facts about its files, and
 * installing the agent as a service of it. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <guestfs.h>

#include "error.h"

#define AGENT_GUEST_PATH "/usr/local/sbin/vigil-agent"

enum initsys {
        INITSYS_SYSTEMD,
        INITSYS_SYSVINIT,
        INITSYS_OPENRC,
};

struct init_facts {
        char init[PATH_MAX]; /* where /sbin/init leads (realpath in the guest), "" if absent */
        bool openrc;         /* /sbin/openrc-run or /usr/sbin/openrc-run exists */
        bool inittab;        /* /etc/inittab */
        bool initd;          /* /etc/init.d is a directory */
};

const char *initsys_name(enum initsys s);

/* Decides from facts; -ENOTSUP with *err saying what was found when it is
 * none of the three (busybox init without OpenRC, runit, s6, no init...). */
int initsys_detect(const struct init_facts *f, enum initsys *ret, struct vgl_error *err);

/* Gathers the facts from the mounted guest g. */
int initsys_facts(guestfs_h *g, struct init_facts *ret, struct vgl_error *err);

/* Installs the service that starts AGENT_GUEST_PATH at boot and restarts it,
 * and makes virtio_console load at boot. The agent binary itself is the
 * caller's. */
int initsys_install(guestfs_h *g, enum initsys s, struct vgl_error *err);
