/* The online stream: a fixed footprint, the same score as the whole-trace
 * path for a process whose calls fit in the window, and bounded tracking of
 * many processes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "detect-test-util.h"
#include "detect.h"
#include "stream.h"

static struct vgl_detector *detector;
static struct vgl_traceset probes;

static int setup(void **state)
{
        struct vgl_detect_train_opts o = {
                .seed = 5, .lm_hidden = 8, .lm_epochs = 1, .ae_epochs = 1, .folds = 2};
        struct vgl_traceset train = {0};
        struct vgl_error err = {0};

        detect_test_synthetic(&train, 60, 11);
        detect_test_synthetic(&probes, 12, 12);
        if (vgl_detector_train(&train, &o, &detector, &err) < 0) {
                printf("train: %s\n", err.msg);
                return -1;
        }
        vgl_traceset_free(&train);
        return 0;
}

static int teardown(void **state)
{
        vgl_detector_free(detector);
        vgl_traceset_free(&probes);
        return 0;
}

static void test_matches_trace_score(void **state)
{
        size_t checked = 0;

        for (size_t i = 0; i < probes.n; i++) {
                const struct vgl_trace *t = &probes.v[i];
                struct vgl_stream *s = NULL;
                uint32_t pid = 0;
                double whole;
                if (t->len > VGL_STREAM_WINDOW || t->len < VGL_STREAM_MIN_CALLS)
                        continue;
                assert_int_equal(vgl_stream_new(detector, &s), 0);
                for (uint32_t k = 0; k < t->len; k++)
                        vgl_stream_feed(s, 4242, t->calls[k]);
                assert_int_equal(vgl_detector_score(detector, t->calls, t->len, &whole), 0);
                double online = vgl_stream_score(s, &pid);
                assert_int_equal(pid, 4242);
                if (fabs(online - whole) > 1e-6)
                        fail_msg("trace %zu: stream %.9f, whole trace %.9f", i, online, whole);
                vgl_stream_free(s);
                checked++;
        }
        assert_true(checked >= 3);
}

static void test_many_processes_bounded(void **state)
{
        struct vgl_stream *s = NULL;
        size_t footprint = vgl_stream_footprint(detector);
        uint32_t pid = 0;

        assert_true(footprint > 0 && footprint < 256 * 1024);
        printf("stream footprint: %zu bytes per sandbox\n", footprint);
        assert_int_equal(vgl_stream_new(detector, &s), 0);
        assert_true(vgl_stream_score(s, NULL) == 0.0);
        /* as many processes as slots, interleaved, far more calls than a window */
        for (uint32_t k = 0; k < 20000; k++)
                vgl_stream_feed(s, 1000 + k % VGL_STREAM_PROCS,
                                probes.v[k % probes.n].calls[k % 20]);
        double x = vgl_stream_score(s, &pid);
        assert_true(x > 0 && x <= 1);
        assert_true(pid >= 1000 && pid < 1000 + VGL_STREAM_PROCS);
        /* exited processes count once more, then no longer */
        for (uint32_t p = 1000; p < 1000 + VGL_STREAM_PROCS; p++)
                vgl_stream_forget(s, p);
        assert_true(vgl_stream_score(s, NULL) == x);
        assert_true(vgl_stream_score(s, NULL) == 0.0);
        /* 40 processes one after the other: the dropped ones count too */
        for (uint32_t p = 0; p < 40; p++)
                for (uint32_t k = 0; k < 50; k++)
                        vgl_stream_feed(s, 2000 + p, probes.v[p % probes.n].calls[k % 20]);
        for (uint32_t p = 0; p < 40; p++)
                vgl_stream_forget(s, 2000 + p);
        x = vgl_stream_score(s, &pid);
        assert_true(x > 0 && x <= 1);
        assert_true(pid >= 2000 && pid < 2040);
        assert_true(vgl_stream_score(s, NULL) == 0.0);
        /* numbers never seen in training are fine */
        for (uint32_t k = 0; k < 100; k++)
                vgl_stream_feed(s, 7, (uint16_t)(60000 + k));
        x = vgl_stream_score(s, NULL);
        assert_true(x > 0 && x <= 1);
        vgl_stream_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_matches_trace_score),
                cmocka_unit_test(test_many_processes_bounded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
