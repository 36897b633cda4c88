/* See trail.h. Streams read the records back from the file (checking each
 * record's hash and the chain as they go) rather than from memory, so what
 * a follower sees is what is on disk. */
#include "trail.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "log.h"
#include "proto-msg.h"
#include "sandbox.h"

#define STREAM_BATCH 256 /* records sent per loop iteration and stream */

struct vgd_audit_stream {
        struct vgd_audit_stream *next;
        struct vgd_daemon *d;
        struct vgl_varlink_call *call;
        struct vgl_audit_reader *reader;
        bool follow;
        int timer; /* a pump is scheduled; -1: none */
};

int vgd_trail_open(struct vgd_daemon *d, struct vgl_error *err)
{
        struct vgl_audit_open_info info = {};
        int r;

        if (asprintf(&d->audit_path, "%s/%s", d->cfg.state_dir, VGD_AUDIT_FILE) < 0) {
                d->audit_path = NULL;
                return vgl_error_set(err, ENOMEM, "out of memory");
        }
        if ((r = vgl_audit_open(d->audit_path, &d->audit, &info, err)) < 0)
                return r;
        if (info.torn_bytes)
                vgd_warn(NULL, "audit log %s: an incomplete last record (%llu bytes) was cut off",
                         d->audit_path, (unsigned long long)info.torn_bytes);
        vgd_info(NULL, "audit log %s: %s, %llu records", d->audit_path,
                 info.created ? "created" : "opened", (unsigned long long)info.records);
        return 0;
}

void vgd_trail_close(struct vgd_daemon *d)
{
        vgd_trail_streams_end(d);
        d->audit = vgl_audit_close(d->audit);
        free(d->audit_path);
        d->audit_path = NULL;
}

struct json_object *vgd_json_double(double d)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%.10g", d);
        return json_object_new_double_s(d, buf);
}

struct json_object *vgd_trail_details(const char *key, ...)
{
        struct json_object *o = json_object_new_object();
        va_list ap;
        bool ok = o != NULL;

        va_start(ap, key);
        for (const char *k = key; k; k = va_arg(ap, const char *)) {
                struct json_object *v = va_arg(ap, struct json_object *);
                if (!ok || json_object_object_add(o, k, v) < 0) {
                        json_object_put(v);
                        ok = false;
                }
        }
        va_end(ap);
        if (!ok) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static void schedule(struct vgd_audit_stream *st);

int vgd_trail_append(struct vgd_daemon *d, enum vgl_audit_type type, const struct vgd_sandbox *s,
                     int64_t actor, struct json_object *details, struct vgl_error *err)
{
        struct vgl_error e = {};
        int r;

        if (!d->audit)
                return 0;
        r = vgl_audit_append(d->audit, type, s ? s->id : NULL, actor, details, NULL, &e);
        if (r < 0) {
                vgd_error(s ? s->id : NULL, "audit log: %s record not written: %s",
                          vgl_audit_type_name(type), e.msg);
                return vgl_error_set(err, -r, "%s", e.msg);
        }
        for (struct vgd_audit_stream *st = d->audit_streams; st; st = st->next)
                schedule(st);
        return 0;
}

int vgd_trail_release(const struct vgd_sandbox *s, int64_t actor, const char *why,
                      struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = vgd_trail_details(
                "why", json_object_new_string(why), "tier", json_object_new_string(s->tier),
                "state", json_object_new_string(vgd_state_name(s->state)), "trust_score",
                vgd_json_double(s->trust_score), NULL);

        if (!o)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgd_trail_append(s->d, VGL_AUDIT_RELEASE, s, actor, o, err);
}

/* ---- streams ---- */

static void stream_free(struct vgd_audit_stream *st)
{
        for (struct vgd_audit_stream **p = &st->d->audit_streams; *p; p = &(*p)->next)
                if (*p == st) {
                        *p = st->next;
                        break;
                }
        if (st->timer >= 0)
                virEventRemoveTimeout(st->timer);
        vgl_varlink_call_set_cancel(st->call, NULL, NULL);
        vgl_varlink_call_unref(st->call);
        vgl_audit_reader_free(st->reader);
        free(st);
}

static void on_cancel(struct vgl_varlink_call *call, void *userdata)
{
        stream_free(userdata);
}

/* Sends what the reader has; ends the stream at the end of the file unless
 * it follows. Returns true while more may be waiting (a full batch). */
static bool pump(struct vgd_audit_stream *st)
{
        for (int n = 0; n < STREAM_BATCH; n++) {
                struct vgl_audit_record rec = {};
                struct vgl_error e = {};
                _cleanup_json_ struct json_object *o = json_object_new_object();
                int r = vgl_audit_reader_next(st->reader, &rec, &e);

                if (r == 0 && st->follow)
                        return false;
                if (r == 0) {
                        vgl_varlink_call_reply(st->call, NULL);
                        stream_free(st);
                        return false;
                }
                if (r < 0) {
                        vgd_api_error1(st->call, VGD_IFACE ".AuditFailed", "reason", e.msg);
                        stream_free(st);
                        return false;
                }
                if (!o || vgl_json_add(o, "record", json_object_get(rec.json)) < 0 ||
                    vgl_varlink_call_notify(st->call, o) < 0) {
                        vgl_audit_record_clear(&rec);
                        stream_free(st); /* the client is being cut off */
                        return false;
                }
                vgl_audit_record_clear(&rec);
        }
        return true;
}

static void on_timer(int timer, void *opaque)
{
        struct vgd_audit_stream *st = opaque;

        virEventRemoveTimeout(timer);
        st->timer = -1;
        if (pump(st))
                schedule(st);
}

static void schedule(struct vgd_audit_stream *st)
{
        if (st->timer < 0)
                st->timer = virEventAddTimeout(0, on_timer, st, NULL);
}

int vgd_trail_stream(struct vgd_daemon *d, struct vgl_varlink_call *call, uint64_t since,
                     bool follow, struct vgl_error *err)
{
        struct vgd_audit_stream *st;
        int r;

        if (!d->audit_path)
                return vgl_error_set(err, ENOENT, "vigild keeps no audit log");
        st = calloc(1, sizeof(*st));
        if (!st)
                return vgl_error_set(err, ENOMEM, "out of memory");
        if ((r = vgl_audit_reader_open(d->audit_path, since, &st->reader, err)) < 0) {
                free(st);
                return r;
        }
        st->d = d;
        st->follow = follow;
        st->timer = -1;
        st->call = vgl_varlink_call_ref(call);
        vgl_varlink_call_set_cancel(call, on_cancel, st);
        st->next = d->audit_streams;
        d->audit_streams = st;
        schedule(st);
        return 0;
}

void vgd_trail_streams_end(struct vgd_daemon *d)
{
        while (d->audit_streams) {
                struct vgd_audit_stream *st = d->audit_streams;
                vgl_varlink_call_reply(st->call, NULL);
                stream_free(st);
        }
}
