/* Writing the image catalog: JSON text, atomic replacement of the file. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "image-priv.h"
#include "image.h"
#include "proto-msg.h"

static int add_str(struct json_object *o, const char *key, const char *s)
{
        return vgl_json_add(o, key, json_object_new_string(s));
}

static struct json_object *image_json(const struct vgl_catalog_image *m)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *sha = json_object_new_object();
        bool disk = m->kind == VGL_IMAGE_DISK;

        if (!o || !sha) {
                json_object_put(sha);
                return NULL;
        }
        if (vgl_json_add(o, "name", json_object_new_string(m->name)) < 0 ||
            add_str(o, "kind", vgl_image_kind_name(m->kind)) < 0 ||
            add_str(o, "kernel", m->kernel) < 0 || add_str(o, "initrd", m->initrd) < 0 ||
            (disk && add_str(o, "disk", m->disk) < 0) ||
            (disk && add_str(o, "root", m->root) < 0) || add_str(o, "cmdline", m->cmdline) < 0 ||
            vgl_json_add(o, "sha256", sha) < 0 || add_str(sha, "kernel", m->kernel_sha256) < 0 ||
            add_str(sha, "initrd", m->initrd_sha256) < 0 ||
            (disk && add_str(sha, "disk", m->disk_sha256) < 0))
                return NULL;
        return TAKE_PTR(o);
}

int vgl_catalog_to_json(const struct vgl_catalog *c, char **ret, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *arr = json_object_new_array();
        char *text;

        if (!o || !arr || vgl_json_add(o, "format", json_object_new_int(VGL_CATALOG_FORMAT)) < 0) {
                json_object_put(arr);
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        if (vgl_json_add(o, "images", arr) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < c->n; i++) {
                struct json_object *m = image_json(&c->images[i]);

                if (!m || json_object_array_add(arr, m) < 0) {
                        json_object_put(m);
                        return vgl_error_set(err, ENOMEM, "out of memory");
                }
        }
        if (asprintf(&text, "%s\n",
                     json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                               JSON_C_TO_STRING_SPACED |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        *ret = text;
        return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, s, n);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                s += w;
                n -= (size_t)w;
        }
        return 0;
}

int vgl_catalog_save(const struct vgl_catalog *c, const char *path, struct vgl_error *err)
{
        _cleanup_free_ char *text = NULL, *tmp = NULL, *dir = strdup(path);
        _cleanup_close_ int fd = -1;
        int r = vgl_catalog_to_json(c, &text, err);

        if (r < 0)
                return r;
        if (!dir || asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", tmp);
        r = write_all(fd, text, strlen(text));
        if (r == 0 && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return vgl_error_set(err, -r, "writing %s: %s", path, strerror(-r));
        }
        /* The rename itself must reach the disk too. */
        fd = safe_close(fd);
        fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                fsync(fd);
        return 0;
}
