/* The sandbox record: JSON both ways, metadata XML, labels, base64,
 * lifecycle mapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "labels.h"
#include "lifecycle.h"
#include "metadata.h"
#include "sandbox.h"

static const struct vgl_tier tier = {
        .name = "medium",
        .posture = VGL_POSTURE_MEDIUM,
        .min_trust = 0.5,
        .max_trust = 0.75,
        .vcpus = 2,
        .max_vcpus = 4,
        .memory_mib = 512,
        .max_memory_mib = 1024,
        .cpu_quota_percent = 80,
};

static struct vgd_sandbox *make(void)
{
        struct vgd_sandbox *s = NULL;

        assert_int_equal(vgd_sandbox_new(NULL, "0123456789ab", &tier, &s), 0);
        s->state = VGD_RESERVED;
        s->owned = true;
        s->owner_uid = 1000;
        s->desired_trust_level = 0.6;
        s->trust_score = 0.875;
        s->created = 1700000000;
        s->expires = 1700003600;
        json_object_object_add(s->labels, "job", json_object_new_string("a<b>&\"c'"));
        return s;
}

static void test_record_round_trip(void **state)
{
        struct vgd_sandbox *s = make(), *t = NULL;
        struct vgl_error e = {};
        char *text = NULL, *xml = NULL, *back = NULL;

        assert_int_equal(vgd_sandbox_record_text(s, &text), 0);
        assert_int_equal(vgd_metadata_render(s, &xml), 0);
        assert_null(strstr(xml, "\"job\"")); /* escaped */
        assert_int_equal(vgd_metadata_extract_record(xml, &back), 0);
        assert_string_equal(back, text);

        assert_int_equal(vgd_sandbox_new(NULL, "0123456789ab", NULL, &t), 0);
        assert_int_equal(vgd_sandbox_record_parse(t, back, &e), 0);
        assert_string_equal(t->id, "0123456789ab");
        assert_string_equal(t->domain, "vigil-0123456789ab");
        assert_string_equal(t->tier, "medium");
        assert_int_equal(t->posture, VGL_POSTURE_MEDIUM);
        assert_int_equal(t->state, VGD_RESERVED);
        assert_true(t->owned);
        assert_int_equal(t->owner_uid, 1000);
        assert_true(t->desired_trust_level == 0.6);
        assert_true(t->trust_score == 0.875);
        assert_int_equal(t->expires, 1700003600);
        assert_int_equal(t->res.max_vcpus, 4);
        assert_int_equal(t->res.max_memory_mib, 1024);
        assert_int_equal(t->res.cpu_quota_percent, 80);
        assert_string_equal(json_object_get_string(json_object_object_get(t->labels, "job")),
                            "a<b>&\"c'");
        free(text);
        free(xml);
        free(back);
        vgd_sandbox_unref(s);
        vgd_sandbox_unref(t);
}

