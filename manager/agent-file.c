/* File transfer over the agent channel: PUT pumps data as the send queue
 * drains; GET collects data into a buffer or an fd, bounded by max_size. */
#include "agent-priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

static int start(struct vgl_agent *a, enum vgl_stream_kind kind, const char *path,
                 vgl_file_done_fn done, void *userdata, struct vgl_agent_stream **ret,
                 struct vgl_error *err)
{
        int r;

        if (a->state != VGL_AGENT_READY)
                return vgl_error_set(err, ENOTCONN, "agent not connected");
        r = vgl_path_validate(path, err);
        if (r < 0)
                return r;
        r = vgl_agent_stream_new(a, kind, ret);
        if (r < 0)
                return vgl_error_set(err, -r, "too many commands and transfers in flight");
        (*ret)->done = done;
        (*ret)->userdata = userdata;
        return 0;
}

static int put_start(struct vgl_agent *a, struct vgl_agent_stream *s, const char *path,
                     uint32_t mode, uint32_t *ret_id, struct vgl_error *err)
{
        size_t before = vgl_agent_output_pending(a);
        int r = vgl_msg_file_put_append(&a->out, s->id, path, s->size, mode);

        if (r < 0) {
                vgl_agent_stream_drop(a, s);
                return vgl_error_set(err, -r, "cannot queue file put");
        }
        vgl_agent_output_kick(a, before);
        *ret_id = s->id;
        vgl_agent_file_pump(a);
        return 0;
}

int vgl_agent_put_buffer(struct vgl_agent *a, const char *path, const void *data, size_t len,
                         uint32_t mode, vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                         struct vgl_error *err)
{
        struct vgl_agent_stream *s = NULL;
        int r;

        if (len > VGL_AGENT_FILE_MAX)
                return vgl_error_set(err, EFBIG, "file larger than the transfer limit");
        r = start(a, VGL_STREAM_PUT, path, done, userdata, &s, err);
        if (r < 0)
                return r;
        r = vgl_buf_append(&s->data, data, len);
        if (r < 0) {
                vgl_agent_stream_drop(a, s);
                return vgl_error_set(err, -r, "cannot copy %zu bytes", len);
        }
        s->size = len;
        return put_start(a, s, path, mode, ret_id, err);
}

int vgl_agent_put_fd(struct vgl_agent *a, const char *path, int fd, uint32_t mode,
                     vgl_file_done_fn done, void *userdata, uint32_t *ret_id, struct vgl_error *err)
{
        _cleanup_close_ int owned = fd;
        struct vgl_agent_stream *s = NULL;
        struct stat st;
        off_t pos;
        int r;

        if (fstat(fd, &st) < 0 || (pos = lseek(fd, 0, SEEK_CUR)) < 0)
                return vgl_error_set(err, errno, "source file: %m");
        if (!S_ISREG(st.st_mode) || pos > st.st_size)
                return vgl_error_set(err, EINVAL, "source is not a regular file");
        if ((uint64_t)(st.st_size - pos) > VGL_AGENT_FILE_MAX)
                return vgl_error_set(err, EFBIG, "file larger than the transfer limit");
        r = start(a, VGL_STREAM_PUT, path, done, userdata, &s, err);
        if (r < 0)
                return r;
        s->fd = TAKE_FD(owned);
        s->size = (uint64_t)(st.st_size - pos);
        return put_start(a, s, path, mode, ret_id, err);
}

static int get_start(struct vgl_agent *a, const char *path, int fd, uint64_t max_size,
                     vgl_file_done_fn done, void *userdata, uint32_t *ret_id, struct vgl_error *err)
{
        _cleanup_close_ int owned = fd;
        struct vgl_agent_stream *s = NULL;
        size_t before = vgl_agent_output_pending(a);
        int r;

        if (max_size == 0)
                max_size = VGL_AGENT_FILE_MAX;
        if (max_size > VGL_AGENT_FILE_MAX)
                return vgl_error_set(err, EFBIG, "max_size above the transfer limit");
        r = start(a, VGL_STREAM_GET, path, done, userdata, &s, err);
        if (r < 0)
                return r;
        r = vgl_msg_file_get_append(&a->out, s->id, path, max_size);
        if (r < 0) {
                vgl_agent_stream_drop(a, s);
                return vgl_error_set(err, -r, "cannot queue file get");
        }
        s->fd = TAKE_FD(owned);
        s->size = max_size;
        vgl_agent_output_kick(a, before);
        *ret_id = s->id;
        return 0;
}

int vgl_agent_get_buffer(struct vgl_agent *a, const char *path, uint64_t max_size,
                         vgl_file_done_fn done, void *userdata, uint32_t *ret_id,
                         struct vgl_error *err)
{
        return get_start(a, path, -1, max_size, done, userdata, ret_id, err);
}

int vgl_agent_get_fd(struct vgl_agent *a, const char *path, int fd, uint64_t max_size,
                     vgl_file_done_fn done, void *userdata, uint32_t *ret_id, struct vgl_error *err)
{
        if (fd < 0)
                return vgl_error_set(err, EBADF, "no destination fd");
        return get_start(a, path, fd, max_size, done, userdata, ret_id, err);
}
