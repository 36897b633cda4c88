/* Behaviour: the host side of the observation engine.
 *
 * A struct vgl_bhv belongs to one sandbox. It decodes the observation
 * records the agent sends (TELEMETRY record types 2..7, and resource samples,
 * type 1), validates every field, tags each record with behaviour tags
 * judged against the sandbox's current permission set, and keeps a rolling,
 * bounded window of them: the last VGL_BHV_RING events, per-tag counters
 * over VGL_BHV_BUCKETS one-second buckets, a system-call histogram and a
 * hashed sketch of system-call bigrams (per pid). That window is the raw
 * material of the behavioural signature.
 *
 * Memory per sandbox is fixed at creation: sizeof(struct vgl_bhv) (about
 * 45 KiB, see vgl_bhv_footprint) plus one struct vgl_policy copy (about
 * 50 KiB) once a permission set was installed. Nothing grows with the
 * guest's traffic.
 *
 * Guest bytes are hostile: a record with an impossible value (a verdict
 * out of range, a deny without an errno, a flag contradicting a counter...)
 * is counted in stats.invalid and dropped; it never reaches the window.
 * Not thread-safe: one sandbox's tagger is used from one thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "proto-event.h"
#include "proto.h"

struct vgl_permset; /* behaviour-permset.h */

enum vgl_tag {
        VGL_TAG_NETWORK_ACCESS = 0,    /* any network record */
        VGL_TAG_EXTERNAL_API_CALL,     /* IP egress to an endpoint the set does not declare */
        VGL_TAG_FILE_WRITE,            /* a file record other than a read */
        VGL_TAG_SENSITIVE_DATA_ACCESS, /* a file record on a sensitive pattern */
        VGL_TAG_PROCESS_SPAWN,         /* an exec */
        VGL_TAG_PRIVILEGE_CHANGE,      /* a privilege call */
        VGL_TAG_RESOURCE_BURST,   /* usage/resource jump vs the rolling baseline, or a limit hit */
        VGL_TAG_POLICY_VIOLATION, /* a denied decision (typed records; not the syscall record) */
        VGL_TAG_COUNT,
};

#define VGL_TAG_BIT(t) (1u << (t))

/* "network_access" ... "policy_violation"; "unknown" out of range. */
const char *vgl_tag_name(unsigned tag);

/* Window dimensions. */
#define VGL_BHV_RING        256u  /* last events kept */
#define VGL_BHV_BUCKETS     60u   /* per-tag counters: one-second buckets */
#define VGL_BHV_SYSCALL_MAX 512u  /* histogram slots; larger numbers go to slot "other" */
#define VGL_BHV_BIGRAMS     4096u /* hashed (previous nr, nr) counters */
#define VGL_BHV_PIDS        64u   /* direct-mapped pid -> previous nr table */
#define VGL_BHV_DETAIL_LEN  64u   /* text kept per ring entry, with the NUL */

/* Burst thresholds (resource samples, type 1). CPU is the guest's busy
 * fraction in per mille between two samples; memory is total - available. */
#define VGL_BHV_WARMUP      3u                   /* samples before a burst can be seen */
#define VGL_BHV_CPU_MIN     500u                 /* busy >= 50 % ... */
#define VGL_BHV_CPU_JUMP    300u                 /* ... and >= baseline + 30 points */
#define VGL_BHV_MEM_JUMP_KB (64ull * 1024u)      /* used >= baseline + max(64 MiB, */
                                                 /*   baseline / 2) */
#define VGL_BHV_CMD_MEM_MIN    (64ull << 20)     /* usage: peak >= 64 MiB and >= 2x baseline */
#define VGL_BHV_CMD_CPU_MIN_US (1000ull * 1000u) /* usage: cpu >= 1 s and >= 4x baseline */

/* One decoded, validated, tagged record. `type` says which member of u is valid. */
struct vgl_bhv_event {
        uint16_t type; /* VGL_REC_RESOURCE (1) ... VGL_REC_USAGE (7) */
        uint32_t tags; /* VGL_TAG_BIT()s */
        union {
                struct vgl_resource_sample res;
                struct vgl_ev_syscall sys;
                struct vgl_ev_net net;
                struct vgl_ev_file file;
                struct vgl_ev_proc proc;
                struct vgl_ev_priv priv;
                struct vgl_ev_usage usage;
        } u;
        /* resource samples: the derived figures the burst was judged on */
        uint32_t cpu_permille; /* 0 on the first sample */
        uint64_t mem_used_kb;
};

/* A ring entry: the compact form of an event. */
struct vgl_bhv_entry {
        uint64_t time_us; /* guest clock (resource samples: time_ms * 1000) */
        uint64_t host_ms; /* host monotonic ms when it arrived */
        uint32_t exec_id, pid;
        uint32_t tags;
        uint16_t type;
        uint16_t nr; /* syscall/priv nr, net/file op, 0 */
        uint16_t err;
        uint16_t port;
        uint8_t verdict;
        char detail[VGL_BHV_DETAIL_LEN]; /* path, address, program: cut */
};

