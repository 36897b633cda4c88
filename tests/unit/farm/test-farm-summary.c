/* The JSON summary: totals, per job its verdict and attempts, and the
 * trust trajectory built from a profile such as GetProfile returns
 * (docs/trust.md) plus the events seen: start, each history entry, end;
 * tier changes without the hop entries, hops, denials, violations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "results.h"
#include "util.h"

static const char *const profile_text =
        "{\"profile_id\": \"abc\", \"tier\": \"paranoid\", \"security_posture\": \"paranoid\","
        " \"trust_score\": 0.1, \"desired_trust_level\": 0.7, \"ceiling\": 0.7, \"hops\": 1,"
        " \"behavioral_signatures\": {\"tags\": {\"sensitive_data_access\": 2,"
        "   \"policy_violation\": 3}, \"denials\": 3},"
        " \"history\": ["
        "  {\"time\": 1010, \"kind\": \"demote\", \"trust_before\": 0.6, \"trust_after\": 0.4,"
        "   \"tier_before\": \"medium\", \"tier_after\": \"high\", \"reason\": \"sensitive x1\"},"
        "  {\"time\": 1012, \"kind\": \"demote\", \"trust_before\": 0.4, \"trust_after\": 0.1,"
        "   \"tier_before\": \"high\", \"tier_after\": \"paranoid\", \"reason\": \"(hop)\"},"
        "  {\"time\": 1015, \"kind\": \"hop\", \"trust_before\": 0.1, \"trust_after\": 0.1,"
        "   \"tier_before\": \"high\", \"tier_after\": \"paranoid\", \"reason\": \"hop in 900 ms\"}"
        " ]}";

static struct json_object *at(struct json_object *o, const char *path)
{
        char buf[256], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
                if (k[0] >= '0' && k[0] <= '9')
                        o = json_object_array_get_idx(o, (size_t)atoi(k));
                else if (!json_object_object_get_ex(o, k, &o))
                        return NULL;
        }
        return o;
}

static const char *s_at(struct json_object *o, const char *path)
{
        return json_object_get_string(at(o, path));
}

static void test_trust(void **state)
{
        struct farm_attempt a = {.number = 1,
                                 .status = FARM_PASSED,
                                 .reserved = true,
                                 .trust_start = 0.6,
                                 .started = 1000,
                                 .ended = 1020,
                                 .n_events = 9,
                                 .n_violations = 3};
        struct json_object *t;

        snprintf(a.tier_start, sizeof(a.tier_start), "medium");
        a.profile = json_tokener_parse(profile_text);
        assert_non_null(a.profile);
        a.events = json_tokener_parse("[{\"kind\": \"hop\", \"message\": \"moved\"}]");
        t = farm_trust_json(&a);
        assert_non_null(t);
        assert_true(json_object_get_boolean(at(t, "profile")));
        assert_string_equal(s_at(t, "trust_start"), "0.6");
        assert_string_equal(s_at(t, "tier_start"), "medium");
        assert_string_equal(s_at(t, "trust_end"), "0.1");
        assert_string_equal(s_at(t, "tier_end"), "paranoid");
        /* start, three history entries, end */
        assert_int_equal(json_object_array_length(at(t, "trajectory")), 5);
        assert_string_equal(s_at(t, "trajectory.0.kind"), "start");
        assert_int_equal(json_object_get_int64(at(t, "trajectory.0.time")), 1000);
        assert_string_equal(s_at(t, "trajectory.1.tier_after"), "high");
        assert_string_equal(s_at(t, "trajectory.3.kind"), "hop");
        assert_string_equal(s_at(t, "trajectory.4.kind"), "end");
        assert_string_equal(s_at(t, "trajectory.4.trust"), "0.1");
        /* the hop entry is not a second tier change */
        assert_int_equal(json_object_array_length(at(t, "tier_changes")), 2);
        assert_string_equal(s_at(t, "tier_changes.0.from"), "medium");
        assert_string_equal(s_at(t, "tier_changes.0.to"), "high");
        assert_string_equal(s_at(t, "tier_changes.1.to"), "paranoid");
        assert_int_equal(json_object_get_int64(at(t, "hops")), 1);
        assert_int_equal(json_object_array_length(at(t, "hop_history")), 1);
        assert_int_equal(json_object_get_int64(at(t, "denials")), 3);
        assert_int_equal(json_object_get_int64(at(t, "policy_violations")), 3);
        assert_int_equal(json_object_get_int64(at(t, "events_seen")), 9);
        assert_int_equal(json_object_get_int64(at(t, "behaviour_tags.sensitive_data_access")), 2);
        assert_string_equal(s_at(t, "events.0.kind"), "hop");
        json_object_put(t);
        json_object_put(a.profile);
        json_object_put(a.events);
}

/* Without a profile (GetProfile failed, or never reserved). */
static void test_trust_without_profile(void **state)
{
        struct farm_attempt a = {.number = 1, .reserved = true, .trust_start = 0.45};
        struct farm_attempt none = {.number = 1};
        struct json_object *t;

        snprintf(a.tier_start, sizeof(a.tier_start), "high");
        t = farm_trust_json(&a);
        assert_false(json_object_get_boolean(at(t, "profile")));
        assert_string_equal(s_at(t, "trust_start"), "0.45");
        assert_null(at(t, "trust_end"));
        assert_int_equal(json_object_array_length(at(t, "trajectory")), 1);
        assert_int_equal(json_object_get_int64(at(t, "hops")), 0);
        json_object_put(t);
        t = farm_trust_json(&none);
        assert_null(at(t, "trust_start"));
        assert_int_equal(json_object_array_length(at(t, "trajectory")), 0);
        json_object_put(t);
}

