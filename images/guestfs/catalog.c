/* vigil-guestfs catalog add|list|check|remove: the image catalog file
 * (manager/image-catalog.c parses and validates it; vigild reads it). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "file.h"
#include "gfs.h"
#include "image.h"
#include "proto-msg.h"
#include "tool.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct vgl_catalog *, vgl_catalog_free)

static void catalog_usage(FILE *f)
{
        fprintf(f, "usage: vigil-image catalog [--catalog FILE] COMMAND\n"
                   "  add [--replace] [--cmdline S] NAME IMAGE_DIR\n"
                   "        register the image built in IMAGE_DIR (build-microvm, build-disk,\n"
                   "        or inject --boot-dir) under NAME, with the sha256 of its files\n"
                   "  list  one line per image: name, kind, the file it boots from\n"
                   "  check [NAME...]\n"
                   "        validate the file and recompute every (or NAME's) checksum\n"
                   "  remove NAME\n"
                   "FILE: --catalog, else $VIGIL_CATALOG, else\n"
                   "${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/vigil}/images/catalog.json\n");
}

static char *default_path(void)
{
        const char *env = getenv("VIGIL_CATALOG"), *cache = getenv("VIGIL_CACHE_DIR");
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        char *p = NULL;

        if (env && env[0])
                return strdup(env);
        if (cache && cache[0])
                return asprintf(&p, "%s/images/catalog.json", cache) < 0 ? NULL : p;
        if (xdg && xdg[0])
                return asprintf(&p, "%s/vigil/images/catalog.json", xdg) < 0 ? NULL : p;
        return asprintf(&p, "%s/.cache/vigil/images/catalog.json", home ? home : "/root") < 0 ? NULL
                                                                                              : p;
}

/* A missing catalog file is an empty catalog. */
static int load_or_new(const char *path, struct vgl_catalog **ret, struct vgl_error *err)
{
        int r = vgl_catalog_load(path, ret, err);

        if (r == -ENOENT) {
                *ret = vgl_catalog_new();
                return *ret ? 0 : vgl_error_set(err, ENOMEM, "out of memory");
        }
        return r;
}

/* dst = realpath of name, taken relative to dir unless absolute. */
static int resolve(const char *dir, const char *name, char *dst, struct vgl_error *err)
{
        _cleanup_free_ char *joined = NULL;
        char *real;

        if (name[0] != '/' && asprintf(&joined, "%s/%s", dir, name) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        real = realpath(joined ? joined : name, NULL);
        if (!real)
                return vgl_error_set(err, errno, "%s: %m", joined ? joined : name);
        if (strlen(real) >= PATH_MAX) {
                free(real);
                return vgl_error_set(err, ENAMETOOLONG, "path too long");
        }
        memcpy(dst, real, strlen(real) + 1);
        free(real);
        return 0;
}

static const char *mstr(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v)
                       : NULL;
}

/* Fills img's files and cmdline from dir/manifest.json: a disk manifest
 * ("kind": "disk") or build-microvm's (no kind). */
