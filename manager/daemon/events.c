/* See events.h. */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "proto-msg.h"

struct vgd_subscriber {
        struct vgd_subscriber *next;
        struct vgd_daemon *d;
        struct vgl_varlink_call *call;
        struct vgd_caller caller;
        char filter[VGL_SANDBOX_ID_MAX + 1]; /* "" = all */
};

static void unlink_sub(struct vgd_daemon *d, struct vgd_subscriber *sub)
{
        for (struct vgd_subscriber **p = &d->subscribers; *p; p = &(*p)->next)
                if (*p == sub) {
                        *p = sub->next;
                        break;
                }
        vgl_varlink_call_set_cancel(sub->call, NULL, NULL);
        vgl_varlink_call_unref(sub->call);
        free(sub);
}

static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        struct vgd_subscriber *sub = userdata;

        unlink_sub(sub->d, sub);
}

int vgd_events_subscribe(struct vgd_daemon *d, struct vgl_varlink_call *call,
                         const struct vgd_caller *caller, const char *filter)
{
        struct vgd_subscriber *sub = calloc(1, sizeof(*sub));

        if (!sub)
                return -ENOMEM;
        sub->d = d;
        sub->caller = *caller;
        snprintf(sub->filter, sizeof(sub->filter), "%s", filter ? filter : "");
        sub->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, on_cancel, sub);
        sub->next = d->subscribers;
        d->subscribers = sub;
        return 0;
}

static struct json_object *event_json(struct vgd_sandbox *s, const char *kind, const char *msg)
{
        struct json_object *ev = json_object_new_object(), *o = json_object_new_object();

        if (!ev || !o || vgl_json_add(ev, "time", json_object_new_int64(vgd_wall_s())) < 0 ||
            vgl_json_add(ev, "sandbox", json_object_new_string(s ? s->id : "")) < 0 ||
            vgl_json_add(ev, "kind", json_object_new_string(kind)) < 0 ||
            vgl_json_add(ev, "message", json_object_new_string(msg)) < 0 ||
            vgl_json_add(o, "event", ev) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static bool wants(const struct vgd_subscriber *sub, struct vgd_sandbox *s)
{
        if (sub->filter[0] && (!s || strcmp(sub->filter, s->id) != 0))
                return false;
        if (!s)
                return sub->caller.admin;
        return vgd_authz_can_see(&sub->caller, s);
}

void vgd_event(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, const char *fmt, ...)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct vgd_subscriber *sub, *next;
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* Guest-controlled text may end up here: keep it valid UTF-8. */
        if (!vgl_utf8_valid(msg, strlen(msg)))
                for (char *p = msg; *p; p++)
                        if ((unsigned char)*p >= 0x80)
                                *p = '?';
        vgd_log(strstr(kind, "error") || !strcmp(kind, "crashed") || !strcmp(kind, "gone")
                        ? VGD_LOG_WARN
                        : VGD_LOG_INFO,
                s ? s->id : NULL, "%s: %s", kind, msg);
        o = event_json(s, kind, msg);
        if (!o)
                return;
        for (sub = d->subscribers; sub; sub = next) {
                next = sub->next;
                /* A failing client is being cut off; its cancel unlinks it. */
                if (wants(sub, s))
                        vgl_varlink_call_notify(sub->call, o);
        }
}

unsigned vgd_events_count(const struct vgd_daemon *d)
{
        unsigned n = 0;

        for (const struct vgd_subscriber *s = d->subscribers; s; s = s->next)
                n++;
        return n;
}
