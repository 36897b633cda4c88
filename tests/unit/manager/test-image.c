/* Loading an image directory and its manifest. */
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_load, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_manifests, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
