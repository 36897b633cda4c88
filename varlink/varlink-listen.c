/* Creating the server's Unix socket at a path: parent directories, stale
 * sockets, permissions. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cleanup.h"
#include "varlink-server-priv.h"

static int make_address(const char *path, struct sockaddr_un *ret, struct vgl_error *err)
{
        size_t len = strlen(path);

        if (len == 0 || len >= sizeof(ret->sun_path))
                return vgl_error_set(err, ENAMETOOLONG, "socket path \"%s\" is empty or too long",
                                     path);
        *ret = (struct sockaddr_un){.sun_family = AF_UNIX};
        memcpy(ret->sun_path, path, len + 1);
        return 0;
}

/* mkdir -p of path's parent directory. */
static int make_parents(const char *path, struct vgl_error *err)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return vgl_error_set(err, ENOMEM, "out of memory");
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        for (char *p = dir + 1;; p++) {
                bool end = *p == '\0';
                if (*p != '/' && !end)
                        continue;
                *p = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return vgl_error_set(err, errno, "creating directory %s", dir);
                if (end)
                        return 0;
                *p = '/';
        }
}

/* Removes a socket file nobody listens on; refuses a live one or a non-socket. */
static int remove_stale(const char *path, const struct sockaddr_un *addr, struct vgl_error *err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : vgl_error_set(err, errno, "checking %s", path);
        if (!S_ISSOCK(st.st_mode))
                return vgl_error_set(err, EEXIST, "%s exists and is not a socket", path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return vgl_error_set(err, errno, "creating a socket");
        if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN)
                return vgl_error_set(err, EADDRINUSE, "a server already listens on %s", path);
        if (errno != ECONNREFUSED)
                return vgl_error_set(err, errno, "probing %s", path);
        if (unlink(path) < 0 && errno != ENOENT)
                return vgl_error_set(err, errno, "removing stale socket %s", path);
        return 0;
}

static int bind_listen(const struct sockaddr_un *addr, mode_t mode, int *ret_fd,
                       struct vgl_error *err)
{
        const char *path = addr->sun_path;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                return vgl_error_set(err, errno, "creating a socket");
        if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0)
                return vgl_error_set(err, errno, "binding %s", path);
        /* Nobody can connect before listen(): no window with the wrong mode. */
        if (chmod(path, mode) < 0 || listen(fd, SOMAXCONN) < 0) {
                int r = vgl_error_set(err, errno, "setting up %s", path);
                unlink(path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int vgl_varlink_server_listen(struct vgl_varlink_server *s, const char *path, mode_t mode,
                              struct vgl_error *err)
{
        _cleanup_free_ char *copy = strdup(path);
        struct sockaddr_un addr;
        int fd = -1;
        int r;

        if (s->listen_fd >= 0)
                return vgl_error_set(err, EBUSY, "the varlink server already listens");
        if (!copy)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = make_address(path, &addr, err);
        if (r >= 0)
                r = make_parents(path, err);
        if (r >= 0)
                r = remove_stale(path, &addr, err);
        if (r >= 0)
                r = bind_listen(&addr, mode ? mode : 0660, &fd, err);
        if (r < 0)
                return r;
        r = vgl_varlink_server_listen_fd(s, fd, err);
        if (r < 0) {
                unlink(path);
                return r;
        }
        s->socket_path = TAKE_PTR(copy);
        return 0;
}
