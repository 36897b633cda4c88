/* See initsys.h. The service files are written here, whole. */
#include "initsys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gfs.h"

#define UNIT_PATH  "/etc/systemd/system/vigil-agent.service"
#define WANTS_LINK "/etc/systemd/system/multi-user.target.wants/vigil-agent.service"
#define INITD_PATH "/etc/init.d/vigil-agent"

/* Restart: in service mode the agent exits when its port goes away or on a
 * fatal error; it is the only way into the sandbox. */
static const char systemd_unit[] =
        "# Installed by vigil-image: the vigil guest agent on virtio port org.vigil.agent.0.\n"
        "[Unit]\n"
        "Description=vigil guest agent\n"
        "After=systemd-modules-load.service\n"
        "\n"
        "[Service]\n"
        "Type=simple\n"
        "ExecStart=" AGENT_GUEST_PATH "\n"
        "Restart=always\n"
        "RestartSec=1\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

/* No supervisor under sysvinit: a shell loop restarts the agent. */
static const char sysv_script[] =
        "#!/bin/sh\n"
        "### BEGIN INIT INFO\n"
        "# Provides:          vigil-agent\n"
        "# Required-Start:    $local_fs\n"
        "# Required-Stop:     $local_fs\n"
        "# Default-Start:     2 3 4 5\n"
        "# Default-Stop:      0 1 6\n"
        "# Short-Description: vigil guest agent\n"
        "### END INIT INFO\n"
        "# Installed by vigil-image.\n"
        "PIDFILE=/run/vigil-agent.pid\n"
        "case \"$1\" in\n"
        "start)\n"
        "\tmodprobe virtio_console 2>/dev/null || true\n"
        "\t( while :; do " AGENT_GUEST_PATH "; sleep 1; done ) </dev/null >/dev/null 2>&1 &\n"
        "\techo $! >\"$PIDFILE\"\n"
        "\t;;\n"
        "stop)\n"
        "\t[ -f \"$PIDFILE\" ] && kill \"$(cat \"$PIDFILE\")\" 2>/dev/null\n"
        "\tpkill -x vigil-agent 2>/dev/null || killall vigil-agent 2>/dev/null\n"
        "\trm -f \"$PIDFILE\"\n"
        "\t;;\n"
        "restart) \"$0\" stop; \"$0\" start ;;\n"
        "*) echo \"usage: $0 start|stop|restart\"; exit 1 ;;\n"
        "esac\n"
        "exit 0\n";

static const char openrc_script[] = "#!/sbin/openrc-run\n"
                                    "# Installed by vigil-image: the vigil guest agent.\n"
                                    "description=\"vigil guest agent\"\n"
                                    "command=" AGENT_GUEST_PATH "\n"
                                    "supervisor=supervise-daemon\n"
                                    "respawn_delay=1\n"
                                    "respawn_max=0\n"
                                    "depend() {\n"
                                    "\tneed localmount\n"
                                    "\tafter modules\n"
                                    "}\n";

const char *initsys_name(enum initsys s)
{
        switch (s) {
        case INITSYS_SYSTEMD:
                return "systemd";
        case INITSYS_SYSVINIT:
                return "sysvinit";
        case INITSYS_OPENRC:
                return "openrc";
        }
        return "?";
}

int initsys_detect(const struct init_facts *f, enum initsys *ret, struct vgl_error *err)
{
        const char *base = strrchr(f->init, '/');

        base = base ? base + 1 : f->init;
        if (!f->init[0])
                return vgl_error_set(err, ENOTSUP,
                                     "no /sbin/init in the guest: cannot tell how "
                                     "it boots");
        if (strcmp(base, "systemd") == 0) {
                *ret = INITSYS_SYSTEMD;
                return 0;
        }
        /* OpenRC runs under busybox init (Alpine) or sysvinit (Gentoo, Devuan). */
        if (f->openrc && f->initd) {
                *ret = INITSYS_OPENRC;
                return 0;
        }
        if (strcmp(base, "init") == 0 && f->inittab && f->initd) {
                *ret = INITSYS_SYSVINIT;
                return 0;
        }
        return vgl_error_set(err, ENOTSUP,
                             "unsupported init system: /sbin/init is %s%s (vigil-image handles "
                             "systemd, sysvinit and OpenRC)",
                             f->init, strcmp(base, "busybox") == 0 ? " without OpenRC" : "");
}

