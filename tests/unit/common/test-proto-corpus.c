/* Runs the committed fuzz corpus (tests/fuzz/corpus) through the same code
 * the libFuzzer harnesses run, built with the project compiler, and checks
 * each seed against tests/fuzz/corpus.expect. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <cmocka.h>

#include "fuzz-common.h"
#include "proto-test-util.h"

static char corpus_dir[4096];

static int setup(void **state)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        if (!root)
                return 0;
        snprintf(corpus_dir, sizeof(corpus_dir), "%s/tests/fuzz", root);
        return 0;
}

static void need_corpus(void)
{
        if (!corpus_dir[0]) {
                print_message("skipped: VIGIL_SOURCE_ROOT is not set (run through meson test)\n");
                skip();
        }
}

static uint8_t *load(const char *rel, size_t *ret_len)
{
        char path[8192];
        snprintf(path, sizeof(path), "%s/corpus/%s", corpus_dir, rel);
        FILE *f = fopen(path, "rbe");
        if (!f) {
                print_error("cannot open %s: %s\n", path, strerror(errno));
                fail();
        }
        uint8_t *p = malloc(VGL_FRAME_MAX_SIZE * 4);
        assert_non_null(p);
        *ret_len = fread(p, 1, VGL_FRAME_MAX_SIZE * 4, f);
        fclose(f);
        return p;
}

static void errors_string(const struct fuzz_result *r, char *out, size_t size)
{
        size_t o = 0;

        out[0] = '\0';
        if (!r->nerr) {
                snprintf(out, size, "-");
                return;
        }
        for (size_t i = 0; i < r->nerr && i < FUZZ_MAX_ERRORS; i++)
                o += (size_t)snprintf(out + o, size - o, "%s%s", i ? "," : "",
                                      vgl_decode_error_name(r->errs[i]));
}

static void check_frame_seed(const char *rel, const char *want)
{
        size_t len;
        uint8_t *p = load(rel, &len);
        struct fuzz_result r = {0};
        char errs[512], got[700];

        fuzz_frame_input(p, len, &r);
        errors_string(&r, errs, sizeof(errs));
        snprintf(got, sizeof(got), "frames=%zu ok=%zu fail=%zu errors=%s", r.frames, r.parse_ok,
                 r.parse_fail, errs);
        if (strcmp(got, want) != 0) {
                print_error("%s: got \"%s\", want \"%s\"\n", rel, got, want);
                fail();
        }
        /* Other chunkings (and stops) must give the same frames and verdicts. */
        for (uint8_t chunking = 1; chunking < 12 && len > 0; chunking++) {
                struct fuzz_result c = {0};
                p[0] = chunking;
                fuzz_frame_input(p, len, &c);
                assert_int_equal(c.frames, r.frames);
                assert_int_equal(c.parse_ok, r.parse_ok);
                assert_int_equal(c.parse_fail, r.parse_fail);
                assert_int_equal(c.nerr == 0, r.nerr == 0);
        }
        /* And byte by byte through the plain decoder, with its accounting checks. */
        struct rec one, bytes;
        rec_init(&one);
        rec_init(&bytes);
        rec_decode(&one, p + 1, len - 1, NULL, 0);
        rec_decode(&bytes, p + 1, len - 1, (size_t[]){1}, 1);
        assert_int_equal(one.log.len, bytes.log.len);
        assert_memory_equal(one.log.data, bytes.log.data, one.log.len);
        assert_int_equal(one.err_bytes, bytes.err_bytes);
        rec_free(&one);
        rec_free(&bytes);
        free(p);
}

static void check_msg_seed(const char *rel, const char *want)
{
        size_t len;
        uint8_t *p = load(rel, &len);
        struct vgl_error err = {0};
        int r = fuzz_msg_input(p, len, &err);

        if ((r == 0) != (strcmp(want, "ok") == 0)) {
                print_error("%s: got %s (%s), want %s\n", rel, r == 0 ? "ok" : "fail", err.msg,
                            want);
                fail();
        }
        if (r < 0)
                assert_true(err.msg[0] != '\0');
        free(p);
}

static void test_expectations(void **state)
{
        char path[8192], line[1024];
        size_t frames = 0, msgs = 0;

        need_corpus();
        snprintf(path, sizeof(path), "%s/corpus.expect", corpus_dir);
        FILE *f = fopen(path, "re");
        if (!f) {
                print_error("cannot open %s: %s\n", path, strerror(errno));
                fail();
        }
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0] == '#' || !line[0])
                        continue;
                char *sp = strchr(line, ' ');
                assert_non_null(sp);
                *sp = '\0';
                if (strncmp(line, "frame/", 6) == 0) {
                        check_frame_seed(line, sp + 1);
                        frames++;
                } else {
                        check_msg_seed(line, sp + 1);
                        msgs++;
                }
        }
        fclose(f);
        print_message("checked %zu frame seeds and %zu message seeds\n", frames, msgs);
        assert_true(frames >= 30);
        assert_true(msgs >= 30);
}

/* Every file in the corpus directories, listed in the manifest or not
 * (e.g. crash reproducers added later), runs without crashing. */
static void run_dir(const char *sub, bool frame)
{
        char path[8192], rel[8192];
        struct dirent *e;

        snprintf(path, sizeof(path), "%s/corpus/%s", corpus_dir, sub);
        DIR *d = opendir(path);
        assert_non_null(d);
        while ((e = readdir(d))) {
                size_t len;
                if (e->d_name[0] == '.')
                        continue;
                snprintf(rel, sizeof(rel), "%s/%s", sub, e->d_name);
                uint8_t *p = load(rel, &len);
                if (frame)
                        fuzz_frame_input(p, len, NULL);
                else
                        (void)fuzz_msg_input(p, len, NULL);
                free(p);
        }
        closedir(d);
}

static void test_all_files(void **state)
{
        need_corpus();
        run_dir("frame", true);
        run_dir("msg", false);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expectations),
                cmocka_unit_test(test_all_files),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
