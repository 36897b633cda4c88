/* Handing a sandbox to a caller: ownership, labels, time-to-live, and the
 * Reserve call that waits for a cold boot. */
#pragma once

#include "daemon.h"

struct vgd_reserve_req {
        uid_t uid;
        double level;
        uint64_t ttl_s;             /* 0: none */
        struct json_object *labels; /* borrowed; validated object */
        /* where it starts (vgd_reserve_start) */
        const struct vgl_tier *tier;
        double trust, ceiling;
};

/* Where a reservation at req->level starts: the trust, ceiling and tier of
 * vgl_adjust_start, or, with an explicit tier, that tier (trust at its
 * floor unless the start lies in it); a tier whose floor is above the
 * ceiling is -EINVAL. Fills req->tier, trust, ceiling. */
int vgd_reserve_start(struct vgd_daemon *d, const struct vgl_tier *explicit_tier,
                      struct vgd_reserve_req *req, struct vgl_error *err);

/* Makes s (ready, or booting) the caller's: owner, labels, TTL, and its
 * profile from req. For a booting sandbox, call is answered when the HELLO
 * comes (vgd_reserve_complete); for a ready one the caller answers after
 * vgd_reserve_activate. -ENOMEM (s unchanged). */
int vgd_reserve_assign(struct vgd_sandbox *s, const struct vgd_reserve_req *req);

/* Undoes vgd_reserve_assign for a sandbox that was not handed out. */
void vgd_reserve_unassign(struct vgd_sandbox *s);

/* Attaches call (referenced, with a cancel callback) to booting s. */
void vgd_reserve_attach(struct vgd_sandbox *s, struct vgl_varlink_call *call);

/* The HELLO came for a sandbox with a waiting Reserve: activated and
 * answered, or, when the reservation cannot be audited, NoCapacity and
 * the VM destroyed. */
void vgd_reserve_complete(struct vgd_sandbox *s);

/* Marks s reserved now: the reservation's audit record first (when it
 * cannot be written: -errno with *err, s not reserved), then state, TTL,
 * metadata, event, and the first enforcement of its profile. */
int vgd_reserve_activate(struct vgd_sandbox *s, struct vgl_error *err);

/* Answers a waiting Reserve with NoCapacity {reason}; no-op without one. */
void vgd_reserve_fail(struct vgd_sandbox *s, const char *reason);

/* Arms the TTL timer from s->expires (0: none); expiry releases s. */
void vgd_reserve_arm(struct vgd_sandbox *s);
void vgd_reserve_disarm(struct vgd_sandbox *s);

/* Answers call with {sandbox: s}. */
int vgd_reply_sandbox(struct vgl_varlink_call *call, struct vgd_sandbox *s);
