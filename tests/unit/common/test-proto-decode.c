/* The frame codec: header encoding, and the streaming decoder on split,
 * merged and malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "proto.h"
#include "proto-test-util.h"

/* A stream with frames of several kinds and sizes, one with an empty payload. */
static void sample_stream(struct vgl_buf *b)
{
        static const char hello[] = "{\"proto_version\":1,\"agent_version\":\"0.1.0\"}";
        uint8_t big[3000];

        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t)(i * 7);
        vgl_buf_init(b, 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_HELLO, 0, hello, strlen(hello)), 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_STDOUT, 7, big, sizeof(big)), 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_STDOUT, 7, NULL, 0), 0);
        /* Payload bytes that look like a magic must not confuse the decoder. */
        assert_int_equal(vgl_frame_append(b, VGL_MSG_FILE_DATA, 9, "VIGLVIGL", 8), 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_STDERR, 0xffffffffu, "e", 1), 0);
}

static void test_header_encode(void **state)
{
        uint8_t h[VGL_FRAME_HEADER_SIZE];
        static const uint8_t want[VGL_FRAME_HEADER_SIZE] = {
                0x56, 0x49, 0x47, 0x4c, 1, 16, 0, 0, 0x04, 0x03, 0x02, 0x01, 0x10, 0, 0, 0,
        };

        assert_int_equal(vgl_frame_header_encode(h, VGL_MSG_EXEC, 0x01020304, 16), 0);
        assert_memory_equal(h, want, sizeof(want));
        assert_int_equal(vgl_frame_header_encode(h, 1, 0, VGL_FRAME_MAX_PAYLOAD + 1), -EMSGSIZE);
}

static void test_frame_append_limits(void **state)
{
        struct vgl_buf b;
        static uint8_t payload[VGL_FRAME_MAX_PAYLOAD + 1];

        vgl_buf_init(&b, 100);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, payload, sizeof(payload)),
                         -EMSGSIZE);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, payload, 85), -ENOBUFS);
        assert_int_equal(b.len, 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, payload, 84), 0);
        assert_int_equal(b.len, 100);
        vgl_buf_free(&b);

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, payload, VGL_FRAME_MAX_PAYLOAD),
                         0);
        struct rec r;
        rec_init(&r);
        rec_decode(&r, b.data, b.len, NULL, 0);
        assert_int_equal(r.frames, 1);
        assert_int_equal(r.nerr, 0);
        rec_free(&r);
        vgl_buf_free(&b);
}

static void test_type_names(void **state)
{
        assert_true(vgl_msg_type_known(VGL_MSG_FILE_RESULT));
        assert_false(vgl_msg_type_known(0));
        assert_false(vgl_msg_type_known(9));
        assert_false(vgl_msg_type_known(255));
        assert_string_equal(vgl_msg_type_name(VGL_MSG_EXEC_EXIT), "exec-exit");
        assert_string_equal(vgl_msg_type_name(200), "unknown");
        assert_string_equal(vgl_decode_error_name(VGL_DECODE_OVERSIZE), "oversize");
}

static void test_round_trip_zero_copy(void **state)
{
        struct vgl_buf b;
        struct rec r;

        sample_stream(&b);
        rec_init(&r);
        rec_decode(&r, b.data, b.len, NULL, 0);
        assert_int_equal(r.frames, 5);
        assert_int_equal(r.nerr, 0);
        /* Whole frames inside the chunk are delivered without a copy. */
        assert_int_equal(r.in_place, 5);
        assert_int_equal(r.log.data[0], VGL_MSG_HELLO);
        rec_free(&r);
        vgl_buf_free(&b);
}

