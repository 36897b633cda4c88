/* Loading an image directory and its manifest; the image catalog (strict
 * validation, lookup, edits, checksums); per-sandbox qcow2 overlays. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "image.h"

static char dir[64];

static void put(const char *name, const char *text)
{
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/vigil-test-image-XXXXXX");
        assert_non_null(mkdtemp(dir));
        put("vmlinuz", "k");
        put("initramfs.img", "i");
        put("initramfs-bare.img", "b");
        return 0;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd);
}

static void test_load(void **state)
{
        struct vgl_image img;
        struct vgl_error e = {};
        char expect[128];

        put("manifest.json", "{\"format\": 1, \"kernel_version\": \"6.1.0-9-amd64\","
                             " \"cmdline\": \"console=ttyS0 quiet\", \"extra\": [1, 2]}");
        assert_int_equal(vgl_image_load(dir, &img, &e), 0);
        assert_string_equal(img.kernel_version, "6.1.0-9-amd64");
        assert_string_equal(img.cmdline, "console=ttyS0 quiet");
        snprintf(expect, sizeof(expect), "%s/initramfs-bare.img", dir);
        assert_string_equal(img.initrd_bare, expect);
}

static void test_bad_manifests(void **state)
{
        struct vgl_image img = {.cmdline = "untouched"};
        struct vgl_error e = {};

        put("manifest.json", "{\"kernel_version\": 5, \"cmdline\": \"x\"}");
        assert_int_equal(vgl_image_load(dir, &img, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "kernel_version"));
        put("manifest.json", "[1, 2, 3]");
        assert_int_equal(vgl_image_load(dir, &img, &e), -EBADMSG);
        put("manifest.json", "{\"kernel_version\": \"k\", \"cmdline\": \"x\"} trailing");
        assert_int_equal(vgl_image_load(dir, &img, &e), -EBADMSG);
        assert_string_equal(img.cmdline, "untouched");
        assert_int_equal(vgl_image_load("/nonexistent/image", &img, &e), -ENOENT);
}

static void test_missing_file(void **state)
{
        struct vgl_image img;
        struct vgl_error e = {};
        char path[128];

        put("manifest.json", "{\"kernel_version\": \"k\", \"cmdline\": \"x\"}");
        snprintf(path, sizeof(path), "%s/initramfs-bare.img", dir);
        unlink(path);
        assert_int_equal(vgl_image_load(dir, &img, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "initramfs-bare.img"));
}

/* ---- the catalog ---- */

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* One microVM and one disk image; %s slots: the disk image's fields. */
static const char catalog_fmt[] =
        "{\"format\": 1, \"images\": ["
        "{\"name\": \"microvm\", \"kind\": \"microvm\", \"kernel\": \"/i/m/vmlinuz\","
        " \"initrd\": \"/i/m/initramfs.img\", \"cmdline\": \"console=ttyS0 quiet\","
        " \"sha256\": {\"kernel\": \"" SHA_A "\", \"initrd\": \"" SHA_B "\"}},"
        "{\"name\": %s, \"kind\": %s, \"kernel\": %s, \"initrd\": \"/i/d/initrd.img\","
        " \"disk\": %s, \"root\": %s, \"cmdline\": %s%s,"
        " \"sha256\": {\"kernel\": \"" SHA_A "\", \"initrd\": \"" SHA_B "\", \"disk\": %s}}"
        "]}";

struct variant {
        const char *name, *kind, *kernel, *disk, *root, *cmdline, *extra, *sha;
};

static const struct variant good = {
        "\"debian\"",
        "\"disk\"",
        "\"/i/d/vmlinuz\"",
        "\"/i/d/disk.qcow2\"",
        "\"/dev/vda1\"",
        "\"console=ttyS0 rw\"",
        "",
        "\"" SHA_C "\"",
};

static char *catalog_text(const struct variant *v)
{
        char *t = NULL;

        assert_true(asprintf(&t, catalog_fmt, v->name, v->kind, v->kernel, v->disk, v->root,
                             v->cmdline, v->extra, v->sha) > 0);
        return t;
}

