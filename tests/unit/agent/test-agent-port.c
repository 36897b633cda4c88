/* Port discovery: udev path first, then the sysfs name scan (no udev). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "port.h"

static char root[] = "/tmp/vigil-port.XXXXXX";
static char dev[300], sys[300];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
        char cmd[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        assert_int_equal(system(cmd), 0);
}

static void test_not_there(void **state)
{
        char *p = NULL;
        assert_int_equal(vgl_port_find(dev, sys, "org.vigil.agent.0", &p), -ENOENT);
        assert_null(p);
}

static void test_sysfs_scan(void **state)
{
        char *p = NULL, want[400];
        sh("mkdir -p '%s/class/virtio-ports/vport1p1' '%s/class/virtio-ports/vport1p2'", sys, sys);
        sh("echo org.qemu.guest_agent.0 > '%s/class/virtio-ports/vport1p1/name'", sys);
        sh("echo org.vigil.agent.0 > '%s/class/virtio-ports/vport1p2/name'", sys);
        /* Named in sysfs but the device node is not there yet: keep waiting. */
        assert_int_equal(vgl_port_find(dev, sys, "org.vigil.agent.0", &p), -ENOENT);
        sh("touch '%s/vport1p2'", dev);
        assert_int_equal(vgl_port_find(dev, sys, "org.vigil.agent.0", &p), 0);
        snprintf(want, sizeof(want), "%s/vport1p2", dev);
        assert_string_equal(p, want);
        free(p);
        /* A prefix of the name is not the name. */
        assert_int_equal(vgl_port_find(dev, sys, "org.vigil.agent", &p), -ENOENT);
}

static void test_udev_path_first(void **state)
{
        char *p = NULL, want[400];
        sh("mkdir -p '%s/virtio-ports' && touch '%s/virtio-ports/org.vigil.agent.0'", dev, dev);
        assert_int_equal(vgl_port_find(dev, sys, "org.vigil.agent.0", &p), 0);
        snprintf(want, sizeof(want), "%s/virtio-ports/org.vigil.agent.0", dev);
        assert_string_equal(p, want);
        free(p);
}

static void test_open(void **state)
{
        assert_int_equal(vgl_port_open("/nonexistent/port"), -ENOENT);
        int fd = vgl_port_open("/dev/null");
        assert_true(fd >= 0);
        close(fd);
}

static int setup(void **state)
{
        if (!mkdtemp(root))
                return -1;
        snprintf(dev, sizeof(dev), "%s/dev", root);
        snprintf(sys, sizeof(sys), "%s/sys", root);
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "mkdir -p '%s' '%s'", dev, sys);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_not_there),
                cmocka_unit_test(test_sysfs_scan),
                cmocka_unit_test(test_udev_path_first),
                cmocka_unit_test(test_open),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
