/* vigild's command line. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "error.h"

#define VGD_DEFAULT_STATE_DIR     "/var/lib/vigil"
#define VGD_DEFAULT_SOCKET        "/run/vigil/vigild.sock"
#define VGD_DEFAULT_MAX_SANDBOXES 16
#define VGD_DEFAULT_BOOT_TIMEOUT  60 /* seconds from create to the agent's HELLO */
#define VGD_DEFAULT_AGENT_SILENCE 15 /* seconds without a heartbeat: "agent-silent" */
#define VGD_MAX_SANDBOXES_LIMIT   1024
#define VGD_POOL_LIMIT            64
#define VGD_ADJUST_PERIOD_MIN_MS  100u /* --adjust-period-ms bounds (adjust.json's too) */
#define VGD_ADJUST_PERIOD_MAX_MS  3600000u
#define VGD_DEFAULT_RETRAIN_EVERY 20 /* clean runs between automatic retrainings */
#define VGD_RETRAIN_EVERY_MAX     100000u

struct vgd_config {
        char *uri; /* NULL: qemu:///embed?root=<state_dir> */
        char *socket_path;
        char *state_dir;
        char *policies_dir;
        char *images_dir;
        char *admin_group; /* NULL: only root is admin */
        int pool;          /* -1: each tier's own pool target */
        unsigned max_sandboxes;
        unsigned boot_timeout_s;
        unsigned agent_silence_s;
        unsigned adjust_period_ms; /* 0: policies/adjust.json's period_ms */
        char *model_dir;           /* the detector's versions (default STATE_DIR/models) */
        unsigned retrain_every;    /* clean runs between retrainings, 0: on demand only */
        bool verbose;
        bool help, version; /* asked for; nothing else to do */
};

/* Parses argv into *ret, filling defaults (for root: /var/lib/vigil and
 * /run/vigil/vigild.sock; other users: $XDG_RUNTIME_DIR/vigil, or
 * /tmp/vigil-<uid>). Relative paths are made absolute. -EINVAL with *err
 * naming the option; *ret untouched on failure. Free with vgd_config_done. */
int vgd_config_parse(int argc, char **argv, struct vgd_config *ret, struct vgl_error *err);

void vgd_config_done(struct vgd_config *c);

/* Writes the --help text. */
void vgd_config_usage(FILE *f);