static int from_dir(const char *dir, struct vgl_catalog_image *img, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        _cleanup_free_ char *path = NULL, *text = NULL;
        const char *kind, *cmdline;
        int r;

        if (asprintf(&path, "%s/manifest.json", dir) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((r = vgl_file_read_bounded(path, VGL_IMAGE_MANIFEST_MAX, &text, NULL, err)) < 0)
                return r;
        o = json_tokener_parse(text);
        if (!o || !json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "%s: not a JSON object", path);
        kind = mstr(o, "kind");
        cmdline = mstr(o, "cmdline");
        snprintf(img->cmdline, sizeof(img->cmdline), "%s", cmdline ? cmdline : "");
        if (!kind || strcmp(kind, "microvm") == 0) {
                img->kind = VGL_IMAGE_MICROVM;
                if ((r = resolve(dir, "vmlinuz", img->kernel, err)) < 0)
                        return r;
                return resolve(dir, "initramfs.img", img->initrd, err);
        }
        if (strcmp(kind, "disk") != 0 || !mstr(o, "kernel") || !mstr(o, "initrd") ||
            !mstr(o, "disk") || !mstr(o, "root"))
                return vgl_error_set(err, EINVAL,
                                     "%s: a disk manifest names kernel, initrd, disk and root",
                                     path);
        img->kind = VGL_IMAGE_DISK;
        snprintf(img->root, sizeof(img->root), "%s", mstr(o, "root"));
        if ((r = resolve(dir, mstr(o, "kernel"), img->kernel, err)) < 0 ||
            (r = resolve(dir, mstr(o, "initrd"), img->initrd, err)) < 0)
                return r;
        return resolve(dir, mstr(o, "disk"), img->disk, err);
}

static int checksums(struct vgl_catalog_image *img, struct vgl_error *err)
{
        char fmt[8];
        int r;

        if ((r = vgl_sha256_file_hex(img->kernel, img->kernel_sha256, err)) < 0 ||
            (r = vgl_sha256_file_hex(img->initrd, img->initrd_sha256, err)) < 0)
                return r;
        if (img->kind != VGL_IMAGE_DISK)
                return 0;
        /* Overlays are qcow2 backed by qcow2: the base must be one. */
        if ((r = gfs_disk_format(img->disk, fmt, err)) < 0)
                return r;
        if (strcmp(fmt, "qcow2") != 0)
                return vgl_error_set(err, EINVAL,
                                     "%s: not qcow2 (convert it: qemu-img convert -O qcow2)",
                                     img->disk);
        gfs_say("sha256 of %s", img->disk);
        return vgl_sha256_file_hex(img->disk, img->disk_sha256, err);
}

static int catalog_add(const char *path, int argc, char **argv, struct vgl_error *err)
{
        static const struct option longopts[] = {
                {"replace", no_argument, NULL, 'r'},
                {"cmdline", required_argument, NULL, 'c'},
                {},
        };
        _cleanup_(vgl_catalog_freep) struct vgl_catalog *c = NULL;
        _cleanup_free_ struct vgl_catalog_image *img = calloc(1, sizeof(*img));
        const char *cmdline = NULL;
        bool replace = false;
        int opt, r;

        optind = 1;
        while ((opt = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                if (opt == 'r')
                        replace = true;
                else if (opt == 'c')
                        cmdline = optarg;
                else
                        usage_error("catalog add", "unknown option");
        }
        if (argc - optind != 2)
                usage_error("catalog add", "NAME and IMAGE_DIR expected");
        if (!img)
                return vgl_error_set(err, ENOMEM, "out of memory");
        snprintf(img->name, sizeof(img->name), "%s", argv[optind]);
        if ((r = from_dir(argv[optind + 1], img, err)) < 0)
                return r;
        if (cmdline)
                snprintf(img->cmdline, sizeof(img->cmdline), "%s", cmdline);
        if ((r = load_or_new(path, &c, err)) < 0)
                return r;
        /* Before hashing a disk image for seconds. */
        if (!replace && vgl_catalog_find(c, img->name))
                return vgl_error_set(err, EEXIST,
                                     "the catalog has an image called %s already (--replace)",
                                     img->name);
        if ((r = checksums(img, err)) < 0 || (r = vgl_catalog_put(c, img, replace, err)) < 0 ||
            (r = vgl_catalog_save(c, path, err)) < 0)
                return r;
        printf("%s\n", img->name);
        return 0;
}

static int catalog_list(const char *path, struct vgl_error *err)
{
        _cleanup_(vgl_catalog_freep) struct vgl_catalog *c = NULL;
        int r = load_or_new(path, &c, err);

        if (r < 0)
                return r;
        for (size_t i = 0; i < vgl_catalog_count(c); i++) {
                const struct vgl_catalog_image *m = vgl_catalog_get(c, i);

                printf("%-20s %-8s %s\n", m->name, vgl_image_kind_name(m->kind),
                       m->kind == VGL_IMAGE_DISK ? m->disk : m->initrd);
        }
        return 0;
}

static int catalog_check(const char *path, int argc, char **argv, struct vgl_error *err)
{
        _cleanup_(vgl_catalog_freep) struct vgl_catalog *c = NULL;
        int r = vgl_catalog_load(path, &c, err), bad = 0;

        if (r < 0)
                return r;
        for (int i = 0; i < argc; i++)
                if (!vgl_catalog_find(c, argv[i]))
                        return vgl_error_set(err, ENOENT, "no image called %s", argv[i]);
        for (size_t i = 0; i < vgl_catalog_count(c); i++) {
                const struct vgl_catalog_image *m = vgl_catalog_get(c, i);
                struct vgl_error e = {};
                bool wanted = argc == 0;

                for (int k = 0; k < argc; k++)
                        wanted = wanted || strcmp(argv[k], m->name) == 0;
                if (!wanted)
                        continue;
                if (vgl_catalog_image_verify(m, &e) < 0) {
                        printf("%s: FAILED: %s\n", m->name, e.msg);
                        bad++;
                } else {
                        printf("%s: ok\n", m->name);
                }
        }
        if (bad)
                return vgl_error_set(err, EBADMSG, "%d image(s) do not match the catalog", bad);
        return 0;
}

static int catalog_remove(const char *path, const char *name, struct vgl_error *err)
{
        _cleanup_(vgl_catalog_freep) struct vgl_catalog *c = NULL;
        int r;

        if ((r = vgl_catalog_load(path, &c, err)) < 0 || (r = vgl_catalog_remove(c, name, err)) < 0)
                return r;
        return vgl_catalog_save(c, path, err);
}

int cmd_catalog(int argc, char **argv)
{
        _cleanup_free_ char *path = NULL;
        struct vgl_error e = {};
        int i = 1, r;

        if (argc > 2 && strcmp(argv[1], "--catalog") == 0) {
                path = strdup(argv[2]);
                i = 3;
        } else if (argc > 1 && strncmp(argv[1], "--catalog=", 10) == 0) {
                path = strdup(argv[1] + 10);
                i = 2;
        } else {
                path = default_path();
        }
        if (argc <= i || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                catalog_usage(argc <= i ? stderr : stdout);
                return argc <= i ? 2 : 0;
        }
        if (!path)
                return fprintf(stderr, "vigil-image catalog: out of memory\n"), 1;
        if (!strcmp(argv[i], "add"))
                r = catalog_add(path, argc - i, argv + i, &e);
        else if (!strcmp(argv[i], "list") && argc == i + 1)
                r = catalog_list(path, &e);
        else if (!strcmp(argv[i], "check"))
                r = catalog_check(path, argc - i - 1, argv + i + 1, &e);
        else if (!strcmp(argv[i], "remove") && argc == i + 2)
                r = catalog_remove(path, argv[i + 1], &e);
        else
                usage_error("catalog", "unknown command or arguments '%s'", argv[i]);
        if (r < 0) {
                fprintf(stderr, "vigil-image catalog: %s\n", e.msg);
                return 1;
        }
        return 0;
}
