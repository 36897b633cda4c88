/* The image catalog: strict parsing, validation, lookup and edits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "file.h"
#include "image-priv.h"
#include "image.h"
#include "proto-msg.h"

static const char *const image_fields[] = {
        "name", "kind", "kernel", "initrd", "disk", "root", "cmdline", "sha256", NULL,
};

const char *vgl_image_kind_name(enum vgl_image_kind k)
{
        return k == VGL_IMAGE_DISK ? "disk" : "microvm";
}

int vgl_image_kind_parse(const char *s, enum vgl_image_kind *ret)
{
        if (strcmp(s, "microvm") == 0)
                *ret = VGL_IMAGE_MICROVM;
        else if (strcmp(s, "disk") == 0)
                *ret = VGL_IMAGE_DISK;
        else
                return -EINVAL;
        return 0;
}

struct vgl_catalog *vgl_catalog_new(void)
{
        return calloc(1, sizeof(struct vgl_catalog));
}

struct vgl_catalog *vgl_catalog_free(struct vgl_catalog *c)
{
        if (c)
                free(c->images);
        free(c);
        return NULL;
}

size_t vgl_catalog_count(const struct vgl_catalog *c)
{
        return c->n;
}

const struct vgl_catalog_image *vgl_catalog_get(const struct vgl_catalog *c, size_t i)
{
        return i < c->n ? &c->images[i] : NULL;
}

const struct vgl_catalog_image *vgl_catalog_find(const struct vgl_catalog *c, const char *name)
{
        for (size_t i = 0; i < c->n; i++)
                if (strcmp(c->images[i].name, name) == 0)
                        return &c->images[i];
        return NULL;
}

/* ---- one field at a time ---- */

