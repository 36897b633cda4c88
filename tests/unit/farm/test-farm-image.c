/* Picking the tier for a job's image (image.h): vigild's own choice when
 * the tier serving the trust level boots the image, else the nearest
 * tier that does; skipped when none does; an explicit tier must exist and
 * boot the image. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "image.h"

static const struct farm_tier tiers[] = {
        {"low", "microvm", 0.75, 1.0},     {"medium", "microvm", 0.5, 0.75},
        {"high", "microvm", 0.25, 0.5},    {"paranoid", "microvm", 0.0, 0.25},
        {"disk-med", "debian", 0.5, 0.75}, {"disk-high", "debian", 0.25, 0.5},
};

static enum farm_pick pick(const char *image, const char *tier, double trust, char *ret, char *why)
{
        return farm_pick_tier(tiers, sizeof(tiers) / sizeof(tiers[0]), image, tier, trust, ret, why,
                              256);
}

static void test_pick(void **state)
{
        char t[32], why[256];

        assert_int_equal(pick("microvm", NULL, 0.6, t, why), FARM_PICK_OK);
        assert_string_equal(t, ""); /* vigild chooses medium itself */
        assert_int_equal(pick("microvm", NULL, 1.0, t, why), FARM_PICK_OK);
        assert_string_equal(t, "");
        assert_int_equal(pick("debian", NULL, 0.6, t, why), FARM_PICK_OK);
        assert_string_equal(t, "disk-med");
        assert_int_equal(pick("debian", NULL, 0.3, t, why), FARM_PICK_OK);
        assert_string_equal(t, "disk-high");
        assert_int_equal(pick("debian", NULL, 0.9, t, why), FARM_PICK_OK);
        assert_string_equal(t, "disk-med"); /* nearest below */
        assert_int_equal(pick("debian", NULL, 0.1, t, why), FARM_PICK_OK);
        assert_string_equal(t, "disk-high"); /* nearest above */
        assert_int_equal(pick("microvm", "high", 0.9, t, why), FARM_PICK_OK);
        assert_string_equal(t, "high");
        assert_int_equal(pick("fedora", NULL, 0.6, t, why), FARM_PICK_SKIP);
        assert_string_equal(why, "no tier of vigild boots image 'fedora' (its tiers boot: "
                                 "microvm, debian)");
        assert_int_equal(pick("debian", "high", 0.3, t, why), FARM_PICK_BAD);
        assert_string_equal(why, "tier 'high' boots image 'microvm', not 'debian'");
        assert_int_equal(pick("microvm", "nope", 0.3, t, why), FARM_PICK_BAD);
        assert_string_equal(why, "vigild has no tier 'nope'");
        assert_int_equal(farm_pick_tier(tiers, 0, "microvm", NULL, 0.5, t, why, sizeof(why)),
                         FARM_PICK_SKIP);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pick),
        };

        return cmocka_run_group_tests_name("farm image", tests, NULL, NULL);
}