static void test_catalog_valid(void **state)
{
        _cleanup_free_ char *text = catalog_text(&good), *back = NULL;
        struct vgl_catalog *c = NULL, *c2 = NULL;
        const struct vgl_catalog_image *m;
        struct vgl_error e = {};

        assert_int_equal(vgl_catalog_parse(text, strlen(text), &c, &e), 0);
        assert_int_equal(vgl_catalog_count(c), 2);
        m = vgl_catalog_find(c, "debian");
        assert_non_null(m);
        assert_int_equal(m->kind, VGL_IMAGE_DISK);
        assert_string_equal(m->disk, "/i/d/disk.qcow2");
        assert_string_equal(m->root, "/dev/vda1");
        assert_string_equal(m->disk_sha256, SHA_C);
        m = vgl_catalog_find(c, "microvm");
        assert_non_null(m);
        assert_int_equal(m->kind, VGL_IMAGE_MICROVM);
        assert_string_equal(m->disk, "");
        assert_string_equal(m->cmdline, "console=ttyS0 quiet");
        assert_null(vgl_catalog_find(c, "nope"));
        assert_ptr_equal(vgl_catalog_get(c, 1), vgl_catalog_find(c, "debian"));
        assert_null(vgl_catalog_get(c, 2));

        /* What we write, we read back the same. */
        assert_int_equal(vgl_catalog_to_json(c, &back, &e), 0);
        assert_int_equal(vgl_catalog_parse(back, strlen(back), &c2, &e), 0);
        assert_int_equal(vgl_catalog_count(c2), 2);
        assert_memory_equal(vgl_catalog_get(c, 1), vgl_catalog_get(c2, 1),
                            sizeof(struct vgl_catalog_image));
        vgl_catalog_free(c2);
        vgl_catalog_free(c);
        assert_null(vgl_catalog_free(NULL));

        free(text);
        text = strdup("{\"format\": 1, \"images\": []}\n");
        assert_int_equal(vgl_catalog_parse(text, strlen(text), &c, &e), 0);
        assert_int_equal(vgl_catalog_count(c), 0);
        vgl_catalog_free(c);
}

/* Each broken field is refused, and the message names it. */
static void test_catalog_invalid_fields(void **state)
{
        static const struct {
                const char *field;
                struct variant v;
        } cases[] = {
                {"\"name\"", {.name = "\"Debian\""}},
                {"\"name\"", {.name = "\"-x\""}},
                {"\"name\"", {.name = "\"\""}},
                {"\"name\"", {.name = "\"microvm\""}}, /* a second one */
                {"\"name\"", {.name = "7"}},
                {"\"kind\"", {.kind = "\"iso\""}},
                {"\"kernel\"", {.kernel = "\"relative/vmlinuz\""}},
                {"\"kernel\"", {.kernel = "\"\""}},
                {"\"kernel\"", {.kernel = "null"}},
                {"\"disk\"", {.disk = "\"disk.qcow2\""}},
                {"\"disk\"", {.disk = "\"\""}},
                {"\"root\"", {.root = "\"/dev/vda1 init=/bin/sh\""}},
                {"\"root\"", {.root = "\"\""}},
                {"\"cmdline\"", {.cmdline = "\"quiet\\nroot=/dev/sda\""}},
                {"\"cmdline\"", {.cmdline = "\"quiet root=/dev/sda\""}},
                {"\"cmdline\"", {.cmdline = "[\"quiet\"]"}},
                {"\"sha256.disk\"", {.sha = "\"" SHA_C "0\""}},
                {"\"sha256.disk\"",
                 {.sha = "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\""}},
                {"\"sha256.disk\"", {.sha = "\"xyz\""}},
                {"\"colour\"", {.extra = ", \"colour\": \"blue\""}},
        };
        struct vgl_catalog *c = (struct vgl_catalog *)0x1;
        struct vgl_error e;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct variant v = good;
                _cleanup_free_ char *text = NULL;

#define OVERRIDE(f)                                                                                \
        if (cases[i].v.f)                                                                          \
                v.f = cases[i].v.f;
                OVERRIDE(name) OVERRIDE(kind) OVERRIDE(kernel) OVERRIDE(disk);
                OVERRIDE(root) OVERRIDE(cmdline) OVERRIDE(extra) OVERRIDE(sha);
#undef OVERRIDE
                text = catalog_text(&v);
                memset(&e, 0, sizeof(e));
                assert_int_equal(vgl_catalog_parse(text, strlen(text), &c, &e), -EINVAL);
                if (!strstr(e.msg, cases[i].field) || !strstr(e.msg, "images[1]"))
                        fail_msg("case %zu: '%s' does not name %s", i, e.msg, cases[i].field);
                assert_ptr_equal(c, (struct vgl_catalog *)0x1); /* untouched */
        }
}

