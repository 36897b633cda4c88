/* Decoding canned io.vigil.Manager records and printing them: the list and
 * tiers tables, info lines, events, and records that are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "vigilctl.h"

#define SANDBOX_A                                                                                  \
        "{\"id\":\"a1b2c3\",\"domain\":\"vigil-a1b2c3\",\"tier\":\"medium\","                      \
        "\"posture\":\"medium\",\"state\":\"reserved\",\"owner_uid\":1000,"                        \
        "\"desired_trust_level\":0.5,\"trust_score\":0.725,\"created\":1700000000,"                \
        "\"expires\":1700003600,"                                                                  \
        "\"resources\":{\"vcpus\":2,\"max_vcpus\":4,\"memory_mib\":512,\"max_memory_mib\":1024,"   \
        "\"cpu_quota_percent\":100},"                                                              \
        "\"agent\":{\"agent_version\":\"0.1.0\",\"kernel\":\"6.1.0-18-amd64\","                    \
        "\"proto_version\":1,\"heartbeats\":42,\"last_heartbeat_age_ms\":120},"                    \
        "\"labels\":{\"team\":\"qa\",\"app\":\"web\"},\"future_field\":true}"

#define SANDBOX_B                                                                                  \
        "{\"id\":\"ffff\",\"domain\":\"vigil-ffff\",\"tier\":\"paranoid\","                        \
        "\"posture\":\"paranoid\",\"state\":\"booting\",\"owner_uid\":0,"                          \
        "\"desired_trust_level\":0,\"trust_score\":1,\"created\":1700000000,\"expires\":null,"     \
        "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":128,\"max_memory_mib\":128,"    \
        "\"cpu_quota_percent\":50},\"labels\":{}}"

static struct json_object *parse(const char *text)
{
        struct json_object *o = json_tokener_parse(text);

        assert_non_null(o);
        return o;
}

static void decode_sandbox(const char *text, struct vgl_client_sandbox *s)
{
        struct json_object *o = parse(text);
        struct vgl_error err = {0};

        assert_int_equal(vgl_client_sandbox_decode(o, s, &err), 0);
        json_object_put(o); /* the record keeps its own reference */
}

/* Runs fn into a memory stream and returns what it printed. */
static char *capture(void (*fn)(FILE *f, void *data), void *data)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        fn(f, data);
        fclose(f);
        return text;
}

static void test_decode_sandbox(void **state)
{
        struct vgl_client_sandbox s = {0};

        decode_sandbox(SANDBOX_A, &s);
        assert_string_equal(s.id, "a1b2c3");
        assert_string_equal(s.domain, "vigil-a1b2c3");
        assert_int_equal(s.owner_uid, 1000);
        assert_true(s.trust_score == 0.725);
        assert_true(s.has_expires);
        assert_int_equal(s.expires, 1700003600);
        assert_int_equal(s.resources.max_memory_mib, 1024);
        assert_true(s.has_agent);
        assert_string_equal(s.agent.kernel, "6.1.0-18-amd64");
        assert_int_equal(s.agent.heartbeats, 42);
        assert_int_equal(s.n_labels, 2);
        assert_string_equal(s.labels[0].key, "app"); /* sorted */
        assert_string_equal(s.labels[1].value, "qa");
        vgl_client_sandbox_done(&s);
        assert_null(s.json);

        decode_sandbox(SANDBOX_B, &s);
        assert_false(s.has_expires); /* null counts as absent */
        assert_false(s.has_agent);
        assert_true(s.desired_trust_level == 0.0); /* an integer where a float goes */
        assert_int_equal(s.n_labels, 0);
        vgl_client_sandbox_done(&s);
}

static void print_list(FILE *f, void *data)
{
        struct vgl_client_sandbox *s = data;

        assert_int_equal(vgl_ctl_print_sandboxes(f, s, 2), 0);
}

