/* Unit tests of the adjuster, table-driven: sequences of evidence ->
 * the expected trust, tier and limits trajectory; reservation starts and the
 * achieved rule; admin updates; policy validation. No clock: rounds get
 * their time from the test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "adjust.h"

/* The shipped tiers' numbers, so a change to policies/ does not silently
 * change what these trajectories prove. */
static struct vgl_tier_set tiers;

static struct vgl_tier tier(const char *name, enum vgl_posture posture, double lo, double hi,
                            unsigned vcpus, uint64_t mem, unsigned quota, uint64_t in, bool hop)
{
        struct vgl_tier t = {.posture = posture,
                             .min_trust = lo,
                             .max_trust = hi,
                             .vcpus = vcpus,
                             .max_vcpus = 2,
                             .memory_mib = mem,
                             .max_memory_mib = 1024,
                             .cpu_quota_percent = quota,
                             .net_in_kbps = in,
                             .net_out_kbps = in / 5,
                             .hop_on_entry = hop};
        snprintf(t.name, sizeof(t.name), "%s", name);
        return t;
}

static int setup(void **state)
{
        tiers.n_tiers = 4;
        tiers.tiers[0] = tier("paranoid", VGL_POSTURE_PARANOID, 0.0, 0.25, 1, 128, 50, 1000, true);
        tiers.tiers[1] = tier("low", VGL_POSTURE_LOW, 0.75, 1.0, 2, 1024, 100, 0, false);
        tiers.tiers[2] = tier("high", VGL_POSTURE_HIGH, 0.25, 0.5, 1, 256, 75, 10000, false);
        tiers.tiers[3] = tier("medium", VGL_POSTURE_MEDIUM, 0.5, 0.75, 2, 512, 100, 50000, false);
        tiers.tiers[0].max_vcpus = 1;
        struct vgl_error e = {0};
        if (vgl_tier_set_validate(&tiers, &e) < 0)
                fail_msg("tiers: %s", e.msg);
        return 0;
}

static void policy_from(const char *json, struct vgl_adjust_policy *pol)
{
        vgl_adjust_policy_default(pol);
        if (!json)
                return;
        struct vgl_error e = {0};
        if (vgl_adjust_policy_parse("test.json", json, strlen(json), pol, &e) < 0)
                fail_msg("policy: %s", e.msg);
}

/* "sensitive_data_access=3,external_api_call=2,anomaly=0.95,risk=0.9,
 * denials=2,silent,severe"; "" is a clean round. */
static void evidence(const char *spec, struct vgl_evidence *ev)
{
        memset(ev, 0, sizeof(*ev));
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", spec);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '=');
                const char *val = eq ? eq + 1 : "1";
                if (eq)
                        *eq = '\0';
                if (!strcmp(tok, "silent"))
                        ev->agent_silent = true;
                else if (!strcmp(tok, "severe"))
                        ev->high_severity = true;
                else if (!strcmp(tok, "anomaly"))
                        ev->anomaly = atof(val);
                else if (!strcmp(tok, "risk"))
                        ev->risk = atof(val);
                else if (!strcmp(tok, "denials"))
                        ev->denials = (uint32_t)atoi(val);
                else {
                        unsigned t = 0;
                        while (t < VGL_TAG_COUNT && strcmp(vgl_tag_name(t), tok))
                                t++;
                        if (t == VGL_TAG_COUNT)
                                fail_msg("bad evidence '%s'", tok);
                        ev->tags[t] = (uint32_t)atoi(val);
                }
        }
}

struct step {
        const char *ev;            /* evidence of each round */
        unsigned repeat;           /* rounds (0: 1) */
        double trust;              /* after the last of them */
        const char *tier;          /* after */
        enum vgl_adjust_kind kind; /* of the last round */
        bool hop, achieved;
};

struct scenario {
        const char *name;
        const char *policy; /* JSON over the defaults; NULL: the defaults */
        double desired;
        double start_trust;
        const char *start_tier;
        struct step steps[8];
};

