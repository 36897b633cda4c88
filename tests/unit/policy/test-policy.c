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

        /* Caps tighten and postures harden from low to paranoid; only
         * paranoid is entered by a hop. */
        const struct vgl_tier *low = &p.tiers[0], *par = &p.tiers[3];
        assert_int_equal(low->net_in_kbps, 0);
        assert_int_equal(low->disk_iops, 0);
        assert_false(low->hop_on_entry);
        assert_true(par->hop_on_entry);
        for (size_t i = 1; i < 4; i++) {
                const struct vgl_tier *a = &p.tiers[i - 1], *b = &p.tiers[i];
                assert_true(b->net_in_kbps > 0 && b->net_out_kbps > 0 && b->disk_iops > 0 &&
                            b->disk_bytes_per_s > 0);
                assert_true(b->vcpus <= a->vcpus && b->memory_mib <= a->memory_mib &&
                            b->cpu_quota_percent <= a->cpu_quota_percent);
                assert_false(i < 3 && b->hop_on_entry);
        }
        /* a demotion from medium lowers what can be seen from outside */
        const struct vgl_tier *med = &p.tiers[1], *high = &p.tiers[2];
        assert_true(high->vcpus < med->vcpus && high->memory_mib < med->memory_mib &&
                    high->cpu_quota_percent < med->cpu_quota_percent);
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
        assert_int_equal(t.net_in_kbps, 0); /* optional: no caps, no hop */
        assert_int_equal(t.disk_bytes_per_s, 0);
        assert_false(t.hop_on_entry);
}

#define TIER_WITH(extra)                                                                           \
        "{\"name\":\"t\",\"posture\":\"medium\",\"min_trust\":0.5,\"max_trust\":0.75,"             \
        "\"image\":\"microvm\",\"vcpus\":{\"current\":1,\"max\":2},"                               \
        "\"memory_mib\":{\"current\":256,\"max\":512},\"cpu_quota_percent\":100,"                  \
        "\"network\":\"none\",\"ttl_s\":{\"default\":60,\"max\":600}," extra "}"

static void test_caps_and_hop(void **state)
{
        struct vgl_tier t;
        struct vgl_error e = {0};
        const char *good = TIER_WITH("\"bandwidth_kbps\":{\"in\":1000,\"out\":100},"
                                     "\"disk\":{\"iops\":50,\"bytes_per_s\":1048576},\"hop\":true");
        assert_int_equal(parse(good, &t, &e), 0);
        assert_int_equal(t.net_in_kbps, 1000);
        assert_int_equal(t.net_out_kbps, 100);
        assert_int_equal(t.disk_iops, 50);
        assert_int_equal(t.disk_bytes_per_s, 1048576);
        assert_true(t.hop_on_entry);
        assert_int_equal(parse(TIER_WITH("\"bandwidth_kbps\":{\"out\":5},\"hop\":false"), &t, &e),
                         0);
        assert_int_equal(t.net_in_kbps, 0);
        assert_int_equal(t.net_out_kbps, 5);

        static const struct {
                const char *text, *mention;
        } cases[] = {
                {TIER_WITH("\"bandwidth_kbps\":5"), "bandwidth_kbps"},
                {TIER_WITH("\"bandwidth_kbps\":{\"in\":-1}"), "bandwidth_kbps"},
                {TIER_WITH("\"bandwidth_kbps\":{\"in\":1.5}"), "bandwidth_kbps"},
                {TIER_WITH("\"bandwidth_kbps\":{\"in\":100000000001}"), "bandwidth_kbps"},
                {TIER_WITH("\"bandwidth_kbps\":{\"up\":1}"), "unknown field 'bandwidth_kbps.up'"},
                {TIER_WITH("\"disk\":[]"), "disk"},
                {TIER_WITH("\"disk\":{\"iops\":\"fast\"}"), "disk"},
                {TIER_WITH("\"disk\":{\"bytes_per_s\":2199023255553}"), "disk"},
                {TIER_WITH("\"disk\":{\"iops\":1,\"bps\":1}"), "unknown field 'disk.bps'"},
                {TIER_WITH("\"hop\":\"yes\""), "hop"},
                {TIER_WITH("\"hop\":1"), "hop"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int r = parse(cases[i].text, &t, &e);
                if (r >= 0 || !strstr(e.msg, "x.json") || !strstr(e.msg, cases[i].mention))
                        fail_msg("case %zu: r=%d msg '%s' should mention '%s'", i, r, e.msg,
                                 cases[i].mention);
        }
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

/* A stricter tier never hands out more than a more relaxed one. */
static void test_set_limit_order(void **state)
{
        /* Case i loosens the field fields[i] of the stricter tier. */
        static const char *const fields[] = {
                "'vcpus.current'",     "'memory_mib.current'", "'cpu_quota_percent'",
                "'bandwidth_kbps.in'", "'bandwidth_kbps.out'", "'disk.iops'",
                "'disk.bytes_per_s'",
        };
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
                struct vgl_tier_set p = {.n_tiers = 2};
                struct vgl_tier *relaxed = &p.tiers[0], *strict = &p.tiers[1];
                *relaxed = tier("relaxed", VGL_POSTURE_LOW, 0.5, 1.0);
                *strict = tier("strict", VGL_POSTURE_HIGH, 0.0, 0.5);
                relaxed->vcpus = 2, strict->vcpus = 1;
                relaxed->memory_mib = 512, strict->memory_mib = 256;
                relaxed->cpu_quota_percent = 100, strict->cpu_quota_percent = 50;
                relaxed->net_in_kbps = 0, strict->net_in_kbps = 100; /* 0: no cap */
                relaxed->net_out_kbps = 1000, strict->net_out_kbps = 1000;
                relaxed->disk_iops = 100, strict->disk_iops = 10;
                relaxed->disk_bytes_per_s = 0, strict->disk_bytes_per_s = 0;
                struct vgl_error e = {0};
                assert_int_equal(vgl_tier_set_validate(&p, &e), 0);
                switch (i) {
                case 0:
                        strict->vcpus = 3;
                        break;
                case 1:
                        strict->memory_mib = 1024;
                        break;
                case 2:
                        strict->cpu_quota_percent = 100 + 1;
                        break;
                case 3:
                        relaxed->net_in_kbps = 50;
                        break;
                case 4:
                        strict->net_out_kbps = 0;
                        break; /* uncapped below a cap */
                case 5:
                        strict->disk_iops = 101;
                        break;
                case 6:
                        relaxed->disk_bytes_per_s = 10;
                        strict->disk_bytes_per_s = 11;
                        break;
                }
                int r = vgl_tier_set_validate(&p, &e);
                if (r != -EINVAL || !strstr(e.msg, fields[i]) || !strstr(e.msg, "'strict'"))
                        fail_msg("case %zu: r=%d msg '%s' should mention %s", i, r, e.msg,
                                 fields[i]);
        }
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
                cmocka_unit_test(test_missing_dir),      cmocka_unit_test(test_caps_and_hop),
                cmocka_unit_test(test_set_limit_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
