/* The audit log writer: open (continuing the chain), durable append. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit-priv.h"
#include "cleanup.h"

/* Bytes read from the end at open: the last record plus a torn one after it. */
#define TAIL_READ (2u * VGL_AUDIT_LINE_MAX)

struct vgl_audit {
        int fd;
        char *path;
        uint64_t size; /* bytes of complete records: where the next one goes */
        uint64_t seq;
        char hash[VGL_AUDIT_HASH_HEX + 1];
        bool broken; /* a failed append could not be undone */
};

struct vgl_audit *vgl_audit_close(struct vgl_audit *a)
{
        if (!a)
                return NULL;
        safe_close(a->fd);
        free(a->path);
        free(a);
        return NULL;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
        for (size_t done = 0; done < len;) {
                ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO; /* the file shrank under us */
                done += (size_t)n;
        }
        return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
        for (size_t done = 0; done < len;) {
                ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return -EIO;
                done += (size_t)n;
        }
        return 0;
}

/* Makes a new file's name durable: fsync of its directory. */
static int sync_parent_dir(const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) < 0)
                return -errno;
        return 0;
}

static int open_file(const char *path, bool *ret_created, struct vgl_error *err)
{
        int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        *ret_created = false;
        if (fd < 0 && errno == ENOENT) {
                fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                          0640);
                *ret_created = fd >= 0;
        }
        if (fd < 0)
                return vgl_error_set(err, errno, "audit log %s: %s", path, strerror(errno));
        _cleanup_close_ int owned = fd;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK
                               ? vgl_error_set(err, EBUSY,
                                               "audit log %s: in use by another process", path)
                               : vgl_error_set(err, errno, "audit log %s: lock: %s", path,
                                               strerror(errno));
        if (*ret_created && (fsync(fd) < 0 || sync_parent_dir(path) < 0))
                return vgl_error_set(err, errno, "audit log %s: sync after creation: %s", path,
                                     strerror(errno));
        return TAKE_FD(owned);
}

/* Cuts an incomplete final line (a write a crash interrupted: never acknowledged). */
static int cut_torn(struct vgl_audit *a, uint64_t keep, struct vgl_error *err)
{
        if (ftruncate(a->fd, (off_t)keep) < 0 || fdatasync(a->fd) < 0)
                return vgl_error_set(err, errno, "audit log %s: cutting a torn last line: %s",
                                     a->path, strerror(errno));
        return 0;
}

/* Finds the last complete record in the file's tail and continues from it. */
static int load_tail(struct vgl_audit *a, uint64_t size, struct vgl_audit_open_info *info,
                     struct vgl_error *err)
{
        size_t n = size < TAIL_READ ? (size_t)size : TAIL_READ;
        uint64_t base = size - n;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (!buf)
                return vgl_error_set(err, ENOMEM, "out of memory");
        int r = pread_all(a->fd, buf, n, base);
        if (r < 0)
                return vgl_error_set(err, -r, "audit log %s: %s", a->path, strerror(-r));

        char *nl = memrchr(buf, '\n', n);
        size_t end = nl ? (size_t)(nl - buf) + 1 : 0; /* end of the last complete line */
        if (n - end >= VGL_AUDIT_LINE_MAX || (!nl && base > 0))
                return vgl_error_set(err, EBADMSG,
                                     "audit log %s: %zu bytes without a newline at its end "
                                     "(not a torn record: corrupt)",
                                     a->path, n - end);
        info->torn_bytes = n - end;
        if (info->torn_bytes && (r = cut_torn(a, base + end, err)) < 0)
                return r;
        a->size = base + end;
        if (end == 0)
                return 0; /* empty: the chain starts at the genesis hash */

        char *start = end >= 2 ? memrchr(buf, '\n', end - 1) : NULL;
        size_t s = start ? (size_t)(start - buf) + 1 : 0;
        if (!start && base > 0)
                return vgl_error_set(err, EBADMSG, "audit log %s: last record too long", a->path);
        struct vgl_audit_record rec = {0};
        struct vgl_error e = {0};
        r = vgl_audit_parse_line(buf + s, end - 1 - s, &rec, &e);
        if (r < 0)
                return vgl_error_set(err, -r,
                                     "audit log %s: the last record (at byte %llu) is broken: %s; "
                                     "see vigilctl audit verify",
                                     a->path, (unsigned long long)(base + s), e.msg);
        a->seq = rec.seq;
        memcpy(a->hash, rec.hash, sizeof(a->hash));
        vgl_audit_record_clear(&rec);
        return 0;
}

int vgl_audit_open(const char *path, struct vgl_audit **ret, struct vgl_audit_open_info *ret_info,
                   struct vgl_error *err)
{
        struct vgl_audit_open_info info = {0};
        _cleanup_(vgl_audit_closep) struct vgl_audit *a = calloc(1, sizeof(*a));
        if (!a)
                return vgl_error_set(err, ENOMEM, "out of memory");
        a->fd = -1;
        memcpy(a->hash, vgl_audit_genesis, sizeof(a->hash));
        a->path = strdup(path);
        if (!a->path)
                return vgl_error_set(err, ENOMEM, "out of memory");
        a->fd = open_file(path, &info.created, err);
        if (a->fd < 0)
                return a->fd;
        struct stat st;
        if (fstat(a->fd, &st) < 0)
                return vgl_error_set(err, errno, "audit log %s: %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return vgl_error_set(err, EINVAL, "audit log %s: not a regular file", path);
        int r = load_tail(a, (uint64_t)st.st_size, &info, err);
        if (r < 0)
                return r;
        info.records = a->seq;
        if (ret_info)
                *ret_info = info;
        *ret = TAKE_PTR(a);
        return 0;
}

/* Puts the file back to its last complete record after a failed append. */
static void roll_back(struct vgl_audit *a)
{
        if (ftruncate(a->fd, (off_t)a->size) < 0 || fdatasync(a->fd) < 0)
                a->broken = true;
}

int vgl_audit_append(struct vgl_audit *a, enum vgl_audit_type type, const char *sandbox,
                     int64_t actor, struct json_object *details, uint64_t *ret_seq,
                     struct vgl_error *err)
{
        if (a->broken)
                return vgl_error_set(err, EIO,
                                     "audit log %s: an earlier failed write could not be undone; "
                                     "reopen the log",
                                     a->path);
        struct timespec ts;
        char time[VGL_AUDIT_TIME_LEN + 1];
        clock_gettime(CLOCK_REALTIME, &ts);
        vgl_audit_format_time(&ts, time);

        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        int r = vgl_audit_format_line(a->seq + 1, time, type, sandbox, actor, details, a->hash,
                                      &line, &len, err);
        if (r < 0)
                return r;
        r = pwrite_all(a->fd, line, len, a->size);
        if (r >= 0 && fdatasync(a->fd) < 0)
                r = -errno;
        if (r < 0) {
                roll_back(a);
                return vgl_error_set(err, -r, "audit log %s: %s (record %llu not logged)", a->path,
                                     strerror(-r), (unsigned long long)(a->seq + 1));
        }
        a->size += len;
        a->seq++;
        /* The hash sits just before `"}\n` at the end of the line. */
        memcpy(a->hash, line + len - 3 - VGL_AUDIT_HASH_HEX, VGL_AUDIT_HASH_HEX);
        if (ret_seq)
                *ret_seq = a->seq;
        return 0;
}

uint64_t vgl_audit_head(const struct vgl_audit *a, const char **ret_hash)
{
        if (ret_hash)
                *ret_hash = a->hash;
        return a->seq;
}