static void test_catalog_invalid_top(void **state)
{
        static const char *const bad[] = {
                "",
                "[]",
                "{\"format\": 2, \"images\": []}",
                "{\"format\": \"1\", \"images\": []}",
                "{\"images\": []}",
                "{\"format\": 1}",
                "{\"format\": 1, \"images\": {}}",
                "{\"format\": 1, \"images\": [], \"extra\": 1}",
                "{\"format\": 1, \"images\": [],}",
                "{\"format\": 1, \"images\": []} {}",
                "{\"format\": 1, \"images\": [\"x\"]}",
                "{\"format\": 1, \"images\": [{\"name\": \"m\", \"kind\": \"microvm\", \"kernel\": "
                "\"/k\", \"initrd\": \"/i\", \"disk\": \"/d\", \"sha256\": {\"kernel\": \"" SHA_A
                "\", \"initrd\": \"" SHA_A "\"}}]}",
                "{\"format\": 1, \"images\": [{\"name\": \"m\", \"kind\": \"microvm\", \"kernel\": "
                "\"/k\", \"initrd\": \"/i\", \"sha256\": {\"kernel\": \"" SHA_A "\"}}]}",
        };
        static const char *const named[] = {
                NULL,    NULL, "format", "format",    "format",   "images",        "images",
                "extra", NULL, NULL,     "images[0]", "\"disk\"", "sha256.initrd",
        };
        struct vgl_catalog *c = NULL;
        struct vgl_error e;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                memset(&e, 0, sizeof(e));
                assert_int_equal(vgl_catalog_parse(bad[i], strlen(bad[i]), &c, &e), -EINVAL);
                if (named[i] && !strstr(e.msg, named[i]))
                        fail_msg("case %zu: '%s' does not name %s", i, e.msg, named[i]);
        }
        assert_null(c);
}

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "we");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_catalog_edit_save_verify(void **state)
{
        struct vgl_catalog *c = vgl_catalog_new(), *back = NULL;
        struct vgl_catalog_image img = {.kind = VGL_IMAGE_MICROVM};
        struct vgl_error e = {};
        char path[128], k[128], i[128];

        snprintf(k, sizeof(k), "%s/vmlinuz", dir);
        snprintf(i, sizeof(i), "%s/initramfs.img", dir);
        snprintf(path, sizeof(path), "%s/catalog.json", dir);
        snprintf(img.name, sizeof(img.name), "mv");
        snprintf(img.kernel, sizeof(img.kernel), "%s", k);
        snprintf(img.initrd, sizeof(img.initrd), "%s", i);
        assert_int_equal(vgl_sha256_file_hex(k, img.kernel_sha256, &e), 0);
        /* sha256("k"), the content setup() wrote */
        assert_string_equal(img.kernel_sha256,
                            "8254c329a92850f6d539dd376f4816ee2764517da5e0235514af433164480d7a");
        assert_int_equal(vgl_sha256_file_hex(i, img.initrd_sha256, &e), 0);
        assert_int_equal(vgl_catalog_put(c, &img, false, &e), 0);
        assert_int_equal(vgl_catalog_put(c, &img, false, &e), -EEXIST);
        assert_int_equal(vgl_catalog_put(c, &img, true, &e), 0);
        img.name[0] = 'M';
        assert_int_equal(vgl_catalog_put(c, &img, false, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "\"name\""));
        assert_int_equal(vgl_catalog_count(c), 1);
        assert_int_equal(vgl_catalog_save(c, path, &e), 0);

        assert_int_equal(vgl_catalog_load(path, &back, &e), 0);
        assert_int_equal(vgl_catalog_count(back), 1);
        assert_int_equal(vgl_catalog_image_verify(vgl_catalog_find(back, "mv"), &e), 0);
        /* A changed file no longer matches. */
        write_file(i, "changed");
        assert_int_equal(vgl_catalog_image_verify(vgl_catalog_find(back, "mv"), &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "initrd"));
        assert_int_equal(vgl_catalog_remove(back, "mv", &e), 0);
        assert_int_equal(vgl_catalog_remove(back, "mv", &e), -ENOENT);
        assert_int_equal(vgl_catalog_count(back), 0);
        vgl_catalog_free(back);
        vgl_catalog_free(c);

        /* Errors of a file name the file. */
        write_file(path, "{\"format\": 1, \"images\": [], \"x\": 0}");
        assert_int_equal(vgl_catalog_load(path, &back, &e), -EINVAL);
        assert_non_null(strstr(e.msg, path));
        assert_int_equal(vgl_catalog_load("/nonexistent/catalog.json", &back, &e), -ENOENT);
}

/* ---- overlays ---- */