/* A record with a profile: the same profile back, checked. */
static void test_record_profile(void **state)
{
        struct vgd_sandbox *s = make(), *t = NULL;
        struct vgl_adjustment a = {.time = 1700000100,
                                   .kind = VGL_ADJUST_DEMOTE,
                                   .trust_before = 0.6,
                                   .trust_after = 0.3,
                                   .tier_before = "low",
                                   .tier_after = "medium",
                                   .reason = "sensitive_data_access x1"};
        struct json_object *p0 = NULL, *p1 = NULL;
        struct vgl_error e = {};
        char *text = NULL, *bad = NULL, *at;

        s->profile = calloc(1, sizeof(*s->profile));
        assert_non_null(s->profile);
        vgl_profile_init(s->profile, s->id, &tier, 0.6, 0.55, 0.6);
        vgl_profile_push_history(s->profile, &a);
        vgl_profile_set_action(s->profile, VGL_ACTION_VCPUS, VGL_ACTION_APPLIED, "2", NULL,
                               1700000101);
        vgl_profile_set_action(s->profile, VGL_ACTION_NWFILTER, VGL_ACTION_UNSUPPORTED, NULL,
                               "no nwfilter driver", 1700000101);
        vgl_signature_add_endpoint(&s->profile->signature, "192.0.2.1:80");
        assert_int_equal(vgd_sandbox_record_text(s, &text), 0);
        assert_non_null(strstr(text, "\"record_version\":2"));

        assert_int_equal(vgd_sandbox_new(NULL, "0123456789ab", NULL, &t), 0);
        assert_int_equal(vgd_sandbox_record_parse(t, text, &e), 0);
        assert_non_null(t->profile);
        assert_int_equal(vgl_profile_to_json(s->profile, &p0), 0);
        assert_int_equal(vgl_profile_to_json(t->profile, &p1), 0);
        assert_true(json_object_equal(p0, p1));

        /* a profile that is not this sandbox's, or not valid, spoils the record */
        bad = strdup(text);
        at = strstr(bad, "\"profile_id\":\"0123456789ab\"");
        assert_non_null(at);
        at[strlen("\"profile_id\":\"")] = 'f';
        assert_int_equal(vgd_sandbox_record_parse(t, bad, &e), -EBADMSG);
        assert_non_null(strstr(e.msg, "profile"));
        free(bad);
        bad = strdup(text);
        at = strstr(bad, "\"trust_score\":0.55");
        assert_non_null(at);
        memcpy(at, "\"trust_score\":0.95", strlen("\"trust_score\":0.95")); /* above its ceiling */
        assert_int_equal(vgd_sandbox_record_parse(t, bad, &e), -EBADMSG);
        assert_non_null(t->profile); /* untouched */
        json_object_put(p0);
        json_object_put(p1);
        free(bad);
        free(text);
        vgd_sandbox_unref(s);
        vgd_sandbox_unref(t);
}

/* Against the shipped tiers: a version 1 record gets a profile in its tier;
 * a profile whose posture is not its tier's is refused; one whose tier is
 * gone is kept (the adjuster places it by trust). */
static void test_record_profile_tiers(void **state)
{
        static const char v1[] =
                "{\"id\":\"abc\",\"tier\":\"high\",\"posture\":\"high\",\"state\":\"reserved\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":0.3,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":2,\"memory_mib\":256,"
                "\"max_memory_mib\":512,\"cpu_quota_percent\":75},\"labels\":{},"
                "\"record_version\":1}";
        const char *src = getenv("VIGIL_SOURCE_ROOT");
        struct vgd_daemon *d = calloc(1, sizeof(*d));
        struct vgd_sandbox *s = NULL;
        struct vgl_error e = {};
        char path[4096], *text = NULL, *at;

        assert_non_null(d);
        snprintf(path, sizeof(path), "%s/policies", src ? src : ".");
        assert_int_equal(vgl_tier_set_load(path, &d->policy, &e), 0);
        vgl_adjust_policy_default(&d->adjust);
        assert_int_equal(vgd_sandbox_new(d, "abc", NULL, &s), 0);
        assert_int_equal(vgd_sandbox_record_parse(s, v1, &e), 0);
        assert_non_null(s->profile);
        assert_string_equal(s->profile->tier, "high");
        assert_true(s->profile->trust_score <= 0.3); /* within its ceiling */
        assert_true(s->profile->ceiling == 0.3);

        assert_int_equal(vgd_sandbox_record_text(s, &text), 0);
        at = strstr(text, "\"security_posture\":\"high\"");
        assert_non_null(at);
        memcpy(at, "\"security_posture\":\"low\" ", strlen("\"security_posture\":\"high\""));
        assert_int_equal(vgd_sandbox_record_parse(s, text, &e), -EBADMSG);
        free(text);

        assert_int_equal(vgd_sandbox_record_text(s, &text), 0);
        at = strstr(text, "\"tier\":\"high\",\"security_posture\"");
        assert_non_null(at);
        memcpy(at, "\"tier\":\"gone\"", strlen("\"tier\":\"gone\""));
        assert_int_equal(vgd_sandbox_record_parse(s, text, &e), 0);
        assert_string_equal(s->profile->tier, "gone");
        free(text);
        vgd_sandbox_unref(s);
        free(d);
}

