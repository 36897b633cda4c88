/* ModelStatus, ModelRetrain, MarkBenign: the detectors' model and the
 * learning loop. Replies are handed over as JSON (fields in the IDL). */
#include <errno.h>

#include "cleanup.h"
#include "client-priv.h"

int vgl_client_model_status(struct vgl_client *c, struct json_object **ret, struct vgl_error *err)
{
        return vgl_client_call_method(c, "ModelStatus", NULL, ret, err);
}

int vgl_client_model_retrain(struct vgl_client *c, struct json_object **ret, struct vgl_error *err)
{
        return vgl_client_call_method(c, "ModelRetrain", NULL, ret, err);
}

int vgl_client_mark_benign(struct vgl_client *c, const char *id, struct json_object **ret,
                           struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (!p || vgl_json_add_string(p, "id", id) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgl_client_call_method(c, "MarkBenign", p, ret, err);
}
