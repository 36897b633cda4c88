/* Unit tests of the personality profile: names, the bounded rings, and the
 * JSON round trip with every field validated (the persisted form is
 * untrusted: each bad field must be named in the error). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "behaviour.h"
#include "profile.h"
#include "proto-msg.h"

static const struct vgl_tier medium = {
        .name = "medium",
        .posture = VGL_POSTURE_MEDIUM,
        .min_trust = 0.5,
        .max_trust = 0.75,
        .vcpus = 2,
        .max_vcpus = 2,
        .memory_mib = 512,
        .max_memory_mib = 512,
        .cpu_quota_percent = 100,
        .net_in_kbps = 50000,
        .net_out_kbps = 10000,
        .disk_iops = 2000,
        .disk_bytes_per_s = 104857600,
};

static void test_names(void **state)
{
        for (int a = 0; a < VGL_ACTION_COUNT; a++) {
                enum vgl_action back;
                assert_int_equal(vgl_action_from_name(vgl_action_name(a), &back), 0);
                assert_int_equal(back, a);
        }
        assert_string_equal(vgl_action_name(VGL_ACTION_COUNT), "unknown");
        enum vgl_action a;
        assert_int_equal(vgl_action_from_name("cpu", &a), -EINVAL);
        assert_int_equal(vgl_action_from_name(NULL, &a), -EINVAL);

        for (int s = VGL_ACTION_PENDING; s <= VGL_ACTION_FAILED; s++) {
                enum vgl_action_state back;
                assert_int_equal(vgl_action_state_from_name(vgl_action_state_name(s), &back), 0);
                assert_int_equal(back, s);
        }
        assert_string_equal(vgl_action_state_name(VGL_ACTION_NOT_APPLICABLE), "not_applicable");
        enum vgl_action_state st;
        assert_int_equal(vgl_action_state_from_name("done", &st), -EINVAL);

        for (int k = VGL_ADJUST_HOLD; k <= VGL_ADJUST_UPDATE; k++) {
                enum vgl_adjust_kind back;
                assert_int_equal(vgl_adjust_kind_from_name(vgl_adjust_kind_name(k), &back), 0);
                assert_int_equal(back, k);
        }
        assert_string_equal(vgl_adjust_kind_name(VGL_ADJUST_DEMOTE), "demote");
        assert_string_equal(vgl_adjust_kind_name(99), "unknown");
}

static void test_init(void **state)
{
        struct vgl_profile p;
        memset(&p, 0xaa, sizeof(p));
        vgl_profile_init(&p, "0123456789ab", &medium, 0.6, 0.5, 0.6);
        assert_string_equal(p.profile_id, "0123456789ab");
        assert_string_equal(p.tier, "medium");
        assert_int_equal(p.posture, VGL_POSTURE_MEDIUM);
        assert_int_equal(p.limits.vcpus, 2);
        assert_int_equal(p.limits.memory_mib, 512);
        assert_int_equal(p.limits.cpu_quota_percent, 100);
        assert_int_equal(p.limits.net_out_kbps, 10000);
        assert_int_equal(p.limits.disk_bytes_per_s, 104857600);
        assert_true(p.trust_score == 0.5 && p.ceiling == 0.6 && p.desired_trust_level == 0.6);
        assert_false(p.achieved);
        assert_int_equal(p.n_history, 0);
        assert_int_equal(p.signature.n_endpoints, 0);
        for (int a = 0; a < VGL_ACTION_COUNT; a++)
                assert_int_equal(p.actions[a].state, VGL_ACTION_PENDING);
}

static void test_history_ring(void **state)
{
        static struct vgl_profile p;
        vgl_profile_init(&p, "id", &medium, 0.6, 0.5, 0.6);
        assert_null(vgl_profile_history_at(&p, 0));
        for (int i = 0; i < VGL_PROFILE_HISTORY + 8; i++) {
                struct vgl_adjustment a = {.time = 1000 + i, .kind = VGL_ADJUST_HOLD};
                vgl_profile_push_history(&p, &a);
                assert_int_equal(p.n_history,
                                 i + 1 < VGL_PROFILE_HISTORY ? i + 1 : VGL_PROFILE_HISTORY);
        }
        /* The oldest 8 went; the rest in order. */
        for (size_t i = 0; i < VGL_PROFILE_HISTORY; i++)
                assert_int_equal(vgl_profile_history_at(&p, i)->time, 1008 + (int)i);
        assert_null(vgl_profile_history_at(&p, VGL_PROFILE_HISTORY));
}

