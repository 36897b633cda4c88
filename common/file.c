/* See file.h. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

int vgl_file_read_bounded(const char *path, size_t max, char **ret, size_t *ret_len,
                          struct vgl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;

        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %s", path, strerror(errno));
        /* fstat after open: a FIFO or device would block or never end. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return vgl_error_set(err, EINVAL, "%s: not a regular file", path);
        if ((uint64_t)st.st_size > max)
                return vgl_error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
        if (!(buf = malloc(max + 1)))
                return vgl_error_set(err, ENOMEM, "%s: out of memory", path);
        for (;;) { /* the file may grow after fstat: the bound is checked again */
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return vgl_error_set(err, errno, "%s: %s", path, strerror(errno));
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > max)
                        return vgl_error_set(err, EFBIG, "%s: larger than %zu bytes", path, max);
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}
