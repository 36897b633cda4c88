/* See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum vgd_log_level min_level = VGD_LOG_INFO;

void vgd_log_set_level(enum vgd_log_level l)
{
        min_level = l;
}

void vgd_log(enum vgd_log_level l, const char *sandbox, const char *fmt, ...)
{
        static const char *const names[] = {"debug", "info", "warn", "error"};
        char line[1024], stamp[32];
        struct timespec ts;
        struct tm tm;
        va_list ap;

        if (l < min_level)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* One guest-controlled string may reach a message: no line breaks. */
        for (char *p = line; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", stamp, ts.tv_nsec / 1000000, names[l],
                sandbox && sandbox[0] ? sandbox : "-", line);
}
