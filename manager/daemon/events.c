/* See events.h. */
#include "events.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behaviour.h"
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

static struct json_object *tags_json(uint32_t tags)
{
        struct json_object *a = json_object_new_array();

        for (unsigned t = 0; a && t < VGL_TAG_COUNT; t++)
                if ((tags & VGL_TAG_BIT(t)) &&
                    json_object_array_add(a, json_object_new_string(vgl_tag_name(t))) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static struct json_object *event_json(struct vgd_sandbox *s, const char *kind, const char *msg,
                                      struct json_object *tags)
{
        struct json_object *ev = json_object_new_object(), *o = json_object_new_object();

        if (!ev || !o) {
                json_object_put(tags);
                json_object_put(ev);
                json_object_put(o);
                return NULL;
        }
        if (vgl_json_add(o, "event", ev) < 0 ||
            vgl_json_add(ev, "time", json_object_new_int64(vgd_wall_s())) < 0 ||
            vgl_json_add(ev, "sandbox", json_object_new_string(s ? s->id : "")) < 0 ||
            vgl_json_add(ev, "kind", json_object_new_string(kind)) < 0 ||
            vgl_json_add(ev, "message", json_object_new_string(msg)) < 0) {
                json_object_put(tags);
                json_object_put(o);
                return NULL;
        }
        if (vgl_json_add(ev, "tags", tags) < 0) {
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

/* Guest-controlled text may end up in msg: keep it valid UTF-8. */
static void sanitize(char *msg)
{
        if (!vgl_utf8_valid(msg, strlen(msg)))
                for (char *p = msg; *p; p++)
                        if ((unsigned char)*p >= 0x80)
                                *p = '?';
}

/* Sends an event; tags (a JSON array) is taken. */
static void publish(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, const char *msg,
                    struct json_object *tags)
{
        _cleanup_json_ struct json_object *o = event_json(s, kind, msg, tags);
        struct vgd_subscriber *sub, *next;

        if (!o)
                return;
        for (sub = d->subscribers; sub; sub = next) {
                next = sub->next;
                /* A failing client is being cut off; its cancel unlinks it. */
                if (wants(sub, s))
                        vgl_varlink_call_notify(sub->call, o);
        }
}

void vgd_event(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, const char *fmt, ...)
{
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sanitize(msg);
        vgd_log(strstr(kind, "error") || !strcmp(kind, "crashed") || !strcmp(kind, "gone")
                        ? VGD_LOG_WARN
                        : VGD_LOG_INFO,
                s ? s->id : NULL, "%s: %s", kind, msg);
        publish(d, s, kind, msg, tags_json(0));
}

void vgd_event_tagged(struct vgd_daemon *d, struct vgd_sandbox *s, const char *kind, uint32_t tags,
                      const char *text)
{
        char msg[512];

        snprintf(msg, sizeof(msg), "%s", text);
        sanitize(msg);
        if (tags & VGL_TAG_BIT(VGL_TAG_POLICY_VIOLATION))
                vgd_log(VGD_LOG_WARN, s ? s->id : NULL, "%s: %s", kind, msg);
        publish(d, s, kind, msg, tags_json(tags));
}

void vgd_event_rule(struct vgd_daemon *d, struct vgd_sandbox *s, const char *rule, const char *tag,
                    const char *severity, const char *text)
{
        struct json_object *tags = json_object_new_array();
        char msg[512];

        if (tags && json_object_array_add(tags, json_object_new_string(tag)) < 0)
                tags = (json_object_put(tags), NULL);
        snprintf(msg, sizeof(msg), "%s (%s): %s", rule, severity, text);
        sanitize(msg);
        vgd_log(VGD_LOG_WARN, s ? s->id : NULL, "rule: %s", msg);
        publish(d, s, "rule", msg, tags);
}

unsigned vgd_events_count(const struct vgd_daemon *d)
{
        unsigned n = 0;

        for (const struct vgd_subscriber *s = d->subscribers; s; s = s->next)
                n++;
        return n;
}
