/* Integration test of disk images (issue 7): the Debian disk image built by
 * `vigil-image build-disk` boots through qemu:///embed from a per-sandbox
 * qcow2 overlay and answers exec; a plain Debian image (no agent) gets the
 * agent with `vigil-image inject`, is registered in a catalog, and boots and
 * answers exec too. The bases never change.
 *
 * The images come from the cache (~/.cache/vigil/images). When the root
 * filesystem is not cached yet (mmdebstrap: network, minutes) the test skips
 * unless VIGIL_TEST_BUILD_IMAGES=1; $VIGIL_DISK_IMAGE_DIR and
 * $VIGIL_DISK_PLAIN_DIR name prebuilt image dirs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "domain-xml.h"
#include "image.h"
#include "vm-harness.h"

#define BOOT_TIMEOUT_S 900
#define OP_TIMEOUT_S   300
#define SKIP           77

static struct vm vm;
static char disk_dir[PATH_MAX], plain_dir[PATH_MAX];

/* ---- images ---- */

/* Runs cmd, keeps the last line of its stdout in out; the exit status. */
static int run_last_line(const char *cmd, char *out, size_t size)
{
        FILE *p = popen(cmd, "re");
        char line[PATH_MAX];
        int st;

        if (!p)
                return -1;
        out[0] = '\0';
        while (fgets(line, sizeof(line), p))
                snprintf(out, size, "%s", line);
        st = pclose(p);
        out[strcspn(out, "\n")] = '\0';
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The image dir from env, else from build-disk (flags: "" or "--no-agent").
 * 1 when it is missing and may not be built here. */
static int find_image(const char *env, const char *flags, char *out, size_t size)
{
        const char *dir = getenv(env), *src = getenv("VIGIL_SOURCE_ROOT");
        const char *build = getenv("VIGIL_BUILD_ROOT"), *allow = getenv("VIGIL_TEST_BUILD_IMAGES");
        _cleanup_free_ char *cmd = NULL, *check = NULL;
        int st;

        if (dir && dir[0]) {
                snprintf(out, size, "%s", dir);
                return 0;
        }
        if (!src || !build)
                return fprintf(stderr, "# %s unset and no VIGIL_SOURCE_ROOT/VIGIL_BUILD_ROOT\n",
                               env),
                       1;
        if (asprintf(&cmd, "'%s/tools/vigil-image' build-disk --build-dir '%s' --quiet %s", src,
                     build, flags) < 0 ||
            asprintf(&check, "%s --check", cmd) < 0)
                return -1;
        st = run_last_line(check, out, size);
        if (st == 4 && !(allow && !strcmp(allow, "1"))) {
                fprintf(stderr,
                        "# the Debian root filesystem is not cached yet (mmdebstrap from the "
                        "network, a few minutes): set VIGIL_TEST_BUILD_IMAGES=1 or run "
                        "'tools/vigil-image build-disk%s%s' first\n",
                        flags[0] ? " " : "", flags);
                return 1;
        }
        if (st != 0) {
                fprintf(stderr, "# building the disk image%s (cached afterwards)\n",
                        flags[0] ? " without the agent" : "");
                st = run_last_line(cmd, out, size);
        }
        if (st != 0 || !out[0])
                return fprintf(stderr, "# '%s' failed (status %d)\n", cmd, st), -1;
        return 0;
}

static void path_in(char *dst, size_t size, const char *dir, const char *name)
{
        if ((size_t)snprintf(dst, size, "%s/%s", dir, name) >= size)
                fail_msg("path too long: %s/%s", dir, name);
}

/* ---- VMs ---- */

static bool wait_hello(void)
{
        if (vm_wait(&vm, vm_pred_hello, NULL, BOOT_TIMEOUT_S) && vm.hello)
                return true;
        vm_dump_console(&vm);
        return false;
}

/* Boots img from a new overlay state_dir/<id>.qcow2 and waits for HELLO. */
static void boot_image(const char *id, const struct vgl_catalog_image *img, char *overlay,
                       size_t size)
{
        struct vgl_domain_spec spec = {
                .id = id,
                .type = vgl_virt_domain_type(),
                .vcpus = 1,
                .memory_kib = 512 * 1024,
                .console_log = vm.console_log,
                .tier = "test",
        };
        struct vgl_error e = {};

        snprintf(overlay, size, "%s/%s.qcow2", vm.state_dir, id);
        if (vgl_image_overlay_create(img->disk, overlay, &e) < 0 ||
            vgl_image_domain_spec(img, overlay, &spec, &e) < 0 ||
            vm_boot_spec(&vm, &spec, false, &e) < 0)
                fail_msg("booting %s: %s", img->name, e.msg);
        if (!wait_hello())
                fail_msg("%s: no hello from the agent within %d s", img->name, BOOT_TIMEOUT_S);
        fprintf(stderr, "# %s: boot to hello %.1f s (%s)\n", img->name,
                (double)(vm.t_hello_ns - vm.t_create_ns) / 1e9, vgl_virt_domain_type());
}

/* Runs argv in the guest; its stdout (NUL-terminated) into out, exit code. */
static int run(char **argv, char *out, size_t size)
{
        struct vm_exec_result res;
        struct vgl_error e = {};
        int code;

        if (vm_exec(&vm, argv, &res, OP_TIMEOUT_S, &e) < 0)
                fail_msg("exec %s: %s", argv[0], e.msg);
        assert_int_equal(res.exit.status, VGL_EXIT_EXITED);
        code = res.exit.code;
        snprintf(out, size, "%.*s", (int)res.out.len, (const char *)res.out.data);
        if (code != 0)
                fprintf(stderr, "# %s: exit %d, stderr: %.*s\n", argv[0], code, (int)res.err.len,
                        (const char *)res.err.data);
        vm_exec_result_done(&res);
        return code;
}

/* The checks every booted disk image must pass. */
static void check_guest(const char *expect_root)
{
        char *os[] = {"cat", "/etc/os-release", NULL};
        char *active[] = {"systemctl", "is-active", "vigil-agent.service", NULL};
        char *cmdline[] = {"cat", "/proc/cmdline", NULL};
        char *write[] = {"sh", "-c", "echo sandbox-data >/root/marker && sync && cat /root/marker",
                         NULL};
        char out[4096];

        assert_int_equal(run(os, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "ID=debian"));
        assert_int_equal(run(active, out, sizeof(out)), 0);
        assert_string_equal(out, "active\n");
        assert_int_equal(run(cmdline, out, sizeof(out)), 0);
        assert_non_null(strstr(out, expect_root));
        assert_int_equal(run(write, out, sizeof(out)), 0);
        assert_string_equal(out, "sandbox-data\n");
}

static void sha_of(const char *path, char *ret)
{
        struct vgl_error e = {};

        if (vgl_sha256_file_hex(path, ret, &e) < 0)
                fail_msg("%s", e.msg);
}

/* ---- cases ---- */

/* The image build-disk made: registered in a catalog, booted by name. */
static void test_built_image(void **state)
{
        char catalog[PATH_MAX], cmd[3 * PATH_MAX], out[PATH_MAX], overlay[PATH_MAX];
        char before[VGL_SHA256_HEX + 1], after[VGL_SHA256_HEX + 1];
        struct vgl_catalog *c = NULL;
        const struct vgl_catalog_image *img;
        struct vgl_error e = {};

        path_in(catalog, sizeof(catalog), vm.state_dir, "catalog.json");
        snprintf(cmd, sizeof(cmd),
                 "VIGIL_CATALOG='%s' '%s/tools/vigil-image' catalog add debian '%s'", catalog,
                 getenv("VIGIL_SOURCE_ROOT"), disk_dir);
        assert_int_equal(run_last_line(cmd, out, sizeof(out)), 0);
        assert_int_equal(vgl_catalog_load(catalog, &c, &e), 0);
        img = vgl_catalog_find(c, "debian");
        assert_non_null(img);
        assert_int_equal(img->kind, VGL_IMAGE_DISK);
        sha_of(img->disk, before);
        assert_string_equal(before, img->disk_sha256);

        boot_image("img-debian", img, overlay, sizeof(overlay));
        check_guest("root=/dev/vda1");
        vm_shutdown(&vm);

        /* Everything the sandbox wrote is in its overlay; the base is as built. */
        sha_of(img->disk, after);
        assert_string_equal(before, after);
        assert_int_equal(vgl_catalog_image_verify(img, &e), 0);
        assert_int_equal(vgl_image_overlay_remove(overlay, &e), 0);
        vgl_catalog_free(c);
}

/* A Debian image without our agent, as a user would bring one: inject,
 * catalog add, boot, exec. */
static void test_injected_image(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT"), *build = getenv("VIGIL_BUILD_ROOT");
        char copy[PATH_MAX], boot[PATH_MAX], catalog[PATH_MAX], plain[PATH_MAX];
        char cmd[4 * PATH_MAX], out[PATH_MAX], overlay[PATH_MAX], before[VGL_SHA256_HEX + 1];
        struct vgl_catalog *c = NULL;
        const struct vgl_catalog_image *img;
        struct vgl_error e = {};
        FILE *p;
        bool init_systemd = false, root_uuid = false;

        path_in(plain, sizeof(plain), plain_dir, "disk.qcow2");
        path_in(copy, sizeof(copy), vm.state_dir, "user.qcow2");
        path_in(boot, sizeof(boot), vm.state_dir, "user-boot");
        path_in(catalog, sizeof(catalog), vm.state_dir, "catalog.json");
        sha_of(plain, before);
        snprintf(cmd, sizeof(cmd), "cp --sparse=always '%s' '%s' && chmod 0644 '%s'", plain, copy,
                 copy);
        assert_int_equal(system(cmd), 0);

        snprintf(cmd, sizeof(cmd),
                 "'%s/tools/vigil-image' inject --disk '%s' --boot-dir '%s' --build-dir '%s'", src,
                 copy, boot, build);
        p = popen(cmd, "re");
        assert_non_null(p);
        while (fgets(out, sizeof(out), p)) {
                fprintf(stderr, "# inject: %s", out);
                init_systemd = init_systemd || !strcmp(out, "init=systemd\n");
                root_uuid = root_uuid || !strncmp(out, "root=UUID=", 10);
        }
        assert_int_equal(pclose(p), 0);
        assert_true(init_systemd);
        assert_true(root_uuid);

        snprintf(cmd, sizeof(cmd),
                 "export VIGIL_CATALOG='%s'; '%s/tools/vigil-image' catalog add user-debian '%s' "
                 ">/dev/null && '%s/tools/vigil-image' catalog check user-debian",
                 catalog, src, boot, src);
        assert_int_equal(run_last_line(cmd, out, sizeof(out)), 0);
        assert_string_equal(out, "user-debian: ok");
        assert_int_equal(vgl_catalog_load(catalog, &c, &e), 0);
        img = vgl_catalog_find(c, "user-debian");
        assert_non_null(img);

        boot_image("img-user", img, overlay, sizeof(overlay));
        check_guest("root=UUID=");
        vm_shutdown(&vm);
        assert_int_equal(vgl_catalog_image_verify(img, &e), 0);
        assert_int_equal(vgl_image_overlay_remove(overlay, &e), 0);
        vgl_catalog_free(c);
        /* The plain image inject started from is untouched too. */
        sha_of(plain, out);
        assert_string_equal(before, out);
}

/* What inject cannot handle it refuses, saying why: here a disk with no
 * operating system on it. */
static void test_inject_refuses(void **state)
{
        const char *src = getenv("VIGIL_SOURCE_ROOT"), *build = getenv("VIGIL_BUILD_ROOT");
        char empty[PATH_MAX], cmd[3 * PATH_MAX], out[PATH_MAX];

        path_in(empty, sizeof(empty), vm.state_dir, "empty.raw");
        snprintf(cmd, sizeof(cmd), "truncate -s 64M '%s'", empty);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd),
                 "'%s/tools/vigil-image' inject --quiet --disk '%s' --build-dir '%s' 2>&1 "
                 ">/dev/null",
                 src, empty, build);
        assert_int_equal(run_last_line(cmd, out, sizeof(out)), 1);
        fprintf(stderr, "# refused: %s\n", out);
        assert_non_null(strstr(out, "no operating system found"));
}

static int group_setup(void **state)
{
        struct vgl_error e = {};

        if (vm_init(&vm, &e) < 0) {
                fprintf(stderr, "# setup: %s\n", e.msg);
                return -1;
        }
        return 0;
}

static int group_teardown(void **state)
{
        vm_fini(&vm);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_built_image),
                cmocka_unit_test(test_injected_image),
                cmocka_unit_test(test_inject_refuses),
        };
        int r;

        if (system("qemu-img --version >/dev/null 2>&1") != 0) {
                fprintf(stderr, "# skipped: no qemu-img (tools/install-deps)\n");
                return SKIP;
        }
        if ((r = find_image("VIGIL_DISK_IMAGE_DIR", "", disk_dir, sizeof(disk_dir))) != 0 ||
            (r = find_image("VIGIL_DISK_PLAIN_DIR", "--no-agent", plain_dir, sizeof(plain_dir))) !=
                    0)
                return r > 0 ? SKIP : 1;
        fprintf(stderr, "# images: %s, %s\n", disk_dir, plain_dir);
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
