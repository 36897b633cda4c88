/* The tiers' in-guest permission sets: policies/permissions/TIER.json, the
 * POLICY fields of docs/protocol.md without "generation". A sandbox's agent
 * gets its tier's set before the sandbox is handed out, and again whenever
 * the sandbox changes tier. */
#pragma once

#include "daemon.h"

#define VGD_TIERPERMS_FILE_MAX (64u * 1024u)

/* Loads the set of every tier of d->policy from dir/permissions/, each
 * validated with the protocol's own parser; a tier without a file gets none
 * (logged: its agents keep their open default set). An invalid file fails
 * the load with *err naming the file and the field; d is untouched then. */
int vgd_tierperms_load(struct vgd_daemon *d, const char *dir, struct vgl_error *err);

/* The set for tier (borrowed), NULL when it has none. */
struct json_object *vgd_tierperms_get(const struct vgd_daemon *d, const char *tier);

void vgd_tierperms_free(struct vgd_daemon *d);
