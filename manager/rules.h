/* Known-bad pattern rules: small, Falco-like rules over behaviour events.
 *
 * Rules are data (policies/rules/NAME.json, documented in
 * policies/rules/README.md): conditions on the fields of one event, or a short
 * sequence of such events within one sandbox, each giving a name, a tag, a
 * severity and a description. vigild evaluates every accepted event
 * (struct vgl_bhv_event) against the loaded set with the sandbox's
 * struct vgl_rules_state and gets the rules it matched; the state also
 * keeps a risk value in [0, 1] that decays with time, for the adjuster.
 *
 * Files are operator input: strict validation (unknown fields, wrong types,
 * bad globs or CIDRs, duplicate names, size caps), every error naming the
 * file and the field. A set is immutable once loaded: a reload builds a new
 * set, and a failed load leaves the caller's current set as it was.
 *
 * Memory: a set is bounded by VGL_RULES_MAX rules of bounded lists; a
 * sandbox's state is fixed at vgl_rules_state_footprint() bytes (about
 * 4 KiB) whatever the guest does. Neither is thread-safe for writing; a set
 * may be read by several threads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "behaviour.h"
#include "error.h"

#define VGL_RULES_MAX            512u /* rules in a set */
#define VGL_RULES_FILES_MAX      64u  /* rule files in a directory */
#define VGL_RULES_FILE_MAX       (256u * 1024u)
#define VGL_RULES_LIST_MAX       64u  /* entries of one condition list */
#define VGL_RULES_PATTERN_MAX    255u /* bytes of one glob, substring or CIDR */
#define VGL_RULES_SEQ_MAX        32u  /* sequence rules in a set */
#define VGL_RULES_STEPS_MAX      4u   /* steps of a sequence (at least 2) */
#define VGL_RULES_PARTIALS       8u   /* partial sequences kept per rule and sandbox */
#define VGL_RULES_WITHIN_MAX_S   3600u
#define VGL_RULE_NAME_MAX        64u /* sizes, with the NUL */
#define VGL_RULE_TAG_MAX         32u
#define VGL_RULE_DESCRIPTION_MAX 256u

enum vgl_severity {
        VGL_SEVERITY_LOW = 0,
        VGL_SEVERITY_MEDIUM,
        VGL_SEVERITY_HIGH,
        VGL_SEVERITY_CRITICAL,
        VGL_SEVERITY_COUNT,
};

/* "low", "medium", "high", "critical"; "unknown" out of range. */
const char *vgl_severity_name(enum vgl_severity s);
int vgl_severity_from_name(const char *name, enum vgl_severity *ret);

/* ---- the rule set ---- */

struct vgl_rules;

/* Loads every dir/NAME.json (in name order; dir is the rules folder itself,
 * such as <policies>/rules) into a new set. Any error fails the whole load
 * with *err naming the file and the field ("/p/rules/x.json: rules[2]
 * 'cron-write': field 'match.path[0]': ..."); *ret is untouched then. An
 * empty directory gives an empty set. */
int vgl_rules_load(const char *dir, struct vgl_rules **ret, struct vgl_error *err);

/* A set from one file's text; path is only used in messages. */
int vgl_rules_parse(const char *path, const char *text, size_t len, struct vgl_rules **ret,
                    struct vgl_error *err);

/* Frees rs; accepts NULL, returns NULL. */
struct vgl_rules *vgl_rules_free(struct vgl_rules *rs);

static inline void vgl_rules_freep(struct vgl_rules **rs)
{
        *rs = vgl_rules_free(*rs);
}

/* A rule as loaded, for listing. Strings belong to the set. */
struct vgl_rule_info {
        const char *name, *tag, *description;
        const char *file; /* the file it came from */
        enum vgl_severity severity;
        bool sequence;
};

size_t vgl_rules_count(const struct vgl_rules *rs);

/* Rule i (< vgl_rules_count), in load order; -ERANGE otherwise. */
int vgl_rules_get(const struct vgl_rules *rs, size_t i, struct vgl_rule_info *ret);

/* ---- per-sandbox evaluation ---- */

/* One rule an event matched (copied: valid after the set is replaced). */
struct vgl_rule_match {
        char rule[VGL_RULE_NAME_MAX];
        char tag[VGL_RULE_TAG_MAX];
        enum vgl_severity severity;
};

struct vgl_rules_state;

/* A sandbox's state: partial sequences and the risk accumulator. -ENOMEM. */
int vgl_rules_state_new(struct vgl_rules_state **ret);

/* Frees st; accepts NULL, returns NULL. */
struct vgl_rules_state *vgl_rules_state_free(struct vgl_rules_state *st);

static inline void vgl_rules_state_freep(struct vgl_rules_state **st)
{
        *st = vgl_rules_state_free(*st);
}

size_t vgl_rules_state_footprint(void);

/* Evaluates one event of the sandbox st belongs to against rs. now_ms is
 * the host's monotonic clock in ms (sequence windows and risk decay use
 * it, never the guest's clock). Writes up to max matches into out, in rule
 * order, adds each to the risk, and returns how many rules matched (which
 * may exceed max). Partial sequences started under another set are
 * forgotten when rs changes; the risk carries over. */
size_t vgl_rules_eval(const struct vgl_rules *rs, struct vgl_rules_state *st,
                      const struct vgl_bhv_event *ev, uint64_t now_ms, struct vgl_rule_match *out,
                      size_t max);

/* ---- risk ----
 *
 * Each match adds its severity's weight w to an accumulator A that halves
 * every VGL_RULES_RISK_HALF_LIFE_MS:
 *
 *     A(t) = min(A_MAX, A(t0) * 2^(-(t - t0) / H) + w)    at a match at t
 *     risk(t) = 1 - exp(-A(t))                             in [0, 1)
 *
 * with w = 0.1 (low), 0.3 (medium), 0.7 (high), 2.0 (critical), so one
 * high match alone gives risk 0.50, one critical 0.86, and A_MAX = 10 (risk
 * 0.99995) bounds how long a flood of matches keeps the risk up (about
 * 6.6 half-lives to fall back below 0.1). */
#define VGL_RULES_RISK_HALF_LIFE_MS (300u * 1000u)
#define VGL_RULES_RISK_ACC_MAX      10.0

/* The weight w of a severity. */
double vgl_rules_severity_weight(enum vgl_severity s);

/* The sandbox's risk at now_ms, in [0, 1]. */
double vgl_rules_risk(const struct vgl_rules_state *st, uint64_t now_ms);

/* Adds a match of severity s at now_ms to the risk (what vgl_rules_eval
 * does per match; exposed for matches found elsewhere). */
void vgl_rules_risk_add(struct vgl_rules_state *st, enum vgl_severity s, uint64_t now_ms);