static const struct scenario scenarios[] = {
        {"clean run rises to its ceiling and no further",
         NULL,
         0.6,
         0.5,
         "medium",
         {
                 {"", 6, 0.5, "medium", VGL_ADJUST_HOLD}, /* probation: no rise */
                 {"", 1, 0.51, "medium", VGL_ADJUST_HOLD},
                 {"network_access=40,file_write=9,process_spawn=3", 9, 0.6, "medium",
                  VGL_ADJUST_HOLD, false, true}, /* weightless tags are normal behaviour */
                 {"", 50, 0.6, "medium", VGL_ADJUST_HOLD, false, true},
         }},
        {"promoted through probation up to the ceiling's tier, not beyond",
         "{\"start\":{\"within_tier\":false}}",
         0.55,
         0.45,
         "high",
         {
                 {"", 6, 0.45, "high", VGL_ADJUST_HOLD},
                 {"", 9, 0.54, "high", VGL_ADJUST_HOLD},
                 /* the ceiling 0.55 is below border + margin (0.55): it still counts */
                 {"", 1, 0.55, "medium", VGL_ADJUST_PROMOTE, false, true},
                 {"", 200, 0.55, "medium", VGL_ADJUST_HOLD, false, true},
         }},
        {"promotion to the top tier at the ceiling",
         "{\"start\":{\"within_tier\":false}}",
         0.8,
         0.7,
         "medium",
         {
                 {"", 15, 0.79, "medium", VGL_ADJUST_HOLD},
                 {"", 1, 0.8, "low", VGL_ADJUST_PROMOTE, false, true},
                 {"", 100, 0.8, "low", VGL_ADJUST_HOLD, false, true},
         }},
        {"evidence restarts probation",
         NULL,
         0.6,
         0.5,
         "medium",
         {
                 {"resource_burst", 1, 0.49, "medium", VGL_ADJUST_HOLD},
                 {"", 6, 0.49, "medium", VGL_ADJUST_HOLD},
                 {"", 1, 0.5, "medium", VGL_ADJUST_HOLD},
                 {"resource_burst", 1, 0.49, "medium", VGL_ADJUST_HOLD},
                 {"", 6, 0.49, "medium", VGL_ADJUST_HOLD},
                 {"", 1, 0.5, "medium", VGL_ADJUST_HOLD},
         }},
        {"hysteresis at the medium/high border",
         NULL,
         0.6,
         0.5,
         "medium",
         {
                 {"resource_burst=2", 1, 0.48, "medium", VGL_ADJUST_HOLD}, /* inside margin */
                 {"resource_burst=2", 1, 0.46, "high", VGL_ADJUST_DEMOTE},
                 {"", 10, 0.5, "high", VGL_ADJUST_HOLD}, /* at the border: not yet */
                 {"", 4, 0.54, "high", VGL_ADJUST_HOLD},
                 {"", 1, 0.55, "medium", VGL_ADJUST_PROMOTE},            /* border + margin */
                 {"resource_burst", 1, 0.54, "medium", VGL_ADJUST_HOLD}, /* no flap back */
                 {"resource_burst=7", 1, 0.47, "medium", VGL_ADJUST_HOLD},
                 {"resource_burst", 1, 0.46, "high", VGL_ADJUST_DEMOTE},
         }},
        {"sensitive reads and calls out from medium: demoted in one round",
         NULL,
         0.7,
         0.6,
         "medium",
         {
                 /* 3 x 0.08 + 2 x 0.05 = 0.34, bounded by fall.max_step 0.3 */
                 {"sensitive_data_access=3,external_api_call=2,network_access=2", 1, 0.3, "high",
                  VGL_ADJUST_DEMOTE},
                 {"sensitive_data_access=2", 1, 0.14, "paranoid", VGL_ADJUST_DEMOTE, true},
                 {"sensitive_data_access=5", 1, 0.0, "paranoid", VGL_ADJUST_HOLD},
                 /* and earns its way back, one tier per promotion, to its ceiling */
                 {"", 6, 0.0, "paranoid", VGL_ADJUST_HOLD},
                 {"", 29, 0.29, "paranoid", VGL_ADJUST_HOLD},
                 {"", 1, 0.3, "high", VGL_ADJUST_PROMOTE},
                 {"", 25, 0.55, "medium", VGL_ADJUST_PROMOTE},
                 {"", 15, 0.7, "medium", VGL_ADJUST_HOLD, false, true},
         }},
        {"high severity: larger step, several tiers at once, hop",
         NULL,
         0.7,
         0.6,
         "medium",
         {
                 /* anomaly 0.95: 0.3 * 0.45 / 0.5 = 0.27, + severe 0.1 = 0.37 */
                 {"anomaly=0.95", 1, 0.23, "paranoid", VGL_ADJUST_DEMOTE, true},
         }},
        {"a severe tag outruns the ordinary bound",
         NULL,
         0.7,
         0.6,
         "medium",
         {
                 /* 3 x 0.15 + 0.1 = 0.55, bounded by high_severity.max_step 0.5 */
                 {"privilege_change=3", 1, 0.1, "paranoid", VGL_ADJUST_DEMOTE, true},
                 {"privilege_change", 1, 0.0, "paranoid", VGL_ADJUST_HOLD, false},
         }},
        {"paranoid entry marks a hop, staying there does not",
         NULL,
         0.4,
         0.3,
         "high",
         {
                 {"sensitive_data_access", 1, 0.22, "high", VGL_ADJUST_HOLD}, /* margin */
                 {"sensitive_data_access", 1, 0.14, "paranoid", VGL_ADJUST_DEMOTE, true},
                 {"policy_violation", 1, 0.11, "paranoid", VGL_ADJUST_HOLD, false},
         }},
        {"a silent agent loses trust and never counts as clean",
         NULL,
         0.7,
         0.6,
         "medium",
         {
                 {"silent", 2, 0.5, "medium", VGL_ADJUST_HOLD},
                 {"silent", 1, 0.45, "high", VGL_ADJUST_DEMOTE},
                 {"", 6, 0.45, "high", VGL_ADJUST_HOLD},
                 {"silent", 1, 0.4, "high", VGL_ADJUST_HOLD},
                 {"", 6, 0.4, "high", VGL_ADJUST_HOLD},
         }},
        {"the count cap and the score floors",
         "{\"penalty\":{\"count_cap\":2}}",
         0.7,
         0.6,
         "medium",
         {
                 {"external_api_call=100", 1, 0.5, "medium", VGL_ADJUST_HOLD},
                 {"anomaly=0.5,risk=0.2", 1, 0.5, "medium", VGL_ADJUST_HOLD}, /* at the floors */
                 {"risk=0.6", 1, 0.35, "high", VGL_ADJUST_DEMOTE}, /* 0.3 * 0.4 / 0.8 = 0.15 */
         }},
};

