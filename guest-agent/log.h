/* Agent logging: the process boundary where messages are written out.
 *
 * Modules return errors; the loop and main log them here once. In init mode
 * (no syslog, maybe no console reader) lines go to /dev/kmsg so they show in
 * the guest's kernel log and on the serial console; otherwise to stderr. */
#pragma once

#include <stdbool.h>
#include <syslog.h>

/* Chooses the sink: kmsg true tries /dev/kmsg first (falls back to stderr). */
void vgl_log_open(bool kmsg);

/* Logs one line at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG).
 * LOG_DEBUG lines are written only when the VIGIL_AGENT_DEBUG variable is set. */
void vgl_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