struct vgl_bhv_stats {
        uint64_t events;  /* records accepted */
        uint64_t invalid; /* records dropped as impossible (protocol errors) */
        uint64_t unknown; /* records of types this version does not know (skipped) */
        uint64_t tagged;  /* events with at least one tag */
        uint64_t tags[VGL_TAG_COUNT];
        uint64_t generation;    /* of the permission set judged against */
        uint64_t syscalls;      /* syscall records */
        uint64_t syscall_other; /* ... with nr >= VGL_BHV_SYSCALL_MAX */
};

struct vgl_bhv;

/* Creates a tagger judging against the open permission set (generation 0). */
int vgl_bhv_new(struct vgl_bhv **ret);

/* Frees b; accepts NULL, returns NULL. */
struct vgl_bhv *vgl_bhv_free(struct vgl_bhv *b);

static inline void vgl_bhv_freep(struct vgl_bhv **b)
{
        *b = vgl_bhv_free(*b);
}

/* Bytes one tagger holds, excluding an installed policy copy. */
size_t vgl_bhv_footprint(void);

/* Judges later records against the permission set p (copied; NULL: the
 * open set, generation 0). -ENOMEM. */
int vgl_bhv_set_permset(struct vgl_bhv *b, const struct vgl_permset *p);

/* Decodes, validates and tags one observation record of type 2..7 (len >=
 * its size; extra bytes ignored), adds it to the window (now_ms: host
 * monotonic time) and fills *ret. -EBADMSG with *err saying which field
 * (counted in stats.invalid); -EPROTONOSUPPORT for an unknown type
 * (counted in stats.unknown). *ret is untouched on failure. */
int vgl_bhv_record(struct vgl_bhv *b, uint16_t type, const uint8_t *p, size_t len, uint64_t now_ms,
                   struct vgl_bhv_event *ret, struct vgl_error *err);

/* The same for an already decoded resource sample (type 1). */
int vgl_bhv_resource(struct vgl_bhv *b, const struct vgl_resource_sample *s, uint64_t now_ms,
                     struct vgl_bhv_event *ret, struct vgl_error *err);

/* Called per accepted event of a batch; ev is valid during the call only. */
typedef void (*vgl_bhv_event_fn)(const struct vgl_bhv_event *ev, void *userdata);
/* Called per rejected record of a batch. */
typedef void (*vgl_bhv_error_fn)(const struct vgl_error *e, void *userdata);

/* Runs every record of a TELEMETRY batch (framing already checked by
 * vgl_telemetry_batch_parse) through vgl_bhv_record, or vgl_bhv_resource
 * for type 1. A record_size below the type's size rejects the whole batch
 * (one error, every record counted invalid). Returns the number of
 * records rejected; fn/on_error may be NULL. */
unsigned vgl_bhv_feed_batch(struct vgl_bhv *b, const struct vgl_telemetry_batch *batch,
                            uint64_t now_ms, vgl_bhv_event_fn fn, vgl_bhv_error_fn on_error,
                            void *userdata);

void vgl_bhv_get_stats(const struct vgl_bhv *b, struct vgl_bhv_stats *ret);

/* ---- the window ---- */

/* Copies up to max ring entries, oldest first, into out; returns the count. */
size_t vgl_bhv_recent(const struct vgl_bhv *b, struct vgl_bhv_entry *out, size_t max);

/* Per-second counts of tag over the last VGL_BHV_BUCKETS seconds before
 * now_ms (out[VGL_BHV_BUCKETS - 1] is the current second); 0 for seconds
 * nothing arrived. Returns the sum. */
uint64_t vgl_bhv_tag_series(const struct vgl_bhv *b, unsigned tag, uint64_t now_ms,
                            uint32_t out[VGL_BHV_BUCKETS]);

/* Syscall records seen with number nr (nr >= VGL_BHV_SYSCALL_MAX: the "other" slot). */
uint32_t vgl_bhv_syscall_count(const struct vgl_bhv *b, unsigned nr);

/* The sketch counter of the bigram (prev, nr) within one pid's sequence
 * (an upper bound: unrelated bigrams may share a counter). */
uint32_t vgl_bhv_bigram_count(const struct vgl_bhv *b, unsigned prev, unsigned nr);

/* ---- text ---- */

/* Event kind for an event's record type: "resource", "syscall", "net",
 * "file", "exec", "privilege", "usage"; "unknown". */
const char *vgl_bhv_kind_name(uint16_t type);

/* A one-line summary of ev into buf ("connect 10.0.0.1:443 deny errno 111").
 * Guest text is copied as is (the caller sanitises for its output). */
void vgl_bhv_describe(const struct vgl_bhv_event *ev, char *buf, size_t size);