static void test_list_table(void **state)
{
        struct vgl_client_sandbox s[2] = {0};
        char *out;

        decode_sandbox(SANDBOX_A, &s[0]);
        decode_sandbox(SANDBOX_B, &s[1]);
        out = capture(print_list, s);
        assert_string_equal(out,
                            " ID       TIER       STATE      TRUST   OWNER   EXPIRES\n"
                            "--------------------------------------------------------------------\n"
                            " a1b2c3   medium     reserved   0.72    1000    2023-11-14 23:13:20\n"
                            " ffff     paranoid   booting    1.00    0       -\n");
        free(out);
        vgl_client_sandbox_done(&s[0]);
        vgl_client_sandbox_done(&s[1]);
}

static void print_empty(FILE *f, void *data)
{
        assert_int_equal(vgl_ctl_print_sandboxes(f, NULL, 0), 0);
}

static void test_list_empty(void **state)
{
        char *out = capture(print_empty, NULL);

        assert_string_equal(out, " ID   TIER   STATE   TRUST   OWNER   EXPIRES\n"
                                 "---------------------------------------------\n");
        free(out);
}

static void print_info(FILE *f, void *data)
{
        vgl_ctl_print_info(f, data);
}

static void test_info(void **state)
{
        struct vgl_client_sandbox s = {0};
        char *out;

        decode_sandbox(SANDBOX_A, &s);
        out = capture(print_info, &s);
        assert_string_equal(out, "Id:             a1b2c3\n"
                                 "Domain:         vigil-a1b2c3\n"
                                 "Tier:           medium\n"
                                 "Posture:        medium\n"
                                 "State:          reserved\n"
                                 "Owner UID:      1000\n"
                                 "Desired trust:  0.50\n"
                                 "Trust score:    0.72\n"
                                 "Created:        2023-11-14 22:13:20\n"
                                 "Expires:        2023-11-14 23:13:20\n"
                                 "vCPUs:          2 (max 4)\n"
                                 "Memory:         512 MiB (max 1024 MiB)\n"
                                 "CPU quota:      100%\n"
                                 "Agent version:  0.1.0\n"
                                 "Kernel:         6.1.0-18-amd64\n"
                                 "Agent protocol: 1\n"
                                 "Heartbeats:     42\n"
                                 "Last heartbeat: 120 ms ago\n"
                                 "Labels:         app=web, team=qa\n");
        free(out);
        vgl_client_sandbox_done(&s);

        decode_sandbox(SANDBOX_B, &s);
        out = capture(print_info, &s);
        assert_non_null(strstr(out, "Expires:        never\n"));
        assert_non_null(strstr(out, "Agent:          none\n"));
        assert_non_null(strstr(out, "Labels:         none\n"));
        free(out);
        vgl_client_sandbox_done(&s);
}

#define TIER_LOW                                                                                   \
        "{\"name\":\"low\",\"posture\":\"low\",\"min_trust\":0,\"max_trust\":0.25,"                \
        "\"image\":\"microvm\",\"network\":\"open\",\"resources\":{\"vcpus\":2,"                   \
        "\"max_vcpus\":2,\"memory_mib\":1024,\"max_memory_mib\":1024,\"cpu_quota_percent\":100},"  \
        "\"pool_target\":2,\"pool_ready\":1}"

static void print_tiers(FILE *f, void *data)
{
        assert_int_equal(vgl_ctl_print_tiers(f, data, 1), 0);
}

static void test_tiers_table(void **state)
{
        struct json_object *o = parse(TIER_LOW);
        struct vgl_client_tier t = {0};
        char *out;

        assert_int_equal(vgl_client_tier_decode(o, &t, NULL), 0);
        json_object_put(o);
        out = capture(print_tiers, &t);
        assert_string_equal(
                out, " NAME   POSTURE   TRUST       VCPUS   MEMORY          QUOTA   NETWORK   POOL"
                     "   IMAGE\n"
                     "-----------------------------------------------------------------------------"
                     "----------\n"
                     " low    low       0.00-0.25   2/2     1024/1024 MiB   100%    open      1/2 "
                     "   microvm\n");
        free(out);
        vgl_client_tier_done(&t);
}

