/* File transfers: FILE_PUT (host -> guest) and FILE_GET (guest -> host).
 *
 * An upload goes to a temporary file in the target's directory and is renamed
 * over the target only when exactly the declared size arrived, so a failed or
 * aborted upload never leaves a partial file. Downloads stream regular files
 * in FILE_DATA chunks while the output queue has room. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"

struct vgl_xfer {
        uint32_t id;
        bool put;
        bool draining; /* PUT that already failed: data is discarded until its end */
        int fd;
        char *path, *tmp;
        uint64_t size; /* PUT: declared size; GET: max_size */
        uint64_t done;
        uint32_t mode;
};

static const char *const refused_prefixes[] = {"/proc", "/sys", "/dev"};

static struct vgl_xfer *xfer_free(struct vgl_xfer *x)
{
        if (!x)
                return NULL;
        safe_close(x->fd);
        if (x->tmp)
                unlink(x->tmp);
        free(x->tmp);
        free(x->path);
        free(x);
        return NULL;
}

struct vgl_xfer *vgl_files_find(const struct vgl_agent *a, uint32_t stream)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_XFERS; i++)
                if (a->xfers[i] && a->xfers[i]->id == stream)
                        return a->xfers[i];
        return NULL;
}

static void xfer_remove(struct vgl_agent *a, struct vgl_xfer *x)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_XFERS; i++)
                if (a->xfers[i] == x)
                        a->xfers[i] = xfer_free(x);
}

static struct vgl_xfer *xfer_add(struct vgl_agent *a, uint32_t id, bool put)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_XFERS; i++) {
                if (a->xfers[i])
                        continue;
                struct vgl_xfer *x = calloc(1, sizeof(*x));
                if (!x)
                        return NULL;
                *x = (struct vgl_xfer){.id = id, .put = put, .fd = -1};
                return a->xfers[i] = x;
        }
        return NULL;
}

static void send_result(struct vgl_agent *a, uint32_t id, bool ok, uint64_t size, uint32_t mode,
                        const char *error)
{
        struct vgl_file_result r = {.ok = ok, .size = size, .mode = mode};
        snprintf(r.error, sizeof(r.error), "%s", error ? error : "");
        if (vgl_msg_file_result_append(&a->out.buf, id, &r) < 0)
                a->errors_dropped++;
}

/* A transfer needs a fresh, non-zero stream id; answered with ERROR otherwise. */
static int check_stream(struct vgl_agent *a, const struct vgl_frame *f)
{
        if (f->stream == 0 || vgl_session_stream_busy(a, f->stream)) {
                vgl_session_error(a, f->stream, "bad-request", f->type, "stream %u is %s",
                                  f->stream, f->stream ? "already in use" : "reserved");
                return -EINVAL;
        }
        return 0;
}

static const char *put_refusal(const struct vgl_file_request *req, struct vgl_error *err)
{
        if (vgl_path_validate(req->path, err) < 0)
                return err->msg;
        for (size_t i = 0; i < ELEMENTSOF(refused_prefixes); i++) {
                size_t n = strlen(refused_prefixes[i]);
                if (strncmp(req->path, refused_prefixes[i], n) == 0 &&
                    (req->path[n] == '\0' || req->path[n] == '/'))
                        return "uploads to /proc, /sys and /dev are refused";
        }
        if (req->size > VGL_AGENT_PUT_MAX)
                return "declared size over the agent's limit (1 GiB)";
        return NULL;
}

/* Creates the temporary file next to the target. */
static int put_open(struct vgl_xfer *x, const struct vgl_file_request *req)
{
        _cleanup_free_ char *copy = strdup(req->path);
        const char *base = strrchr(req->path, '/') + 1;
        if (!copy)
                return -ENOMEM;
        if (!*base)
                return -EISDIR;
        if (asprintf(&x->tmp, "%s/.%.64s.vigil-XXXXXX", dirname(copy), base) < 0) {
                x->tmp = NULL;
                return -ENOMEM;
        }
        x->fd = mkostemp(x->tmp, O_CLOEXEC);
        if (x->fd < 0) {
                int r = -errno;
                free(x->tmp);
                x->tmp = NULL;
                return r;
        }
        x->path = strdup(req->path);
        return x->path ? 0 : -ENOMEM;
}

/* Every well-framed FILE_PUT gets a FILE_RESULT; a refused one stays in the
 * table as "draining" so its data frames are discarded quietly. */
void vgl_files_on_put(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_file_request req;
        struct vgl_error err = {0};
        char msg[VGL_ERROR_MSG_MAX];
        const char *why;

        if (check_stream(a, f) < 0)
                return;
        struct vgl_xfer *x = xfer_add(a, f->stream, true);
        if (!x) {
                vgl_session_error(a, f->stream, "busy", f->type, "%u transfers in progress",
                                  VGL_AGENT_MAX_XFERS);
                return;
        }
        if (vgl_msg_file_request_parse(f, &req, &err) < 0)
                why = err.msg;
        else
                why = put_refusal(&req, &err);
        int r = why ? 0 : put_open(x, &req);
        if (r < 0) {
                snprintf(msg, sizeof(msg), "cannot create a file beside %.160s: %s", req.path,
                         strerror(-r));
                why = msg;
        }
        if (why) {
                send_result(a, f->stream, false, 0, 0, why);
                x->draining = true;
                return;
        }
        x->size = req.size;
        x->mode = req.mode & 07777;
}

