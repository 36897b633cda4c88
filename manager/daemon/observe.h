/* Observation: a sandbox's telemetry records through the behaviour tagger
 * (behaviour.h) into tagged events for Subscribe callers, and the
 * per-sandbox window behind Get's "behaviour". */
#pragma once

#include <json-c/json.h>

#include "daemon.h"

#define VGD_PUBLISH_RATE         100.0 /* tagged events streamed per second and sandbox */
#define VGD_PUBLISH_BURST        200.0
#define VGD_BAD_RECORDS_REPORTED 10 /* "protocol-error" events per sandbox; then only counted */

/* A TELEMETRY batch of observation records from s's agent. */
void vgd_observe_records(struct vgd_sandbox *s, const struct vgl_telemetry_batch *b);

/* A resource sample from s's agent. */
void vgd_observe_resource(struct vgd_sandbox *s, const struct vgl_resource_sample *r);

/* Takes one token of s's publication budget (VGD_PUBLISH_RATE a second,
 * VGD_PUBLISH_BURST at once); false when it is spent. */
bool vgd_observe_publish_ok(struct vgd_sandbox *s);

/* s's tagger, created on first use; NULL when out of memory. */
struct vgl_bhv *vgd_observe_bhv(struct vgd_sandbox *s);

/* The API's Behaviour object for s (tags counted since the sandbox's first
 * record; all zero before). -ENOMEM. */
int vgd_observe_json(const struct vgd_sandbox *s, struct json_object **ret);

/* Frees s's tagger (the sandbox is going away). */
void vgd_observe_free(struct vgd_sandbox *s);
