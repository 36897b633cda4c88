#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

#define GOOD_TIER                                                                                  \
        "{\"name\":\"t\",\"posture\":\"medium\",\"min_trust\":0.5,\"max_trust\":0.75,"             \
        "\"image\":\"microvm\",\"vcpus\":{\"current\":1,\"max\":2},"                               \
        "\"memory_mib\":{\"current\":256,\"max\":512},\"cpu_quota_percent\":100,"                  \
        "\"network\":\"none\",\"pool\":1,\"ttl_s\":{\"default\":60,\"max\":600}}"

static int parse(const char *text, struct vgl_tier *t, struct vgl_error *e)
{
        return vgl_tier_parse("x.json", text, strlen(text), t, e);
}

static void test_shipped_policies(void **state)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        if (!root) {
                print_message("skipped: VIGIL_SOURCE_ROOT not set (run through meson test)\n");
                skip();
        }
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/policies", root);
        struct vgl_tier_set p;
        struct vgl_error e = {0};
        assert_int_equal(vgl_tier_set_load(dir, &p, &e), 0);
        assert_int_equal(p.n_tiers, 4);
        const char *order[] = {"low", "medium", "high", "paranoid"};
        for (size_t i = 0; i < 4; i++)
                assert_string_equal(p.tiers[i].name, order[i]);
        assert_string_equal(vgl_tier_set_for_trust(&p, 1.0)->name, "low");
        assert_string_equal(vgl_tier_set_for_trust(&p, 0.75)->name, "low");
        assert_string_equal(vgl_tier_set_for_trust(&p, 0.6)->name, "medium");
        assert_string_equal(vgl_tier_set_for_trust(&p, 0.3)->name, "high");
        assert_string_equal(vgl_tier_set_for_trust(&p, 0.0)->name, "paranoid");
        assert_null(vgl_tier_set_for_trust(&p, 1.5));
        assert_null(vgl_tier_set_for_trust(&p, -0.1));
        assert_non_null(vgl_tier_set_find(&p, "high"));
        assert_null(vgl_tier_set_find(&p, "nope"));
        assert_int_equal(vgl_tier_set_find(&p, "paranoid")->network, VGL_NET_NONE);
}

static void test_good_tier(void **state)
{
        struct vgl_tier t;
        struct vgl_error e = {0};
        assert_int_equal(parse(GOOD_TIER, &t, &e), 0);
        assert_int_equal(t.posture, VGL_POSTURE_MEDIUM);
        assert_int_equal(t.max_vcpus, 2);
        assert_int_equal(t.memory_mib, 256);
        assert_int_equal(t.ttl_max_s, 600);
}

/* Each bad file must fail with a message naming the file and the field. */
static void test_bad_tiers(void **state)
{
        static const struct {
                const char *text, *mention;
        } cases[] = {
                {"", "not valid JSON"},
                {"[]", "JSON object"},
                {"{\"name\":\"t\"} x", "JSON"},
                {"{\"name\":\"t\",\"vcpu\":1}", "unknown field 'vcpu'"},
                {"{\"name\":7}", "name"},
                {"{\"name\":\"t\",\"posture\":\"lax\",\"image\":\"m\"}", "posture"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"x\"}",
                 "network"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"open\","
                 "\"min_trust\":0.5,\"max_trust\":2}",
                 "max_trust"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"open\","
                 "\"min_trust\":0.5,\"max_trust\":0.5}",
                 "below"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"open\","
                 "\"min_trust\":0,\"max_trust\":1,\"vcpus\":{\"current\":3,\"max\":2}}",
                 "vcpus"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"open\","
                 "\"min_trust\":0,\"max_trust\":1,\"vcpus\":{\"current\":1,\"max\":2,\"x\":1}}",
                 "vcpus.x"},
                {"{\"name\":\"t\",\"posture\":\"low\",\"image\":\"m\",\"network\":\"open\","
                 "\"min_trust\":0,\"max_trust\":1,\"vcpus\":{\"current\":1,\"max\":2},"
                 "\"memory_mib\":{\"current\":16,\"max\":32}}",
                 "memory_mib"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vgl_tier t;
                struct vgl_error e = {0};
                int r = parse(cases[i].text, &t, &e);
                if (r >= 0 || !strstr(e.msg, "x.json") || !strstr(e.msg, cases[i].mention))
                        fail_msg("case %zu: r=%d msg '%s' should mention '%s'", i, r, e.msg,
                                 cases[i].mention);
        }
        char big[VGL_TIER_FILE_MAX + 2];
        memset(big, ' ', sizeof(big));
        struct vgl_tier t;
        assert_int_equal(vgl_tier_parse("big.json", big, sizeof(big), &t, NULL), -EFBIG);
}

static struct vgl_tier tier(const char *name, enum vgl_posture p, double lo, double hi)
{
        struct vgl_tier t = {.posture = p, .min_trust = lo, .max_trust = hi};
        snprintf(t.name, sizeof(t.name), "%s", name);
        return t;
}

static void test_set_validation(void **state)
{
        struct vgl_tier_set p = {.n_tiers = 2};
        struct vgl_error e = {0};
        p.tiers[0] = tier("a", VGL_POSTURE_HIGH, 0.0, 0.5);
        p.tiers[1] = tier("b", VGL_POSTURE_LOW, 0.5, 1.0);
        assert_int_equal(vgl_tier_set_validate(&p, &e), 0);
        assert_string_equal(p.tiers[0].name, "b"); /* sorted by posture */

        p.tiers[0] = tier("a", VGL_POSTURE_HIGH, 0.0, 0.4);
        p.tiers[1] = tier("b", VGL_POSTURE_LOW, 0.5, 1.0);
        assert_int_equal(vgl_tier_set_validate(&p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "gap"));

        p.tiers[0] = tier("a", VGL_POSTURE_LOW, 0.0, 0.5);
        p.tiers[1] = tier("a", VGL_POSTURE_HIGH, 0.5, 1.0);
        assert_int_equal(vgl_tier_set_validate(&p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "named"));

        p.tiers[0] = tier("a", VGL_POSTURE_LOW, 0.0, 0.5);
        p.tiers[1] = tier("b", VGL_POSTURE_LOW, 0.5, 1.0);
        assert_int_equal(vgl_tier_set_validate(&p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "posture"));

        p.n_tiers = 0;
        assert_int_equal(vgl_tier_set_validate(&p, &e), -ENOENT);
}

static void test_missing_dir(void **state)
{
        struct vgl_tier_set p;
        struct vgl_error e = {0};
        assert_int_equal(vgl_tier_set_load("/nonexistent-vigil", &p, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "/nonexistent-vigil/tiers"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_policies), cmocka_unit_test(test_good_tier),
                cmocka_unit_test(test_bad_tiers),        cmocka_unit_test(test_set_validation),
                cmocka_unit_test(test_missing_dir),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
