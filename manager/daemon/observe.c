/* See observe.h. Every record is validated and counted in the window; only
 * tagged events are streamed, and at most VGD_PUBLISH_RATE a second per
 * sandbox: the guest sets the rate, so the stream is a token bucket and
 * what it does not carry is counted ("unpublished" in Get). */
#include "observe.h"

#include <errno.h>
#include <stdio.h>

#include "behaviour.h"
#include "cleanup.h"
#include "events.h"
#include "evidence.h"
#include "proto-msg.h"

struct vgl_bhv *vgd_observe_bhv(struct vgd_sandbox *s)
{
        if (!s->bhv && vgl_bhv_new(&s->bhv) < 0)
                return NULL;
        return s->bhv;
}

void vgd_observe_free(struct vgd_sandbox *s)
{
        s->bhv = vgl_bhv_free(s->bhv);
}

bool vgd_observe_publish_ok(struct vgd_sandbox *s)
{
        uint64_t now = vgd_now_ms();

        if (!s->pub_ms) {
                s->pub_tokens = VGD_PUBLISH_BURST;
        } else if (now > s->pub_ms) {
                s->pub_tokens += (double)(now - s->pub_ms) * VGD_PUBLISH_RATE / 1000.0;
                if (s->pub_tokens > VGD_PUBLISH_BURST)
                        s->pub_tokens = VGD_PUBLISH_BURST;
        }
        s->pub_ms = now;
        if (s->pub_tokens < 1.0)
                return false;
        s->pub_tokens -= 1.0;
        return true;
}

static void on_event(const struct vgl_bhv_event *ev, void *userdata)
{
        struct vgd_sandbox *s = userdata;
        char text[640];

        vgd_evidence_event(s, ev);
        if (!ev->tags)
                return;
        if (!vgd_observe_publish_ok(s)) {
                s->unpublished++;
                return;
        }
        vgl_bhv_describe(ev, text, sizeof(text));
        vgd_event_tagged(s->d, s, vgl_bhv_kind_name(ev->type), ev->tags, text);
}

static void on_bad_record(const struct vgl_error *e, void *userdata)
{
        struct vgd_sandbox *s = userdata;

        if (++s->bad_records_reported > VGD_BAD_RECORDS_REPORTED)
                return;
        vgd_event(s->d, s, "protocol-error", "bad telemetry record: %s%s", e->msg,
                  s->bad_records_reported == VGD_BAD_RECORDS_REPORTED
                          ? " (further bad records are only counted)"
                          : "");
}

void vgd_observe_records(struct vgd_sandbox *s, const struct vgl_telemetry_batch *b)
{
        struct vgl_bhv *bhv = vgd_observe_bhv(s);

        if (bhv)
                vgl_bhv_feed_batch(bhv, b, vgd_now_ms(), on_event, on_bad_record, s);
}

void vgd_observe_resource(struct vgd_sandbox *s, const struct vgl_resource_sample *r)
{
        struct vgl_bhv *bhv = vgd_observe_bhv(s);
        struct vgl_bhv_event ev;
        struct vgl_error e = {};

        if (!bhv)
                return;
        if (vgl_bhv_resource(bhv, r, vgd_now_ms(), &ev, &e) < 0)
                on_bad_record(&e, s);
        else
                on_event(&ev, s);
}

int vgd_observe_json(const struct vgd_sandbox *s, struct json_object **ret)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *tags = json_object_new_object();
        struct vgl_bhv_stats st = {0};

        if (!o || vgl_json_add(o, "tags", tags) < 0)
                return -ENOMEM;
        if (s->bhv)
                vgl_bhv_get_stats(s->bhv, &st);
        for (unsigned t = 0; t < VGL_TAG_COUNT; t++)
                if (vgl_json_add(tags, vgl_tag_name(t),
                                 json_object_new_int64((int64_t)st.tags[t])) < 0)
                        return -ENOMEM;
        if (vgl_json_add(o, "events", json_object_new_int64((int64_t)st.events)) < 0 ||
            vgl_json_add(o, "syscalls", json_object_new_int64((int64_t)st.syscalls)) < 0 ||
            vgl_json_add(o, "bad_records", json_object_new_int64((int64_t)st.invalid)) < 0 ||
            vgl_json_add(o, "unpublished", json_object_new_int64((int64_t)s->unpublished)) < 0 ||
            vgl_json_add(o, "permissions_generation",
                         json_object_new_int64((int64_t)st.generation)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}