/* Ends an upload with an error; its remaining data is then discarded. */
static void put_fail(struct vgl_agent *a, struct vgl_xfer *x, bool at_end, const char *what,
                     const char *detail)
{
        char msg[VGL_ERROR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
        send_result(a, x->id, false, x->done, x->mode, msg);
        if (at_end) {
                xfer_remove(a, x);
                return;
        }
        x->fd = safe_close(x->fd);
        if (x->tmp)
                unlink(x->tmp);
        free(x->tmp);
        x->tmp = NULL;
        x->draining = true;
}

static void put_finish(struct vgl_agent *a, struct vgl_xfer *x)
{
        char sz[64];
        if (x->done != x->size) {
                snprintf(sz, sizeof(sz), "%llu of %llu bytes", (unsigned long long)x->done,
                         (unsigned long long)x->size);
                return put_fail(a, x, true, "short upload", sz);
        }
        if (fchmod(x->fd, x->mode) < 0 || close(TAKE_FD(x->fd)) < 0)
                return put_fail(a, x, true, "finishing the file", strerror(errno));
        if (rename(x->tmp, x->path) < 0)
                return put_fail(a, x, true, "rename", strerror(errno));
        free(TAKE_PTR(x->tmp));
        send_result(a, x->id, true, x->done, x->mode, NULL);
        xfer_remove(a, x);
}

static void put_data(struct vgl_agent *a, struct vgl_xfer *x, const struct vgl_frame *f)
{
        if (x->draining) {
                if (f->length == 0)
                        xfer_remove(a, x);
                return;
        }
        if (f->length == 0)
                return put_finish(a, x);
        if (f->length > x->size - x->done)
                return put_fail(a, x, false, "more data than the declared size", NULL);
        for (size_t off = 0; off < f->length;) {
                ssize_t n = write(x->fd, f->payload + off, f->length - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return put_fail(a, x, false, "write", strerror(n < 0 ? errno : ENOSPC));
                off += (size_t)n;
        }
        x->done += f->length;
}

void vgl_files_on_data(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_xfer *x = vgl_files_find(a, f->stream);
        if (!x)
                return vgl_session_error(a, f->stream, "unknown-stream", f->type,
                                         "no upload on stream %u", f->stream);
        if (!x->put)
                return vgl_session_error(a, f->stream, "bad-request", f->type,
                                         "stream %u is a download", f->stream);
        put_data(a, x, f);
}

/* Opens a download: regular files only, no larger than max_size. */
static int get_open(const struct vgl_file_request *req, int *ret_fd, uint32_t *ret_mode, char *msg,
                    size_t msg_len)
{
        _cleanup_close_ int fd = open(req->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        uint64_t max = req->size ? req->size : VGL_AGENT_PUT_MAX;
        if (fd < 0 || fstat(fd, &st) < 0)
                return snprintf(msg, msg_len, "%.160s: %s", req->path, strerror(errno)), -EIO;
        if (!S_ISREG(st.st_mode))
                return snprintf(msg, msg_len, "%.160s: not a regular file", req->path), -EINVAL;
        if ((uint64_t)st.st_size > max)
                return snprintf(msg, msg_len, "%.160s: %llu bytes, over max_size %llu", req->path,
                                (unsigned long long)st.st_size, (unsigned long long)max),
                       -EFBIG;
        *ret_mode = st.st_mode & 07777;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void vgl_files_on_get(struct vgl_agent *a, const struct vgl_frame *f)
{
        struct vgl_file_request req;
        char msg[VGL_ERROR_MSG_MAX];
        uint32_t mode = 0;
        int fd = -1;

        struct vgl_error err = {0};
        if (check_stream(a, f) < 0)
                return;
        if (vgl_msg_file_request_parse(f, &req, &err) < 0)
                return send_result(a, f->stream, false, 0, 0, err.msg);
        if (get_open(&req, &fd, &mode, msg, sizeof(msg)) < 0)
                return send_result(a, f->stream, false, 0, 0, msg);
        struct vgl_xfer *x = xfer_add(a, f->stream, false);
        if (!x) {
                safe_close(fd);
                return vgl_session_error(a, f->stream, "busy", f->type, "%u transfers in progress",
                                         VGL_AGENT_MAX_XFERS);
        }
        x->fd = fd;
        x->mode = mode;
        x->size = req.size ? req.size : VGL_AGENT_PUT_MAX;
}

/* One chunk of a download; at end of file the empty FILE_DATA then FILE_RESULT. */
static void get_pump(struct vgl_agent *a, struct vgl_xfer *x)
{
        int n = vgl_outq_read_frame(&a->out, x->fd, VGL_MSG_FILE_DATA, x->id,
                                    VGL_FRAME_MAX_PAYLOAD);
        if (n == -EAGAIN || n == -EINTR || n == -ENOBUFS || n == -ENOMEM)
                return;
        if (n > 0) {
                x->done += (uint64_t)n;
                if (x->done <= x->size)
                        return;
        }
        vgl_outq_append(&a->out, VGL_MSG_FILE_DATA, x->id, NULL, 0);
        if (n == 0)
                send_result(a, x->id, true, x->done, x->mode, NULL);
        else
                send_result(a, x->id, false, x->done, x->mode,
                            n > 0 ? "file grew past max_size while reading" : strerror(-n));
        xfer_remove(a, x);
}

void vgl_files_pump(struct vgl_agent *a, struct vgl_pollset *ps)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_XFERS; i++) {
                struct vgl_xfer *x = a->xfers[i];
                if (!x || x->put || !vgl_outq_has_room(&a->out))
                        continue;
                get_pump(a, x);
                if (a->xfers[i] && vgl_outq_has_room(&a->out))
                        vgl_pollset_deadline(ps, 0);
        }
}

void vgl_files_abort_all(struct vgl_agent *a)
{
        for (unsigned i = 0; i < VGL_AGENT_MAX_XFERS; i++)
                a->xfers[i] = xfer_free(a->xfers[i]);
}