static void test_libvirt_style_metadata(void **state)
{
        char *rec = NULL;

        /* libvirt returns the element with its own prefix and layout */
        assert_int_equal(
                vgd_metadata_extract_record(
                        "<vigil:sandbox xmlns:vigil=\"https://vigil.dev/xmlns/sandbox/1\">\n"
                        "  <vigil:id>x</vigil:id>\n  <vigil:record>{&quot;a&quot;:1}"
                        "</vigil:record>\n</vigil:sandbox>",
                        &rec),
                0);
        assert_string_equal(rec, "{\"a\":1}");
        free(rec);
        assert_int_equal(vgd_metadata_extract_record("<sandbox><id>x</id></sandbox>", &rec),
                         -EBADMSG);
        assert_int_equal(vgd_metadata_extract_record("<record>&bogus;</record>", &rec), -EBADMSG);
        assert_int_equal(vgd_metadata_extract_record(NULL, &rec), -EBADMSG);
}

static void test_record_rejects(void **state)
{
        static const char *const bad[] = {
                "",
                "[]",
                "{\"id\":\"x\"}",
                "{\"id\":\"../x\",\"tier\":\"t\",\"posture\":\"low\",\"state\":\"reserved\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":0.5,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
                "\"cpu_quota_percent\":1},\"labels\":{}}",
                "{\"id\":\"abc\",\"tier\":\"t\",\"posture\":\"low\",\"state\":\"weird\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":0.5,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
                "\"cpu_quota_percent\":1},\"labels\":{}}",
                "{\"id\":\"abc\",\"tier\":\"t\",\"posture\":\"low\",\"state\":\"reserved\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":7,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
                "\"cpu_quota_percent\":1},\"labels\":{}}",
                "{\"id\":\"abc\",\"tier\":\"t\",\"posture\":\"low\",\"state\":\"reserved\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":0.5,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
                "\"cpu_quota_percent\":1},\"labels\":{\"k\":5}}",
        };
        static const char *good =
                "{\"id\":\"abc\",\"tier\":\"t\",\"posture\":\"low\",\"state\":\"reserved\","
                "\"owner_uid\":0,\"created\":1,\"desired_trust_level\":0.5,\"trust_score\":1,"
                "\"resources\":{\"vcpus\":1,\"max_vcpus\":1,\"memory_mib\":1,\"max_memory_mib\":1,"
                "\"cpu_quota_percent\":1},\"labels\":{}}";
        struct vgd_sandbox *s = NULL;
        struct vgl_error e = {};

        assert_int_equal(vgd_sandbox_new(NULL, "abc", NULL, &s), 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(vgd_sandbox_record_parse(s, bad[i], &e), -EBADMSG);
                assert_string_equal(s->tier, ""); /* untouched */
        }
        assert_int_equal(vgd_sandbox_record_parse(s, good, &e), 0);
        assert_string_equal(s->tier, "t");
        vgd_sandbox_unref(s);
}

static void test_api_json(void **state)
{
        struct vgd_sandbox *s = make();
        struct json_object *o = NULL, *v;

        assert_int_equal(vgd_sandbox_to_json(s, &o), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(o, "domain")),
                            "vigil-0123456789ab");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "state")), "reserved");
        assert_false(json_object_object_get_ex(o, "agent", &v)); /* no hello yet */
        assert_true(json_object_object_get_ex(o, "expires", &v));
        json_object_put(o);
        s->hello = true;
        snprintf(s->h.agent_version, sizeof(s->h.agent_version), "0.1.0");
        s->owned = false;
        s->expires = 0;
        assert_int_equal(vgd_sandbox_to_json(s, &o), 0);
        assert_true(json_object_object_get_ex(o, "agent", &v));
        assert_int_equal(json_object_get_int(json_object_object_get(o, "owner_uid")), -1);
        assert_false(json_object_object_get_ex(o, "expires", &v));
        json_object_put(o);
        vgd_sandbox_unref(s);
}

