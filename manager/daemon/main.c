/* vigild: the vigil host daemon. Everything is in the modules of this
 * folder; main parses the command line and runs the daemon. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "vigil-config.h"

/* A closed fd 0, 1 or 2 would be handed to the next open(): the audit log
 * or a socket would then receive log lines meant for stderr. */
static int open_std_fds(void)
{
        for (int fd = 0; fd <= 2; fd++) {
                if (fcntl(fd, F_GETFD) >= 0)
                        continue;
                int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
                if (n < 0)
                        return -1;
                if (n != fd) { /* a lower one was closed too and got it: loop fills it */
                        close(n);
                        return -1;
                }
        }
        return 0;
}

int main(int argc, char **argv)
{
        static struct vgd_daemon d;
        struct vgd_config cfg;
        struct vgl_error err = {};

        if (open_std_fds() < 0)
                return 1;
        if (vgd_config_parse(argc, argv, &cfg, &err) < 0) {
                fprintf(stderr, "vigild: %s\n", err.msg);
                return 2;
        }
        if (cfg.help || cfg.version) {
                if (cfg.help)
                        vgd_config_usage(stdout);
                else
                        printf("vigild %s\n", VIGIL_VERSION);
                vgd_config_done(&cfg);
                return 0;
        }
        if (vgd_daemon_init(&d, &cfg, &err) < 0) {
                vgd_error(NULL, "cannot start: %s", err.msg);
                vgd_config_done(&cfg);
                return 1;
        }
        if (vgd_daemon_run(&d, &err) < 0)
                vgd_error(NULL, "event loop: %s", err.msg);
        vgd_daemon_fini(&d);
        vgd_info(NULL, "stopped");
        return 0;
}
