/* See util.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "util.h"

double farm_wall_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double farm_mono_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void farm_iso_time(double t, bool zone, char *buf, size_t size)
{
        time_t s = (time_t)t;
        struct tm tm;

        gmtime_r(&s, &tm);
        strftime(buf, size, zone ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S", &tm);
}

int farm_mkdir_p(const char *path, struct vgl_error *err)
{
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (char *s = p + 1;; s++) {
                char c = *s;
                if (c != '/' && c != '\0')
                        continue;
                *s = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return vgl_error_set(err, errno, "creating %s: %s", p, strerror(errno));
                if (c == '\0')
                        return 0;
                *s = c;
        }
}

int farm_write_atomic(const char *path, int (*write_fn)(FILE *f, void *u), void *u,
                      struct vgl_error *err)
{
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -1;
        FILE *f;
        int r;

        if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
                return tmp = NULL, vgl_error_set(err, ENOMEM, "out of memory");
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return vgl_error_set(err, errno, "creating %s: %s", tmp, strerror(errno));
        fchmod(fd, 0644);
        f = fdopen(TAKE_FD(fd), "w");
        if (!f) {
                unlink(tmp);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        r = write_fn(f, u);
        if (fflush(f) != 0 || ferror(f))
                r = r < 0 ? r : -EIO;
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vgl_error_set(err, -r, "writing %s: %s", path, strerror(-r));
        }
        return 0;
}

int farm_read_tail(const char *path, size_t max, char **ret, size_t *ret_len, size_t *ret_skipped)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        size_t n = 0, skip = 0;
        char *buf;

        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
                n = (size_t)st.st_size;
                if (n > max)
                        skip = n - max, n = max;
        }
        buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;
        if (n) {
                ssize_t got = pread(fd, buf, n, (off_t)skip);
                n = got > 0 ? (size_t)got : 0;
        }
        buf[n] = '\0';
        *ret = buf;
        *ret_len = n;
        *ret_skipped = skip;
        return 0;
}

struct json_object *farm_json_double(double d)
{
        char buf[40];

        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        if (!strpbrk(buf, ".eEn")) /* keep it a double when read back: "1" -> "1.0" */
                strncat(buf, ".0", sizeof(buf) - strlen(buf) - 1);
        return json_object_new_double_s(d, buf);
}
