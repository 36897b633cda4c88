/* The agent session wired to a non-blocking libvirt stream. */
#include "agent-conn.h"

#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "virt.h"

#define RECV_CHUNK      (64u * 1024u)
#define RECV_PER_WAKEUP 64 /* bound the work per event so one guest cannot starve the loop */

struct vgl_agent_conn {
        virStreamPtr stream;
        struct vgl_agent *agent;
        bool watching;
        bool closed;
        uint8_t rbuf[RECV_CHUNK];
};

static void update_events(struct vgl_agent_conn *c)
{
        const uint8_t *p;
        int ev = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

        if (c->closed || !c->watching)
                return;
        if (vgl_agent_output_peek(c->agent, &p) > 0)
                ev |= VIR_STREAM_EVENT_WRITABLE;
        virStreamEventUpdateCallback(c->stream, ev);
}

static void conn_close(struct vgl_agent_conn *c, struct vgl_error *why)
{
        if (c->closed)
                return;
        c->closed = true;
        if (c->watching) {
                virStreamEventRemoveCallback(c->stream);
                c->watching = false;
        }
        virStreamAbort(c->stream);
        virResetLastError();
        vgl_agent_eof(c->agent, why);
}

/* Reads what is there; false when the stream ended (and was closed). */
static bool do_read(struct vgl_agent_conn *c)
{
        struct vgl_error e = {};

        for (int i = 0; i < RECV_PER_WAKEUP && !c->closed; i++) {
                int n = virStreamRecv(c->stream, (char *)c->rbuf, sizeof(c->rbuf));
                if (n == -2)
                        return true;
                if (n == 0) {
                        conn_close(c, NULL);
                        return false;
                }
                if (n < 0) {
                        vgl_virt_error(&e, "agent channel");
                        conn_close(c, &e);
                        return false;
                }
                vgl_agent_feed(c->agent, c->rbuf, (size_t)n);
        }
        return !c->closed;
}

static bool do_write(struct vgl_agent_conn *c)
{
        struct vgl_error e = {};
        const uint8_t *p;
        size_t n;

        while (!c->closed && (n = vgl_agent_output_peek(c->agent, &p)) > 0) {
                int k = virStreamSend(c->stream, (const char *)p, n);
                if (k == -2)
                        return true;
                if (k < 0) {
                        vgl_virt_error(&e, "agent channel");
                        conn_close(c, &e);
                        return false;
                }
                vgl_agent_output_consume(c->agent, (size_t)k);
        }
        return !c->closed;
}

static void on_stream_event(virStreamPtr st, int events, void *opaque)
{
        struct vgl_agent_conn *c = opaque;
        struct vgl_error e = {};

        if ((events & VIR_STREAM_EVENT_READABLE) && !do_read(c))
                return;
        if ((events & VIR_STREAM_EVENT_WRITABLE) && !do_write(c))
                return;
        if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) {
                /* Whatever was still readable was consumed above. */
                vgl_error_set(&e, EPIPE, "agent channel hung up");
                conn_close(c, &e);
                return;
        }
        update_events(c);
}

static void on_output(void *data)
{
        update_events(data);
}

int vgl_agent_conn_open(virDomainPtr dom, const struct vgl_agent_callbacks *cb, void *userdata,
                        struct vgl_agent_conn **ret, struct vgl_error *err)
{
        _cleanup_free_ struct vgl_agent_conn *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_agent_new(cb, userdata, &c->agent);
        if (r < 0)
                return vgl_error_set(err, -r, "creating the agent session");
        c->stream = virStreamNew(virDomainGetConnect(dom), VIR_STREAM_NONBLOCK);
        if (!c->stream) {
                r = vgl_virt_error(err, "creating a stream");
                goto fail;
        }
        if (virDomainOpenChannel(dom, VGL_AGENT_PORT_NAME, c->stream, VIR_DOMAIN_CHANNEL_FORCE) <
            0) {
                r = vgl_virt_error(err, "opening channel " VGL_AGENT_PORT_NAME);
                goto fail;
        }
        if (virStreamEventAddCallback(c->stream,
                                      VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR |
                                              VIR_STREAM_EVENT_HANGUP,
                                      on_stream_event, c, NULL) < 0) {
                r = vgl_virt_error(err, "watching the agent channel");
                virStreamAbort(c->stream);
                goto fail;
        }
        c->watching = true;
        vgl_agent_set_output_hook(c->agent, on_output, c);
        *ret = TAKE_PTR(c);
        return 0;
fail:
        vgl_virt_stream_freep(&c->stream);
        vgl_agent_free(c->agent);
        return r;
}

struct vgl_agent *vgl_agent_conn_agent(struct vgl_agent_conn *c)
{
        return c->agent;
}

struct vgl_agent_conn *vgl_agent_conn_free(struct vgl_agent_conn *c)
{
        if (!c)
                return NULL;
        if (c->watching)
                virStreamEventRemoveCallback(c->stream);
        if (!c->closed)
                virStreamAbort(c->stream);
        virResetLastError();
        vgl_virt_stream_freep(&c->stream);
        vgl_agent_free(c->agent);
        free(c);
        return NULL;
}