static void test_summary(void **state)
{
        const char *text = "{\"suite\": \"s\", \"defaults\": {\"desired_trust_level\": 0.7},"
                           " \"jobs\": [{\"name\": \"a\", \"command\": \"true\", \"retries\": 1},"
                           "  {\"name\": \"b\", \"command\": \"true\", \"image\": \"debian\"}]}";
        struct farm_run_info info = {.suite = "s",
                                     .run_id = "r1",
                                     .hostname = "h",
                                     .socket = "/tmp/v.sock",
                                     .out_dir = "/tmp/o",
                                     .concurrency = 2,
                                     .started = 1000,
                                     .ended = 1030.5};
        char path[] = "/tmp/farm-summary-XXXXXX";
        struct farm_manifest m = {};
        struct vgl_error e = {};
        struct farm_result *res;
        struct farm_attempt *a;
        struct json_object *o, *back;
        int fd;

        assert_int_equal(farm_manifest_parse("/tmp/s.json", text, &m, &e), 0);
        res = farm_results_new(&m);
        res[0].status = FARM_PASSED;
        res[0].n_attempts = 2;
        res[0].started = 1000, res[0].ended = 1025;
        res[0].attempts[0] = (struct farm_attempt){.number = 1,
                                                   .status = FARM_FAILED,
                                                   .reserved = true,
                                                   .trust_start = 0.6,
                                                   .have_exit = true};
        snprintf(res[0].attempts[0].exit.status, 32, "exited");
        res[0].attempts[0].exit.code = 1;
        snprintf(res[0].attempts[0].reason, 512, "exit status 1, expected 0");
        a = &res[0].attempts[1];
        *a = (struct farm_attempt){.number = 2,
                                   .status = FARM_PASSED,
                                   .reserved = true,
                                   .trust_start = 0.6,
                                   .have_exit = true,
                                   .started = 1010,
                                   .ended = 1025,
                                   .out_bytes = 6};
        snprintf(a->exit.status, 32, "exited");
        snprintf(a->tier_start, sizeof(a->tier_start), "medium");
        snprintf(a->dir, sizeof(a->dir), "jobs/a/attempt-2");
        a->profile = json_tokener_parse(profile_text);
        a->artifacts = json_tokener_parse("[{\"path\": \"/tmp/r\", \"file\": \"x\"}]");
        res[1].status = FARM_SKIPPED;
        snprintf(res[1].skip_reason, sizeof(res[1].skip_reason), "no tier boots 'debian'");

        o = farm_summary_json(&info, &m, res);
        assert_non_null(o);
        assert_int_equal(json_object_get_int(at(o, "version")), 1);
        assert_string_equal(s_at(o, "run_id"), "r1");
        assert_string_equal(s_at(o, "started"), "1970-01-01T00:16:40Z");
        assert_string_equal(s_at(o, "duration_s"), "30.5");
        assert_false(json_object_get_boolean(at(o, "interrupted")));
        assert_int_equal(json_object_get_int(at(o, "totals.jobs")), 2);
        assert_int_equal(json_object_get_int(at(o, "totals.passed")), 1);
        assert_int_equal(json_object_get_int(at(o, "totals.skipped")), 1);
        assert_int_equal(json_object_get_int(at(o, "totals.failed")), 0);
        assert_string_equal(s_at(o, "jobs.0.status"), "passed");
        assert_int_equal(json_object_get_int(at(o, "jobs.0.attempts_made")), 2);
        assert_string_equal(s_at(o, "jobs.0.attempts.0.status"), "failed");
        assert_int_equal(json_object_get_int(at(o, "jobs.0.attempts.0.exit.code")), 1);
        assert_string_equal(s_at(o, "jobs.0.attempts.1.stdout"), "jobs/a/attempt-2/stdout.log");
        assert_string_equal(s_at(o, "jobs.0.attempts.1.artifacts.0.file"), "x");
        assert_string_equal(s_at(o, "jobs.0.trust.tier_end"), "paranoid");
        assert_int_equal(json_object_get_int(at(o, "jobs.0.trust.hops")), 1);
        assert_string_equal(s_at(o, "jobs.0.log"), "jobs/a/output.log");
        assert_string_equal(s_at(o, "jobs.0.desired_trust_level"), "0.7");
        assert_string_equal(s_at(o, "jobs.1.status"), "skipped");
        assert_string_equal(s_at(o, "jobs.1.reason"), "no tier boots 'debian'");
        assert_null(at(o, "jobs.1.trust"));
        assert_int_equal(json_object_array_length(at(o, "jobs.1.attempts")), 0);

        /* written to a file, it reads back the same */
        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(farm_summary_write(path, &info, &m, res, &e), 0);
        back = json_object_from_file(path);
        assert_non_null(back);
        assert_true(json_object_equal(back, o));
        unlink(path);
        json_object_put(back);
        json_object_put(o);
        farm_results_free(res, m.n_jobs);
        farm_manifest_done(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trust),
                cmocka_unit_test(test_trust_without_profile),
                cmocka_unit_test(test_summary),
        };

        return cmocka_run_group_tests_name("farm summary", tests, NULL, NULL);
}
