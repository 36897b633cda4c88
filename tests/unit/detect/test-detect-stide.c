/* The STIDE baseline on the ADFA-LD files in ../shared: n = 6, mismatch
 * rate, trained on train.tsv, AUC 0.79 +- 0.02 on validation.tsv against
 * attack.tsv (skipped, exit 77, when the files are not there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "detect-test-util.h"
#include "detect.h"
#include "metrics.h"

static char train_path[4096], normal_path[4096], attack_path[4096];

static double *score_all(const struct vgl_detector *d, const struct vgl_traceset *s)
{
        double *v = malloc(s->n * sizeof(*v));

        assert_non_null(v);
        for (size_t i = 0; i < s->n; i++)
                assert_int_equal(vgl_detector_score(d, s->v[i].calls, s->v[i].len, &v[i]), 0);
        return v;
}

static void test_stide_baseline(void **state)
{
        struct vgl_traceset train = {0}, normal = {0}, attack = {0};
        struct vgl_detect_train_opts o = {.method = "stide", .seed = 1, .stide_n = 6};
        struct vgl_detector *d = NULL;
        struct vgl_error err = {0};
        struct vgl_eval e;

        assert_int_equal(vgl_traceset_read(train_path, &train, &err), 0);
        assert_int_equal(vgl_traceset_read(normal_path, &normal, &err), 0);
        assert_int_equal(vgl_traceset_read(attack_path, &attack, &err), 0);
        assert_int_equal(vgl_detector_train(&train, &o, &d, &err), 0);
        double *sn = score_all(d, &normal), *sa = score_all(d, &attack);
        assert_int_equal(vgl_evaluate(sn, normal.n, sa, attack.n, &e), 0);
        printf("STIDE n=6: AUC %.4f, DR@5%%FA %.3f, FA@90%%DR %.3f\n", e.auc, e.dr_at_fa5,
               e.fa_at_dr90);
        assert_true(e.auc > 0.77 && e.auc < 0.81);
        free(sn);
        free(sa);
        vgl_detector_free(d);
        vgl_traceset_free(&train);
        vgl_traceset_free(&normal);
        vgl_traceset_free(&attack);
}

static int copy_path(char *dst, const char *file)
{
        const char *p = detect_test_dataset(file);

        if (!p)
                return -1;
        snprintf(dst, 4096, "%s", p);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_stide_baseline),
        };

        if (copy_path(train_path, "train.tsv") < 0 ||
            copy_path(normal_path, "validation.tsv") < 0 ||
            copy_path(attack_path, "attack.tsv") < 0) {
                printf("SKIP: the ADFA-LD files are not there\n");
                return 77;
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
