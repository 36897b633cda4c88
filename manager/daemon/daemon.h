/* vigild's core: the daemon and sandbox structures every module shares.
 *
 * Everything runs on the thread that runs libvirt's default event loop
 * (the main thread), except the bodies of background jobs (work.h), which
 * only make blocking libvirt calls and hand their result back to the loop. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "adjust.h"
#include "agent-conn.h"
#include "config.h"
#include "domain-xml.h"
#include "policy.h"
#include "varlink-server.h"
#include "virt.h"

#define VGD_ID_LEN       12 /* random hex id; the domain is "vigil-<id>" */
#define VGD_DOMAIN_MAX   (sizeof("vigil-") + 64)
#define VGD_HEARTBEAT_MS 1000
#define VGD_SAMPLE_MS    2000

enum vgd_state {
        VGD_BOOTING = 0, /* domain created or being created, no HELLO yet */
        VGD_READY,       /* in a warm pool, handshake done */
        VGD_RESERVED,    /* handed out to a caller */
        VGD_CRASHED,     /* the guest crashed */
        VGD_SHUTDOWN,    /* the guest powered off */
        VGD_GONE,        /* destroyed behind vigild's back (or QEMU died) */
        VGD_RELEASED,    /* released: being destroyed, no longer listed */
};

struct vgd_resources {
        unsigned vcpus, max_vcpus;
        uint64_t memory_mib, max_memory_mib;
        unsigned cpu_quota_percent;
};

struct vgd_daemon;
struct vgd_perm_wait;
struct vgd_ctl;
struct vgd_model;
struct vgl_bhv;
struct vgl_rules;
struct vgl_audit;

struct vgd_sandbox {
        struct vgd_sandbox *next; /* registry list */
        unsigned refs;
        struct vgd_daemon *d;

        /* the record (persisted in the domain's <metadata>) */
        char id[VGL_SANDBOX_ID_MAX + 1];
        char domain[VGD_DOMAIN_MAX];
        char tier[VGL_TIER_NAME_MAX];
        enum vgl_posture posture;
        enum vgd_state state;
        bool owned; /* reserved by someone (owner_uid valid) */
        uid_t owner_uid;
        double desired_trust_level, trust_score;
        int64_t created, expires; /* Unix seconds; expires 0: no TTL */
        struct vgd_resources res;
        struct json_object *labels; /* object of strings, never NULL */

        /* runtime */
        virDomainPtr dom;
        struct vgl_agent_conn *ac;
        bool hello;
        struct vgl_hello h;
        uint32_t proto_version;
        uint64_t heartbeats;
        uint64_t last_heartbeat_ms; /* monotonic ms, 0: never */
        bool silent;
        bool restored; /* picked up at start, HELLO not yet back */
        uint64_t boot_started_ms;
        int boot_timer, ttl_timer;             /* -1: none */
        struct vgl_varlink_call *reserve_call; /* a Reserve waiting for this boot */
        uint64_t reserve_ttl_s;                /* its TTL, started at the HELLO */

        /* observation (observe.c, api-permissions.c) */
        struct vgl_bhv *bhv;              /* tagger + window, created on first record */
        struct vgd_perm_wait *perm_waits; /* POLICYs sent, not yet acknowledged */
        uint64_t perm_generation;         /* of the last POLICY sent, 0: none */
        uint64_t perm_applied;            /* of the last POLICY acknowledged, 0: none */
        double pub_tokens;                /* event publication budget (token bucket) */
        uint64_t pub_ms;                  /* when pub_tokens was last refilled */
        uint64_t unpublished;             /* tagged events not streamed (over budget) */
        uint64_t bad_records_reported;

        /* the personality profile and its control loop (control.h): reserved
         * sandboxes only, NULL for pool VMs; persisted inside the record */
        struct vgl_profile *profile;
        struct vgd_ctl *ctl;
};

struct vgd_subscriber;
struct vgd_audit_stream;

struct vgd_daemon {
        struct vgd_config cfg;
        struct vgl_tier_set policy;
        struct json_object *tier_perms[VGL_TIER_MAX]; /* by policy.tiers index; tierperms.h */
        virConnectPtr conn;
        const char *domain_type;
        struct vgl_varlink_server *server;
        struct vgd_sandbox *sandboxes; /* the registry */
        struct vgd_subscriber *subscribers;
        gid_t admin_gid;
        bool have_admin_gid;
        int lifecycle_cb; /* -1: not registered */
        int refill_timer; /* -1: none pending */
        int watch_timer;  /* periodic agent-silence check, -1: none */
        int signal_watch; /* -1: none */
        int signal_fd;
        unsigned jobs; /* background jobs in flight */
        bool quitting;
        uint64_t pool_retry_ms[VGL_TIER_MAX]; /* monotonic: no pool boot before this */
        unsigned pool_failures[VGL_TIER_MAX];

        /* the control loop (control.h) */
        struct vgl_adjust_policy adjust; /* policies/adjust.json, or the defaults */
        uint32_t adjust_period_ms;       /* the file's, or --adjust-period-ms */
        int adjust_timer;                /* -1: none */
        struct vgl_rules *rules;         /* policies/rules, never NULL once started */
        bool nwfilter;                   /* posture filters defined on the connection */
        char nwfilter_why[160];          /* why not, when !nwfilter */

        /* the audit trail (trail.h) */
        struct vgl_audit *audit; /* STATE_DIR/audit.log */
        char *audit_path;
        struct vgd_audit_stream *audit_streams; /* Audit calls following the log */

        /* the detectors' model and the learning loop (learn.h) */
        struct vgd_model *model;
};

/* Copies src into dst[size], cut to fit, always terminated. */
static inline void vgd_strlcpy(char *dst, const char *src, size_t size)
{
        size_t n = src ? strnlen(src, size - 1) : 0;

        memcpy(dst, src ? src : "", n);
        dst[n] = '\0';
}

/* Monotonic and wall clocks. */
uint64_t vgd_now_ms(void);
int64_t vgd_wall_s(void);

/* Tier of a sandbox, NULL if the policy no longer has it. */
const struct vgl_tier *vgd_sandbox_tier(struct vgd_daemon *d, const struct vgd_sandbox *s);

/* The pool target of a tier (the tier's, or --pool). */
unsigned vgd_pool_target(const struct vgd_daemon *d, const struct vgl_tier *t);

/* ---- the daemon's life (daemon.c) ---- */

/* Sets d up from cfg (taken over: d->cfg owns its strings): policies,
 * libvirt connection, lifecycle events, sandboxes left by the previous run,
 * the varlink socket, signals, the pools' first refill. On failure
 * everything done so far is undone. */
int vgd_daemon_init(struct vgd_daemon *d, struct vgd_config *cfg, struct vgl_error *err);

/* Runs the event loop until SIGTERM/SIGINT (or vgd_daemon_quit). */
int vgd_daemon_run(struct vgd_daemon *d, struct vgl_error *err);

/* Asks the loop to stop (as a signal does). */
void vgd_daemon_quit(struct vgd_daemon *d);

/* Stops serving, destroys idle pool VMs, leaves reserved sandboxes running
 * (their record is in their metadata), waits (bounded) for background jobs,
 * closes the connection. */
void vgd_daemon_fini(struct vgd_daemon *d);
