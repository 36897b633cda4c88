/* policies/adjust.json: defaults, parsing, consistency. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adjust.h"
#include "cleanup.h"
#include "file.h"
#include "profile-priv.h"
#include "proto-msg.h"

void vgl_adjust_policy_default(struct vgl_adjust_policy *ret)
{
        *ret = (struct vgl_adjust_policy){
                .period_ms = 5000,
                .trust_max = 1.0,
                .achieved_eps = 0.01,
                .start_discount = 0.1,
                .start_within_tier = true,
                .probation_rounds = 6,
                .step_up = 0.01,
                .max_step_down = 0.3,
                .demote_margin = 0.03,
                .promote_margin = 0.05,
                .tag_weight =
                        {
                                [VGL_TAG_EXTERNAL_API_CALL] = 0.05,
                                [VGL_TAG_SENSITIVE_DATA_ACCESS] = 0.08,
                                [VGL_TAG_PRIVILEGE_CHANGE] = 0.15,
                                [VGL_TAG_RESOURCE_BURST] = 0.01,
                                [VGL_TAG_POLICY_VIOLATION] = 0.03,
                        },
                .count_cap = 10,
                .anomaly_weight = 0.3,
                .anomaly_floor = 0.5,
                .risk_weight = 0.3,
                .risk_floor = 0.2,
                .silence_penalty = 0.05,
                .severe_tags = VGL_TAG_BIT(VGL_TAG_PRIVILEGE_CHANGE),
                .severe_anomaly = 0.9,
                .severe_risk = 0.8,
                .severe_penalty = 0.1,
                .severe_max_step = 0.5,
        };
}

static int fail(struct vgl_error *err, const char *field, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(struct vgl_error *err, const char *field, const char *fmt, ...)
{
        char msg[192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return vgl_error_set(err, EINVAL, "%s: %s", field, msg);
}

/* The ranges parsing enforces, again for policies built in code. */
static int validate_ranges(const struct vgl_adjust_policy *p, struct vgl_error *err)
{
        const struct {
                const char *name;
                double v, min, max;
        } f[] = {
                {"trust_max", p->trust_max, 0, 1},
                {"achieved_epsilon", p->achieved_eps, 0, 0.5},
                {"start.discount", p->start_discount, 0, 1},
                {"rise.step", p->step_up, 0, 0.5},
                {"fall.max_step", p->max_step_down, 0, 1},
                {"hysteresis.demote_margin", p->demote_margin, 0, 0.25},
                {"hysteresis.promote_margin", p->promote_margin, 0, 0.25},
                {"penalty.denial", p->denial_weight, 0, 1},
                {"penalty.anomaly.weight", p->anomaly_weight, 0, 1},
                {"penalty.anomaly.floor", p->anomaly_floor, 0, 1},
                {"penalty.risk.weight", p->risk_weight, 0, 1},
                {"penalty.risk.floor", p->risk_floor, 0, 1},
                {"penalty.agent_silent", p->silence_penalty, 0, 1},
                {"high_severity.anomaly_at_least", p->severe_anomaly, 0, 1},
                {"high_severity.risk_at_least", p->severe_risk, 0, 1},
                {"high_severity.penalty", p->severe_penalty, 0, 1},
                {"high_severity.max_step", p->severe_max_step, 0, 1},
        };
        for (size_t i = 0; i < ELEMENTSOF(f); i++)
                if (!(f[i].v >= f[i].min && f[i].v <= f[i].max))
                        return fail(err, f[i].name, "%g not in [%g, %g]", f[i].v, f[i].min,
                                    f[i].max);
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                if (!(p->tag_weight[t] >= 0 && p->tag_weight[t] <= 1))
                        return fail(err, "penalty.tags", "%s: %g not in [0, 1]", vgl_tag_name(t),
                                    p->tag_weight[t]);
        if (p->probation_rounds > 100000)
                return fail(err, "rise.probation_rounds", "%u not in [0, 100000]",
                            p->probation_rounds);
        if (p->count_cap == 0 || p->count_cap > 1000)
                return fail(err, "penalty.count_cap", "%u not in [1, 1000]", p->count_cap);
        if (p->severe_tags >> VGL_TAG_COUNT)
                return fail(err, "high_severity.tags", "unknown tag bits 0x%x", p->severe_tags);
        return 0;
}

