/* Handing a sandbox to a caller: ownership, labels, time-to-live, and the
 * Reserve call that waits for a cold boot. */
#pragma once

#include "daemon.h"

struct vgd_reserve_req {
        uid_t uid;
        double level;
        uint64_t ttl_s;             /* 0: none */
        struct json_object *labels; /* borrowed; validated object */
};

/* Makes s (ready, or booting) the caller's. For a booting sandbox, call is
 * answered when the HELLO comes (vgd_reserve_complete); for a ready one the
 * caller answers. */
void vgd_reserve_assign(struct vgd_sandbox *s, const struct vgd_reserve_req *req);

/* Attaches call (referenced, with a cancel callback) to booting s. */
void vgd_reserve_attach(struct vgd_sandbox *s, struct vgl_varlink_call *call);

/* The HELLO came for a sandbox with a waiting Reserve: state reserved,
 * TTL armed, metadata saved, event, answer. */
void vgd_reserve_complete(struct vgd_sandbox *s);

/* Marks s reserved now (state, TTL, metadata, event). */
void vgd_reserve_activate(struct vgd_sandbox *s);

/* Answers a waiting Reserve with NoCapacity {reason}; no-op without one. */
void vgd_reserve_fail(struct vgd_sandbox *s, const char *reason);

/* Arms the TTL timer from s->expires (0: none); expiry releases s. */
void vgd_reserve_arm(struct vgd_sandbox *s);
void vgd_reserve_disarm(struct vgd_sandbox *s);

/* Answers call with {sandbox: s}. */
int vgd_reply_sandbox(struct vgl_varlink_call *call, struct vgd_sandbox *s);