static void test_signature_bounds(void **state)
{
        struct vgl_signature s = {0};
        char ep[32];
        for (int i = 0; i < 12; i++) {
                snprintf(ep, sizeof(ep), "10.0.0.%d:443", i);
                vgl_signature_add_endpoint(&s, ep);
        }
        assert_int_equal(s.n_endpoints, VGL_PROFILE_ENDPOINTS);
        assert_string_equal(s.endpoints[0], "10.0.0.11:443"); /* newest first */
        assert_string_equal(s.endpoints[7], "10.0.0.4:443");  /* the oldest kept */
        vgl_signature_add_endpoint(&s, "10.0.0.6:443");       /* a repeat moves up */
        assert_int_equal(s.n_endpoints, VGL_PROFILE_ENDPOINTS);
        assert_string_equal(s.endpoints[0], "10.0.0.6:443");
        assert_string_equal(s.endpoints[1], "10.0.0.11:443");
        assert_string_equal(s.endpoints[7], "10.0.0.4:443");
        vgl_signature_add_endpoint(&s, "");
        vgl_signature_add_endpoint(&s, NULL);
        assert_string_equal(s.endpoints[0], "10.0.0.6:443");
        char longer[200];
        memset(longer, 'a', sizeof(longer) - 1);
        longer[sizeof(longer) - 1] = '\0';
        vgl_signature_add_endpoint(&s, longer);
        assert_int_equal(strlen(s.endpoints[0]), sizeof(s.endpoints[0]) - 1);

        for (int i = 0; i < VGL_PROFILE_SERIES + 5; i++)
                vgl_signature_add_sample(&s, 100 + i, 2000, (uint64_t)i);
        assert_int_equal(s.n_series, VGL_PROFILE_SERIES);
        assert_int_equal(s.series[s.series_head].time, 105); /* oldest */
        assert_int_equal(s.series[s.series_head].cpu_permille, 1000);
}

static void test_set_action(void **state)
{
        struct vgl_profile p;
        vgl_profile_init(&p, "id", &medium, 0.6, 0.5, 0.6);
        vgl_profile_set_action(&p, VGL_ACTION_VCPUS, VGL_ACTION_APPLIED, "1", NULL, 77);
        assert_int_equal(p.actions[VGL_ACTION_VCPUS].state, VGL_ACTION_APPLIED);
        assert_string_equal(p.actions[VGL_ACTION_VCPUS].value, "1");
        assert_string_equal(p.actions[VGL_ACTION_VCPUS].reason, "");
        assert_int_equal(p.actions[VGL_ACTION_VCPUS].time, 77);
        vgl_profile_set_action(&p, VGL_ACTION_COUNT, VGL_ACTION_FAILED, "x", "y", 1); /* ignored */
}

