/* Base64 of libvigil-client: RFC 4648 vectors, round trips of every length,
 * and malformed input refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "base64.h"

static void test_rfc4648_vectors(void **state)
{
        static const char *const vectors[][2] = {
                {"", ""},
                {"f", "Zg=="},
                {"fo", "Zm8="},
                {"foo", "Zm9v"},
                {"foob", "Zm9vYg=="},
                {"fooba", "Zm9vYmE="},
                {"foobar", "Zm9vYmFy"},
        };

        for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
                char *text = NULL;
                uint8_t *data = NULL;
                size_t len = 99;

                assert_int_equal(vgl_base64_encode(vectors[i][0], strlen(vectors[i][0]), &text), 0);
                assert_string_equal(text, vectors[i][1]);
                assert_int_equal(vgl_base64_decode(text, strlen(text), &data, &len, NULL), 0);
                assert_int_equal(len, strlen(vectors[i][0]));
                assert_memory_equal(data, vectors[i][0], len);
                assert_int_equal(data[len], '\0');
                free(text);
                free(data);
        }
}

static void test_round_trip_all_lengths(void **state)
{
        uint8_t in[600];

        for (size_t i = 0; i < sizeof(in); i++)
                in[i] = (uint8_t)(i * 151 + 7); /* every byte value occurs */
        for (size_t len = 0; len <= sizeof(in); len++) {
                char *text = NULL;
                uint8_t *out = NULL;
                size_t out_len = 0;

                assert_int_equal(vgl_base64_encode(in, len, &text), 0);
                assert_int_equal(strlen(text), vgl_base64_encoded_len(len));
                assert_int_equal(strlen(text) % 4, 0);
                assert_int_equal(vgl_base64_decode(text, strlen(text), &out, &out_len, NULL), 0);
                assert_int_equal(out_len, len);
                if (len)
                        assert_memory_equal(out, in, len);
                free(text);
                free(out);
        }
}

static void test_all_byte_values(void **state)
{
        uint8_t in[256], *out = NULL;
        char *text = NULL;
        size_t out_len = 0;

        for (int i = 0; i < 256; i++)
                in[i] = (uint8_t)i;
        assert_int_equal(vgl_base64_encode(in, sizeof(in), &text), 0);
        assert_non_null(strchr(text, '+'));
        assert_non_null(strchr(text, '/'));
        assert_int_equal(vgl_base64_decode(text, strlen(text), &out, &out_len, NULL), 0);
        assert_int_equal(out_len, 256);
        assert_memory_equal(out, in, 256);
        free(text);
        free(out);
}

static void test_encoded_len(void **state)
{
        assert_int_equal(vgl_base64_encoded_len(0), 0);
        assert_int_equal(vgl_base64_encoded_len(1), 4);
        assert_int_equal(vgl_base64_encoded_len(3), 4);
        assert_int_equal(vgl_base64_encoded_len(4), 8);
        assert_int_equal(vgl_base64_encoded_len(SIZE_MAX), SIZE_MAX);
}

static void test_malformed(void **state)
{
        static const char *const bad[] = {
                "Z",                             /* length not a multiple of 4 */
                "Zg=",  "Zm9vY",     "Zm9v\n",   /* whitespace */
                "Zm 9", "Zm9v Zg==", "Zg==Zg==", /* padding in the middle */
                "Z===",                          /* three '=' */
                "====", "=Zg=",      "Zh==",     /* non-zero bits under the padding */
                "Zm9=", "Zm-v",                  /* base64url is not accepted */
                "Zm_v", "Zm9\xff",   "Zm9\0",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct vgl_error err = {0};
                uint8_t *out = (uint8_t *)"untouched";
                size_t len = 12345;
                size_t n = i == sizeof(bad) / sizeof(bad[0]) - 1 ? 4 : strlen(bad[i]);

                assert_int_equal(vgl_base64_decode(bad[i], n, &out, &len, &err), -EBADMSG);
                assert_string_equal((const char *)out, "untouched");
                assert_int_equal(len, 12345);
                assert_int_equal(err.code, EBADMSG);
                assert_non_null(strstr(err.msg, "base64"));
        }
}

static void test_decode_error_says_where(void **state)
{
        struct vgl_error err = {0};
        uint8_t *out = NULL;
        size_t len = 0;

        assert_int_equal(vgl_base64_decode("Zm9vZm!v", 8, &out, &len, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "offset 6"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rfc4648_vectors),
                cmocka_unit_test(test_round_trip_all_lengths),
                cmocka_unit_test(test_all_byte_values),
                cmocka_unit_test(test_encoded_len),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_decode_error_says_where),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
