/* Loading a microVM image directory and its manifest. */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "cleanup.h"
#include "proto-msg.h"

static int read_bounded(const char *path, struct vgl_buf *b, struct vgl_error *err)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        uint8_t chunk[4096];
        ssize_t n;

        if (fd < 0)
                return vgl_error_set(err, errno, "%s: %m", path);
        while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return vgl_error_set(err, errno, "%s: %m", path);
                if (vgl_buf_append(b, chunk, (size_t)n) < 0)
                        return vgl_error_set(err, EFBIG, "%s: larger than %u bytes", path,
                                             VGL_IMAGE_MANIFEST_MAX);
        }
        return vgl_buf_append(b, "", 1);
}

/* One JSON object and nothing but whitespace after it. */
static struct json_object *parse_strict(const char *text, size_t len)
{
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;
        size_t end;

        if (!tok)
                return NULL;
        o = json_tokener_parse_ex(tok, text, (int)len);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (o && (strspn(text + end, " \t\r\n") != len - end ||
                  !json_object_is_type(o, json_type_object))) {
                json_object_put(o);
                o = NULL;
        }
        return o;
}

static int get_string(struct json_object *o, const char *key, char *dst, size_t size,
                      struct vgl_error *err)
{
        struct json_object *v = NULL;
        const char *s;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return vgl_error_set(err, EBADMSG, "manifest: \"%s\" missing or not a string", key);
        s = json_object_get_string(v);
        if (strlen(s) >= size)
                return vgl_error_set(err, EBADMSG, "manifest: \"%s\" too long", key);
        memcpy(dst, s, strlen(s) + 1);
        return 0;
}

static int file_path(const char *dir, const char *name, char *dst, size_t size,
                     struct vgl_error *err)
{
        int n = snprintf(dst, size, "%s/%s", dir, name);

        if (n < 0 || (size_t)n >= size)
                return vgl_error_set(err, ENAMETOOLONG, "image path too long");
        if (access(dst, R_OK) < 0)
                return vgl_error_set(err, errno, "%s: %m", dst);
        return 0;
}

int vgl_image_load(const char *dir, struct vgl_image *ret, struct vgl_error *err)
{
        _cleanup_(vgl_buf_freep) struct vgl_buf b = {};
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *abs = NULL;
        _cleanup_free_ struct vgl_image *img = calloc(1, sizeof(*img));
        char manifest[PATH_MAX];
        int r;

        if (!img)
                return vgl_error_set(err, ENOMEM, "out of memory");
        abs = realpath(dir, NULL);
        if (!abs)
                return vgl_error_set(err, errno, "image dir %s: %m", dir);
        r = file_path(abs, "manifest.json", manifest, sizeof(manifest), err);
        if (r < 0)
                return r;
        vgl_buf_init(&b, VGL_IMAGE_MANIFEST_MAX);
        r = read_bounded(manifest, &b, err);
        if (r < 0)
                return r;
        o = parse_strict((const char *)b.data, b.len - 1);
        if (!o)
                return vgl_error_set(err, EBADMSG, "%s: not a JSON object", manifest);
        if ((r = get_string(o, "cmdline", img->cmdline, sizeof(img->cmdline), err)) < 0 ||
            (r = get_string(o, "kernel_version", img->kernel_version, sizeof(img->kernel_version),
                            err)) < 0 ||
            (r = file_path(abs, "vmlinuz", img->kernel, sizeof(img->kernel), err)) < 0 ||
            (r = file_path(abs, "initramfs.img", img->initrd, sizeof(img->initrd), err)) < 0 ||
            (r = file_path(abs, "initramfs-bare.img", img->initrd_bare, sizeof(img->initrd_bare),
                           err)) < 0)
                return r;
        *ret = *img;
        return 0;
}
