/* Detection figures on hand-made cases, calibration tables, CRC-32 and the
 * TSV reader's errors. */
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

#include "calib.h"
#include "crc32.h"
#include "detect-test-util.h"
#include "metrics.h"
#include "trace.h"

static void test_auc_hand_made(void **state)
{
        /* 3 normal x 2 attack pairs: 0.9 beats all three; 0.5 beats 0.1,
         * ties 0.5 (half) and loses to 0.7: (3 + 1.5) / 6 = 0.75 */
        const double normal[] = {0.1, 0.5, 0.7}, attack[] = {0.9, 0.5};
        double auc = 0;

        assert_int_equal(vgl_auc(normal, 3, attack, 2, &auc), 0);
        assert_float_equal(auc, 0.75, 1e-12);
        /* perfect separation and its reverse */
        assert_int_equal(vgl_auc(normal, 3, (double[]){1, 2}, 2, &auc), 0);
        assert_float_equal(auc, 1.0, 1e-12);
        assert_int_equal(vgl_auc(normal, 3, (double[]){0, -1}, 2, &auc), 0);
        assert_float_equal(auc, 0.0, 1e-12);
        assert_int_equal(vgl_auc(normal, 0, attack, 2, &auc), -EINVAL);
}

static void test_rates_hand_made(void **state)
{
        double normal[20], attack[10], x = 0;
        struct vgl_eval e;

        for (int i = 0; i < 20; i++)
                normal[i] = i; /* 0..19 */
        for (int i = 0; i < 10; i++)
                attack[i] = 15 + i; /* 15..24 */
        /* 5% of 20 normals = 1 false alarm: threshold 19 catches 19..24 = 6 */
        assert_int_equal(vgl_dr_at_fa(normal, 20, attack, 10, 0.05, &x), 0);
        assert_float_equal(x, 0.6, 1e-12);
        /* 90% of attacks = 9: threshold 16 raises 16..19 = 4 false alarms */
        assert_int_equal(vgl_fa_at_dr(normal, 20, attack, 10, 0.90, &x), 0);
        assert_float_equal(x, 0.2, 1e-12);
        assert_int_equal(vgl_evaluate(normal, 20, attack, 10, &e), 0);
        assert_float_equal(e.dr_at_fa5, 0.6, 1e-12);
        assert_float_equal(e.fa_at_dr90, 0.2, 1e-12);
        /* attack 15+i beats min(15+i, 20) normals and ties one while 15+i <= 19 */
        assert_float_equal(e.auc, (15 + 16 + 17 + 18 + 19 + 5 * 20 + 2.5) / 200.0, 1e-12);
}

static void test_calibration_monotone(void **state)
{
        const double normal[] = {3, 1, 2, 2, 5, 4, 2, 8};
        struct vgl_calib c = {0};
        double prev = 0;

        assert_int_equal(vgl_calib_fit(&c, normal, 8), 0);
        for (double x = -20; x <= 30; x += 0.25) {
                double f = vgl_calib_apply(&c, x);
                assert_true(f > 0 && f < 1);
                assert_true(f > prev);
                prev = f;
        }
        /* half of the normals lie below 2.5 and the rest above: ~0.5 */
        assert_float_equal(vgl_calib_apply(&c, 2.5), 0.5, 0.12);
        vgl_calib_free(&c);
}

static void test_crc32_vector(void **state)
{
        assert_int_equal(vgl_crc32(0, "123456789", 9), 0xcbf43926u);
        assert_int_equal(vgl_crc32(vgl_crc32(0, "1234", 4), "56789", 5), 0xcbf43926u);
}

static void expect_tsv_error(const char *text, const char *needle)
{
        char path[] = "/tmp/vigil-detect-tsv-XXXXXX";
        int fd = mkstemp(path);
        struct vgl_traceset s = {0};
        struct vgl_error err = {0};

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        assert_true(vgl_traceset_read(path, &s, &err) < 0);
        if (!strstr(err.msg, needle))
                fail_msg("error '%s' does not mention '%s'", err.msg, needle);
        assert_non_null(strstr(err.msg, path));
        unlink(path);
}

static void test_tsv_errors(void **state)
{
        expect_tsv_error("a\t1 2 3\nb 1 2\n", ":2: name");
        expect_tsv_error("a\t1 x 3\n", ":1: calls: call 2 is not a number");
        expect_tsv_error("a\t1 70000\n", "call 2 is above");
        expect_tsv_error("\t1 2\n", "name: empty");
        expect_tsv_error("a\t1 2-3\n", "call 2 is not a number");
}

static void test_tsv_reads(void **state)
{
        char path[] = "/tmp/vigil-detect-tsv-XXXXXX";
        const char *text = "one\t6 6 63\r\n\ntwo\t\nthree\t  252  1 \n";
        int fd = mkstemp(path);
        struct vgl_traceset s = {0};
        struct vgl_error err = {0};

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        assert_int_equal(vgl_traceset_read(path, &s, &err), 0);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.v[0].name, "one");
        assert_int_equal(s.v[0].len, 3);
        assert_int_equal(s.v[0].calls[2], 63);
        assert_int_equal(s.v[1].len, 0);
        assert_int_equal(s.v[2].len, 2);
        assert_int_equal(s.v[2].calls[0], 252);
        vgl_traceset_free(&s);
        unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_auc_hand_made),        cmocka_unit_test(test_rates_hand_made),
                cmocka_unit_test(test_calibration_monotone), cmocka_unit_test(test_crc32_vector),
                cmocka_unit_test(test_tsv_errors),           cmocka_unit_test(test_tsv_reads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
