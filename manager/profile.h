/* The personality profile of a sandbox: its resource limits, security
 * posture, behavioural signature, trust score and the history of the
 * adjustments made to it.
 *
 * The profile is plain data (no libvirt, no I/O): vigild keeps one per
 * sandbox, the adjuster (adjust.h) changes it, enforcement (enforce.h)
 * records in it what really took effect, and it is persisted as JSON in
 * the domain's <metadata> so a restart restores it. Its JSON form is also
 * what the API's GetProfile returns; parsing it back validates every field
 * (the metadata is written by vigild but lives where libvirt users can
 * edit it). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "error.h"
#include "policy.h"

#define VGL_PROFILE_ID_MAX      32
#define VGL_PROFILE_HISTORY     32 /* adjustments kept, oldest dropped */
#define VGL_PROFILE_ENDPOINTS   8  /* recent endpoints kept */
#define VGL_PROFILE_SERIES      30 /* resource samples kept */
#define VGL_PROFILE_TAGS        8  /* = VGL_TAG_COUNT (behaviour.h) */
#define VGL_PROFILE_TOP_SYSCALL 8  /* most frequent system calls kept */
#define VGL_PROFILE_REASON_MAX  160
#define VGL_PROFILE_MODEL_MAX   64

/* The limits vigild enforces on a sandbox. 0 in a rate field means "no
 * limit". */
struct vgl_limits {
        unsigned vcpus;             /* live vCPUs (<= the domain's maximum) */
        unsigned cpu_quota_percent; /* 1..100 of each vCPU */
        uint64_t memory_mib;        /* balloon target */
        uint64_t net_in_kbps, net_out_kbps;
        uint64_t disk_iops, disk_bytes_per_s;
};

/* Bounds of every vgl_limits field, in tier files, the profile's JSON and
 * UpdateProfile alike. */
#define VGL_LIMIT_VCPUS_MAX       64u
#define VGL_LIMIT_MEMORY_MIB_MIN  64u
#define VGL_LIMIT_MEMORY_MIB_MAX  (1024u * 1024u)          /* 1 TiB */
#define VGL_LIMIT_KBPS_MAX        (100ull * 1000u * 1000u) /* 100 Gbit/s */
#define VGL_LIMIT_IOPS_MAX        (10ull * 1000u * 1000u)
#define VGL_LIMIT_BYTES_PER_S_MAX (1ull << 40) /* 1 TiB/s */

/* What enforcement can act on; each has its own outcome in the profile. */
enum vgl_action {
        VGL_ACTION_VCPUS = 0,
        VGL_ACTION_CPU_QUOTA,
        VGL_ACTION_MEMORY,
        VGL_ACTION_BANDWIDTH,
        VGL_ACTION_NWFILTER,
        VGL_ACTION_BLKIO,
        VGL_ACTION_PERMISSIONS,
        VGL_ACTION_COUNT,
};

enum vgl_action_state {
        VGL_ACTION_PENDING = 0,    /* not attempted yet */
        VGL_ACTION_APPLIED,        /* done and read back */
        VGL_ACTION_UNSUPPORTED,    /* this host or driver cannot do it (reason says why) */
        VGL_ACTION_NOT_APPLICABLE, /* nothing to act on (no NIC, no disk) */
        VGL_ACTION_FAILED,         /* tried; libvirt's error or a read-back mismatch in reason */
};

struct vgl_action_result {
        enum vgl_action_state state;
        int64_t time;   /* Unix seconds of the last attempt, 0: never */
        char value[64]; /* what was read back, as text ("1", "256 MiB") */
        char reason[VGL_PROFILE_REASON_MAX];
};

enum vgl_adjust_kind {
        VGL_ADJUST_HOLD = 0,
        VGL_ADJUST_DEMOTE,  /* to a stricter tier, live */
        VGL_ADJUST_PROMOTE, /* to a more relaxed tier, live */
        VGL_ADJUST_HOP,     /* moved into another tier's template (save/restore) */
        VGL_ADJUST_UPDATE,  /* an admin's UpdateProfile */
};

/* One entry of the history: only rounds that changed something, and hops. */
struct vgl_adjustment {
        int64_t time; /* Unix seconds */
        enum vgl_adjust_kind kind;
        double trust_before, trust_after;
        char tier_before[VGL_TIER_NAME_MAX], tier_after[VGL_TIER_NAME_MAX];
        char reason[VGL_PROFILE_REASON_MAX]; /* "sensitive_data_access x3, anomaly 0.91" */
};