static void check_limits(const struct vgl_profile *p, const char *where)
{
        const struct vgl_tier *t = vgl_tier_set_find(&tiers, p->tier);
        assert_non_null(t);
        struct vgl_limits l;
        vgl_limits_from_tier(t, &l);
        if (memcmp(&l, &p->limits, sizeof(l)) != 0 || p->posture != t->posture)
                fail_msg("%s: limits or posture are not tier %s's", where, t->name);
}

static void run_scenario(const struct scenario *sc)
{
        struct vgl_adjust_policy pol;
        policy_from(sc->policy, &pol);
        static struct vgl_profile p;
        assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "sb", sc->desired, &p), 0);
        if (fabs(p.trust_score - sc->start_trust) > 1e-9 || strcmp(p.tier, sc->start_tier))
                fail_msg("%s: starts at %g in %s", sc->name, p.trust_score, p.tier);
        int64_t now = 1000;
        for (size_t i = 0; i < 8 && sc->steps[i].ev; i++) {
                const struct step *st = &sc->steps[i];
                struct vgl_evidence ev;
                evidence(st->ev, &ev);
                struct vgl_adjust_decision d = {0};
                for (unsigned k = 0; k < (st->repeat ? st->repeat : 1); k++)
                        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, now += 5, &d), 0);
                if (fabs(p.trust_score - st->trust) > 1e-9 || strcmp(p.tier, st->tier) ||
                    d.kind != st->kind || d.hop != st->hop || p.achieved != st->achieved)
                        fail_msg("%s, step %zu: trust %g tier %s kind %s hop %d achieved %d "
                                 "(reason '%s')",
                                 sc->name, i, p.trust_score, p.tier, vgl_adjust_kind_name(d.kind),
                                 d.hop, p.achieved, d.reason);
                check_limits(&p, sc->name);
                assert_true(p.trust_score <= p.ceiling);
                assert_int_equal(d.changed, strcmp(d.tier_before, d.tier_after) != 0);
        }
}

static void test_trajectories(void **state)
{
        for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
                run_scenario(&scenarios[i]);
}

