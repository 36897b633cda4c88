/* A permission set (the agent's POLICY), opaque to vigild's modules.
 *
 * common/proto-policy.h's struct vgl_policy shares its tag with
 * manager/policy.h's tier set, so code that sees the tiers handles
 * permission sets only through this handle. */
#pragma once

#include <stdint.h>

#include <json-c/json.h>

#include "agent.h"
#include "error.h"

struct vgl_permset;

/* Validates the JSON object o (the POLICY fields, docs/protocol.md) with the
 * protocol's own parser, its "generation" replaced by generation (o is not
 * modified). -EBADMSG with *err naming the field; -ENOMEM. */
int vgl_permset_from_json(struct json_object *o, uint64_t generation, struct vgl_permset **ret,
                          struct vgl_error *err);

/* Accepts NULL, returns NULL. */
struct vgl_permset *vgl_permset_free(struct vgl_permset *p);

static inline void vgl_permset_freep(struct vgl_permset **p)
{
        *p = vgl_permset_free(*p);
}

uint64_t vgl_permset_generation(const struct vgl_permset *p);

/* Queues POLICY with p on a (see agent-policy.h for the errors). */
int vgl_permset_send(struct vgl_agent *a, const struct vgl_permset *p, struct vgl_error *err);
