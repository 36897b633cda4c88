/* Guest images.
 *
 * A built microVM image directory (tools/vigil-image build-microvm):
 * vmlinuz, initramfs.img, initramfs-bare.img and manifest.json.
 *
 * The image catalog (image-catalog.c): a JSON file naming every image a tier
 * or job may ask for, microVM or disk, with the files to boot it and their
 * sha256. Format in images/README.md. Parsing needs json-c only, so
 * tools/vigil-image's C helper shares it.
 *
 * Disk images (image-overlay.c): a sandbox never boots its base image; it
 * gets a qcow2 overlay backed by it, removed with the sandbox. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define VGL_IMAGE_MANIFEST_MAX (256u * 1024u)

struct vgl_image {
        char kernel[PATH_MAX];      /* <dir>/vmlinuz */
        char initrd[PATH_MAX];      /* <dir>/initramfs.img: the agent image */
        char initrd_bare[PATH_MAX]; /* <dir>/initramfs-bare.img: benchmark baseline */
        char cmdline[1024];         /* manifest "cmdline" */
        char kernel_version[128];   /* manifest "kernel_version" (uname -r in the guest) */
};

/* Reads dir/manifest.json (bounded) and fills *ret with absolute paths and
 * the manifest's fields. -ENOENT when a file is missing, -EBADMSG when the
 * manifest is not what vigil-image writes; *err names the problem. */
int vgl_image_load(const char *dir, struct vgl_image *ret, struct vgl_error *err);

/* ---- the catalog ---- */

#define VGL_CATALOG_FORMAT      1
#define VGL_CATALOG_FILE_MAX    (1024u * 1024u)
#define VGL_CATALOG_IMAGES_MAX  256
#define VGL_CATALOG_NAME_MAX    64
#define VGL_CATALOG_ROOT_MAX    128
#define VGL_CATALOG_CMDLINE_MAX 1024
#define VGL_SHA256_HEX          64

enum vgl_image_kind {
        VGL_IMAGE_MICROVM, /* kernel + initramfs, no disk */
        VGL_IMAGE_DISK,    /* kernel + initrd booting a qcow2 root disk */
};

struct vgl_catalog_image {
        char name[VGL_CATALOG_NAME_MAX + 1]; /* [a-z0-9][a-z0-9._-]*, unique */
        enum vgl_image_kind kind;
        char kernel[PATH_MAX]; /* absolute paths */
        char initrd[PATH_MAX];
        char disk[PATH_MAX];                    /* disk: the qcow2 base; microvm: "" */
        char root[VGL_CATALOG_ROOT_MAX];        /* disk: root= value; microvm: "" */
        char cmdline[VGL_CATALOG_CMDLINE_MAX];  /* without root= */
        char kernel_sha256[VGL_SHA256_HEX + 1]; /* lowercase hex */
        char initrd_sha256[VGL_SHA256_HEX + 1];
        char disk_sha256[VGL_SHA256_HEX + 1]; /* disk only */
};

struct vgl_catalog;

/* "microvm" / "disk"; vgl_image_kind_parse returns -EINVAL for anything else. */
const char *vgl_image_kind_name(enum vgl_image_kind k);
int vgl_image_kind_parse(const char *s, enum vgl_image_kind *ret);

/* A new empty catalog (free with vgl_catalog_free); NULL when out of memory. */
struct vgl_catalog *vgl_catalog_new(void);
/* Accepts NULL; returns NULL. */
struct vgl_catalog *vgl_catalog_free(struct vgl_catalog *c);

/* Parses catalog JSON text (len bytes, need not be NUL-terminated). Strict:
 * unknown fields, wrong types, bad names, relative paths, malformed
 * checksums and duplicate names are -EINVAL with *err naming the field, as
 * in 'images[1] ("debian"): "sha256.disk": ...'. */
int vgl_catalog_parse(const char *text, size_t len, struct vgl_catalog **ret,
                      struct vgl_error *err);

/* Reads (bounded, VGL_CATALOG_FILE_MAX) and parses path; errors are prefixed
 * with the path. -ENOENT when it does not exist. */
int vgl_catalog_load(const char *path, struct vgl_catalog **ret, struct vgl_error *err);

/* Serialises c (pretty JSON, a trailing newline) into a new string (*ret,
 * free()). */
int vgl_catalog_to_json(const struct vgl_catalog *c, char **ret, struct vgl_error *err);

/* Writes c to path atomically (temp file in the same directory, fsync,
 * rename). */
int vgl_catalog_save(const struct vgl_catalog *c, const char *path, struct vgl_error *err);

size_t vgl_catalog_count(const struct vgl_catalog *c);
/* The i-th image (i < count), or NULL. Pointers stay valid until c changes. */
const struct vgl_catalog_image *vgl_catalog_get(const struct vgl_catalog *c, size_t i);
/* The image called name, or NULL. */
const struct vgl_catalog_image *vgl_catalog_find(const struct vgl_catalog *c, const char *name);

/* The checks vgl_catalog_parse applies to one image. */
int vgl_catalog_image_validate(const struct vgl_catalog_image *img, struct vgl_error *err);

/* Adds img (validated) to c; an image of the same name is replaced when
 * replace is set, else -EEXIST. */
int vgl_catalog_put(struct vgl_catalog *c, const struct vgl_catalog_image *img, bool replace,
                    struct vgl_error *err);

/* Removes the image called name; -ENOENT when there is none. */
int vgl_catalog_remove(struct vgl_catalog *c, const char *name, struct vgl_error *err);

/* sha256 of a whole file as lowercase hex into ret (VGL_SHA256_HEX + 1 bytes). */
int vgl_sha256_file_hex(const char *path, char *ret, struct vgl_error *err);

/* Recomputes the sha256 of each file of img (on demand: a disk image takes
 * seconds). 0 when all match, -EBADMSG naming the first file that does not,
 * or the error reading it. */
int vgl_catalog_image_verify(const struct vgl_catalog_image *img, struct vgl_error *err);

/* ---- per-sandbox overlays (image-overlay.c) ---- */

struct vgl_domain_spec;

/* Creates overlay, a new qcow2 file backed by base (a qcow2 file, given as
 * an absolute path and recorded with its format, so nothing probes it). The
 * base is only read, then and when the VM runs: every write of the sandbox
 * lands in its overlay. -EEXIST when overlay exists (it is never replaced),
 * -EINVAL when base is not an absolute path to a qcow2 file, -ENOTSUP when
 * vigil was built without libguestfs. */
int vgl_image_overlay_create(const char *base, const char *overlay, struct vgl_error *err);

/* Removes an overlay made by vgl_image_overlay_create. Refuses (-EPERM) a
 * file that is not a qcow2 image with a backing file, so a base can never be
 * removed by mistake. 0 when overlay does not exist. */
int vgl_image_overlay_remove(const char *overlay, struct vgl_error *err);

/* Points spec's kernel, initrd and cmdline at img and, for a disk image, its
 * disk at overlay (required then, ignored for a microVM) with root= from the
 * catalog. spec keeps pointers into img and overlay. */
int vgl_image_domain_spec(const struct vgl_catalog_image *img, const char *overlay,
                          struct vgl_domain_spec *spec, struct vgl_error *err);