static bool have_qemu_img(void)
{
        return system("qemu-img --version >/dev/null 2>&1") == 0;
}

static void test_overlay(void **state)
{
        char base[128], ov[128], cmd[512], before[VGL_SHA256_HEX + 1], after[VGL_SHA256_HEX + 1];
        struct vgl_error e = {};
        int r;

        if (!have_qemu_img()) {
                fprintf(stderr, "# skipped: no qemu-img (tools/install-deps)\n");
                skip();
        }
        snprintf(base, sizeof(base), "%s/base.qcow2", dir);
        snprintf(ov, sizeof(ov), "%s/sandbox-1.qcow2", dir);
        snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 '%s' 16M", base);
        assert_int_equal(system(cmd), 0);
        /* Some data in the base, so a write through the overlay would show. */
        snprintf(cmd, sizeof(cmd), "qemu-io -f qcow2 -c 'write -P 0x5a 0 64k' '%s' >/dev/null",
                 base);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(vgl_sha256_file_hex(base, before, &e), 0);

        r = vgl_image_overlay_create(base, ov, &e);
        if (r == -ENOTSUP) {
                fprintf(stderr, "# skipped: %s\n", e.msg);
                skip();
        }
        assert_int_equal(r, 0);
        snprintf(cmd, sizeof(cmd), "qemu-img info '%s' | grep -q 'backing file: %s'", ov, base);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "qemu-img info '%s' | grep -q 'backing file format: qcow2'", ov);
        assert_int_equal(system(cmd), 0);
        /* Write through the overlay: it reads the base's data, keeps its own. */
        snprintf(cmd, sizeof(cmd),
                 "qemu-io -f qcow2 -c 'read -P 0x5a 0 64k' -c 'write -P 0xa5 0 1M' '%s' "
                 ">/dev/null",
                 ov);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(vgl_sha256_file_hex(base, after, &e), 0);
        assert_string_equal(before, after);

        /* Never replaces, never removes a base. */
        assert_int_equal(vgl_image_overlay_create(base, ov, &e), -EEXIST);
        assert_int_equal(vgl_image_overlay_remove(base, &e), -EPERM);
        assert_int_equal(vgl_image_overlay_remove(ov, &e), 0);
        assert_int_equal(access(ov, F_OK), -1);
        assert_int_equal(vgl_image_overlay_remove(ov, &e), 0);
        assert_int_equal(access(base, F_OK), 0);
        assert_int_equal(vgl_image_overlay_create("relative.qcow2", ov, &e), -EINVAL);
        snprintf(cmd, sizeof(cmd), "%s/vmlinuz", dir);
        assert_int_equal(vgl_image_overlay_create(cmd, ov, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "qcow2"));
        assert_int_equal(vgl_image_overlay_remove(cmd, &e), -EPERM);
        /* No leftovers from the temp-and-link dance. */
        snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q '\\.new\\.'", dir);
        assert_int_not_equal(system(cmd), 0);
}

static void test_domain_spec(void **state)
{
        struct vgl_catalog_image img = {
                .name = "debian",
                .kind = VGL_IMAGE_DISK,
                .kernel = "/i/vmlinuz",
                .initrd = "/i/initrd.img",
                .disk = "/i/disk.qcow2",
                .root = "/dev/vda1",
                .cmdline = "console=ttyS0",
        };
        struct vgl_domain_spec spec = {.id = "x"};
        struct vgl_error e = {};

        assert_int_equal(vgl_image_domain_spec(&img, NULL, &spec, &e), -EINVAL);
        assert_int_equal(vgl_image_domain_spec(&img, "/state/x/disk.qcow2", &spec, &e), 0);
        assert_string_equal(spec.disk, "/state/x/disk.qcow2"); /* the overlay, not the base */
        assert_string_equal(spec.disk_root, "/dev/vda1");
        assert_string_equal(spec.kernel, "/i/vmlinuz");
        img.kind = VGL_IMAGE_MICROVM;
        assert_int_equal(vgl_image_domain_spec(&img, NULL, &spec, &e), 0);
        assert_null(spec.disk);
        assert_null(spec.disk_root);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_load, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_manifests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
                cmocka_unit_test(test_catalog_valid),
                cmocka_unit_test(test_catalog_invalid_fields),
                cmocka_unit_test(test_catalog_invalid_top),
                cmocka_unit_test_setup_teardown(test_catalog_edit_save_verify, setup, teardown),
                cmocka_unit_test_setup_teardown(test_overlay, setup, teardown),
                cmocka_unit_test(test_domain_spec),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
