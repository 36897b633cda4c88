#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "buf.h"

static void test_append_consume(void **state)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 0);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(vgl_buf_append(&b, "abcd", 4), 0);
        assert_int_equal(b.len, 4000);
        vgl_buf_consume(&b, 3998);
        assert_int_equal(b.len, 2);
        assert_memory_equal(b.data, "cd", 2);
        vgl_buf_consume(&b, 10);
        assert_int_equal(b.len, 0);
        vgl_buf_free(&b);
}

static void test_limit(void **state)
{
        struct vgl_buf b;
        vgl_buf_init(&b, 10);
        assert_int_equal(vgl_buf_append(&b, "0123456789", 10), 0);
        assert_int_equal(vgl_buf_append(&b, "x", 1), -ENOBUFS);
        assert_int_equal(b.len, 10);
        assert_int_equal(vgl_buf_reserve(&b, SIZE_MAX), -ENOBUFS);
        vgl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_append_consume),
                cmocka_unit_test(test_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
