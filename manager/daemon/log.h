/* vigild's log: one line per event on stderr, "time level [sandbox] message".
 * The daemon's boundary: modules below (manager/, varlink/) never log. */
#pragma once

enum vgd_log_level { VGD_LOG_DEBUG, VGD_LOG_INFO, VGD_LOG_WARN, VGD_LOG_ERROR };

/* Sets the lowest level written (default info). */
void vgd_log_set_level(enum vgd_log_level l);

/* Writes one line; sandbox may be NULL (then "-"). */
void vgd_log(enum vgd_log_level l, const char *sandbox, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define vgd_info(sb, ...)  vgd_log(VGD_LOG_INFO, sb, __VA_ARGS__)
#define vgd_warn(sb, ...)  vgd_log(VGD_LOG_WARN, sb, __VA_ARGS__)
#define vgd_error(sb, ...) vgd_log(VGD_LOG_ERROR, sb, __VA_ARGS__)
#define vgd_debug(sb, ...) vgd_log(VGD_LOG_DEBUG, sb, __VA_ARGS__)