static void test_states_ids(void **state)
{
        enum vgd_state st;
        char id[VGD_ID_LEN + 1], id2[VGD_ID_LEN + 1];

        for (int i = VGD_BOOTING; i <= VGD_RELEASED; i++) {
                assert_int_equal(vgd_state_from_name(vgd_state_name(i), &st), 0);
                assert_int_equal((int)st, i);
        }
        assert_int_equal(vgd_state_from_name("nope", &st), -EINVAL);
        assert_true(vgd_state_live(VGD_READY));
        assert_false(vgd_state_live(VGD_GONE));
        assert_int_equal(vgd_sandbox_make_id(id, sizeof(id)), 0);
        assert_int_equal(vgd_sandbox_make_id(id2, sizeof(id2)), 0);
        assert_int_equal(strlen(id), VGD_ID_LEN);
        assert_int_equal(strspn(id, "0123456789abcdef"), VGD_ID_LEN);
        assert_string_not_equal(id, id2);
        assert_int_equal(vgd_sandbox_make_id(id, 5), -EINVAL);
}

static void test_lifecycle_mapping(void **state)
{
        assert_int_equal(
                vgd_lifecycle_state(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN),
                VGD_SHUTDOWN);
        assert_int_equal(
                vgd_lifecycle_state(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_CRASHED),
                VGD_CRASHED);
        assert_int_equal(
                vgd_lifecycle_state(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_DESTROYED),
                VGD_GONE);
        assert_int_equal(
                vgd_lifecycle_state(VIR_DOMAIN_EVENT_STOPPED, VIR_DOMAIN_EVENT_STOPPED_FAILED),
                VGD_GONE);
        assert_int_equal(vgd_lifecycle_state(VIR_DOMAIN_EVENT_CRASHED, 0), VGD_CRASHED);
        assert_int_equal(vgd_lifecycle_state(VIR_DOMAIN_EVENT_STARTED, 0), -1);
}

static void test_labels(void **state)
{
        struct json_object *o = json_tokener_parse("{\"a.b/c-d_e:f\":\"v\"}");
        struct vgl_error e = {};

        assert_int_equal(vgd_labels_validate(o, &e), 0);
        json_object_put(o);
        o = json_tokener_parse("{\"bad key\":\"v\"}");
        assert_int_equal(vgd_labels_validate(o, &e), -EINVAL);
        json_object_put(o);
        o = json_tokener_parse("{\"k\":[1]}");
        assert_int_equal(vgd_labels_validate(o, &e), -EINVAL);
        json_object_put(o);
        o = json_object_new_object();
        for (int i = 0; i <= VGD_LABELS_MAX; i++) {
                char k[16];
                snprintf(k, sizeof(k), "k%d", i);
                json_object_object_add(o, k, json_object_new_string("v"));
        }
        assert_int_equal(vgd_labels_validate(o, &e), -EINVAL);
        json_object_put(o);
        o = json_object_new_array();
        assert_int_equal(vgd_labels_validate(o, &e), -EINVAL);
        json_object_put(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_record_round_trip),
                cmocka_unit_test(test_record_profile),
                cmocka_unit_test(test_record_profile_tiers),
                cmocka_unit_test(test_libvirt_style_metadata),
                cmocka_unit_test(test_record_rejects),
                cmocka_unit_test(test_api_json),
                cmocka_unit_test(test_states_ids),
                cmocka_unit_test(test_lifecycle_mapping),
                cmocka_unit_test(test_labels),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
