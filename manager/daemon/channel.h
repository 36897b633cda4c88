/* A sandbox's agent channel: opening it, the agent's callbacks (hello,
 * heartbeats, errors), and the silent-agent watchdog. */
#pragma once

#include "daemon.h"

/* Opens s's agent channel on s->dom. */
int vgd_channel_open(struct vgd_sandbox *s, struct vgl_error *err);

/* Fails whatever is pending on the channel (execs, transfers get their
 * final callback with why) and frees it. No-op without a channel. */
void vgd_channel_close(struct vgd_sandbox *s, const char *why);

/* The agent session if the handshake is done, else NULL. */
struct vgl_agent *vgd_channel_agent(struct vgd_sandbox *s);

/* Starts the once-a-second watchdog that reports agents silent for more
 * than --agent-silence seconds ("agent-silent") and their return. */
int vgd_watchdog_start(struct vgd_daemon *d);
void vgd_watchdog_stop(struct vgd_daemon *d);
