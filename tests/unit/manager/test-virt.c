/* The libvirt wrapper layer: error translation, URIs, domain type, and the
 * event loop thread, against test:///default. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "virt.h"

static void test_error_translation(void **state)
{
        _cleanup_virconn_ virConnectPtr c = NULL;
        struct vgl_error e = {};
        virDomainPtr d;

        assert_int_equal(vgl_virt_open("test:///default", NULL, &c, &e), 0);
        d = virDomainLookupByName(c, "no-such-domain");
        assert_null(d);
        assert_int_equal(vgl_virt_error(&e, "lookup"), -ENOENT);
        assert_non_null(strstr(e.msg, "lookup: "));
        assert_null(virGetLastError()); /* consumed */
        assert_null(virDomainDefineXML(c, "<domain><broken"));
        assert_int_equal(vgl_virt_error(&e, "define"), -EINVAL);
}

static void test_open_failure_untouched(void **state)
{
        virConnectPtr c = (virConnectPtr)0x1;
        struct vgl_error e = {};

        assert_true(vgl_virt_open("nosuchdriver:///x", NULL, &c, &e) < 0);
        assert_ptr_equal(c, (virConnectPtr)0x1);
        assert_true(e.msg[0] != '\0');
        assert_int_equal(vgl_virt_open(NULL, "relative/dir", &c, &e), -EINVAL);
}

static void test_embed_uri(void **state)
{
        _cleanup_free_ char *u = NULL;
        struct vgl_error e = {};

        assert_int_equal(vgl_virt_embed_uri("/var/lib/vigil", &u, &e), 0);
        assert_string_equal(u, "qemu:///embed?root=/var/lib/vigil");
        assert_int_equal(vgl_virt_embed_uri("/a&b", &u, &e), -EINVAL);
        assert_int_equal(vgl_virt_embed_uri(NULL, &u, &e), -EINVAL);
}

static void test_domain_type(void **state)
{
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        bool hw = access("/sys/module/kvm_intel", F_OK) == 0 ||
                  access("/sys/module/kvm_amd", F_OK) == 0;
        char why[128];

        unsetenv("VIGIL_DOMAIN_TYPE");
        assert_string_equal(vgl_virt_domain_type(), fd >= 0 && hw ? "kvm" : "qemu");
        if (fd >= 0)
                close(fd);
        setenv("VIGIL_DOMAIN_TYPE", "qemu", 1);
        assert_false(vgl_virt_kvm_usable(why, sizeof(why)));
        assert_string_equal(why, "VIGIL_DOMAIN_TYPE=qemu");
        setenv("VIGIL_DOMAIN_TYPE", "kvm", 1);
        assert_string_equal(vgl_virt_domain_type(), "kvm");
        unsetenv("VIGIL_DOMAIN_TYPE");
}

static int add_one(void *u)
{
        return ++*(int *)u;
}

static void test_loop_thread(void **state)
{
        struct vgl_error e = {};
        int n = 0;

        assert_int_equal(vgl_virt_loop_start(&e), 0);
        for (int i = 0; i < 100; i++)
                assert_int_equal(vgl_virt_loop_call(add_one, &n), i + 1);
        vgl_virt_loop_stop();
        /* without a loop thread the call runs inline */
        assert_int_equal(vgl_virt_loop_call(add_one, &n), 101);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_error_translation),
                cmocka_unit_test(test_open_failure_untouched),
                cmocka_unit_test(test_embed_uri),
                cmocka_unit_test(test_domain_type),
                cmocka_unit_test(test_loop_thread),
        };
        vgl_virt_quiet_errors();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
