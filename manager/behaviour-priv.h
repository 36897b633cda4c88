/* Internals of struct vgl_bhv shared by behaviour-decode.c (validation and
 * tagging) and behaviour-window.c (the rolling window); visible to tests. */
#pragma once

#include "behaviour.h"
#include "proto-policy.h"

struct vgl_bhv_bucket {
        uint64_t second; /* host monotonic second this bucket counts, 0: never used */
        uint32_t count[VGL_TAG_COUNT];
};

struct vgl_bhv_pidslot {
        uint32_t pid;
        uint16_t last_nr;
        bool used;
};

/* Rolling baselines for resource_burst. */
struct vgl_bhv_baseline {
        /* resource samples (type 1) */
        bool have_prev;
        struct vgl_resource_sample prev;
        uint32_t samples;     /* samples with a CPU figure */
        uint32_t cpu_base;    /* EWMA of busy per mille */
        uint64_t mem_base_kb; /* EWMA of used memory */
        /* usage records (type 7), per command */
        uint32_t commands;
        uint64_t cmd_mem_base; /* EWMA of memory_peak */
        uint64_t cmd_cpu_base; /* EWMA of cpu_usage_usec */
};

struct vgl_bhv {
        struct vgl_policy *policy; /* installed copy, or NULL: the shared open set */
        struct vgl_bhv_stats stats;
        struct vgl_bhv_baseline base;

        struct vgl_bhv_entry ring[VGL_BHV_RING];
        uint32_t ring_next; /* slot the next event goes to */
        uint32_t ring_len;

        struct vgl_bhv_bucket buckets[VGL_BHV_BUCKETS];
        uint32_t syscalls[VGL_BHV_SYSCALL_MAX + 1]; /* the last slot: "other" */
        uint32_t bigrams[VGL_BHV_BIGRAMS];
        struct vgl_bhv_pidslot pids[VGL_BHV_PIDS];
};

/* Adds an accepted event to the window and the stats. */
void vgl_bhv_window_add(struct vgl_bhv *b, const struct vgl_bhv_event *ev, uint64_t now_ms);

/* Validates and tags a decoded event in place (ev->type and the member set);
 * -EBADMSG with *err. Updates the burst baselines. */
int vgl_bhv_judge(struct vgl_bhv *b, struct vgl_bhv_event *ev, struct vgl_error *err);

/* Burst detection (behaviour-burst.c): true if the event is a resource burst;
 * updates the baselines. Resource samples also get cpu_permille/mem_used_kb. */
bool vgl_bhv_burst_resource(struct vgl_bhv_baseline *bl, struct vgl_bhv_event *ev);
bool vgl_bhv_burst_usage(struct vgl_bhv_baseline *bl, const struct vgl_ev_usage *u);

/* Judges later records against p (copied; NULL: the open set). -ENOMEM. */
int vgl_bhv_set_policy(struct vgl_bhv *b, const struct vgl_policy *p);

/* The permission set records are judged against (never NULL). */
const struct vgl_policy *vgl_bhv_policy(const struct vgl_bhv *b);
