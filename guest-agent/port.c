#include "port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir)

/* True if the sysfs file `path` holds exactly `name` (plus a newline). */
static int name_matches(const char *path, const char *name)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char got[256];
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, got, sizeof(got) - 1);
        if (n <= 0)
                return 0;
        got[n] = '\0';
        got[strcspn(got, "\n")] = '\0';
        return strcmp(got, name) == 0;
}

static int find_in_sysfs(const char *dev_dir, const char *sys_dir, const char *name,
                         char **ret_path)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/class/virtio-ports", sys_dir);
        _cleanup_(closedirp) DIR *d = opendir(path);
        struct dirent *de;
        if (!d)
                return -ENOENT;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), "%s/class/virtio-ports/%s/name", sys_dir, de->d_name);
                if (!name_matches(path, name))
                        continue;
                char *dev = NULL;
                if (asprintf(&dev, "%s/%s", dev_dir, de->d_name) < 0)
                        return -ENOMEM;
                if (access(dev, F_OK) < 0) {
                        /* Named already, device node not yet created by devtmpfs. */
                        free(dev);
                        return -ENOENT;
                }
                *ret_path = dev;
                return 0;
        }
        return -ENOENT;
}

int vgl_port_find(const char *dev_dir, const char *sys_dir, const char *name, char **ret_path)
{
        char *p = NULL;
        if (asprintf(&p, "%s/virtio-ports/%s", dev_dir, name) < 0)
                return -ENOMEM;
        if (access(p, F_OK) == 0) {
                *ret_path = p;
                return 0;
        }
        free(p);
        return find_in_sysfs(dev_dir, sys_dir, name, ret_path);
}

int vgl_port_open(const char *path)
{
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}
