/* Detector training is deterministic for a seed, saved models load back to
 * the same scores, and corrupt, truncated or wrong-version model files are
 * rejected with an error naming the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "crc32.h"
#include "detect-test-util.h"
#include "detect.h"
#include "model-file.h"

/* A small slice: the first traces of train.tsv when present, else synthetic. */
static void small_slice(struct vgl_traceset *s)
{
        const char *path = detect_test_dataset("train.tsv");
        struct vgl_traceset all = {0};
        struct vgl_error err = {0};

        if (path && vgl_traceset_read(path, &all, &err) == 0) {
                for (size_t i = 0; i < 60 && i < all.n; i++)
                        assert_int_equal(
                                vgl_traceset_add(s, all.v[i].name, all.v[i].calls, all.v[i].len),
                                0);
                vgl_traceset_free(&all);
                return;
        }
        detect_test_synthetic(s, 60, 7);
}

static const struct vgl_detect_train_opts small_opts = {
        .method = "ensemble",
        .seed = 42,
        .lm_hidden = 8,
        .lm_epochs = 1,
        .ae_epochs = 1,
        .ae_hidden = 8,
        .folds = 2,
};

static void *read_file(const char *dir, const char *name, size_t *ret_len)
{
        char path[512];
        struct stat st;
        void *p;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        p = malloc((size_t)st.st_size + 1);
        assert_int_equal(read(fd, p, (size_t)st.st_size), st.st_size);
        close(fd);
        *ret_len = (size_t)st.st_size;
        return p;
}

static void write_file(const char *dir, const char *name, const void *p, size_t len)
{
        char path[512];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, p, len), (ssize_t)len);
        close(fd);
}

static bool same_file(const char *a, const char *b, const char *name)
{
        size_t la, lb;
        void *pa = read_file(a, name, &la), *pb = read_file(b, name, &lb);
        bool same = la == lb && !memcmp(pa, pb, la);

        free(pa);
        free(pb);
        return same;
}

static void train_save(const struct vgl_traceset *s, const struct vgl_detect_train_opts *o,
                       const char *dir)
{
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};

        if (vgl_detector_train(s, o, &d, &err) < 0)
                fail_msg("train: %s", err.msg);
        if (vgl_detector_save(d, dir, &err) < 0)
                fail_msg("save: %s", err.msg);
        vgl_detector_free(d);
}

static void test_deterministic_with_seed(void **state)
{
        static const char *const files[] = {"detector.vgm", "knn.vgm", "lm.vgm", "ngram.vgm",
                                            "ae.vgm"};
        struct vgl_detect_train_opts other = small_opts;
        struct vgl_traceset s = {0};
        char a[64], b[64], c[64];

        small_slice(&s);
        snprintf(a, sizeof(a), "%s", detect_test_tmpdir());
        snprintf(b, sizeof(b), "%s", detect_test_tmpdir());
        snprintf(c, sizeof(c), "%s", detect_test_tmpdir());
        train_save(&s, &small_opts, a);
        train_save(&s, &small_opts, b);
        other.seed = 43;
        train_save(&s, &other, c);
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                if (!same_file(a, b, files[i]))
                        fail_msg("%s differs between two runs with one seed", files[i]);
        assert_false(same_file(a, c, "lm.vgm"));
        assert_false(same_file(a, c, "ae.vgm"));
        detect_test_rmdir(a);
        detect_test_rmdir(b);
        detect_test_rmdir(c);
        vgl_traceset_free(&s);
}

static void test_round_trip_scores(void **state)
{
        struct vgl_detector *d = NULL, *back = NULL;
        struct vgl_traceset s = {0}, probe = {0};
        struct vgl_error err = {0};
        const char *dir;

        small_slice(&s);
        detect_test_synthetic(&probe, 20, 99);
        assert_int_equal(vgl_detector_train(&s, &small_opts, &d, &err), 0);
        dir = detect_test_tmpdir();
        assert_int_equal(vgl_detector_save(d, dir, &err), 0);
        if (vgl_detector_load(dir, &back, &err) < 0)
                fail_msg("load: %s", err.msg);
        assert_string_equal(vgl_detector_method(back), "ensemble");
        for (size_t i = 0; i < probe.n; i++) {
                double x, y;
                assert_int_equal(vgl_detector_score(d, probe.v[i].calls, probe.v[i].len, &x), 0);
                assert_int_equal(vgl_detector_score(back, probe.v[i].calls, probe.v[i].len, &y), 0);
                assert_true(x >= 0 && x <= 1);
                assert_true(x == y);
        }
        vgl_detector_free(d);
        vgl_detector_free(back);
        detect_test_rmdir(dir);
        vgl_traceset_free(&s);
        vgl_traceset_free(&probe);
}