/* Splitting the stream anywhere, or byte by byte, changes nothing. */
static void test_split_everywhere(void **state)
{
        struct vgl_buf b;
        struct rec ref;

        sample_stream(&b);
        rec_init(&ref);
        rec_decode(&ref, b.data, b.len, NULL, 0);
        for (size_t cut = 1; cut < b.len; cut++) {
                size_t sizes[2] = {cut, b.len - cut};
                struct rec r;
                rec_init(&r);
                rec_decode(&r, b.data, b.len, sizes, 2);
                assert_int_equal(r.nerr, 0);
                assert_int_equal(r.log.len, ref.log.len);
                assert_memory_equal(r.log.data, ref.log.data, ref.log.len);
                rec_free(&r);
        }
        static const size_t odd[] = {1, 3, 16, 17, 2, 100, 5, 999};
        for (size_t i = 0; i < 3; i++) {
                struct rec r;
                rec_init(&r);
                rec_decode(&r, b.data, b.len, i == 0 ? (size_t[]){1} : odd + i, i == 0 ? 1 : 8 - i);
                assert_int_equal(r.nerr, 0);
                assert_int_equal(r.log.len, ref.log.len);
                assert_memory_equal(r.log.data, ref.log.data, ref.log.len);
                rec_free(&r);
        }
        rec_free(&ref);
        vgl_buf_free(&b);
}

static void test_many_merged(void **state)
{
        struct vgl_buf b;
        struct rec r;

        vgl_buf_init(&b, 0);
        for (uint32_t i = 0; i < 5000; i++)
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, i + 1, &i, i % 5), 0);
        rec_init(&r);
        rec_decode(&r, b.data, b.len, NULL, 0);
        assert_int_equal(r.frames, 5000);
        assert_int_equal(r.in_place, 5000);
        assert_int_equal(r.nerr, 0);
        rec_free(&r);
        vgl_buf_free(&b);
}

/* Builds: garbage, frame, garbage with a false magic, frame. */
static void garbage_stream(struct vgl_buf *b)
{
        vgl_buf_init(b, 0);
        assert_int_equal(vgl_buf_append(b, "xxxVIGxVxx", 10), 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_STDOUT, 1, "one", 3), 0);
        /* A false magic whose header has a bad version and a length that
         * cannot be trusted: the decoder resyncs inside it. */
        assert_int_equal(vgl_buf_append(b, "VIVIGL\x07zzzzzzz\xff\xff\xff\xff", 18), 0);
        assert_int_equal(vgl_frame_append(b, VGL_MSG_STDOUT, 1, "two", 3), 0);
        assert_int_equal(vgl_buf_append(b, "VIG", 3), 0);
}

static void test_garbage(void **state)
{
        struct vgl_buf b;
        struct rec r;
        size_t bytes;

        garbage_stream(&b);
        rec_init(&r);
        rec_decode(&r, b.data, b.len, NULL, 0);
        assert_int_equal(r.frames, 2);
        assert_int_equal(r.nerr, 4);
        assert_int_equal(rec_count(&r, VGL_DECODE_GARBAGE, &bytes), 3);
        assert_int_equal(bytes, 10 + 2 + 3);
        assert_int_equal(r.errs[2].error, VGL_DECODE_BAD_VERSION);
        assert_int_equal(r.errs[2].bytes, 16);
        assert_int_equal(r.errs[2].version, 7);
        assert_int_equal(r.frame_bytes + r.err_bytes, b.len);
        assert_memory_equal(r.log.data + 9, "one", 3);
        assert_memory_equal(r.log.data + 9 + 3 + 9, "two", 3);

        /* The same, split anywhere: same frames, same bytes skipped. */
        for (size_t cut = 1; cut < b.len; cut++) {
                size_t sizes[2] = {cut, b.len - cut};
                struct rec s;
                rec_init(&s);
                rec_decode(&s, b.data, b.len, sizes, 2);
                assert_int_equal(s.log.len, r.log.len);
                assert_memory_equal(s.log.data, r.log.data, r.log.len);
                assert_int_equal(s.err_bytes, r.err_bytes);
                rec_free(&s);
        }
        rec_free(&r);
        vgl_buf_free(&b);
}