static void test_start(void **state)
{
        static const struct {
                const char *policy;
                double desired, trust, ceiling;
                const char *tier;
        } cases[] = {
                {NULL, 0.6, 0.5, 0.6, "medium"}, /* discount stops at the tier's floor */
                {NULL, 0.7, 0.6, 0.7, "medium"},
                {NULL, 0.5, 0.5, 0.5, "medium"},
                {NULL, 1.0, 0.9, 1.0, "low"},
                {NULL, 0.05, 0.0, 0.05, "paranoid"},
                {NULL, 0.0, 0.0, 0.0, "paranoid"},
                {"{\"start\":{\"within_tier\":false}}", 0.6, 0.5, 0.6, "medium"},
                {"{\"start\":{\"within_tier\":false}}", 0.55, 0.45, 0.55, "high"},
                {"{\"start\":{\"within_tier\":false,\"discount\":0.5}}", 0.8, 0.3, 0.8, "high"},
                {"{\"start\":{\"discount\":0}}", 0.8, 0.8, 0.8, "low"},
                {"{\"trust_max\":0.6}", 0.9, 0.5, 0.6, "medium"}, /* policy caps the ceiling */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vgl_adjust_policy pol;
                policy_from(cases[i].policy, &pol);
                double trust = -1, ceiling = -1;
                const struct vgl_tier *t = NULL;
                assert_int_equal(
                        vgl_adjust_start(&pol, &tiers, cases[i].desired, &trust, &t, &ceiling), 0);
                if (fabs(trust - cases[i].trust) > 1e-9 ||
                    fabs(ceiling - cases[i].ceiling) > 1e-9 || strcmp(t->name, cases[i].tier))
                        fail_msg("case %zu: trust %g ceiling %g tier %s", i, trust, ceiling,
                                 t->name);
        }
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        double trust = -1, ceiling = -1;
        const struct vgl_tier *t = NULL;
        assert_int_equal(vgl_adjust_start(&pol, &tiers, 1.5, &trust, &t, &ceiling), -EINVAL);
        assert_int_equal(vgl_adjust_start(&pol, &tiers, NAN, &trust, &t, &ceiling), -EINVAL);
        assert_true(trust == -1 && ceiling == -1 && !t);
        struct vgl_tier_set none = {0};
        assert_int_equal(vgl_adjust_start(&pol, &none, 0.5, &trust, &t, &ceiling), -ENOENT);
}

/* Achieved needs the desired tier, trust within epsilon, a full probation. */
static void test_achieved(void **state)
{
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        static struct vgl_profile p;
        vgl_profile_init(&p, "a", vgl_tier_set_find(&tiers, "medium"), 0.6, 0.595, 0.6);
        p.clean_rounds = 6;
        assert_true(vgl_adjust_achieved(&pol, &tiers, &p));
        p.clean_rounds = 5;
        assert_false(vgl_adjust_achieved(&pol, &tiers, &p));
        p.clean_rounds = 6;
        p.trust_score = 0.58;
        assert_false(vgl_adjust_achieved(&pol, &tiers, &p));
        p.trust_score = 0.6;
        snprintf(p.tier, sizeof(p.tier), "high");
        assert_false(vgl_adjust_achieved(&pol, &tiers, &p));

        /* A policy ceiling below the desired level: never achieved. */
        policy_from("{\"trust_max\":0.55}", &pol);
        assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "b", 0.6, &p), 0);
        struct vgl_evidence ev = {0};
        struct vgl_adjust_decision d;
        for (int i = 0; i < 100; i++)
                assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, i, &d), 0);
        assert_true(fabs(p.trust_score - 0.55) < 1e-9);
        assert_false(p.achieved);
}

static void test_high_severity(void **state)
{
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        struct vgl_evidence ev;
        static const struct {
                const char *ev;
                bool severe;
        } cases[] = {
                {"", false},
                {"sensitive_data_access=10,external_api_call=10", false},
                {"privilege_change", true},
                {"anomaly=0.89", false},
                {"anomaly=0.9", true},
                {"risk=0.8", true},
                {"severe", true},
                {"silent", false},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                evidence(cases[i].ev, &ev);
                if (vgl_adjust_is_high_severity(&pol, &ev) != cases[i].severe)
                        fail_msg("case %zu (%s)", i, cases[i].ev);
        }
        assert_true(vgl_adjust_tags_high_severity(&pol, VGL_TAG_BIT(VGL_TAG_PRIVILEGE_CHANGE) |
                                                                VGL_TAG_BIT(VGL_TAG_FILE_WRITE)));
        assert_false(vgl_adjust_tags_high_severity(&pol, VGL_TAG_BIT(VGL_TAG_FILE_WRITE)));
        policy_from(
                "{\"high_severity\":{\"tags\":[\"sensitive_data_access\",\"policy_violation\"]}}",
                &pol);
        assert_true(vgl_adjust_tags_high_severity(&pol, VGL_TAG_BIT(VGL_TAG_POLICY_VIOLATION)));
        assert_false(vgl_adjust_tags_high_severity(&pol, VGL_TAG_BIT(VGL_TAG_PRIVILEGE_CHANGE)));
}