int initsys_facts(guestfs_h *g, struct init_facts *ret, struct vgl_error *err)
{
        struct init_facts f = {};
        _cleanup_free_ char *real = NULL;

        if (gfs_exists(g, "/sbin/init")) {
                real = guestfs_realpath(g, "/sbin/init");
                /* A link that leads nowhere: report where it points. */
                if (!real)
                        real = guestfs_readlink(g, "/sbin/init");
                snprintf(f.init, sizeof(f.init), "%s", real ? real : "/sbin/init");
        }
        f.openrc = guestfs_exists(g, "/sbin/openrc-run") > 0 ||
                   guestfs_exists(g, "/usr/sbin/openrc-run") > 0;
        f.inittab = guestfs_is_file(g, "/etc/inittab") > 0;
        f.initd = guestfs_is_dir(g, "/etc/init.d") > 0;
        *ret = f;
        return 0;
}

/* Appends "virtio_console" to /etc/modules (sysvinit, OpenRC) if missing. */
static int etc_modules(guestfs_h *g, struct vgl_error *err)
{
        _cleanup_free_ char *text = NULL, *joined = NULL;
        size_t n = 0;

        if (guestfs_is_file(g, "/etc/modules") > 0) {
                text = guestfs_read_file(g, "/etc/modules", &n);
                if (!text)
                        return gfs_fail(g, err, "/etc/modules");
                if (strstr(text, "\nvirtio_console\n") || !strncmp(text, "virtio_console\n", 15))
                        return 0;
        }
        if (asprintf(&joined, "%s%s%s", text ? text : "",
                     text && n && text[n - 1] != '\n' ? "\n" : "", "virtio_console\n") < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return gfs_write(g, "/etc/modules", joined, 0644, err);
}

static int rc_links(guestfs_h *g, struct vgl_error *err)
{
        static const char *const links[] = {
                "/etc/rc2.d/S99vigil-agent", "/etc/rc3.d/S99vigil-agent",
                "/etc/rc4.d/S99vigil-agent", "/etc/rc5.d/S99vigil-agent",
                "/etc/rc0.d/K01vigil-agent", "/etc/rc1.d/K01vigil-agent",
                "/etc/rc6.d/K01vigil-agent",
        };

        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *dir = strndup(links[i], 10); /* "/etc/rcN.d" */

                if (!dir)
                        return vgl_error_set(err, ENOMEM, "out of memory");
                if (guestfs_mkdir_p(g, dir) < 0 ||
                    guestfs_ln_sf(g, "../init.d/vigil-agent", links[i]) < 0)
                        return gfs_fail(g, err, links[i]);
        }
        return 0;
}

int initsys_install(guestfs_h *g, enum initsys s, struct vgl_error *err)
{
        int r;

        /* systemd-modules-load reads this; OpenRC's modules service too. */
        r = gfs_write(g, "/etc/modules-load.d/vigil-agent.conf",
                      "# vigil-agent talks to the host over a virtio-serial port\nvirtio_console\n",
                      0644, err);
        if (r < 0)
                return r;
        switch (s) {
        case INITSYS_SYSTEMD:
                if ((r = gfs_write(g, UNIT_PATH, systemd_unit, 0644, err)) < 0)
                        return r;
                /* What `systemctl enable` does, without running the guest's systemctl. */
                if (guestfs_mkdir_p(g, "/etc/systemd/system/multi-user.target.wants") < 0 ||
                    guestfs_ln_sf(g, UNIT_PATH, WANTS_LINK) < 0)
                        return gfs_fail(g, err, WANTS_LINK);
                return 0;
        case INITSYS_SYSVINIT:
                if ((r = gfs_write(g, INITD_PATH, sysv_script, 0755, err)) < 0 ||
                    (r = rc_links(g, err)) < 0)
                        return r;
                return etc_modules(g, err);
        case INITSYS_OPENRC:
                if ((r = gfs_write(g, INITD_PATH, openrc_script, 0755, err)) < 0)
                        return r;
                if (guestfs_mkdir_p(g, "/etc/runlevels/default") < 0 ||
                    guestfs_ln_sf(g, INITD_PATH, "/etc/runlevels/default/vigil-agent") < 0)
                        return gfs_fail(g, err, "/etc/runlevels/default/vigil-agent");
                return etc_modules(g, err);
        }
        return vgl_error_set(err, EINVAL, "unknown init system");
}
