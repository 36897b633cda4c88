/* GetProfile, UpdateProfile, Adjust, Hop, Audit, AuditVerify. Profiles,
 * decisions and audit records are handed over as JSON: their fields are
 * documented in docs/trust.md and manager/audit.h, and checked by vigild. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "client-priv.h"

static struct json_object *id_params(const char *id)
{
        struct json_object *p = json_object_new_object();

        if (p && vgl_json_add_string(p, "id", id) < 0)
                p = (json_object_put(p), NULL);
        return p;
}

/* reply[key] (an object) into *ret as an owned reference; ret may be NULL. */
static int take_object(struct json_object *reply, const char *key, struct json_object **ret,
                       struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = vgl_json_field(reply, "reply", key, json_type_object, false, &v, err);

        if (r < 0)
                return r;
        if (ret)
                *ret = json_object_get(v);
        return 0;
}

int vgl_client_get_profile(struct vgl_client *c, const char *id, struct json_object **ret,
                           struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;
        int r;

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "GetProfile", p, &reply, err);
        return r < 0 ? r : take_object(reply, "profile", ret, err);
}

int vgl_client_update_profile(struct vgl_client *c, const char *id, struct json_object *changes,
                              struct json_object **ret_profile, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;
        int r;

        if (!p || json_object_object_add(p, "changes", json_object_get(changes)) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "UpdateProfile", p, &reply, err);
        return r < 0 ? r : take_object(reply, "profile", ret_profile, err);
}

int vgl_client_adjust(struct vgl_client *c, const char *id, struct json_object **ret_decision,
                      struct json_object **ret_profile, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;
        _cleanup_varlink_json_ struct json_object *decision = NULL;
        int r;

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "Adjust", p, &reply, err);
        if (r >= 0)
                r = take_object(reply, "decision", &decision, err);
        if (r >= 0)
                r = take_object(reply, "profile", ret_profile, err);
        if (r >= 0 && ret_decision)
                *ret_decision = TAKE_PTR(decision);
        return r;
}

int vgl_client_hop(struct vgl_client *c, const char *id, const char *tier,
                   struct json_object **ret_profile, struct json_object **ret_hop,
                   struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;
        _cleanup_varlink_json_ struct json_object *hop = NULL;
        int r;

        if (!p || vgl_json_add_string(p, "tier", tier) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "Hop", p, &reply, err);
        if (r >= 0)
                r = take_object(reply, "hop", &hop, err);
        if (r >= 0)
                r = take_object(reply, "profile", ret_profile, err);
        if (r >= 0 && ret_hop)
                *ret_hop = TAKE_PTR(hop);
        return r;
}

int vgl_client_audit(struct vgl_client *c, int64_t since, bool follow, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (!p || (since > 0 && vgl_json_add_int(p, "since", since) < 0) ||
            (follow && json_object_object_add(p, "follow", json_object_new_boolean(true)) < 0))
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgl_client_send_more(c, "Audit", p, err);
}

int vgl_client_next_audit_record(struct vgl_client *c, struct json_object **ret,
                                 struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *reply = NULL;
        struct json_object *rec = NULL;
        bool more = false;
        int r = vgl_client_receive_more(c, &reply, &more, err);

        if (r <= 0)
                return r;
        /* The stream's last reply carries no record. */
        r = reply ? vgl_json_field(reply, "reply", "record", json_type_object, !more, &rec, err)
                  : (more ? vgl_error_set(err, EBADMSG, "reply: no record") : 0);
        if (r < 0 && more)
                vgl_client_abandon(c);
        if (r <= 0)
                return r;
        *ret = json_object_get(rec);
        return 1;
}

static int64_t int_field(struct json_object *o, const char *key)
{
        struct json_object *v = NULL;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
                       ? json_object_get_int64(v)
                       : 0;
}

int vgl_client_audit_verify(struct vgl_client *c, struct vgl_client_audit_verdict *ret,
                            struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *reply = NULL;
        struct json_object *ok = NULL, *reason = NULL;
        int r = vgl_client_call_method(c, "AuditVerify", NULL, &reply, err);

        if (r < 0)
                return r;
        if ((r = vgl_json_field(reply, "reply", "ok", json_type_boolean, false, &ok, err)) < 0 ||
            (r = vgl_json_field(reply, "reply", "reason", json_type_string, true, &reason, err)) <
                    0)
                return r;
        memset(ret, 0, sizeof(*ret));
        ret->ok = json_object_get_boolean(ok);
        ret->records = int_field(reply, "records");
        ret->torn_bytes = int_field(reply, "torn_bytes");
        ret->line = int_field(reply, "line");
        ret->seq = int_field(reply, "seq");
        if (reason)
                snprintf(ret->reason, sizeof(ret->reason), "%s", json_object_get_string(reason));
        return 0;
}
