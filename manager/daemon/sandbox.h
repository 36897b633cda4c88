/* The sandbox record: allocation, states, and its JSON forms (the API's
 * Sandbox type, and the record persisted in the domain's <metadata>). */
#pragma once

#include "daemon.h"
#include "error.h"

/* A new sandbox (one reference) with id, domain name and tier fields set
 * from t; state booting, not owned, labels {}. -ENOMEM. */
int vgd_sandbox_new(struct vgd_daemon *d, const char *id, const struct vgl_tier *t,
                    struct vgd_sandbox **ret);

struct vgd_sandbox *vgd_sandbox_ref(struct vgd_sandbox *s);

/* Drops a reference; the last one frees the record (the caller has closed
 * the channel, removed timers and handed the domain on). Returns NULL. */
struct vgd_sandbox *vgd_sandbox_unref(struct vgd_sandbox *s);

const char *vgd_state_name(enum vgd_state s);
int vgd_state_from_name(const char *name, enum vgd_state *ret);

/* True while a VM exists for it (booting, ready, reserved). */
bool vgd_state_live(enum vgd_state s);

/* A fresh random id of VGD_ID_LEN lowercase hex digits into buf (>= 13 bytes). */
int vgd_sandbox_make_id(char *buf, size_t size);

/* The API's Sandbox object (with domain and agent) into *ret. -ENOMEM. */
int vgd_sandbox_to_json(const struct vgd_sandbox *s, struct json_object **ret);

/* 2: the record carries the profile (reserved sandboxes). Version 1
 * records (no profile) are still read. */
#define VGD_RECORD_VERSION 2

/* The persisted record as JSON text (*ret, free()), with s's profile when
 * it has one. -ENOMEM. */
int vgd_sandbox_record_text(const struct vgd_sandbox *s, char **ret);

/* Fills s's record fields from persisted JSON text (what
 * vgd_sandbox_record_text wrote). Validates every field, the profile too
 * (vgl_profile_from_json, vgl_adjust_check_profile against s->d's tiers:
 * a tier that is gone is allowed, the adjuster places it by trust); a
 * reserved record without a profile (version 1) gets a new one in its
 * tier. -EBADMSG with *err naming the field. s is untouched on failure;
 * on success s->profile is set (and the caller attaches it). */
int vgd_sandbox_record_parse(struct vgd_sandbox *s, const char *text, struct vgl_error *err);