/* Loads dir expecting failure with code and a message holding needle and name. */
static void expect_load_error(const char *dir, int code, const char *needle, const char *name)
{
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};
        int r = vgl_detector_load(dir, &d, &err);

        if (r != -code || !strstr(err.msg, needle) || !strstr(err.msg, name))
                fail_msg("load gave %d '%s', expected %d with '%s' and '%s'", r, err.msg, -code,
                         needle, name);
        assert_null(d);
}

static void test_bad_files_rejected(void **state)
{
        struct vgl_detect_train_opts o = {.method = "stide", .seed = 1};
        struct vgl_traceset s = {0};
        uint8_t *good, *bad;
        size_t len, slen;
        char dir[64];

        detect_test_synthetic(&s, 30, 3);
        snprintf(dir, sizeof(dir), "%s", detect_test_tmpdir());
        train_save(&s, &o, dir);
        good = read_file(dir, "detector.vgm", &len);
        bad = malloc(len + 8);

        /* truncated: the payload, then the header itself */
        write_file(dir, "detector.vgm", good, len - 1);
        expect_load_error(dir, EBADMSG, "truncated", "detector.vgm");
        write_file(dir, "detector.vgm", good, 20);
        expect_load_error(dir, EBADMSG, "truncated", "detector.vgm");
        /* trailing bytes */
        memcpy(bad, good, len);
        write_file(dir, "detector.vgm", bad, len + 3);
        expect_load_error(dir, EBADMSG, "trailing", "detector.vgm");
        /* one payload byte flipped */
        memcpy(bad, good, len);
        bad[len - 5] ^= 0x40;
        write_file(dir, "detector.vgm", bad, len);
        expect_load_error(dir, EBADMSG, "checksum", "detector.vgm");
        /* header byte flipped */
        memcpy(bad, good, len);
        bad[17] ^= 1;
        write_file(dir, "detector.vgm", bad, len);
        expect_load_error(dir, EBADMSG, "header checksum", "detector.vgm");
        /* another format version, header checksum made valid */
        memcpy(bad, good, len);
        bad[8] = 99;
        uint32_t crc = vgl_crc32(0, bad, VGL_MODEL_HEADER_SIZE - 4);
        for (int i = 0; i < 4; i++)
                bad[28 + i] = (uint8_t)(crc >> (8 * i));
        write_file(dir, "detector.vgm", bad, len);
        expect_load_error(dir, EPROTONOSUPPORT, "version 99", "detector.vgm");
        /* not a model file */
        write_file(dir, "detector.vgm", "name\t1 2 3\nmore\t4 5 6\nthird\t7 8 9\n", 34);
        expect_load_error(dir, EBADMSG, "bad magic", "detector.vgm");
        /* a component file where the detector file belongs */
        uint8_t *stide = read_file(dir, "stide.vgm", &slen);
        write_file(dir, "detector.vgm", stide, slen);
        expect_load_error(dir, EMEDIUMTYPE, "kind", "detector.vgm");
        /* a good detector file with its component missing */
        write_file(dir, "detector.vgm", good, len);
        char path[128];
        snprintf(path, sizeof(path), "%s/stide.vgm", dir);
        unlink(path);
        expect_load_error(dir, ENOENT, "No such file", "stide.vgm");
        /* a component file cut short */
        write_file(dir, "stide.vgm", stide, slen - 16);
        expect_load_error(dir, EBADMSG, "truncated", "stide.vgm");

        free(stide);
        free(good);
        free(bad);
        detect_test_rmdir(dir);
        vgl_traceset_free(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_deterministic_with_seed),
                cmocka_unit_test(test_round_trip_scores),
                cmocka_unit_test(test_bad_files_rejected),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
