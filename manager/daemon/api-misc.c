/* Subscribe, ListTiers. */
#include <errno.h>

#include "api.h"
#include "cleanup.h"
#include "domain-xml.h"
#include "events.h"
#include "proto-msg.h"
#include "registry.h"

int vgd_api_subscribe(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {"sandbox", NULL};
        struct vgd_daemon *d = userdata;
        struct vgd_caller caller;
        const char *filter = NULL;

        if (!(vgl_varlink_call_get_flags(call) & VGL_VARLINK_CALL_MORE))
                return vgl_varlink_call_error(call, VGL_VARLINK_ERROR_EXPECTED_MORE, NULL);
        if (vgd_api_unknown_field(call, params, fields) ||
            vgd_api_opt_string(call, params, "sandbox", VGL_SANDBOX_ID_MAX, &filter) < 0)
                return 0;
        if (filter && vgl_sandbox_id_validate(filter, NULL) < 0)
                return vgl_varlink_call_error_invalid_parameter(call, "sandbox");
        vgd_authz_caller(d, vgl_varlink_call_get_peer(call), &caller);
        return vgd_events_subscribe(d, call, &caller, filter);
}

static struct json_object *tier_json(struct vgd_daemon *d, const struct vgl_tier *t)
{
        struct json_object *o = json_object_new_object(), *r = json_object_new_object();

        if (!o || !r || vgl_json_add(o, "name", json_object_new_string(t->name)) < 0 ||
            vgl_json_add(o, "posture", json_object_new_string(vgl_posture_name(t->posture))) < 0 ||
            vgl_json_add(o, "min_trust", json_object_new_double(t->min_trust)) < 0 ||
            vgl_json_add(o, "max_trust", json_object_new_double(t->max_trust)) < 0 ||
            vgl_json_add(o, "image", json_object_new_string(t->image)) < 0 ||
            vgl_json_add(o, "network", json_object_new_string(vgl_network_mode_name(t->network))) <
                    0 ||
            vgl_json_add(r, "vcpus", json_object_new_int64(t->vcpus)) < 0 ||
            vgl_json_add(r, "max_vcpus", json_object_new_int64(t->max_vcpus)) < 0 ||
            vgl_json_add(r, "memory_mib", json_object_new_int64((int64_t)t->memory_mib)) < 0 ||
            vgl_json_add(r, "max_memory_mib", json_object_new_int64((int64_t)t->max_memory_mib)) <
                    0 ||
            vgl_json_add(r, "cpu_quota_percent", json_object_new_int64(t->cpu_quota_percent)) < 0 ||
            vgl_json_add(o, "resources", json_object_get(r)) < 0 ||
            vgl_json_add(o, "pool_target", json_object_new_int64(vgd_pool_target(d, t))) < 0 ||
            vgl_json_add(o, "pool_ready",
                         json_object_new_int64(vgd_registry_count_pool(d, t->name, true))) < 0) {
                json_object_put(o);
                json_object_put(r);
                return NULL;
        }
        json_object_put(r);
        return o;
}

int vgd_api_list_tiers(struct vgl_varlink_call *call, struct json_object *params, void *userdata)
{
        static const char *const fields[] = {NULL};
        struct vgd_daemon *d = userdata;
        _cleanup_json_ struct json_object *o = json_object_new_object();
        struct json_object *arr = json_object_new_array();

        if (!o || vgl_json_add(o, "tiers", arr) < 0)
                return -ENOMEM;
        if (vgd_api_unknown_field(call, params, fields))
                return 0;
        for (size_t i = 0; i < d->policy.n_tiers; i++) {
                struct json_object *t = tier_json(d, &d->policy.tiers[i]);
                if (!t || json_object_array_add(arr, t) < 0)
                        return -ENOMEM;
        }
        return vgl_varlink_call_reply(call, o);
}
