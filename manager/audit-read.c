/* Reading the audit log back: a record reader that checks the chain as it
 * goes (for listing and following), and whole-file verification. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "audit-priv.h"
#include "cleanup.h"

#define READ_BUF (2u * VGL_AUDIT_LINE_MAX)

struct vgl_audit_reader {
        int fd;
        char *path;
        uint64_t from_seq;
        char *buf;
        uint64_t off;    /* file offset of buf[0] */
        size_t pos, len; /* unread bytes: buf[pos..len) */
        uint64_t line;   /* complete lines consumed */
        uint64_t seq;    /* last intact record */
        char hash[VGL_AUDIT_HASH_HEX + 1];
        uint64_t bad_seq; /* the seq a broken record claims, 0 if unreadable */
};

struct vgl_audit_reader *vgl_audit_reader_free(struct vgl_audit_reader *r)
{
        if (!r)
                return NULL;
        safe_close(r->fd);
        free(r->path);
        free(r->buf);
        free(r);
        return NULL;
}

int vgl_audit_reader_open(const char *path, uint64_t from_seq, struct vgl_audit_reader **ret,
                          struct vgl_error *err)
{
        _cleanup_(vgl_audit_reader_freep) struct vgl_audit_reader *r = calloc(1, sizeof(*r));
        if (!r)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (r->fd < 0)
                return vgl_error_set(err, errno, "audit log %s: %s", path, strerror(errno));
        r->path = strdup(path);
        r->buf = malloc(READ_BUF);
        if (!r->path || !r->buf)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r->from_seq = from_seq;
        memcpy(r->hash, vgl_audit_genesis, sizeof(r->hash));
        *ret = TAKE_PTR(r);
        return 0;
}

/* Reads more bytes after the buffered ones. Returns the count, 0 at the end. */
static ssize_t fill(struct vgl_audit_reader *r)
{
        if (r->pos > 0) {
                memmove(r->buf, r->buf + r->pos, r->len - r->pos);
                r->off += r->pos;
                r->len -= r->pos;
                r->pos = 0;
        }
        for (;;) {
                ssize_t n =
                        pread(r->fd, r->buf + r->len, READ_BUF - r->len, (off_t)(r->off + r->len));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                r->len += (size_t)n;
                return n;
        }
}

/* Checks one complete line against its hash and the chain. */
static int check_line(struct vgl_audit_reader *r, const char *line, size_t len,
                      struct vgl_audit_record *rec, struct vgl_error *err)
{
        struct vgl_error e = {0};
        int res = vgl_audit_parse_line(line, len, rec, &e);
        r->bad_seq = rec->seq;
        if (res >= 0 && (res = vgl_audit_check_link(rec, r->seq, r->hash, &e)) < 0)
                vgl_audit_record_clear(rec);
        if (res < 0) {
                char seq[32] = "";
                if (r->bad_seq)
                        snprintf(seq, sizeof(seq), " (seq %llu)", (unsigned long long)r->bad_seq);
                return vgl_error_set(err, -res, "audit log %s: line %llu%s: %s", r->path,
                                     (unsigned long long)(r->line + 1), seq, e.msg);
        }
        return 0;
}

int vgl_audit_reader_next(struct vgl_audit_reader *r, struct vgl_audit_record *ret,
                          struct vgl_error *err)
{
        for (;;) {
                char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
                if (!nl) {
                        r->bad_seq = 0;
                        if (r->len - r->pos >= VGL_AUDIT_LINE_MAX)
                                return vgl_error_set(
                                        err, EBADMSG,
                                        "audit log %s: line %llu: longer than %u bytes", r->path,
                                        (unsigned long long)(r->line + 1), VGL_AUDIT_LINE_MAX);
                        ssize_t n = fill(r);
                        if (n < 0)
                                return vgl_error_set(err, (int)-n, "audit log %s: %s", r->path,
                                                     strerror((int)-n));
                        if (n > 0)
                                continue;
                        /* An incomplete line is not written yet, and a failed
                         * append may still cut it: forget it, read it again later. */
                        r->len = r->pos;
                        return 0;
                }
                struct vgl_audit_record rec = {0};
                size_t len = (size_t)(nl - (r->buf + r->pos));
                /* A broken record is not consumed: the reader stays there. */
                int res = check_line(r, r->buf + r->pos, len, &rec, err);
                if (res < 0)
                        return res;
                r->pos += len + 1;
                r->line++;
                r->seq = rec.seq;
                memcpy(r->hash, rec.hash, sizeof(r->hash));
                if (rec.seq < r->from_seq) {
                        vgl_audit_record_clear(&rec);
                        continue;
                }
                rec.line = r->line;
                *ret = rec;
                return 1;
        }
}

int vgl_audit_verify(const char *path, struct vgl_audit_verdict *ret, struct vgl_error *err)
{
        _cleanup_(vgl_audit_reader_freep) struct vgl_audit_reader *r = NULL;
        int res = vgl_audit_reader_open(path, 0, &r, err);
        if (res < 0)
                return res;
        struct vgl_audit_verdict v = {.ok = true};
        struct vgl_audit_record rec = {0};
        struct vgl_error e = {0};
        while ((res = vgl_audit_reader_next(r, &rec, &e)) > 0) {
                vgl_audit_record_clear(&rec);
                v.records++;
        }
        if (res == -EBADMSG) {
                v.ok = false;
                v.line = r->line + 1;
                v.seq = r->bad_seq;
                snprintf(v.why, sizeof(v.why), "%s", e.msg);
        } else if (res < 0) {
                return vgl_error_set(err, -res, "%s", e.msg);
        } else {
                /* What is left after the last newline: a torn record. */
                while (fill(r) > 0)
                        ;
                v.torn_bytes = r->len - r->pos;
        }
        *ret = v;
        return 0;
}
