/* vigil-guestfs's init system detection (images/guestfs/initsys.c), from
 * the facts it gathers in a guest: no appliance needed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "initsys.h"

static int detect(const char *init, bool openrc, bool inittab, bool initd, enum initsys *ret,
                  struct vgl_error *e)
{
        struct init_facts f = {.openrc = openrc, .inittab = inittab, .initd = initd};

        snprintf(f.init, sizeof(f.init), "%s", init);
        return initsys_detect(&f, ret, e);
}

static void test_detect(void **state)
{
        enum initsys s;
        struct vgl_error e = {};

        assert_int_equal(detect("/usr/lib/systemd/systemd", false, false, true, &s, &e), 0);
        assert_int_equal(s, INITSYS_SYSTEMD);
        assert_string_equal(initsys_name(s), "systemd");
        /* Debian with sysvinit-core */
        assert_int_equal(detect("/usr/sbin/init", false, true, true, &s, &e), 0);
        assert_int_equal(s, INITSYS_SYSVINIT);
        /* Alpine: busybox init running OpenRC */
        assert_int_equal(detect("/bin/busybox", true, true, true, &s, &e), 0);
        assert_int_equal(s, INITSYS_OPENRC);
        /* Gentoo, Devuan: sysvinit running OpenRC */
        assert_int_equal(detect("/sbin/init", true, true, true, &s, &e), 0);
        assert_int_equal(s, INITSYS_OPENRC);
}

static void test_refuse(void **state)
{
        enum initsys s = INITSYS_SYSTEMD;
        struct vgl_error e = {};

        assert_int_equal(detect("", false, false, false, &s, &e), -ENOTSUP);
        assert_non_null(strstr(e.msg, "no /sbin/init"));
        assert_int_equal(detect("/bin/busybox", false, true, false, &s, &e), -ENOTSUP);
        assert_non_null(strstr(e.msg, "busybox without OpenRC"));
        assert_int_equal(detect("/usr/bin/runit-init", false, false, false, &s, &e), -ENOTSUP);
        assert_non_null(strstr(e.msg, "/usr/bin/runit-init"));
        assert_non_null(strstr(e.msg, "systemd, sysvinit and OpenRC"));
        /* sysvinit's binary but no inittab: not a layout we know */
        assert_int_equal(detect("/sbin/init", false, false, true, &s, &e), -ENOTSUP);
        assert_int_equal(s, INITSYS_SYSTEMD); /* untouched */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detect),
                cmocka_unit_test(test_refuse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