/* A profile with every part filled, rings wrapped. */
static void rich_profile(struct vgl_profile *p)
{
        vgl_profile_init(p, "0123456789ab", &medium, 0.7, 0.612345, 0.7);
        p->achieved = true;
        p->clean_rounds = 9;
        p->rounds = 120;
        p->last_round = 1700000000;
        p->hops = 1;
        p->limits.vcpus = 1;
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                p->signature.tag_totals[t] = 10 * t + 1;
        p->signature.events = 500;
        p->signature.syscalls = 400;
        p->signature.denials = 3;
        p->signature.n_top_syscalls = 2;
        p->signature.top_syscalls[0].nr = 59;
        p->signature.top_syscalls[0].count = 40;
        p->signature.top_syscalls[1].nr = 1;
        p->signature.top_syscalls[1].count = 20;
        vgl_signature_add_endpoint(&p->signature, "10.0.0.1:443");
        vgl_signature_add_endpoint(&p->signature, "[2001:db8::1]:80");
        for (int i = 0; i < VGL_PROFILE_SERIES + 3; i++)
                vgl_signature_add_sample(&p->signature, 1700000000 + i, 10u * i, 1000u + i);
        p->signature.anomaly = 0.25;
        p->signature.risk = 0.125;
        snprintf(p->signature.model, sizeof(p->signature.model), "stide-3");
        vgl_profile_set_action(p, VGL_ACTION_MEMORY, VGL_ACTION_APPLIED, "256 MiB", "", 1700000001);
        vgl_profile_set_action(p, VGL_ACTION_NWFILTER, VGL_ACTION_UNSUPPORTED, "",
                               "qemu:///embed has no nwfilter driver", 1700000002);
        for (int i = 0; i < VGL_PROFILE_HISTORY + 2; i++) {
                struct vgl_adjustment a = {.time = 1700000000 + i,
                                           .kind = i % 2 ? VGL_ADJUST_DEMOTE : VGL_ADJUST_PROMOTE,
                                           .trust_before = 0.5,
                                           .trust_after = 0.25};
                snprintf(a.tier_before, sizeof(a.tier_before), "medium");
                snprintf(a.tier_after, sizeof(a.tier_after), "high");
                snprintf(a.reason, sizeof(a.reason), "sensitive_data_access x%d — ünïcode", i);
                vgl_profile_push_history(p, &a);
        }
}

static char *to_text(const struct vgl_profile *p)
{
        struct json_object *o = NULL;
        assert_int_equal(vgl_profile_to_json(p, &o), 0);
        char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return s;
}

static int from_text(const char *text, struct vgl_profile *p, struct vgl_error *e)
{
        struct json_object *o = json_tokener_parse(text);
        assert_non_null(o);
        int r = vgl_profile_from_json(o, p, e);
        json_object_put(o);
        return r;
}

static void test_round_trip(void **state)
{
        static struct vgl_profile p, q;
        rich_profile(&p);
        char *a = to_text(&p);
        struct vgl_error e = {0};
        if (from_text(a, &q, &e) < 0)
                fail_msg("parse: %s", e.msg);
        char *b = to_text(&q);
        assert_string_equal(a, b);
        assert_string_equal(q.profile_id, "0123456789ab");
        assert_true(q.trust_score == 0.612345);
        assert_int_equal(q.limits.vcpus, 1);
        assert_int_equal(q.n_history, VGL_PROFILE_HISTORY);
        assert_int_equal(vgl_profile_history_at(&q, 0)->time, 1700000002);
        assert_int_equal(q.signature.n_series, VGL_PROFILE_SERIES);
        assert_int_equal(q.signature.series[q.signature.series_head].time, 1700000003);
        assert_string_equal(q.signature.endpoints[0], "[2001:db8::1]:80");
        assert_int_equal(q.actions[VGL_ACTION_NWFILTER].state, VGL_ACTION_UNSUPPORTED);
        assert_int_equal(q.signature.tag_totals[VGL_TAG_POLICY_VIOLATION], 71);
        assert_true(strstr(a, "\"security_posture\":\"medium\""));
        assert_true(strstr(a, "\"sensitive_data_access\":31"));
        free(a);
        free(b);

        /* The rings keep working after a restore. */
        struct vgl_adjustment x = {.time = 1, .kind = VGL_ADJUST_HOLD};
        vgl_profile_push_history(&q, &x);
        assert_int_equal(vgl_profile_history_at(&q, VGL_PROFILE_HISTORY - 1)->time, 1);
        vgl_signature_add_sample(&q.signature, 5, 1, 1);
        assert_int_equal(q.signature.n_series, VGL_PROFILE_SERIES);

        /* Only the required core: the rest defaults to empty. */
        const char *minimal =
                "{\"profile_id\":\"abc\",\"tier\":\"high\",\"security_posture\":\"high\","
                "\"resource_limits\":{\"vcpus\":1,\"cpu_quota_percent\":75,\"memory_mib\":256},"
                "\"trust_score\":0.3,\"desired_trust_level\":0.4,\"ceiling\":0.4}";
        if (from_text(minimal, &q, &e) < 0)
                fail_msg("minimal: %s", e.msg);
        assert_int_equal(q.n_history, 0);
        assert_int_equal(q.limits.net_in_kbps, 0);
        assert_int_equal(q.actions[VGL_ACTION_VCPUS].state, VGL_ACTION_PENDING);
}