/* Which rounds leave a history entry, and what the decision says. */
static void test_history_and_decision(void **state)
{
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        static struct vgl_profile p;
        assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "h", 0.7, &p), 0);
        struct vgl_evidence ev;
        struct vgl_adjust_decision d;
        evidence("", &ev);
        for (int i = 0; i < 8; i++) /* probation and two slow rises: no entries */
                assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 100 + i, &d), 0);
        assert_int_equal(p.n_history, 0);
        assert_int_equal(p.rounds, 8);
        assert_int_equal(p.last_round, 107);
        assert_non_null(strstr(d.reason, "clean round 8"));

        evidence("sensitive_data_access=3,external_api_call=2", &ev);
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 200, &d), 0);
        assert_int_equal(d.kind, VGL_ADJUST_DEMOTE);
        assert_true(d.changed);
        assert_string_equal(d.tier_before, "medium");
        assert_string_equal(d.tier_after, "high");
        assert_int_equal(d.posture_before, VGL_POSTURE_MEDIUM);
        assert_int_equal(d.posture_after, VGL_POSTURE_HIGH);
        /* visibly lower: vCPUs, memory, CPU quota, bandwidth */
        assert_true(d.limits_after.vcpus < d.limits_before.vcpus);
        assert_true(d.limits_after.memory_mib < d.limits_before.memory_mib);
        assert_true(d.limits_after.cpu_quota_percent < d.limits_before.cpu_quota_percent);
        assert_true(d.limits_after.net_in_kbps < d.limits_before.net_in_kbps);
        assert_true(fabs(d.penalty - 0.34) < 1e-9);
        assert_non_null(strstr(d.reason, "sensitive_data_access x3"));
        assert_non_null(strstr(d.reason, "external_api_call x2"));
        assert_non_null(strstr(d.reason, "demoted medium -> high"));
        assert_int_equal(p.n_history, 1);
        const struct vgl_adjustment *a = vgl_profile_history_at(&p, 0);
        assert_int_equal(a->time, 200);
        assert_int_equal(a->kind, VGL_ADJUST_DEMOTE);
        assert_true(fabs(a->trust_before - 0.62) < 1e-9 && fabs(a->trust_after - 0.32) < 1e-9);
        assert_string_equal(a->reason, d.reason);

        /* Evidence without a tier change is history too; a clean hold is not. */
        evidence("resource_burst", &ev);
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 205, &d), 0);
        assert_int_equal(d.kind, VGL_ADJUST_HOLD);
        assert_false(d.changed);
        assert_int_equal(p.n_history, 2);
        evidence("", &ev);
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 210, &d), 0);
        assert_int_equal(p.n_history, 2);

        /* Evidence out of range: an error, the profile untouched. */
        static struct vgl_profile before;
        before = p;
        evidence("anomaly=1.5", &ev);
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 300, &d), -EINVAL);
        ev.anomaly = NAN;
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 300, &d), -EINVAL);
        assert_memory_equal(&before, &p, sizeof(p));
}

/* A restored profile naming a tier the policies no longer have. */
static void test_unknown_tier(void **state)
{
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        static struct vgl_profile p;
        assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "u", 0.7, &p), 0);
        struct vgl_error e = {0};
        assert_int_equal(vgl_adjust_check_profile(&tiers, &p, &e), 0);
        p.posture = VGL_POSTURE_LOW;
        assert_int_equal(vgl_adjust_check_profile(&tiers, &p, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "security_posture"));
        snprintf(p.tier, sizeof(p.tier), "gone");
        p.posture = VGL_POSTURE_HIGH;
        assert_int_equal(vgl_adjust_check_profile(&tiers, &p, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "gone"));
        struct vgl_evidence ev = {0};
        struct vgl_adjust_decision d;
        assert_int_equal(vgl_adjust_round(&pol, &tiers, &p, &ev, 1, &d), 0);
        assert_string_equal(p.tier, "medium"); /* placed by its trust 0.6 */
        assert_int_equal(d.kind, VGL_ADJUST_PROMOTE);
        assert_true(d.changed);
        check_limits(&p, "unknown tier");
}

