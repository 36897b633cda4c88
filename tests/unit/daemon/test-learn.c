/* vigild's learning loop: the corpus (bounds, held-out split), a sandbox's
 * sequences into it (MarkBenign's path), the model loaded at start and the
 * online score of a sandbox's stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "control.h"
#include "corpus.h"
#include "detect.h"
#include "learn.h"
#include "stream.h"

static char tmpdir[] = "/tmp/vigil-test-learn-XXXXXX";

/* A "normal" process: a loop of a few calls. */
static void normal_trace(uint16_t *v, uint32_t n, unsigned seed)
{
        static const uint16_t loop[] = {0, 1, 3, 257, 0, 5, 9, 1, 3};
        for (uint32_t i = 0; i < n; i++)
                v[i] = loop[(i + seed) % 9];
}

static void test_corpus(void **state)
{
        char dir[256];
        struct vgd_corpus_info info = {.next_seq = 1};
        struct vgl_traceset ts = {0}, train = {0}, held = {0};
        struct vgl_error e = {};
        uint16_t calls[64];

        snprintf(dir, sizeof(dir), "%s/corpus-a", tmpdir);
        normal_trace(calls, 64, 0);
        assert_int_equal(vgl_traceset_add(&ts, "e1-p2", calls, 64), 0);
        for (unsigned i = 0; i < VGD_CORPUS_RUNS_MAX + 3; i++)
                assert_int_equal(vgd_corpus_add(dir, info.next_seq, &ts, &info, &e), 0);
        assert_int_equal(info.runs, VGD_CORPUS_RUNS_MAX); /* the oldest went */
        assert_int_equal(info.next_seq, VGD_CORPUS_RUNS_MAX + 4);
        struct vgd_corpus_info again;
        assert_int_equal(vgd_corpus_scan(dir, &again), 0);
        assert_int_equal(again.runs, info.runs);
        assert_int_equal(again.bytes, info.bytes);
        assert_int_equal(vgd_corpus_read(dir, 4, &train, &held, &e), 0);
        assert_int_equal(held.n, VGD_CORPUS_RUNS_MAX / 4);
        assert_int_equal(train.n + held.n, VGD_CORPUS_RUNS_MAX);
        assert_int_equal(train.v[0].len, 64);
        assert_memory_equal(train.v[0].calls, calls, sizeof(calls));
        vgl_traceset_free(&ts);
        vgl_traceset_free(&train);
        vgl_traceset_free(&held);
}

static struct vgl_bhv_event syscall_ev(uint32_t exec_id, uint32_t pid, uint16_t nr)
{
        struct vgl_bhv_event ev = {.type = VGL_REC_SYSCALL};

        ev.u.sys.h.exec_id = exec_id;
        ev.u.sys.h.pid = pid;
        ev.u.sys.nr = nr;
        return ev;
}

static void test_mark_benign(void **state)
{
        struct vgd_daemon d = {0};
        struct vgd_sandbox s = {.d = &d};
        struct vgd_ctl ctl = {0};
        struct vgl_error e = {};
        struct vgl_traceset train = {0}, held = {0};
        char sdir[256];

        snprintf(sdir, sizeof(sdir), "%s/state-b", tmpdir);
        d.cfg.state_dir = sdir;
        assert_int_equal(mkdir(sdir, 0700), 0);
        s.ctl = &ctl;
        assert_int_equal(vgd_learn_init(&d, &e), 0);
        assert_string_equal(d.model->version, "");
        for (uint32_t pid = 10; pid < 13; pid++)
                for (unsigned i = 0; i < 100; i++) {
                        struct vgl_bhv_event ev = syscall_ev(7, pid, (uint16_t)(i % 5));
                        vgd_learn_event(&s, &ev);
                }
        /* more processes than are kept: bounded */
        for (uint32_t pid = 100; pid < 100 + 2 * VGD_LEARN_SEQS; pid++) {
                struct vgl_bhv_event ev = syscall_ev(8, pid, 1);
                vgd_learn_event(&s, &ev);
        }
        assert_int_equal(vgd_learn_mark_benign(&s, &e), VGD_LEARN_SEQS);
        assert_int_equal(d.model->corpus_runs, 1);
        assert_int_equal(d.model->clean_since, 1);
        assert_int_equal(vgd_corpus_read(d.model->corpus_dir, 0, &train, &held, &e), 0);
        assert_int_equal(train.n, VGD_LEARN_SEQS);
        vgl_traceset_free(&train);
        vgl_traceset_free(&held);
        vgd_learn_free(&s);
        vgd_learn_fini(&d);
}

/* A model trained on the normal loop, saved as v1 and named current, is
 * loaded at start; a sandbox's stream scores a foreign sequence higher. */
static void test_model_load_and_score(void **state)
{
        struct vgl_detect_train_opts o = {.seed = 1};
        struct vgl_traceset normal = {0};
        struct vgl_detector *det = NULL;
        struct vgd_daemon d = {0};
        struct vgl_error e = {};
        struct vgl_stream *st = NULL;
        char mdir[256], path[300], sdir[256];
        uint16_t calls[200];
        double calm, odd;
        FILE *f;

        for (unsigned i = 0; i < 12; i++) {
                normal_trace(calls, 200, i);
                assert_int_equal(vgl_traceset_add(&normal, "n", calls, 200), 0);
        }
        vgl_detect_train_opts_default(&o);
        assert_int_equal(vgl_detector_train(&normal, &o, &det, &e), 0);
        snprintf(mdir, sizeof(mdir), "%s/models", tmpdir);
        assert_int_equal(mkdir(mdir, 0700), 0);
        snprintf(path, sizeof(path), "%s/v1", mdir);
        assert_int_equal(vgl_detector_save(det, path, &e), 0);
        snprintf(path, sizeof(path), "%s/current", mdir);
        assert_non_null(f = fopen(path, "w"));
        fputs("v1\n", f);
        fclose(f);
        vgl_detector_free(det);
        vgl_traceset_free(&normal);

        snprintf(sdir, sizeof(sdir), "%s/state-c", tmpdir);
        d.cfg.state_dir = sdir;
        d.cfg.model_dir = mdir;
        assert_int_equal(vgd_learn_init(&d, &e), 0);
        assert_string_equal(d.model->version, "v1");
        assert_int_equal(d.model->next_version, 2);
        assert_int_equal(vgl_stream_new(d.model->det, &st), 0);
        normal_trace(calls, 200, 3);
        for (unsigned i = 0; i < 200; i++)
                vgl_stream_feed(st, 1, calls[i]);
        calm = vgl_stream_score(st, NULL);
        for (unsigned i = 0; i < 200; i++)
                vgl_stream_feed(st, 2, (uint16_t)(59 + (i * 7) % 40));
        odd = vgl_stream_score(st, NULL);
        assert_true(odd > calm);
        vgl_stream_free(st);
        d.cfg.model_dir = NULL;
        vgd_learn_fini(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_corpus),
                cmocka_unit_test(test_mark_benign),
                cmocka_unit_test(test_model_load_and_score),
        };
        int r;
        char cmd[128];

        if (!mkdtemp(tmpdir))
                return 1;
        r = cmocka_run_group_tests(tests, NULL, NULL);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                r = r ? r : 1;
        return r;
}
