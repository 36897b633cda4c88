#include "trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

int vgl_traceset_add(struct vgl_traceset *s, const char *name, const uint16_t *calls, uint32_t len)
{
        if (s->n >= VGL_TRACESET_MAX)
                return -EFBIG;
        /* Grow by doubling: n is a power of two whenever the array is full. */
        if ((s->n & (s->n - 1)) == 0) {
                size_t cap = s->n ? s->n * 2 : 16;
                struct vgl_trace *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
        }
        _cleanup_free_ char *n = strdup(name);
        _cleanup_free_ uint16_t *c = malloc((len ? len : 1) * sizeof(*c));
        if (!n || !c)
                return -ENOMEM;
        if (len)
                memcpy(c, calls, len * sizeof(*c));
        s->v[s->n++] = (struct vgl_trace){.name = TAKE_PTR(n), .calls = TAKE_PTR(c), .len = len};
        return 0;
}

void vgl_traceset_free(struct vgl_traceset *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].name);
                free(s->v[i].calls);
        }
        free(s->v);
        *s = (struct vgl_traceset){0};
}

uint64_t vgl_traceset_calls(const struct vgl_traceset *s)
{
        uint64_t n = 0;

        for (size_t i = 0; i < s->n; i++)
                n += s->v[i].len;
        return n;
}

/* Length of the token at p, at most 8, for messages. */
static int token_len(const char *p)
{
        size_t n = strcspn(p, " \r\n");

        return n < 8 ? (int)n : 8;
}

/* Parses the calls of one line into buf (VGL_TRACE_CALLS_MAX entries). */
static int parse_calls(const char *p, uint16_t *buf, uint32_t *ret_len, const char *path,
                       size_t line, struct vgl_error *err)
{
        uint32_t n = 0;

        for (;;) {
                while (*p == ' ')
                        p++;
                if (!*p || *p == '\n' || *p == '\r')
                        break;
                if (*p < '0' || *p > '9')
                        return vgl_error_set(err, EINVAL,
                                             "%s:%zu: calls: call %u is not a number (at '%.*s')",
                                             path, line, n + 1, token_len(p), p);
                unsigned long v = 0;
                while (*p >= '0' && *p <= '9') {
                        v = v * 10 + (unsigned long)(*p++ - '0');
                        if (v > VGL_TRACE_NR_MAX)
                                return vgl_error_set(err, EINVAL,
                                                     "%s:%zu: calls: call %u is above %u", path,
                                                     line, n + 1, VGL_TRACE_NR_MAX);
                }
                if (*p && *p != ' ' && *p != '\n' && *p != '\r')
                        return vgl_error_set(err, EINVAL,
                                             "%s:%zu: calls: call %u is not a number (at '%.*s')",
                                             path, line, n + 1, token_len(p), p);
                if (n >= VGL_TRACE_CALLS_MAX)
                        return vgl_error_set(err, EFBIG, "%s:%zu: calls: more than %u calls", path,
                                             line, VGL_TRACE_CALLS_MAX);
                buf[n++] = (uint16_t)v;
        }
        *ret_len = n;
        return 0;
}

static int parse_line(char *s, uint16_t *buf, struct vgl_traceset *out, const char *path,
                      size_t line, struct vgl_error *err)
{
        char *tab = strchr(s, '\t');
        uint32_t len = 0;
        int r;

        if (!tab)
                return vgl_error_set(err, EINVAL, "%s:%zu: name: no TAB after the trace name", path,
                                     line);
        *tab = '\0';
        if (!*s || strlen(s) > VGL_TRACE_NAME_MAX)
                return vgl_error_set(err, EINVAL, "%s:%zu: name: empty or longer than %u bytes",
                                     path, line, VGL_TRACE_NAME_MAX);
        if ((r = parse_calls(tab + 1, buf, &len, path, line, err)) < 0)
                return r;
        r = vgl_traceset_add(out, s, buf, len);
        if (r == -EFBIG)
                return vgl_error_set(err, EFBIG, "%s:%zu: more than %u traces", path, line,
                                     VGL_TRACESET_MAX);
        return r < 0 ? vgl_error_set(err, -r, "%s:%zu: out of memory", path, line) : 0;
}

int vgl_traceset_read(const char *path, struct vgl_traceset *ret, struct vgl_error *err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ uint16_t *buf = NULL;
        _cleanup_free_ char *line = NULL;
        struct vgl_traceset s = {0};
        size_t cap = 0, lineno = 0;
        struct stat st;
        uint64_t total = 0;
        ssize_t n;
        int r = 0;

        if (!f)
                return vgl_error_set(err, errno, "%s: %m", path);
        /* Refuse an oversized regular file before reading a line of it. */
        if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
            (uint64_t)st.st_size > VGL_TRACE_FILE_MAX)
                return vgl_error_set(err, EFBIG, "%s: larger than %u bytes", path,
                                     VGL_TRACE_FILE_MAX);
        if (!(buf = malloc(VGL_TRACE_CALLS_MAX * sizeof(*buf))))
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        while ((n = getline(&line, &cap, f)) > 0) {
                lineno++;
                total += (uint64_t)n;
                if (total > VGL_TRACE_FILE_MAX) {
                        r = vgl_error_set(err, EFBIG, "%s: larger than %u bytes", path,
                                          VGL_TRACE_FILE_MAX);
                        break;
                }
                if (strlen(line) != (size_t)n) {
                        r = vgl_error_set(err, EINVAL, "%s:%zu: NUL byte in line", path, lineno);
                        break;
                }
                if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
                        continue;
                if ((r = parse_line(line, buf, &s, path, lineno, err)) < 0)
                        break;
        }
        if (r == 0 && ferror(f))
                r = vgl_error_set(err, EIO, "%s: read error", path);
        if (r < 0) {
                vgl_traceset_free(&s);
                return r;
        }
        *ret = s;
        return 0;
}
