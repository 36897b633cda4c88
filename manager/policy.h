/* Tier templates from policies/tiers/NAME.json: loading, validation, lookup.
 *
 * A tier is the starting template of a sandbox: its security posture, the
 * trust range it serves, its resources and network mode. Files are operator
 * input: every field is type-checked and bounded, unknown fields are errors
 * (they are usually typos), and every error names the file and the field. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define VGL_TIER_MAX      16
#define VGL_TIER_NAME_MAX 32
#define VGL_TIER_FILE_MAX (64u * 1024u)

/* Ordered from least to most restrictive. */
enum vgl_posture {
        VGL_POSTURE_LOW = 0,
        VGL_POSTURE_MEDIUM,
        VGL_POSTURE_HIGH,
        VGL_POSTURE_PARANOID,
};

/* What the guest may reach on the network. */
enum vgl_network_mode {
        VGL_NET_OPEN = 0,  /* open egress, logged */
        VGL_NET_ALLOWLIST, /* allow-listed endpoints + DNS */
        VGL_NET_DECLARED,  /* only endpoints the reservation declared */
        VGL_NET_NONE,      /* no network at all */
};

struct vgl_tier {
        char name[VGL_TIER_NAME_MAX];
        char description[256];
        enum vgl_posture posture;
        double min_trust; /* serves desired levels in [min_trust, max_trust) (1.0 inclusive) */
        double max_trust;
        char image[64]; /* image name; "microvm" is the built microVM */
        unsigned vcpus, max_vcpus;
        uint64_t memory_mib, max_memory_mib;
        unsigned cpu_quota_percent;           /* 1..100 of each vCPU */
        uint64_t net_in_kbps, net_out_kbps;   /* "bandwidth_kbps": 0 or absent: no cap */
        uint64_t disk_iops, disk_bytes_per_s; /* "disk": 0 or absent: no cap */
        bool hop_on_entry; /* "hop": entering by demotion moves the workload into this
                            * tier's template (save/restore), not only live changes */
        enum vgl_network_mode network;
        unsigned pool; /* warm-pool target */
        uint64_t ttl_default_s, ttl_max_s;
};

struct vgl_tier_set {
        struct vgl_tier tiers[VGL_TIER_MAX]; /* sorted by posture, least restrictive first */
        size_t n_tiers;
};

/* Parses one tier file's text; path is only used in messages. */
int vgl_tier_parse(const char *path, const char *text, size_t len, struct vgl_tier *ret,
                   struct vgl_error *err);

/* Loads every dir/tiers/NAME.json file and validates the set: unique names and
 * postures, trust ranges that cover [0, 1] without gap or overlap, stricter
 * postures for lower trust, and no stricter tier with a looser limit (vcpus,
 * memory, CPU quota, bandwidth and disk caps) than a more relaxed one. *ret
 * is untouched on failure. */
int vgl_tier_set_load(const char *dir, struct vgl_tier_set *ret, struct vgl_error *err);

/* Validates an already parsed set (what vgl_tier_set_load does after parsing). */
int vgl_tier_set_validate(struct vgl_tier_set *p, struct vgl_error *err);

/* The tier serving a desired trust level in [0, 1]; NULL if out of range. */
const struct vgl_tier *vgl_tier_set_for_trust(const struct vgl_tier_set *p, double level);

/* The tier called name, or NULL. */
const struct vgl_tier *vgl_tier_set_find(const struct vgl_tier_set *p, const char *name);

const char *vgl_posture_name(enum vgl_posture p);
int vgl_posture_from_name(const char *name, enum vgl_posture *ret);
const char *vgl_network_mode_name(enum vgl_network_mode m);
int vgl_network_mode_from_name(const char *name, enum vgl_network_mode *ret);