/* The behavioural signature: a bounded summary of what the sandbox did. */
struct vgl_signature {
        uint64_t tag_totals[VGL_PROFILE_TAGS]; /* since reservation, by enum vgl_tag */
        uint64_t events, syscalls, denials;
        struct {
                uint16_t nr;
                uint32_t count;
        } top_syscalls[VGL_PROFILE_TOP_SYSCALL];
        size_t n_top_syscalls;
        char endpoints[VGL_PROFILE_ENDPOINTS][64]; /* "10.0.0.1:443", newest first */
        size_t n_endpoints;
        struct {
                int64_t time;          /* Unix seconds */
                uint32_t cpu_permille; /* guest busy fraction */
                uint64_t mem_used_kb;
        } series[VGL_PROFILE_SERIES]; /* ring, oldest overwritten */
        size_t series_head, n_series;
        double anomaly;                    /* the detectors' last score, [0, 1] */
        double risk;                       /* the rules' last risk, [0, 1] */
        char model[VGL_PROFILE_MODEL_MAX]; /* model version that scored it, "" none */
};

struct vgl_profile {
        char profile_id[VGL_PROFILE_ID_MAX]; /* the sandbox id */
        char tier[VGL_TIER_NAME_MAX];        /* current tier */
        enum vgl_posture posture;            /* current security posture */
        struct vgl_limits limits;            /* what should be in force */
        double trust_score;                  /* [0, 1] */
        double desired_trust_level;          /* [0, 1], as reserved */
        double ceiling;                      /* trust never rises above this */
        bool achieved;                       /* desired level reached (docs/trust.md) */
        uint32_t clean_rounds;               /* consecutive rounds without evidence */
        uint64_t rounds;                     /* adjust rounds run */
        int64_t last_round;                  /* Unix seconds, 0: never */
        struct vgl_signature signature;
        struct vgl_action_result actions[VGL_ACTION_COUNT];
        struct vgl_adjustment history[VGL_PROFILE_HISTORY]; /* ring */
        size_t history_head, n_history;
        uint64_t hops;
};

/* "vcpus", "cpu_quota", "memory", "bandwidth", "nwfilter", "blkio",
 * "permissions"; "unknown". And back (-EINVAL). */
const char *vgl_action_name(enum vgl_action a);
int vgl_action_from_name(const char *name, enum vgl_action *ret);

/* "pending", "applied", "unsupported", "not_applicable", "failed". */
const char *vgl_action_state_name(enum vgl_action_state s);
int vgl_action_state_from_name(const char *name, enum vgl_action_state *ret);

/* "hold", "demote", "promote", "hop", "update". */
const char *vgl_adjust_kind_name(enum vgl_adjust_kind k);
int vgl_adjust_kind_from_name(const char *name, enum vgl_adjust_kind *ret);

/* A profile for a sandbox starting in tier t: limits from t's template,
 * posture from t, trust and ceiling as given. Every action pending. */
void vgl_profile_init(struct vgl_profile *p, const char *id, const struct vgl_tier *t,
                      double desired_trust_level, double trust_score, double ceiling);

/* The limits of t's template (vcpus, quota, memory, bandwidth, disk). */
void vgl_limits_from_tier(const struct vgl_tier *t, struct vgl_limits *ret);

/* Appends an entry to the history ring (the oldest goes when full). */
void vgl_profile_push_history(struct vgl_profile *p, const struct vgl_adjustment *a);

/* The i-th history entry, oldest first (i < n_history). */
const struct vgl_adjustment *vgl_profile_history_at(const struct vgl_profile *p, size_t i);

/* Records the outcome of an action. reason/value may be NULL ("" then). */
void vgl_profile_set_action(struct vgl_profile *p, enum vgl_action a, enum vgl_action_state st,
                            const char *value, const char *reason, int64_t now);

/* The signature's bookkeeping. */
void vgl_signature_add_endpoint(struct vgl_signature *s, const char *endpoint);
void vgl_signature_add_sample(struct vgl_signature *s, int64_t time, uint32_t cpu_permille,
                              uint64_t mem_used_kb);

/* JSON (the API's Profile type and the persisted form; docs/trust.md).
 * -ENOMEM. */
int vgl_profile_to_json(const struct vgl_profile *p, struct json_object **ret);

/* Parses what vgl_profile_to_json wrote, validating every field (types,
 * ranges, known names, bounded strings and arrays). -EBADMSG with *err
 * naming the field ("profile.limits.vcpus: ..."); *ret untouched on
 * failure. */
int vgl_profile_from_json(struct json_object *o, struct vgl_profile *ret, struct vgl_error *err);