static void print_event(FILE *f, void *data)
{
        vgl_ctl_print_event(f, data);
}

static void test_event_line(void **state)
{
        struct json_object *o =
                parse("{\"time\":1700000000,\"sandbox\":\"a1b2c3\","
                      "\"kind\":\"agent-silent\",\"message\":\"no heartbeat for 5 s\"}");
        struct vgl_client_event e = {0};
        char *out;

        assert_int_equal(vgl_client_event_decode(o, &e, NULL), 0);
        json_object_put(o);
        out = capture(print_event, &e);
        assert_string_equal(
                out, "2023-11-14 22:13:20  a1b2c3        agent-silent    no heartbeat for 5 s\n");
        free(out);
        vgl_client_event_done(&e);
}

static void test_json_output(void **state)
{
        struct vgl_client_sandbox s = {0};
        struct json_object *back;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        decode_sandbox(SANDBOX_A, &s);
        vgl_ctl_print_json(f, s.json);
        fclose(f);
        /* One line, the record as received (unknown fields kept). */
        assert_non_null(strchr(text, '\n'));
        assert_int_equal(strchr(text, '\n') - text, (ptrdiff_t)len - 1);
        back = json_tokener_parse(text);
        assert_non_null(back);
        assert_true(json_object_equal(back, s.json));
        json_object_put(back);
        free(text);
        vgl_client_sandbox_done(&s);
}

/* Records that must be refused, and the field each error names. */
static const char *const bad_sandboxes[][2] = {
        {"[]", "not an object"},
        {"{\"domain\":\"x\"}", "sandbox.id is missing"},
        {"{\"id\":5}", "sandbox.id is not a string"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":\"root\"}",
         "sandbox.owner_uid is not an integer"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":0,\"desired_trust_level\":\"high\"}",
         "sandbox.desired_trust_level is not a number"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":0,\"desired_trust_level\":0.5,\"trust_score\":0.5,\"created\":1}",
         "sandbox.resources is missing"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":0,\"desired_trust_level\":0.5,\"trust_score\":0.5,\"created\":1,"
         "\"expires\":\"soon\"}",
         "sandbox.expires is not an integer"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":0,\"desired_trust_level\":0.5,\"trust_score\":0.5,\"created\":1,"
         "\"resources\":{\"vcpus\":1}}",
         "resources.max_vcpus is missing"},
        {"{\"id\":\"a\",\"domain\":\"d\",\"tier\":\"t\",\"posture\":\"p\",\"state\":\"s\","
         "\"owner_uid\":0,\"desired_trust_level\":0.5,\"trust_score\":0.5,\"created\":1,"
         "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
         "\"cpu_quota_percent\":1},\"labels\":{\"a\":1}}",
         "label a is not a string"},
};

static void test_decode_refused(void **state)
{
        for (size_t i = 0; i < sizeof(bad_sandboxes) / sizeof(bad_sandboxes[0]); i++) {
                struct json_object *o = parse(bad_sandboxes[i][0]);
                struct vgl_client_sandbox s = {.id = "untouched"};
                struct vgl_error err = {0};

                print_message("case %zu\n", i);
                assert_int_equal(vgl_client_sandbox_decode(o, &s, &err), -EBADMSG);
                assert_string_equal(s.id, "untouched");
                assert_non_null(strstr(err.msg, bad_sandboxes[i][1]));
                json_object_put(o);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_decode_sandbox), cmocka_unit_test(test_list_table),
                cmocka_unit_test(test_list_empty),     cmocka_unit_test(test_info),
                cmocka_unit_test(test_tiers_table),    cmocka_unit_test(test_event_line),
                cmocka_unit_test(test_json_output),    cmocka_unit_test(test_decode_refused),
        };

        setenv("TZ", "UTC", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