int vgl_adjust_policy_validate(const struct vgl_adjust_policy *p, struct vgl_error *err)
{
        int r = validate_ranges(p, err);
        if (r < 0)
                return r;
        if (p->period_ms < 100 || p->period_ms > 3600000)
                return fail(err, "period_ms", "%u not in [100, 3600000]", p->period_ms);
        if (p->max_step_down <= 0)
                return fail(err, "fall.max_step", "must be above 0 (got %g)", p->max_step_down);
        if (p->step_up > p->max_step_down)
                return fail(err, "rise.step",
                            "%g exceeds fall.max_step %g: trust must rise slower than it falls",
                            p->step_up, p->max_step_down);
        if (p->severe_max_step < p->max_step_down)
                return fail(err, "high_severity.max_step",
                            "%g is below fall.max_step %g: a severe round must cost at least as "
                            "much as an ordinary one",
                            p->severe_max_step, p->max_step_down);
        if (p->anomaly_floor >= 1.0)
                return fail(err, "penalty.anomaly.floor", "must be below 1 (got %g)",
                            p->anomaly_floor);
        if (p->risk_floor >= 1.0)
                return fail(err, "penalty.risk.floor", "must be below 1 (got %g)", p->risk_floor);
        if (p->severe_anomaly < p->anomaly_floor)
                return fail(err, "high_severity.anomaly_at_least",
                            "%g is below penalty.anomaly.floor %g", p->severe_anomaly,
                            p->anomaly_floor);
        if (p->severe_risk < p->risk_floor)
                return fail(err, "high_severity.risk_at_least", "%g is below penalty.risk.floor %g",
                            p->severe_risk, p->risk_floor);
        return 0;
}

static int parse_start(const struct vgl_jf *top, struct json_object *o, struct vgl_adjust_policy *p)
{
        static const char *const known[] = {"discount", "within_tier", NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "start", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "start");
        r = vgl_jf_known(&c, v, known);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "discount", false, 0, 1, &p->start_discount);
        if (r >= 0)
                r = vgl_jf_bool(&c, v, "within_tier", false, &p->start_within_tier);
        return r < 0 ? r : 0;
}

static int parse_steps(const struct vgl_jf *top, struct json_object *o, struct vgl_adjust_policy *p)
{
        static const char *const rise_known[] = {"probation_rounds", "step", NULL};
        static const char *const fall_known[] = {"max_step", NULL};
        static const char *const hyst_known[] = {"demote_margin", "promote_margin", NULL};
        struct json_object *v = NULL;
        uint64_t prob = p->probation_rounds;
        int r = vgl_jf_object(top, o, "rise", false, &v);
        if (r > 0) {
                struct vgl_jf c = vgl_jf_sub(top, "rise");
                r = vgl_jf_known(&c, v, rise_known);
                if (r >= 0)
                        r = vgl_jf_uint(&c, v, "probation_rounds", false, 0, 100000, &prob);
                if (r >= 0)
                        r = vgl_jf_number(&c, v, "step", false, 0, 0.5, &p->step_up);
        }
        if (r >= 0 && (r = vgl_jf_object(top, o, "fall", false, &v)) > 0) {
                struct vgl_jf c = vgl_jf_sub(top, "fall");
                r = vgl_jf_known(&c, v, fall_known);
                if (r >= 0)
                        r = vgl_jf_number(&c, v, "max_step", false, 0, 1, &p->max_step_down);
        }
        if (r >= 0 && (r = vgl_jf_object(top, o, "hysteresis", false, &v)) > 0) {
                struct vgl_jf c = vgl_jf_sub(top, "hysteresis");
                r = vgl_jf_known(&c, v, hyst_known);
                if (r >= 0)
                        r = vgl_jf_number(&c, v, "demote_margin", false, 0, 0.25,
                                          &p->demote_margin);
                if (r >= 0)
                        r = vgl_jf_number(&c, v, "promote_margin", false, 0, 0.25,
                                          &p->promote_margin);
        }
        p->probation_rounds = (uint32_t)prob;
        return r < 0 ? r : 0;
}

/* {"weight": w, "floor": f} */
static int parse_score(const struct vgl_jf *pen, struct json_object *o, const char *name,
                       double *weight, double *floor_)
{
        static const char *const known[] = {"weight", "floor", NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(pen, o, name, false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(pen, name);
        r = vgl_jf_known(&c, v, known);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "weight", false, 0, 1, weight);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "floor", false, 0, 1, floor_);
        return r < 0 ? r : 0;
}

static int parse_tag_weights(const struct vgl_jf *pen, struct json_object *o,
                             struct vgl_adjust_policy *p)
{
        const char *known[VGL_TAG_COUNT + 1] = {NULL};
        for (unsigned i = 0; i < VGL_TAG_COUNT; i++)
                known[i] = vgl_tag_name(i);
        struct json_object *v = NULL;
        int r = vgl_jf_object(pen, o, "tags", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(pen, "tags");
        r = vgl_jf_known(&c, v, known);
        for (unsigned i = 0; r >= 0 && i < VGL_TAG_COUNT; i++)
                r = vgl_jf_number(&c, v, known[i], false, 0, 1, &p->tag_weight[i]);
        return r < 0 ? r : 0;
}

static int parse_penalty(const struct vgl_jf *top, struct json_object *o,
                         struct vgl_adjust_policy *p)
{
        static const char *const known[] = {"tags", "count_cap",    "denial", "anomaly",
                                            "risk", "agent_silent", NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "penalty", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "penalty");
        uint64_t cap = p->count_cap;
        r = vgl_jf_known(&c, v, known);
        r = r ?: parse_tag_weights(&c, v, p);
        if (r >= 0)
                r = vgl_jf_uint(&c, v, "count_cap", false, 1, 1000, &cap);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "denial", false, 0, 1, &p->denial_weight);
        if (r >= 0)
                r = parse_score(&c, v, "anomaly", &p->anomaly_weight, &p->anomaly_floor);
        if (r >= 0)
                r = parse_score(&c, v, "risk", &p->risk_weight, &p->risk_floor);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "agent_silent", false, 0, 1, &p->silence_penalty);
        p->count_cap = (uint32_t)cap;
        return r < 0 ? r : 0;
}

