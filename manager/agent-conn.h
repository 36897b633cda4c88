/* The agent channel over libvirt: a non-blocking virStream opened with
 * virDomainOpenChannel on org.vigil.agent.0, driven by libvirt's event loop,
 * feeding a struct vgl_agent and flushing its send queue. */
#pragma once

#include <libvirt/libvirt.h>

#include "agent.h"
#include "error.h"
#include "virt.h"

struct vgl_agent_conn;

/* Opens dom's agent channel (forcibly taking it over from any other client)
 * and starts watching it. The session is created with cb/userdata; get it
 * with vgl_agent_conn_agent(). Call on the event loop thread. */
int vgl_agent_conn_open(virDomainPtr dom, const struct vgl_agent_callbacks *cb, void *userdata,
                        struct vgl_agent_conn **ret, struct vgl_error *err);

/* The session carried by the connection (owned by it). */
struct vgl_agent *vgl_agent_conn_agent(struct vgl_agent_conn *c);

/* Stops watching, aborts the stream and frees everything without callbacks.
 * Call on the event loop thread. Accepts NULL, returns NULL. */
struct vgl_agent_conn *vgl_agent_conn_free(struct vgl_agent_conn *c);

static inline void vgl_agent_conn_freep(struct vgl_agent_conn **c)
{
        *c = vgl_agent_conn_free(*c);
}
