#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int log_fd = -1; /* /dev/kmsg, or -1 for stderr */
static bool log_debug;

void vgl_log_open(bool kmsg)
{
        if (log_fd >= 0)
                close(log_fd);
        log_fd = kmsg ? open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY) : -1;
        log_debug = getenv("VIGIL_AGENT_DEBUG") != NULL;
}

void vgl_log(int prio, const char *fmt, ...)
{
        char line[512];
        va_list ap;
        int n;

        if (prio >= LOG_DEBUG && !log_debug)
                return;
        /* kmsg parses a "<prio>" prefix; stderr readers get the same shape. */
        n = snprintf(line, sizeof(line), "<%d>vigil-agent: ", prio);
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
        va_end(ap);
        n = 0;
        while (line[n])
                n++;
        line[n++] = '\n';
        if (log_fd < 0 || write(log_fd, line, (size_t)n) < 0)
                (void)!write(STDERR_FILENO, line, (size_t)n);
}
