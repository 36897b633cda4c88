#include "model-file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bin.h"
#include "cleanup.h"
#include "crc32.h"

static int write_all(int fd, const void *p, size_t n)
{
        const uint8_t *b = p;

        while (n) {
                ssize_t k = write(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                b += k;
                n -= (size_t)k;
        }
        return 0;
}

int vgl_model_file_write(const char *path, uint16_t kind, const void *payload, size_t len,
                         struct vgl_error *err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        struct vgl_wr w;
        int r;

        vgl_wr_init(&w);
        vgl_wr_bytes(&w, VGL_MODEL_MAGIC, 8);
        vgl_wr_u16(&w, VGL_MODEL_FORMAT);
        vgl_wr_u16(&w, kind);
        vgl_wr_u32(&w, 0);
        vgl_wr_u64(&w, len);
        vgl_wr_u32(&w, vgl_crc32(0, payload, len));
        if (!w.err)
                vgl_wr_u32(&w, vgl_crc32(0, w.b.data, w.b.len));
        if (w.err || asprintf(&tmp, "%s.tmp", path) < 0) {
                vgl_wr_free(&w);
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                r = -errno;
        else if ((r = write_all(fd, w.b.data, w.b.len)) == 0 &&
                 (r = write_all(fd, payload, len)) == 0 && fsync(fd) < 0)
                r = -errno;
        vgl_wr_free(&w);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vgl_error_set(err, -r, "%s: %s", path, strerror(-r));
        }
        return 0;
}

static int read_all(int fd, void *p, size_t n)
{
        uint8_t *b = p;

        while (n) {
                ssize_t k = read(fd, b, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -ENODATA;
                b += k;
                n -= (size_t)k;
        }
        return 0;
}

static int check_header(const char *path, const uint8_t *h, uint16_t kind, uint64_t *ret_len,
                        uint32_t *ret_crc, struct vgl_error *err)
{
        struct vgl_rd r;
        uint16_t version, got;
        uint32_t flags, crc, hcrc;
        uint64_t len;

        vgl_rd_init(&r, h, VGL_MODEL_HEADER_SIZE, path);
        if (memcmp(h, VGL_MODEL_MAGIC, 8) != 0)
                return vgl_error_set(err, EBADMSG, "%s: not a vigil model file (bad magic)", path);
        r.off = 8;
        version = vgl_rd_u16(&r);
        got = vgl_rd_u16(&r);
        flags = vgl_rd_u32(&r);
        len = vgl_rd_u64(&r);
        crc = vgl_rd_u32(&r);
        hcrc = vgl_rd_u32(&r);
        if (hcrc != vgl_crc32(0, h, VGL_MODEL_HEADER_SIZE - 4))
                return vgl_error_set(err, EBADMSG, "%s: header checksum mismatch (corrupt file)",
                                     path);
        if (version != VGL_MODEL_FORMAT)
                return vgl_error_set(err, EPROTONOSUPPORT,
                                     "%s: model format version %u, this build reads version %u",
                                     path, version, VGL_MODEL_FORMAT);
        if (got != kind)
                return vgl_error_set(err, EMEDIUMTYPE, "%s: model kind %u, expected %u", path, got,
                                     kind);
        if (flags)
                return vgl_error_set(err, EBADMSG, "%s: unknown flags 0x%x", path, flags);
        if (len > VGL_MODEL_PAYLOAD_MAX)
                return vgl_error_set(err, EBADMSG, "%s: payload length %llu above the limit", path,
                                     (unsigned long long)len);
        *ret_len = len;
        *ret_crc = crc;
        return 0;
}

int vgl_model_file_read(const char *path, uint16_t kind, uint8_t **ret_payload, size_t *ret_len,
                        struct vgl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ uint8_t *payload = NULL;
        uint8_t h[VGL_MODEL_HEADER_SIZE];
        struct stat st;
        uint64_t len = 0;
        uint32_t crc = 0;
        int r;

        if (fd < 0 || fstat(fd, &st) < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        if ((uint64_t)st.st_size < VGL_MODEL_HEADER_SIZE)
                return vgl_error_set(err, EBADMSG, "%s: truncated (%lld bytes, no full header)",
                                     path, (long long)st.st_size);
        if ((r = read_all(fd, h, sizeof(h))) < 0)
                return vgl_error_set(err, -r, "%s: reading the header: %s", path, strerror(-r));
        if ((r = check_header(path, h, kind, &len, &crc, err)) < 0)
                return r;
        if ((uint64_t)st.st_size != VGL_MODEL_HEADER_SIZE + len)
                return vgl_error_set(
                        err, EBADMSG, "%s: %s: %lld bytes, the header says %llu", path,
                        (uint64_t)st.st_size < VGL_MODEL_HEADER_SIZE + len ? "truncated"
                                                                           : "trailing bytes",
                        (long long)st.st_size, (unsigned long long)(VGL_MODEL_HEADER_SIZE + len));
        if (!(payload = malloc(len ? len : 1)))
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        if ((r = read_all(fd, payload, len)) < 0)
                return vgl_error_set(err, -r, "%s: reading the payload: %s", path, strerror(-r));
        if (vgl_crc32(0, payload, len) != crc)
                return vgl_error_set(err, EBADMSG, "%s: payload checksum mismatch (corrupt file)",
                                     path);
        *ret_payload = TAKE_PTR(payload);
        *ret_len = len;
        return 0;
}