static bool has_control(const char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static bool name_valid(const char *s)
{
        size_t n = strlen(s);

        return n >= 1 && n <= VGL_CATALOG_NAME_MAX &&
               strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) &&
               strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static bool sha_valid(const char *s)
{
        return strlen(s) == VGL_SHA256_HEX && strspn(s, "0123456789abcdef") == VGL_SHA256_HEX;
}

static int check_path(const char *field, const char *p, bool required, struct vgl_error *err)
{
        if (!p[0])
                return required ? vgl_error_set(err, EINVAL, "\"%s\": missing", field) : 0;
        if (p[0] != '/' || has_control(p))
                return vgl_error_set(err, EINVAL, "\"%s\": not a clean absolute path", field);
        return 0;
}

static int check_sha(const char *field, const char *s, struct vgl_error *err)
{
        if (!sha_valid(s))
                return vgl_error_set(err, EINVAL, "\"sha256.%s\": not %d lowercase hex digits",
                                     field, VGL_SHA256_HEX);
        return 0;
}

int vgl_catalog_image_validate(const struct vgl_catalog_image *m, struct vgl_error *err)
{
        bool disk = m->kind == VGL_IMAGE_DISK;
        int r;

        if (!name_valid(m->name))
                return vgl_error_set(err, EINVAL,
                                     "\"name\": must be 1..%d characters of [a-z0-9._-], "
                                     "starting with a letter or digit",
                                     VGL_CATALOG_NAME_MAX);
        if (m->kind != VGL_IMAGE_MICROVM && !disk)
                return vgl_error_set(err, EINVAL, "\"kind\": must be \"microvm\" or \"disk\"");
        if ((r = check_path("kernel", m->kernel, true, err)) < 0 ||
            (r = check_path("initrd", m->initrd, true, err)) < 0 ||
            (r = check_path("disk", m->disk, disk, err)) < 0)
                return r;
        if (!disk && m->disk[0])
                return vgl_error_set(err, EINVAL, "\"disk\": only for kind \"disk\"");
        if (!disk && m->root[0])
                return vgl_error_set(err, EINVAL, "\"root\": only for kind \"disk\"");
        if (disk &&
            (!m->root[0] || strspn(m->root, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                            "0123456789/=_.:-") != strlen(m->root)))
                return vgl_error_set(err, EINVAL,
                                     "\"root\": must be a root= value of [A-Za-z0-9/=_.:-] "
                                     "such as /dev/vda1 or UUID=...");
        if (has_control(m->cmdline))
                return vgl_error_set(err, EINVAL, "\"cmdline\": control characters");
        /* root= comes from "root": a second one in the cmdline would win or confuse. */
        if (!strncmp(m->cmdline, "root=", 5) || strstr(m->cmdline, " root="))
                return vgl_error_set(err, EINVAL, "\"cmdline\": root= belongs in \"root\"");
        if ((r = check_sha("kernel", m->kernel_sha256, err)) < 0 ||
            (r = check_sha("initrd", m->initrd_sha256, err)) < 0)
                return r;
        if (disk)
                return check_sha("disk", m->disk_sha256, err);
        if (m->disk_sha256[0])
                return vgl_error_set(err, EINVAL, "\"sha256.disk\": only for kind \"disk\"");
        return 0;
}

/* ---- JSON ---- */

static int check_fields(struct json_object *o, const char *const *known, const char *prefix,
                        struct vgl_error *err)
{
        json_object_object_foreach(o, key, val)
        {
                size_t i;

                (void)val;
                for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
                        ;
                if (!known[i])
                        return vgl_error_set(err, EINVAL, "\"%s%s\": unknown field", prefix, key);
        }
        return 0;
}

/* Copies string field key of o into dst; absent is "" unless required. */
static int get_str(struct json_object *o, const char *key, const char *what, bool required,
                   char *dst, size_t size, struct vgl_error *err)
{
        struct json_object *v = NULL;
        const char *s;

        if (!json_object_object_get_ex(o, key, &v))
                return required ? vgl_error_set(err, EINVAL, "\"%s\": missing", what) : 0;
        if (!json_object_is_type(v, json_type_string))
                return vgl_error_set(err, EINVAL, "\"%s\": must be a string", what);
        s = json_object_get_string(v);
        if ((size_t)json_object_get_string_len(v) != strlen(s) || !vgl_utf8_valid(s, strlen(s)))
                return vgl_error_set(err, EINVAL, "\"%s\": not valid UTF-8 text", what);
        if (strlen(s) >= size)
                return vgl_error_set(err, EINVAL, "\"%s\": longer than %zu bytes", what, size - 1);
        if (required && !s[0])
                return vgl_error_set(err, EINVAL, "\"%s\": empty", what);
        memcpy(dst, s, strlen(s) + 1);
        return 0;
}

static int parse_sha256(struct json_object *o, struct vgl_catalog_image *m, struct vgl_error *err)
{
        static const char *const sha_fields[] = {"kernel", "initrd", "disk", NULL};
        struct json_object *v = NULL;
        int r;

        if (!json_object_object_get_ex(o, "sha256", &v))
                return vgl_error_set(err, EINVAL, "\"sha256\": missing");
        if (!json_object_is_type(v, json_type_object))
                return vgl_error_set(err, EINVAL,
                                     "\"sha256\": must be an object {\"kernel\": HEX, ...}");
        if ((r = check_fields(v, sha_fields, "sha256.", err)) < 0 ||
            (r = get_str(v, "kernel", "sha256.kernel", true, m->kernel_sha256,
                         sizeof(m->kernel_sha256), err)) < 0 ||
            (r = get_str(v, "initrd", "sha256.initrd", true, m->initrd_sha256,
                         sizeof(m->initrd_sha256), err)) < 0)
                return r;
        return get_str(v, "disk", "sha256.disk", false, m->disk_sha256, sizeof(m->disk_sha256),
                       err);
}

static int parse_image(struct json_object *o, struct vgl_catalog_image *m, struct vgl_error *err)
{
        char kind[16] = "";
        int r;

        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "not an object");
        if ((r = check_fields(o, image_fields, "", err)) < 0 ||
            (r = get_str(o, "name", "name", true, m->name, sizeof(m->name), err)) < 0 ||
            (r = get_str(o, "kind", "kind", true, kind, sizeof(kind), err)) < 0)
                return r;
        if (vgl_image_kind_parse(kind, &m->kind) < 0)
                return vgl_error_set(err, EINVAL, "\"kind\": must be \"microvm\" or \"disk\"");
        if ((r = get_str(o, "kernel", "kernel", true, m->kernel, sizeof(m->kernel), err)) < 0 ||
            (r = get_str(o, "initrd", "initrd", true, m->initrd, sizeof(m->initrd), err)) < 0 ||
            (r = get_str(o, "disk", "disk", false, m->disk, sizeof(m->disk), err)) < 0 ||
            (r = get_str(o, "root", "root", false, m->root, sizeof(m->root), err)) < 0 ||
            (r = get_str(o, "cmdline", "cmdline", false, m->cmdline, sizeof(m->cmdline), err)) <
                    0 ||
            (r = parse_sha256(o, m, err)) < 0)
                return r;
        return vgl_catalog_image_validate(m, err);
}

/* One JSON object, strictly (no trailing commas, comments or extra text). */
static struct json_object *parse_strict(const char *text, size_t len)
{
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;

