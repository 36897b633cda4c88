#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int vgl_error_set(struct vgl_error *e, int code, const char *fmt, ...)
{
        if (code < 0)
                code = -code;
        if (e) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
                va_end(ap);
                e->code = code;
        }
        return -code;
}

void vgl_error_clear(struct vgl_error *e)
{
        if (e) {
                e->code = 0;
                e->msg[0] = '\0';
        }
}
