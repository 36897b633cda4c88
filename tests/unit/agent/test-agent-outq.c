/* The outbound queue: bounds, frame boundaries, rewind and prepend. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "outq.h"
#include "proto.h"

static void test_bounds(void **state)
{
        struct vgl_outq q;
        static uint8_t big[VGL_FRAME_MAX_PAYLOAD];
        vgl_outq_init(&q, 3 * VGL_FRAME_MAX_SIZE, 5 * VGL_FRAME_MAX_SIZE);
        assert_true(vgl_outq_has_room(&q));
        for (int i = 0; i < 3; i++)
                assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, big, sizeof(big)), 0);
        /* Bulk producers stop at the soft bound; control frames still fit. */
        assert_false(vgl_outq_has_room(&q));
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_EXEC_EXIT, 1, "{}", 2), 0);
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, big, sizeof(big)), 0);
        /* Never past the hard bound. */
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, big, sizeof(big)), -ENOBUFS);
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, big, sizeof(big) + 1), -EMSGSIZE);
        vgl_outq_free(&q);
}

/* Partial writes keep the head frame until it is all out; rewind starts it again. */
static void test_partial_write_and_rewind(void **state)
{
        struct vgl_outq q;
        int sv[2];
        uint8_t got[4096];
        static uint8_t payload[3000];
        memset(payload, 'a', sizeof(payload));
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
        vgl_outq_init(&q, 1u << 20, 2u << 20);

        /* Fill the socket so only part of a frame fits. */
        static uint8_t fill[1 << 16];
        while (write(sv[0], fill, sizeof(fill)) > 0)
                ;
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 9, payload, sizeof(payload)), 0);
        assert_int_equal(vgl_outq_write(&q, sv[0]), -EAGAIN);
        assert_false(vgl_outq_mid_frame(&q));
        /* Drain a little: part of the frame goes out. */
        assert_int_equal(read(sv[1], got, 1000), 1000);
        int n = vgl_outq_write(&q, sv[0]);
        if (n > 0 && (size_t)n < VGL_FRAME_HEADER_SIZE + sizeof(payload)) {
                assert_true(vgl_outq_mid_frame(&q));
                vgl_outq_rewind(&q);
                assert_false(vgl_outq_mid_frame(&q));
                assert_int_equal(vgl_outq_pending(&q), VGL_FRAME_HEADER_SIZE + sizeof(payload));
        }
        vgl_outq_free(&q);
        close(sv[0]);
        close(sv[1]);
}

static void test_prepend_and_order(void **state)
{
        struct vgl_outq q;
        struct vgl_buf hello;
        int sv[2];
        uint8_t got[256];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        vgl_outq_init(&q, 64, 64);
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, "abc", 3), 0);
        vgl_buf_init(&hello, 0);
        assert_int_equal(vgl_frame_append(&hello, VGL_MSG_HELLO, 0, "{}", 2), 0);
        /* Prepend ignores the bounds (HELLO always goes first). */
        assert_int_equal(vgl_outq_append(&q, VGL_MSG_STDOUT, 1, got, 60), -ENOBUFS);
        assert_int_equal(vgl_outq_prepend(&q, &hello), 0);
        assert_int_equal(vgl_outq_write(&q, sv[0]), 2 * VGL_FRAME_HEADER_SIZE + 5);
        assert_int_equal(vgl_outq_pending(&q), 0);
        assert_int_equal(read(sv[1], got, sizeof(got)), 2 * VGL_FRAME_HEADER_SIZE + 5);
        assert_int_equal(got[5], VGL_MSG_HELLO);
        assert_int_equal(got[VGL_FRAME_HEADER_SIZE + 2 + 5], VGL_MSG_STDOUT);
        vgl_buf_free(&hello);
        vgl_outq_free(&q);
        close(sv[0]);
        close(sv[1]);
}

static void test_read_frame(void **state)
{
        struct vgl_outq q;
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
        vgl_outq_init(&q, 1u << 20, 2u << 20);
        assert_int_equal(vgl_outq_read_frame(&q, p[0], VGL_MSG_STDERR, 4, 100), -EAGAIN);
        assert_int_equal(write(p[1], "hello", 5), 5);
        assert_int_equal(vgl_outq_read_frame(&q, p[0], VGL_MSG_STDERR, 4, 100), 5);
        assert_int_equal(q.buf.len, VGL_FRAME_HEADER_SIZE + 5);
        assert_int_equal(q.buf.data[5], VGL_MSG_STDERR);
        assert_int_equal(vgl_get_le32(q.buf.data + 8), 4);
        assert_int_equal(vgl_get_le32(q.buf.data + 12), 5);
        assert_memory_equal(q.buf.data + VGL_FRAME_HEADER_SIZE, "hello", 5);
        close(p[1]);
        assert_int_equal(vgl_outq_read_frame(&q, p[0], VGL_MSG_STDERR, 4, 100), 0);
        assert_int_equal(q.buf.len, VGL_FRAME_HEADER_SIZE + 5);
        close(p[0]);
        vgl_outq_free(&q);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_partial_write_and_rewind),
                cmocka_unit_test(test_prepend_and_order),
                cmocka_unit_test(test_read_frame),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