static void test_update(void **state)
{
        static const struct {
                const char *changes;
                double trust, ceiling;
                const char *tier;
                bool hop;
                unsigned vcpus;
        } good[] = {
                {"{\"trust_score\":0.2}", 0.2, 0.7, "paranoid", true, 1},
                {"{\"trust_score\":0.45}", 0.45, 0.7, "high", false, 1},
                {"{\"trust_score\":0.48}", 0.48, 0.7, "medium", false, 2}, /* in the band */
                {"{\"tier\":\"high\"}", 0.25, 0.7, "high", false, 1},      /* to the tier's floor */
                {"{\"tier\":\"medium\"}", 0.6, 0.7, "medium", false, 2},
                {"{\"tier\":\"high\",\"trust_score\":0.3}", 0.3, 0.7, "high", false, 1},
                {"{\"ceiling\":0.3}", 0.3, 0.3, "high", false, 1}, /* pulls trust down */
                {"{\"desired_trust_level\":0.9}", 0.6, 0.9, "medium", false, 2},
                {"{\"desired_trust_level\":0.9,\"trust_score\":0.8}", 0.8, 0.9, "low", false, 2},
                {"{\"desired_trust_level\":0.9,\"ceiling\":0.7}", 0.6, 0.7, "medium", false, 2},
                {"{\"limits.vcpus\":1,\"limits.memory_mib\":256,\"limits.net_in_kbps\":5}", 0.6,
                 0.7, "medium", false, 1},
                {"{\"tier\":\"paranoid\",\"limits.cpu_quota_percent\":10}", 0.0, 0.7, "paranoid",
                 true, 1},
        };
        struct vgl_adjust_policy pol;
        vgl_adjust_policy_default(&pol);
        static struct vgl_profile p;
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "up", 0.7, &p), 0);
                struct json_object *o = json_tokener_parse(good[i].changes);
                struct vgl_adjust_decision d;
                struct vgl_error e = {0};
                int r = vgl_adjust_update(&pol, &tiers, &p, o, 42, &d, &e);
                json_object_put(o);
                if (r < 0)
                        fail_msg("case %zu: %s", i, e.msg);
                if (fabs(p.trust_score - good[i].trust) > 1e-9 ||
                    fabs(p.ceiling - good[i].ceiling) > 1e-9 || strcmp(p.tier, good[i].tier) ||
                    d.hop != good[i].hop || p.limits.vcpus != good[i].vcpus)
                        fail_msg("case %zu: trust %g ceiling %g tier %s hop %d vcpus %u", i,
                                 p.trust_score, p.ceiling, p.tier, d.hop, p.limits.vcpus);
                assert_int_equal(d.kind, VGL_ADJUST_UPDATE);
                assert_int_equal(p.n_history, 1);
                assert_int_equal(vgl_profile_history_at(&p, 0)->kind, VGL_ADJUST_UPDATE);
                assert_non_null(strstr(d.reason, "admin: "));
                assert_int_equal(p.posture, vgl_tier_set_find(&tiers, p.tier)->posture);
        }
        assert_int_equal(p.limits.cpu_quota_percent, 10);

        static const struct {
                const char *changes, *mention;
        } bad[] = {
                {"{}", "no changes"},
                {"{\"trust\":0.5}", "unknown key 'trust'"},
                {"{\"limits\":{\"vcpus\":1}}", "unknown key 'limits'"},
                {"{\"trust_score\":\"high\"}", "trust_score"},
                {"{\"trust_score\":1.5}", "trust_score"},
                {"{\"trust_score\":0.9}", "trust_score: 0.9 is above the ceiling 0.7"},
                {"{\"ceiling\":0.5,\"trust_score\":0.6}", "above the ceiling"},
                {"{\"desired_trust_level\":-1}", "desired_trust_level"},
                {"{\"tier\":\"nope\"}", "tier: unknown tier 'nope' (low, medium, high, paranoid)"},
                {"{\"tier\":3}", "tier"},
                {"{\"tier\":\"low\"}", "tier: 'low' needs trust 0.75, above the ceiling 0.7"},
                {"{\"tier\":\"high\",\"trust_score\":0.6}", "tier: 'high' serves trust"},
                {"{\"limits.vcpus\":0}", "limits.vcpus"},
                {"{\"limits.vcpus\":3}", "limits.vcpus: 3 is above tier 'medium''s maximum 2"},
                {"{\"limits.memory_mib\":4096}", "limits.memory_mib"},
                {"{\"limits.cpu_quota_percent\":101}", "limits.cpu_quota_percent"},
                {"{\"limits.disk_iops\":1.5}", "limits.disk_iops"},
                {"{\"trust_score\":0.1,\"limits.vcpus\":2}", "above tier 'paranoid''s maximum"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(vgl_adjust_profile_new(&pol, &tiers, "up", 0.7, &p), 0);
                static struct vgl_profile before;
                before = p;
                struct json_object *o = json_tokener_parse(bad[i].changes);
                assert_non_null(o);
                struct vgl_adjust_decision d;
                struct vgl_error e = {0};
                int r = vgl_adjust_update(&pol, &tiers, &p, o, 42, &d, &e);
                json_object_put(o);
                if (r != -EINVAL || !strstr(e.msg, bad[i].mention))
                        fail_msg("case %zu: r=%d msg '%s' should mention '%s'", i, r, e.msg,
                                 bad[i].mention);
                assert_memory_equal(&before, &p, sizeof(p));
        }
        struct vgl_adjust_decision d;
        struct vgl_error e = {0};
        struct json_object *arr = json_object_new_array();
        assert_int_equal(vgl_adjust_update(&pol, &tiers, &p, arr, 1, &d, &e), -EINVAL);
        json_object_put(arr);
}

