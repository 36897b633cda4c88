/* See channel.h. A guest is hostile: everything it does is an event about
 * that sandbox, rate-limited where the guest controls the rate. */
#include "channel.h"

#include <errno.h>
#include <stdio.h>

#include "boot.h"
#include "events.h"
#include "evidence.h"
#include "jobs.h"
#include "log.h"
#include "observe.h"
#include "permissions.h"
#include "sandbox.h"
#include "tierperms.h"

#define PROTOCOL_ERRORS_REPORTED 10 /* per sandbox; later ones are only counted */

static void resync_done(struct vgd_sandbox *s, int r, const char *msg)
{
        vgd_jobs_record_permissions(s, r, msg);
        if (r < 0 && r != -ECONNABORTED)
                vgd_event(s->d, s, "agent-error", "the %s permission set was not re-applied: %s",
                          s->tier, msg);
}

/* After a vigild restart the agent still enforces what it had, but the
 * tagger starts from the open set: send the tier's set again so both agree
 * (a set an admin pushed with SetPermissions is not kept across restarts). */
static void resync_permissions(struct vgd_sandbox *s)
{
        struct json_object *set = vgd_tierperms_get(s->d, s->tier);
        struct vgl_error e = {};

        if (set && vgd_permissions_push(s, set, resync_done, &e) < 0)
                resync_done(s, -EIO, e.msg);
}

static void on_hello(struct vgl_agent *a, const struct vgl_hello *h, uint32_t version, void *u)
{
        struct vgd_sandbox *s = u;

        s->hello = true;
        s->h = *h;
        s->proto_version = version;
        s->last_heartbeat_ms = vgd_now_ms();
        s->silent = false;
        if (vgd_jobs_hello(s))
                return;
        if (s->restored) {
                s->restored = false;
                vgd_event(s->d, s, "agent-back", "agent %s reconnected after restart",
                          h->agent_version);
                resync_permissions(s);
                return;
        }
        if (s->state == VGD_BOOTING)
                vgd_boot_hello(s);
}

static void on_heartbeat(struct vgl_agent *a, const struct vgl_heartbeat *hb, void *u)
{
        struct vgd_sandbox *s = u;

        s->heartbeats++;
        s->last_heartbeat_ms = vgd_now_ms();
        if (s->silent) {
                s->silent = false;
                vgd_event(s->d, s, "agent-back", "heartbeats resumed");
        }
}

static void on_agent_error(struct vgl_agent *a, const struct vgl_error_msg *m, void *u)
{
        struct vgd_sandbox *s = u;

        vgd_event(s->d, s, "agent-error", "%s: %s", m->code, m->message);
        if (m->ref_type == VGL_MSG_POLICY)
                vgd_permissions_refused(s, m);
}

static void on_resource(struct vgl_agent *a, const struct vgl_resource_sample *r, void *u)
{
        vgd_observe_resource(u, r);
}

static void on_records(struct vgl_agent *a, const struct vgl_telemetry_batch *b, void *u)
{
        vgd_observe_records(u, b);
}

static void on_other_frame(struct vgl_agent *a, const struct vgl_frame *f, void *u)
{
        if (f->type == VGL_MSG_POLICY_ACK)
                vgd_permissions_ack(u, f);
}

static void on_protocol_error(struct vgl_agent *a, const struct vgl_error *e, void *u)
{
        struct vgd_sandbox *s = u;
        struct vgl_agent_stats st;

        vgl_agent_get_stats(a, &st);
        if (st.protocol_errors <= PROTOCOL_ERRORS_REPORTED)
                vgd_event(s->d, s, "protocol-error", "%s%s", e->msg,
                          st.protocol_errors == PROTOCOL_ERRORS_REPORTED
                                  ? " (further errors are only counted)"
                                  : "");
}

static void on_closed(struct vgl_agent *a, const struct vgl_error *why, void *u)
{
        struct vgd_sandbox *s = u;

        if (!s->ac) /* closed by us */
                return;
        vgd_permissions_fail(s, "the agent channel closed");
        vgd_event(s->d, s, "agent-closed", "agent channel closed: %s",
                  why && why->msg[0] ? why->msg : "end of stream");
        if (s->state == VGD_BOOTING)
                vgd_boot_failed(s, "the agent channel closed before the hello");
}

static const struct vgl_agent_callbacks callbacks = {
        .on_hello = on_hello,
        .on_heartbeat = on_heartbeat,
        .on_agent_error = on_agent_error,
        .on_protocol_error = on_protocol_error,
        .on_closed = on_closed,
        .on_resource = on_resource,
        .on_records = on_records,
        .on_other_frame = on_other_frame,
};

int vgd_channel_open(struct vgd_sandbox *s, struct vgl_error *err)
{
        int r;

        if (!s->dom)
                return vgl_error_set(err, ENODEV, "no domain");
        r = vgl_agent_conn_open(s->dom, &callbacks, s, &s->ac, err);
        if (r < 0)
                return r;
        vgl_agent_set_intervals(vgl_agent_conn_agent(s->ac), VGD_HEARTBEAT_MS, VGD_SAMPLE_MS);
        return 0;
}

static void free_conn(int timer, void *opaque)
{
        virEventRemoveTimeout(timer);
        vgl_agent_conn_free(opaque);
}

void vgd_channel_close(struct vgd_sandbox *s, const char *why)
{
        struct vgl_agent_conn *ac = s->ac;
        struct vgl_error e = {};

        if (!ac)
                return;
        s->ac = NULL;
        vgd_permissions_fail(s, why);
        vgl_error_set(&e, ECONNABORTED, "%s", why);
        vgl_agent_eof(vgl_agent_conn_agent(ac), &e);
        /* This may run inside one of the connection's own callbacks (a
         * POLICY_ACK that ends a boot or a reservation): free it once the
         * stack has unwound; closed, it passes nothing on meanwhile. */
        if (virEventAddTimeout(0, free_conn, ac, NULL) < 0)
                vgl_agent_conn_free(ac);
        s->hello = s->hello && vgd_state_live(s->state);
}

struct vgl_agent *vgd_channel_agent(struct vgd_sandbox *s)
{
        struct vgl_agent *a = s->ac ? vgl_agent_conn_agent(s->ac) : NULL;

        return a && vgl_agent_ready(a) ? a : NULL;
}

static void watchdog(int timer, void *opaque)
{
        struct vgd_daemon *d = opaque;
        uint64_t now = vgd_now_ms(), limit = (uint64_t)d->cfg.agent_silence_s * 1000;

        for (struct vgd_sandbox *s = d->sandboxes; s; s = s->next) {
                if (!s->hello || s->silent || !vgd_state_live(s->state) || !s->last_heartbeat_ms ||
                    vgd_jobs_agent_away(s))
                        continue;
                if (now - s->last_heartbeat_ms > limit) {
                        s->silent = true;
                        vgd_evidence_silent(s);
                        vgd_event(d, s, "agent-silent", "no heartbeat for %llu s",
                                  (unsigned long long)((now - s->last_heartbeat_ms) / 1000));
                }
        }
}

int vgd_watchdog_start(struct vgd_daemon *d)
{
        d->watch_timer = virEventAddTimeout(1000, watchdog, d, NULL);
        return d->watch_timer < 0 ? -EIO : 0;
}

void vgd_watchdog_stop(struct vgd_daemon *d)
{
        if (d->watch_timer >= 0)
                virEventRemoveTimeout(d->watch_timer);
        d->watch_timer = -1;
}