        if (!tok)
                return NULL;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, text, (int)len);
        if (o && (json_tokener_get_parse_end(tok) +
                                  strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
                          len ||
                  !json_object_is_type(o, json_type_object))) {
                json_object_put(o);
                o = NULL;
        }
        json_tokener_free(tok);
        return o;
}

static int parse_images(struct json_object *arr, struct vgl_catalog *c, struct vgl_error *err)
{
        size_t n = json_object_array_length(arr);

        if (n > VGL_CATALOG_IMAGES_MAX)
                return vgl_error_set(err, EINVAL, "\"images\": more than %d images",
                                     VGL_CATALOG_IMAGES_MAX);
        c->images = calloc(n ?: 1, sizeof(*c->images));
        if (!c->images)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct vgl_catalog_image *m = &c->images[i];
                struct vgl_error e = {};
                int r = parse_image(json_object_array_get_idx(arr, i), m, &e);

                if (r >= 0 && vgl_catalog_find(c, m->name))
                        r = vgl_error_set(&e, EINVAL, "\"name\": a second image called so");
                if (r < 0)
                        return vgl_error_set(err, -r, "images[%zu]%s%s%s: %s", i,
                                             m->name[0] ? " (\"" : "", m->name,
                                             m->name[0] ? "\")" : "", e.msg);
                c->n = i + 1;
        }
        return 0;
}

int vgl_catalog_parse(const char *text, size_t len, struct vgl_catalog **ret, struct vgl_error *err)
{
        static const char *const top_fields[] = {"format", "images", NULL};
        _cleanup_json_ struct json_object *o = NULL;
        struct vgl_catalog *c = NULL;
        struct json_object *v = NULL;
        int r;

        if (len > VGL_CATALOG_FILE_MAX || len > INT32_MAX)
                return vgl_error_set(err, EFBIG, "larger than %u bytes", VGL_CATALOG_FILE_MAX);
        o = parse_strict(text, len);
        if (!o)
                return vgl_error_set(err, EINVAL, "not a JSON object");
        if ((r = check_fields(o, top_fields, "", err)) < 0)
                return r;
        if (!json_object_object_get_ex(o, "format", &v) || !json_object_is_type(v, json_type_int) ||
            json_object_get_int64(v) != VGL_CATALOG_FORMAT)
                return vgl_error_set(err, EINVAL, "\"format\": must be %d", VGL_CATALOG_FORMAT);
        if (!json_object_object_get_ex(o, "images", &v) || !json_object_is_type(v, json_type_array))
                return vgl_error_set(err, EINVAL, "\"images\": must be an array");
        c = vgl_catalog_new();
        if (!c)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = parse_images(v, c, err);
        if (r < 0) {
                vgl_catalog_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int vgl_catalog_load(const char *path, struct vgl_catalog **ret, struct vgl_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct vgl_error e = {};
        size_t len = 0;
        int r = vgl_file_read_bounded(path, VGL_CATALOG_FILE_MAX, &text, &len, err);

        if (r < 0)
                return r;
        r = vgl_catalog_parse(text, len, ret, &e);
        if (r < 0)
                return vgl_error_set(err, -r, "%s: %s", path, e.msg);
        return 0;
}

/* ---- edits ---- */

int vgl_catalog_put(struct vgl_catalog *c, const struct vgl_catalog_image *img, bool replace,
                    struct vgl_error *err)
{
        struct vgl_catalog_image *slot = (struct vgl_catalog_image *)vgl_catalog_find(c, img->name);
        int r = vgl_catalog_image_validate(img, err);

        if (r < 0)
                return r;
        if (slot && !replace)
                return vgl_error_set(err, EEXIST, "the catalog has an image called %s already",
                                     img->name);
        if (!slot) {
                struct vgl_catalog_image *grown;

                if (c->n >= VGL_CATALOG_IMAGES_MAX)
                        return vgl_error_set(err, ENOSPC, "the catalog is full (%d images)",
                                             VGL_CATALOG_IMAGES_MAX);
                grown = realloc(c->images, (c->n + 1) * sizeof(*c->images));
                if (!grown)
                        return vgl_error_set(err, ENOMEM, "out of memory");
                c->images = grown;
                slot = &c->images[c->n++];
        }
        *slot = *img;
        return 0;
}

int vgl_catalog_remove(struct vgl_catalog *c, const char *name, struct vgl_error *err)
{
        const struct vgl_catalog_image *m = vgl_catalog_find(c, name);
        size_t i;

        if (!m)
                return vgl_error_set(err, ENOENT, "no image called %s in the catalog", name);
        i = (size_t)(m - c->images);
        memmove(&c->images[i], &c->images[i + 1], (c->n - i - 1) * sizeof(*c->images));
        c->n--;
        return 0;
}
