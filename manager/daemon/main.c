/* vigild: the vigil host daemon. Everything is in the modules of this
 * folder; main parses the command line and runs the daemon. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "vigil-config.h"

int main(int argc, char **argv)
{
        static struct vgd_daemon d;
        struct vgd_config cfg;
        struct vgl_error err = {};

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
