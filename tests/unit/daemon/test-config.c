/* vigild's command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static int parse(struct vgd_config *c, struct vgl_error *e, ...)
{
        char *argv[32] = {"vigild"};
        int argc = 1;
        va_list ap;

        va_start(ap, e);
        for (char *a; (a = va_arg(ap, char *));)
                argv[argc++] = a;
        va_end(ap);
        return vgd_config_parse(argc, argv, c, e);
}

static void test_defaults(void **state)
{
        struct vgd_config c;
        struct vgl_error e = {};

        assert_int_equal(parse(&c, &e, NULL), 0);
        assert_null(c.uri);
        assert_int_equal(c.pool, -1);
        assert_int_equal(c.max_sandboxes, VGD_DEFAULT_MAX_SANDBOXES);
        assert_int_equal(c.adjust_period_ms, 0); /* the policy file's */
        assert_non_null(c.state_dir);
        assert_true(c.state_dir[0] == '/');
        assert_non_null(strstr(c.policies_dir, "/policies"));
        assert_non_null(strstr(c.images_dir, "/images"));
        if (geteuid() == 0) {
                assert_string_equal(c.state_dir, "/var/lib/vigil");
                assert_string_equal(c.socket_path, "/run/vigil/vigild.sock");
                assert_string_equal(c.images_dir, "/var/lib/vigil/images");
        }
        vgd_config_done(&c);
}

static void test_options(void **state)
{
        struct vgd_config c;
        struct vgl_error e = {};

        assert_int_equal(parse(&c, &e, "-c", "qemu:///system", "--socket", "/tmp/s", "--state-dir",
                               "rel/dir", "--policies", "/p", "--images", "/i", "--pool", "3",
                               "--max-sandboxes", "5", "--admin-group", "wheel", "--boot-timeout",
                               "9", "--agent-silence", "4", "--adjust-period-ms", "250", "-v",
                               NULL),
                         0);
        assert_string_equal(c.uri, "qemu:///system");
        assert_string_equal(c.socket_path, "/tmp/s");
        assert_true(c.state_dir[0] == '/');
        assert_non_null(strstr(c.state_dir, "/rel/dir"));
        assert_string_equal(c.policies_dir, "/p");
        assert_string_equal(c.images_dir, "/i");
        assert_int_equal(c.pool, 3);
        assert_int_equal(c.max_sandboxes, 5);
        assert_string_equal(c.admin_group, "wheel");
        assert_int_equal(c.boot_timeout_s, 9);
        assert_int_equal(c.agent_silence_s, 4);
        assert_int_equal(c.adjust_period_ms, 250);
        assert_true(c.verbose);
        vgd_config_done(&c);

        /* images default follows the state dir */
        assert_int_equal(parse(&c, &e, "--state-dir", "/srv/v", NULL), 0);
        assert_string_equal(c.images_dir, "/srv/v/images");
        vgd_config_done(&c);

        assert_int_equal(parse(&c, &e, "--help", NULL), 0);
        assert_true(c.help);
        vgd_config_done(&c);
        assert_int_equal(parse(&c, &e, "--version", NULL), 0);
        assert_true(c.version);
        vgd_config_done(&c);
}

static void test_errors(void **state)
{
        struct vgd_config c = {.pool = 42};
        struct vgl_error e = {};

        assert_int_equal(parse(&c, &e, "--pool", "-1", NULL), -EINVAL);
        assert_non_null(strstr(e.msg, "--pool"));
        assert_int_equal(c.pool, 42); /* untouched */
        assert_int_equal(parse(&c, &e, "--pool", "65", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--pool", "1x", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--max-sandboxes", "0", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--bogus", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--socket", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "extra", NULL), -EINVAL);
        assert_non_null(strstr(e.msg, "extra"));
        assert_int_equal(parse(&c, &e, "--admin-group", "", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--state-dir", "", NULL), -EINVAL);
        assert_int_equal(parse(&c, &e, "--adjust-period-ms", "99", NULL), -EINVAL);
        assert_non_null(strstr(e.msg, "--adjust-period-ms"));
        assert_int_equal(parse(&c, &e, "--adjust-period-ms", "3600001", NULL), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_options),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