/* Sets (or with value NULL deletes) the member at a dotted path of o;
 * numeric parts index arrays. */
static void mutate(struct json_object *o, const char *path, const char *value)
{
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        char *save = NULL, *part = strtok_r(buf, ".", &save);
        for (char *next; (next = strtok_r(NULL, ".", &save)); part = next) {
                if (json_object_is_type(o, json_type_array))
                        o = json_object_array_get_idx(o, (size_t)atoi(part));
                else
                        assert_true(json_object_object_get_ex(o, part, &o));
                assert_non_null(o);
        }
        if (json_object_is_type(o, json_type_array)) {
                struct json_object *v = json_tokener_parse(value);
                assert_non_null(v);
                json_object_array_put_idx(o, (size_t)atoi(part), v);
        } else if (!value) {
                json_object_object_del(o, part);
        } else {
                struct json_object *v = json_tokener_parse(value);
                assert_true(v || strcmp(value, "null") == 0);
                json_object_object_add(o, part, v);
        }
}

static void test_invalid_fields(void **state)
{
        static const struct {
                const char *path, *value, *mention;
        } cases[] = {
                {"bogus", "1", "profile.bogus: unknown field"},
                {"profile_id", NULL, "profile.profile_id: missing"},
                {"profile_id", "\"\"", "profile.profile_id"},
                {"profile_id", "\"0123456789abcdef0123456789abcdef\"", "profile.profile_id"},
                {"profile_id", "\"a\\nb\"", "profile.profile_id"},
                {"tier", "7", "profile.tier"},
                {"security_posture", "\"lax\"", "profile.security_posture: unknown value"},
                {"resource_limits", "[]", "profile.resource_limits"},
                {"resource_limits.vcpus", "0", "profile.resource_limits.vcpus"},
                {"resource_limits.vcpus", "65", "profile.resource_limits.vcpus"},
                {"resource_limits.vcpus", "1.5", "profile.resource_limits.vcpus"},
                {"resource_limits.cpu_quota_percent", "101",
                 "profile.resource_limits.cpu_quota_percent"},
                {"resource_limits.memory_mib", "32", "profile.resource_limits.memory_mib"},
                {"resource_limits.net_in_kbps", "-1", "profile.resource_limits.net_in_kbps"},
                {"resource_limits.disk_bytes_per_s", "99999999999999999999",
                 "profile.resource_limits.disk_bytes_per_s"},
                {"resource_limits.x", "1", "profile.resource_limits.x: unknown field"},
                {"trust_score", "1.5", "profile.trust_score"},
                {"trust_score", "\"0.5\"", "profile.trust_score"},
                {"trust_score", "0.9", "above the ceiling"},
                {"desired_trust_level", "-0.1", "profile.desired_trust_level"},
                {"ceiling", NULL, "profile.ceiling: missing"},
                {"achieved", "1", "profile.achieved"},
                {"clean_rounds", "4294967296", "profile.clean_rounds"},
                {"last_round", "-5", "profile.last_round"},
                {"behavioral_signatures.tags.nope", "1",
                 "profile.behavioral_signatures.tags.nope: unknown field"},
                {"behavioral_signatures.tags.file_write", "-1",
                 "profile.behavioral_signatures.tags.file_write"},
                {"behavioral_signatures.anomaly", "2", "profile.behavioral_signatures.anomaly"},
                {"behavioral_signatures.endpoints.0", "5",
                 "profile.behavioral_signatures.endpoints[0]"},
                {"behavioral_signatures.series.3.cpu_permille", "1001",
                 "profile.behavioral_signatures.series[3].cpu_permille"},
                {"behavioral_signatures.series.3.extra", "1",
                 "profile.behavioral_signatures.series[3].extra"},
                {"behavioral_signatures.top_syscalls.1.nr", "70000",
                 "profile.behavioral_signatures.top_syscalls[1].nr"},
                {"behavioral_signatures.model", "\"\\u0001\"",
                 "profile.behavioral_signatures.model"},
                {"actions.teleport", "{}", "profile.actions.teleport: unknown action"},
                {"actions.vcpus.state", "\"done\"", "profile.actions.vcpus.state"},
                {"actions.vcpus", "1", "profile.actions.vcpus"},
                {"history.0.kind", "\"jump\"", "profile.history[0].kind"},
                {"history.5.trust_after", "3", "profile.history[5].trust_after"},
                {"history.31.tier_before", NULL, "profile.history[31].tier_before: missing"},
                {"history.2", "\"x\"", "profile.history[2]"},
        };
        static struct vgl_profile p, q;
        rich_profile(&p);
        char *good = to_text(&p);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct json_object *o = json_tokener_parse(good);
                mutate(o, cases[i].path, cases[i].value);
                memset(&q, 0x5a, sizeof(q));
                struct vgl_error e = {0};
                int r = vgl_profile_from_json(o, &q, &e);
                json_object_put(o);
                if (r != -EBADMSG || !strstr(e.msg, cases[i].mention))
                        fail_msg("case %zu (%s): r=%d msg '%s' should mention '%s'", i,
                                 cases[i].path, r, e.msg, cases[i].mention);
                assert_int_equal(((unsigned char *)&q)[0], 0x5a); /* untouched */
        }
        free(good);
}