/* Pure garbage is reported at the end of the feed, without waiting for finish. */
static void test_garbage_reported_per_feed(void **state)
{
        struct vgl_decoder *d = NULL;
        struct rec r;

        rec_init(&r);
        assert_int_equal(vgl_decoder_new(rec_on_frame, rec_on_error, &r, &d), 0);
        assert_int_equal(vgl_decoder_feed(d, "hello world", 11), 0);
        assert_int_equal(r.nerr, 1);
        assert_int_equal(r.errs[0].error, VGL_DECODE_GARBAGE);
        assert_int_equal(r.errs[0].bytes, 11);
        vgl_decoder_finish(d);
        assert_int_equal(r.nerr, 1);
        vgl_decoder_free(d);
        rec_free(&r);
}

/* A malformed header followed by a good frame: one report, then the frame. */
static void check_bad_header(const uint8_t hdr[16], const void *extra, size_t extra_len,
                             enum vgl_decode_error want, size_t want_bytes)
{
        struct vgl_buf b;
        struct rec r;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_buf_append(&b, hdr, 16), 0);
        assert_int_equal(vgl_buf_append(&b, extra, extra_len), 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 3, "ok", 2), 0);
        for (size_t chunk = 0; chunk < 3; chunk++) {
                size_t sizes[] = {b.len, 1, 7};
                rec_init(&r);
                rec_decode(&r, b.data, b.len, sizes + chunk, 1);
                assert_int_equal(r.frames, 1);
                assert_memory_equal(r.log.data + 9, "ok", 2);
                assert_int_equal(r.err_bytes, want_bytes);
                if (chunk == 0) {
                        assert_int_equal(r.nerr, 1);
                        assert_int_equal(r.errs[0].error, want);
                        assert_int_equal(r.errs[0].bytes, want_bytes);
                } else {
                        assert_int_equal(r.errs[0].error, want);
                }
                rec_free(&r);
        }
        vgl_buf_free(&b);
}

static void test_oversize(void **state)
{
        uint8_t h[16];

        raw_header(h, VGL_FRAME_MAGIC, 1, VGL_MSG_STDOUT, 0, 1, VGL_FRAME_MAX_PAYLOAD + 1);
        check_bad_header(h, NULL, 0, VGL_DECODE_OVERSIZE, 16);

        struct rec r;
        rec_init(&r);
        rec_decode(&r, h, sizeof(h), NULL, 0);
        assert_int_equal(r.nerr, 1);
        assert_int_equal(r.errs[0].length, VGL_FRAME_MAX_PAYLOAD + 1);
        rec_free(&r);

        /* 0xffffffff must not wrap any size arithmetic. */
        raw_header(h, VGL_FRAME_MAGIC, 1, VGL_MSG_STDOUT, 0, 1, 0xffffffffu);
        check_bad_header(h, NULL, 0, VGL_DECODE_OVERSIZE, 16);
}

static void test_bad_version(void **state)
{
        uint8_t h[16];

        raw_header(h, VGL_FRAME_MAGIC, 2, VGL_MSG_STDOUT, 0, 1, 5);
        check_bad_header(h, "12345", 5, VGL_DECODE_BAD_VERSION, 21);
        /* With an untrusted length the decoder resyncs instead of skipping. */
        raw_header(h, VGL_FRAME_MAGIC, 0, VGL_MSG_STDOUT, 0, 1, 0x7fffffff);
        check_bad_header(h, NULL, 0, VGL_DECODE_BAD_VERSION, 16);

        struct rec r;
        raw_header(h, VGL_FRAME_MAGIC, 9, VGL_MSG_HELLO, 0, 1, 0);
        rec_init(&r);
        rec_decode(&r, h, sizeof(h), NULL, 0);
        assert_int_equal(r.errs[0].error, VGL_DECODE_BAD_VERSION);
        assert_int_equal(r.errs[0].version, 9);
        assert_int_equal(r.errs[0].type, VGL_MSG_HELLO);
        rec_free(&r);
}