static int parse_severe_tags(const struct vgl_jf *hs, struct json_object *o,
                             struct vgl_adjust_policy *p)
{
        struct json_object *arr = NULL;
        int r = vgl_jf_array(hs, o, "tags", false, VGL_TAG_COUNT, &arr);
        if (r <= 0)
                return r;
        uint32_t bits = 0;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                char name[32], tag[32];
                snprintf(name, sizeof(name), "tags[%zu]", i);
                r = vgl_jf_value_string(hs, json_object_array_get_idx(arr, i), name,
                                        VGL_JSON_STR_NAME, tag, sizeof(tag));
                unsigned t = 0;
                while (r >= 0 && t < VGL_TAG_COUNT && strcmp(vgl_tag_name(t), tag) != 0)
                        t++;
                if (r >= 0 && t == VGL_TAG_COUNT)
                        r = vgl_jf_fail(hs, name, "unknown behaviour tag '%s'", tag);
                if (r < 0)
                        return r;
                bits |= VGL_TAG_BIT(t);
        }
        p->severe_tags = bits;
        return 0;
}

static int parse_severity(const struct vgl_jf *top, struct json_object *o,
                          struct vgl_adjust_policy *p)
{
        static const char *const known[] = {"tags",    "anomaly_at_least", "risk_at_least",
                                            "penalty", "max_step",         NULL};
        struct json_object *v = NULL;
        int r = vgl_jf_object(top, o, "high_severity", false, &v);
        if (r <= 0)
                return r;
        struct vgl_jf c = vgl_jf_sub(top, "high_severity");
        r = vgl_jf_known(&c, v, known);
        r = r ?: parse_severe_tags(&c, v, p);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "anomaly_at_least", false, 0, 1, &p->severe_anomaly);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "risk_at_least", false, 0, 1, &p->severe_risk);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "penalty", false, 0, 1, &p->severe_penalty);
        if (r >= 0)
                r = vgl_jf_number(&c, v, "max_step", false, 0, 1, &p->severe_max_step);
        return r < 0 ? r : 0;
}

static int parse_object(struct json_object *o, struct vgl_adjust_policy *p, struct vgl_error *err)
{
        static const char *const known[] = {
                "period_ms", "trust_max",  "achieved_epsilon", "start",         "rise",
                "fall",      "hysteresis", "penalty",          "high_severity", NULL,
        };
        struct vgl_jf c = {.where = "", .code = EINVAL, .err = err};
        uint64_t period = p->period_ms;
        int r = vgl_jf_known(&c, o, known);
        if (r >= 0)
                r = vgl_jf_uint(&c, o, "period_ms", false, 100, 3600000, &period);
        if (r >= 0)
                r = vgl_jf_number(&c, o, "trust_max", false, 0, 1, &p->trust_max);
        if (r >= 0)
                r = vgl_jf_number(&c, o, "achieved_epsilon", false, 0, 0.5, &p->achieved_eps);
        r = r < 0 ? r : parse_start(&c, o, p);
        r = r < 0 ? r : parse_steps(&c, o, p);
        r = r < 0 ? r : parse_penalty(&c, o, p);
        r = r < 0 ? r : parse_severity(&c, o, p);
        p->period_ms = (uint32_t)period;
        return r < 0 ? r : vgl_adjust_policy_validate(p, err);
}

int vgl_adjust_policy_parse(const char *path, const char *text, size_t len,
                            struct vgl_adjust_policy *ret, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        int r = vgl_jf_parse_file_text(path, text, len, VGL_ADJUST_FILE_MAX, &o, err);
        if (r < 0)
                return r;
        struct vgl_adjust_policy p;
        vgl_adjust_policy_default(&p);
        struct vgl_error e = {0};
        r = parse_object(o, &p, &e);
        if (r < 0)
                return vgl_error_set(err, -r, "%s: %s", path, e.msg);
        *ret = p;
        return 0;
}

int vgl_adjust_policy_load(const char *dir, struct vgl_adjust_policy *ret, struct vgl_error *err)
{
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/adjust.json", dir) >= (int)sizeof(path))
                return vgl_error_set(err, ENAMETOOLONG, "%s: path too long", dir);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = vgl_file_read_bounded(path, VGL_ADJUST_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        return vgl_adjust_policy_parse(path, text, len, ret, err);
}