static void test_policy_errors(void **state)
{
        static const struct {
                const char *text, *mention;
        } cases[] = {
                {"", "not valid JSON"},
                {"[1]", "must be a JSON object"},
                {"{} {}", "not valid JSON"},
                {"{\"bogus\":1}", "bogus: unknown field"},
                {"{\"period_ms\":5}", "period_ms"},
                {"{\"period_ms\":\"5s\"}", "period_ms"},
                {"{\"trust_max\":1.2}", "trust_max"},
                {"{\"start\":{\"within_tier\":1}}", "start.within_tier"},
                {"{\"start\":{\"discount\":-0.1}}", "start.discount"},
                {"{\"start\":{\"x\":1}}", "start.x: unknown field"},
                {"{\"start\":[]}", "start: expected an object"},
                {"{\"rise\":{\"probation_rounds\":-1}}", "rise.probation_rounds"},
                {"{\"rise\":{\"step\":0.3},\"fall\":{\"max_step\":0.2}}",
                 "rise.step: 0.3 exceeds fall.max_step"},
                {"{\"fall\":{\"max_step\":0}}", "fall.max_step"},
                {"{\"hysteresis\":{\"demote_margin\":0.5}}", "hysteresis.demote_margin"},
                {"{\"hysteresis\":{\"promote\":0.1}}", "hysteresis.promote: unknown field"},
                {"{\"penalty\":{\"tags\":{\"nope\":0.1}}}", "penalty.tags.nope: unknown field"},
                {"{\"penalty\":{\"tags\":{\"file_write\":\"x\"}}}", "penalty.tags.file_write"},
                {"{\"penalty\":{\"tags\":{\"file_write\":2}}}", "penalty.tags.file_write"},
                {"{\"penalty\":{\"count_cap\":0}}", "penalty.count_cap"},
                {"{\"penalty\":{\"anomaly\":{\"floor\":1}}}", "penalty.anomaly.floor"},
                {"{\"penalty\":{\"risk\":{\"weight\":-1}}}", "penalty.risk.weight"},
                {"{\"penalty\":{\"agent_silent\":true}}", "penalty.agent_silent"},
                {"{\"high_severity\":{\"tags\":[\"nope\"]}}", "high_severity.tags[0]"},
                {"{\"high_severity\":{\"tags\":\"privilege_change\"}}", "high_severity.tags"},
                {"{\"high_severity\":{\"max_step\":0.1}}", "high_severity.max_step"},
                {"{\"high_severity\":{\"anomaly_at_least\":0.3}}",
                 "high_severity.anomaly_at_least: 0.3 is below penalty.anomaly.floor"},
                {"{\"high_severity\":{\"risk_at_least\":0.1}}", "high_severity.risk_at_least"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vgl_adjust_policy pol;
                memset(&pol, 0x5a, sizeof(pol));
                struct vgl_error e = {0};
                int r = vgl_adjust_policy_parse("adjust.json", cases[i].text, strlen(cases[i].text),
                                                &pol, &e);
                if (r >= 0 || !strstr(e.msg, "adjust.json") || !strstr(e.msg, cases[i].mention))
                        fail_msg("case %zu: r=%d msg '%s' should mention '%s'", i, r, e.msg,
                                 cases[i].mention);
                assert_int_equal(((unsigned char *)&pol)[0], 0x5a); /* untouched */
        }
        char big[VGL_ADJUST_FILE_MAX + 2];
        memset(big, ' ', sizeof(big));
        struct vgl_adjust_policy pol;
        assert_int_equal(vgl_adjust_policy_parse("big.json", big, sizeof(big), &pol, NULL), -EFBIG);

        /* A policy built in code is checked the same way. */
        struct vgl_error e = {0};
        vgl_adjust_policy_default(&pol);
        assert_int_equal(vgl_adjust_policy_validate(&pol, &e), 0);
        pol.tag_weight[VGL_TAG_FILE_WRITE] = -0.5;
        assert_int_equal(vgl_adjust_policy_validate(&pol, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "penalty.tags"));
        vgl_adjust_policy_default(&pol);
        pol.period_ms = 0;
        assert_int_equal(vgl_adjust_policy_validate(&pol, &e), -EINVAL);
        assert_non_null(strstr(e.msg, "period_ms"));
}

/* The shipped policies/adjust.json loads and says what the defaults say. */
static void test_shipped_policy(void **state)
{
        const char *root = getenv("VIGIL_SOURCE_ROOT");
        if (!root) {
                print_message("skipped: VIGIL_SOURCE_ROOT not set (run through meson test)\n");
                skip();
        }
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/policies", root);
        struct vgl_adjust_policy pol, def;
        struct vgl_error e = {0};
        if (vgl_adjust_policy_load(dir, &pol, &e) < 0)
                fail_msg("%s", e.msg);
        vgl_adjust_policy_default(&def);
        assert_int_equal(pol.period_ms, def.period_ms);
        assert_int_equal(pol.probation_rounds, def.probation_rounds);
        assert_int_equal(pol.count_cap, def.count_cap);
        assert_int_equal(pol.severe_tags, def.severe_tags);
        assert_int_equal(pol.start_within_tier, def.start_within_tier);
        const double a[] = {pol.trust_max,       pol.achieved_eps,   pol.start_discount,
                            pol.step_up,         pol.max_step_down,  pol.demote_margin,
                            pol.promote_margin,  pol.denial_weight,  pol.anomaly_weight,
                            pol.anomaly_floor,   pol.risk_weight,    pol.risk_floor,
                            pol.silence_penalty, pol.severe_anomaly, pol.severe_risk,
                            pol.severe_penalty,  pol.severe_max_step};
        const double b[] = {def.trust_max,       def.achieved_eps,   def.start_discount,
                            def.step_up,         def.max_step_down,  def.demote_margin,
                            def.promote_margin,  def.denial_weight,  def.anomaly_weight,
                            def.anomaly_floor,   def.risk_weight,    def.risk_floor,
                            def.silence_penalty, def.severe_anomaly, def.severe_risk,
                            def.severe_penalty,  def.severe_max_step};
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
                if (a[i] != b[i])
                        fail_msg("field %zu: file %g, default %g", i, a[i], b[i]);
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                assert_true(pol.tag_weight[t] == def.tag_weight[t]);

        /* ... and with the shipped tiers, a medium reservation that reads
         * sensitive files and calls out is demoted in one round. */
        struct vgl_tier_set shipped;
        if (vgl_tier_set_load(dir, &shipped, &e) < 0)
                fail_msg("%s", e.msg);
        static struct vgl_profile p;
        assert_int_equal(vgl_adjust_profile_new(&pol, &shipped, "s", 0.6, &p), 0);
        assert_string_equal(p.tier, "medium");
        struct vgl_evidence ev;
        evidence("sensitive_data_access=2,external_api_call=1,network_access=1", &ev);
        struct vgl_adjust_decision d;
        assert_int_equal(vgl_adjust_round(&pol, &shipped, &p, &ev, 1, &d), 0);
        assert_int_equal(d.kind, VGL_ADJUST_DEMOTE);
        assert_true(d.limits_after.vcpus < d.limits_before.vcpus);
        assert_true(d.limits_after.memory_mib < d.limits_before.memory_mib);
        assert_true(d.limits_after.cpu_quota_percent < d.limits_before.cpu_quota_percent);
        assert_true(d.posture_after > d.posture_before);

        assert_int_equal(vgl_adjust_policy_load("/nonexistent-vigil", &pol, &e), -ENOENT);
        assert_non_null(strstr(e.msg, "/nonexistent-vigil/adjust.json"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_trajectories),
                cmocka_unit_test(test_start),
                cmocka_unit_test(test_achieved),
                cmocka_unit_test(test_high_severity),
                cmocka_unit_test(test_history_and_decision),
                cmocka_unit_test(test_unknown_tier),
                cmocka_unit_test(test_update),
                cmocka_unit_test(test_policy_errors),
                cmocka_unit_test(test_shipped_policy),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