static void test_bad_flags(void **state)
{
        uint8_t h[16];

        raw_header(h, VGL_FRAME_MAGIC, 1, VGL_MSG_STDOUT, 0x8000, 1, 3);
        check_bad_header(h, "abc", 3, VGL_DECODE_BAD_FLAGS, 19);
        raw_header(h, VGL_FRAME_MAGIC, 1, VGL_MSG_STDOUT, 1, 1, 0);
        check_bad_header(h, NULL, 0, VGL_DECODE_BAD_FLAGS, 16);
}

static void test_unknown_type(void **state)
{
        uint8_t h[16];

        raw_header(h, VGL_FRAME_MAGIC, 1, 99, 0, 1, 4);
        check_bad_header(h, "VIGL", 4, VGL_DECODE_UNKNOWN_TYPE, 20);
        raw_header(h, VGL_FRAME_MAGIC, 1, 0, 0, 0, 0);
        check_bad_header(h, NULL, 0, VGL_DECODE_UNKNOWN_TYPE, 16);

        struct rec r;
        raw_header(h, VGL_FRAME_MAGIC, 1, 200, 0, 1, 0);
        rec_init(&r);
        rec_decode(&r, h, sizeof(h), NULL, 0);
        assert_int_equal(r.errs[0].type, 200);
        rec_free(&r);
}

static void test_truncated(void **state)
{
        struct vgl_buf b;
        struct rec r;

        vgl_buf_init(&b, 0);
        assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, 1, "0123456789", 10), 0);
        /* Cut inside the header, and inside the payload. */
        for (size_t cut = 4; cut < b.len; cut++) {
                rec_init(&r);
                rec_decode(&r, b.data, cut, (size_t[]){3}, 1);
                assert_int_equal(r.frames, 0);
                assert_int_equal(r.nerr, 1);
                assert_int_equal(r.errs[0].error, VGL_DECODE_TRUNCATED);
                assert_int_equal(r.errs[0].bytes, cut);
                if (cut > 5)
                        assert_int_equal(r.errs[0].type, VGL_MSG_STDOUT);
                rec_free(&r);
        }
        /* A lone magic prefix at the end is garbage, not a frame. */
        rec_init(&r);
        rec_decode(&r, b.data, 3, NULL, 0);
        assert_int_equal(r.nerr, 1);
        assert_int_equal(r.errs[0].error, VGL_DECODE_GARBAGE);
        rec_free(&r);
        vgl_buf_free(&b);

        /* Truncated inside a frame that was being skipped. */
        uint8_t h[20];
        raw_header(h, VGL_FRAME_MAGIC, 1, 77, 0, 1, 100);
        memcpy(h + 16, "abcd", 4);
        rec_init(&r);
        rec_decode(&r, h, sizeof(h), NULL, 0);
        assert_int_equal(r.nerr, 1);
        assert_int_equal(r.errs[0].error, VGL_DECODE_TRUNCATED);
        assert_int_equal(r.errs[0].bytes, 20);
        assert_int_equal(r.errs[0].type, 77);
        rec_free(&r);
}

