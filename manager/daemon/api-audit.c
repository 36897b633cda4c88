/* Audit and AuditVerify: the audit trail over the API, for admins. The
 * verification reads the whole file, so it runs on a worker thread. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "proto-msg.h"
#include "trail.h"
#include "work.h"

int vgd_api_audit(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"since", "follow", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct vgl_error e = {};
        int64_t since = 1;
        bool follow = false;

        if (!(vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL);
        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller) ||
            vgd_api_opt_int(call, params, "since", 0, INT64_MAX / 2, &since) < 0)
                return 0;
        if (vgl_json_get_bool(params, "follow", false, &follow, NULL) < 0)
                return vgl_varlink_call_error_invalid_parameter(call, "follow");
        if (vgd_trail_stream(d, call, (uint64_t)since, follow, &e) < 0)
                return vgd_api_error1(call, VGD_IFACE ".AuditFailed", "reason", e.msg);
        return 0;
}

struct verify_job {
        struct vgl_varlink_call *call;
        char *path;
        int r;
        struct vgl_error err;
        struct vgl_audit_verdict v;
};

static void verify_run(void *data)
{
        struct verify_job *j = data;

        j->r = vgl_audit_verify(j->path, &j->v, &j->err);
}

static void verify_done(struct vgd_daemon *d, void *data)
{
        struct verify_job *j = data;
        _cleanup_json_ struct json_object *o = json_object_new_object();

        if (j->r < 0) {
                vgd_api_error1(j->call, VGD_IFACE ".AuditFailed", "reason", j->err.msg);
        } else if (!o || vgl_json_add(o, "ok", json_object_new_boolean(j->v.ok)) < 0 ||
                   vgl_json_add(o, "records", json_object_new_int64((int64_t)j->v.records)) < 0 ||
                   vgl_json_add(o, "torn_bytes", json_object_new_int64((int64_t)j->v.torn_bytes)) <
                           0 ||
                   (!j->v.ok &&
                    (vgl_json_add(o, "line", json_object_new_int64((int64_t)j->v.line)) < 0 ||
                     vgl_json_add(o, "seq", json_object_new_int64((int64_t)j->v.seq)) < 0 ||
                     vgl_json_add(o, "reason", json_object_new_string(j->v.why)) < 0))) {
                vgl_varlink_call_error(j->call, VGL_VARLINK_ERROR_SYSTEM, NULL);
        } else {
                vgl_varlink_call_reply(j->call, o);
        }
        vgl_varlink_call_unref(j->call);
        free(j->path);
        free(j);
}

int vgd_api_audit_verify(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        struct verify_job *j;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller))
                return 0;
        if (!d->audit_path)
                return vgd_api_error1(call, VGD_IFACE ".AuditFailed", "reason",
                                      "vigild keeps no audit log");
        j = calloc(1, sizeof(*j));
        if (!j || !(j->path = strdup(d->audit_path))) {
                free(j);
                return -ENOMEM;
        }
        j->call = vgl_varlink_call_ref(call);
        vgd_job_submit(d, verify_run, verify_done, j);
        return 0;
}