static void test_bounds(void **state)
{
        static struct vgl_profile p, q;
        rich_profile(&p);
        struct json_object *o = NULL;
        assert_int_equal(vgl_profile_to_json(&p, &o), 0);
        struct vgl_error e = {0};

        /* One more than each bounded array holds. */
        struct json_object *hist = NULL, *sig = NULL, *eps = NULL;
        assert_true(json_object_object_get_ex(o, "history", &hist));
        json_object_array_add(hist, json_object_get(json_object_array_get_idx(hist, 0)));
        assert_int_equal(vgl_profile_from_json(o, &q, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "profile.history: more than 32"));
        json_object_array_del_idx(hist, 0, 1);
        assert_int_equal(vgl_profile_from_json(o, &q, &e), 0);

        assert_true(json_object_object_get_ex(o, "behavioral_signatures", &sig));
        assert_true(json_object_object_get_ex(sig, "endpoints", &eps));
        for (int i = 0; i < VGL_PROFILE_ENDPOINTS; i++)
                json_object_array_add(eps, json_object_new_string("10.1.1.1:1"));
        assert_int_equal(vgl_profile_from_json(o, &q, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "profile.behavioral_signatures.endpoints: more than 8"));
        json_object_put(o);

        /* Strings at their limit pass, one byte more does not. */
        char reason[VGL_PROFILE_REASON_MAX + 1];
        memset(reason, 'r', sizeof(reason));
        reason[VGL_PROFILE_REASON_MAX - 1] = '\0';
        assert_int_equal(vgl_profile_to_json(&p, &o), 0);
        mutate(o, "history.0.reason", NULL);
        json_object_object_add(json_object_array_get_idx(json_object_object_get(o, "history"), 0),
                               "reason", json_object_new_string(reason));
        assert_int_equal(vgl_profile_from_json(o, &q, &e), 0);
        reason[VGL_PROFILE_REASON_MAX - 1] = 'r';
        reason[VGL_PROFILE_REASON_MAX] = '\0';
        json_object_object_add(json_object_array_get_idx(json_object_object_get(o, "history"), 0),
                               "reason", json_object_new_string(reason));
        assert_int_equal(vgl_profile_from_json(o, &q, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "profile.history[0].reason"));
        json_object_put(o);

        /* Not an object at all. */
        struct json_object *arr = json_object_new_array();
        assert_int_equal(vgl_profile_from_json(arr, &q, &e), -EBADMSG);
        assert_int_equal(vgl_profile_from_json(NULL, &q, &e), -EBADMSG);
        json_object_put(arr);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),          cmocka_unit_test(test_init),
                cmocka_unit_test(test_history_ring),   cmocka_unit_test(test_signature_bounds),
                cmocka_unit_test(test_set_action),     cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_invalid_fields), cmocka_unit_test(test_bounds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