/* on_frame may stop decoding; the rest is kept and delivered in order later. */
static void test_stop_and_resume(void **state)
{
        struct vgl_decoder *d = NULL;
        struct vgl_buf b;
        struct rec r, ref;

        vgl_buf_init(&b, 0);
        for (uint32_t i = 0; i < 10; i++)
                assert_int_equal(vgl_frame_append(&b, VGL_MSG_STDOUT, i + 1, &i, 4), 0);
        rec_init(&ref);
        rec_decode(&ref, b.data, b.len, NULL, 0);

        rec_init(&r);
        r.stop_every = 3;
        assert_int_equal(vgl_decoder_new(rec_on_frame, rec_on_error, &r, &d), 0);
        /* Frames are 20 bytes. Feed 5.5 frames: stops after frame 3. */
        size_t half = 5 * 20 + 10;
        assert_int_equal(vgl_decoder_feed(d, b.data, half), -ECANCELED);
        assert_int_equal(r.frames, 3);
        /* New bytes while stopped-with-rest: the rest comes first; stops at 6. */
        assert_int_equal(vgl_decoder_feed(d, b.data + half, 20), -ECANCELED);
        assert_int_equal(r.frames, 6);
        assert_int_equal(vgl_decoder_feed(d, NULL, 0), 0);
        assert_int_equal(r.frames, 6);
        assert_int_equal(vgl_decoder_feed(d, b.data + half + 20, b.len - half - 20), -ECANCELED);
        assert_int_equal(r.frames, 9);
        /* finish drains what is left, ignoring further stops. */
        vgl_decoder_finish(d);
        assert_int_equal(r.frames, 10);
        assert_int_equal(r.nerr, 0);
        assert_int_equal(r.log.len, ref.log.len);
        assert_memory_equal(r.log.data, ref.log.data, ref.log.len);

        struct vgl_decoder_stats st;
        vgl_decoder_get_stats(d, &st);
        assert_int_equal(st.bytes, b.len);
        assert_int_equal(st.frames, 10);

        /* After finish the decoder takes a new stream. */
        r.stop_every = 0;
        assert_int_equal(vgl_decoder_feed(d, b.data, 20), 0);
        assert_int_equal(r.frames, 11);
        vgl_decoder_free(d);
        rec_free(&r);
        rec_free(&ref);
        vgl_buf_free(&b);
}

/* Stopping on every frame through split and malformed input loses nothing. */
static void test_stop_every_frame_split(void **state)
{
        struct vgl_buf g, s;
        struct rec ref;

        garbage_stream(&g);
        sample_stream(&s);
        assert_int_equal(vgl_buf_append(&g, s.data, s.len), 0);
        rec_init(&ref);
        rec_decode(&ref, g.data, g.len, NULL, 0);
        for (size_t n = 1; n < 40; n += 3) {
                struct rec r;
                rec_init(&r);
                r.stop_every = 1;
                rec_decode(&r, g.data, g.len, &n, 1);
                assert_int_equal(r.log.len, ref.log.len);
                assert_memory_equal(r.log.data, ref.log.data, ref.log.len);
                assert_int_equal(r.err_bytes, ref.err_bytes);
                rec_free(&r);
        }
        rec_free(&ref);
        vgl_buf_free(&g);
        vgl_buf_free(&s);
}

static void test_null_callbacks(void **state)
{
        struct vgl_decoder *d = NULL;
        struct vgl_buf b;
        struct vgl_decoder_stats st;

        garbage_stream(&b);
        assert_int_equal(vgl_decoder_new(NULL, NULL, NULL, &d), 0);
        assert_int_equal(vgl_decoder_feed(d, b.data, b.len), 0);
        vgl_decoder_finish(d);
        vgl_decoder_get_stats(d, &st);
        assert_int_equal(st.frames, 2);
        assert_true(st.errors >= 2);
        assert_null(vgl_decoder_free(d));
        assert_null(vgl_decoder_free(NULL));
        vgl_buf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_header_encode),
                cmocka_unit_test(test_frame_append_limits),
                cmocka_unit_test(test_type_names),
                cmocka_unit_test(test_round_trip_zero_copy),
                cmocka_unit_test(test_split_everywhere),
                cmocka_unit_test(test_many_merged),
                cmocka_unit_test(test_garbage),
                cmocka_unit_test(test_garbage_reported_per_feed),
                cmocka_unit_test(test_oversize),
                cmocka_unit_test(test_bad_version),
                cmocka_unit_test(test_bad_flags),
                cmocka_unit_test(test_unknown_type),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_stop_and_resume),
                cmocka_unit_test(test_stop_every_frame_split),
                cmocka_unit_test(test_null_callbacks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
