/* The project's error convention.
 *
 * Functions return int: >= 0 on success, a negative errno on failure. Output
 * parameters are named ret_* and are left untouched on failure. Where a
 * human-readable reason must travel to a caller (an API client, a log line at
 * the boundary), the function also takes a `struct vgl_error *` that it fills;
 * it may be NULL. Library code never logs and never exits. */
#pragma once

#include <stddef.h>

#define VGL_ERROR_MSG_MAX 256

struct vgl_error {
        int code;                    /* positive errno value */
        char msg[VGL_ERROR_MSG_MAX]; /* NUL-terminated, may be truncated */
};

/* Fills *e (if non-NULL) with code and a printf-style message; returns -code
 * so callers can write `return vgl_error_set(e, EINVAL, "bad %s", x);`. */
int vgl_error_set(struct vgl_error *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Clears *e to "no error". */
void vgl_error_clear(struct vgl_error *e);
