/* The detectors' methods: ModelStatus, ModelRetrain, MarkBenign (learn.h). */
#include <errno.h>
#include <stdlib.h>

#include "api.h"
#include "cleanup.h"
#include "learn.h"
#include "trail.h"

int vgd_api_model_status(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_json_ struct json_object *o = NULL;

        if (vgd_api_unknown_field(call, params, fields))
                return 0;
        if (!d->model || !(o = vgd_learn_status_json(d)))
                return -ENOMEM;
        return vgl_varlink_call_reply(call, o);
}

int vgd_api_model_retrain(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller))
                return 0;
        if (!d->model)
                return -ENOMEM;
        r = vgd_learn_retrain(d, call);
        if (r == -EOPNOTSUPP)
                return vgd_api_error1(call, VGD_IFACE ".ModelFailed", "reason",
                                      "vigild keeps no models");
        return r;
}

int vgd_api_mark_benign(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"id", NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_json_ struct json_object *o = NULL;
        struct vgl_error err = {};
        struct vgd_caller caller;
        struct vgd_sandbox *s;
        int r;

        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        if (vgd_api_unknown_field(call, params, fields) || !vgd_api_require_admin(call, &caller) ||
            !(s = vgd_api_sandbox(d, call, params, &caller)))
                return 0;
        if (!d->model)
                return -ENOMEM;
        r = vgd_learn_mark_benign(s, &err);
        if (r < 0)
                return vgd_api_error1(call, VGD_IFACE ".ModelFailed", "reason", err.msg);
        o = vgd_trail_details("traces", json_object_new_int(r), "corpus_runs",
                              json_object_new_int64((int64_t)d->model->corpus_runs), NULL);
        if (!o)
                return -ENOMEM;
        return vgl_varlink_call_reply(call, o);
}
