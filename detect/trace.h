/* System-call traces: the datasets' TSV format, one trace a line,
 * `name<TAB>space-separated syscall numbers`.
 *
 * The numbers are whatever the trace's source uses (i386 for ADFA-LD, the
 * agent's numbers in vigild); nothing here interprets them. Input files are
 * untrusted: lines, names, numbers and counts are bounded, and an error names
 * the file, the line and the field. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VGL_TRACE_NAME_MAX  1024u      /* bytes of a trace name */
#define VGL_TRACE_CALLS_MAX 1000000u   /* calls in one trace */
#define VGL_TRACESET_MAX    1000000u   /* traces in one file */
#define VGL_TRACE_NR_MAX    65535u     /* largest system-call number */
#define VGL_TRACE_FILE_MAX  (1u << 30) /* bytes of one file */

struct vgl_trace {
        char *name;
        uint16_t *calls;
        uint32_t len;
};

struct vgl_traceset {
        struct vgl_trace *v;
        size_t n;
};

/* Reads a TSV file into *ret (owned by the caller, vgl_traceset_free).
 * Empty lines are skipped; a trace may have no calls. -EINVAL with the file,
 * line and field named on malformed input, -EFBIG past the limits. */
int vgl_traceset_read(const char *path, struct vgl_traceset *ret, struct vgl_error *err);

/* Appends a trace (copies name and calls). */
int vgl_traceset_add(struct vgl_traceset *s, const char *name, const uint16_t *calls, uint32_t len);

void vgl_traceset_free(struct vgl_traceset *s);

/* Total number of calls in the set. */
uint64_t vgl_traceset_calls(const struct vgl_traceset *s);
