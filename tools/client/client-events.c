/* Subscribe: an event stream read one event at a time. */
#include <errno.h>

#include "cleanup.h"
#include "client-priv.h"

int vgl_client_subscribe(struct vgl_client *c, const char *sandbox, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();

        if (!p || vgl_json_add_string(p, "sandbox", sandbox) < 0)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgl_client_send_more(c, "Subscribe", p, err);
}

int vgl_client_next_event(struct vgl_client *c, struct vgl_client_event *ret, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *reply = NULL;
        struct json_object *event = NULL;
        bool more = false;
        int r = vgl_client_receive_more(c, &reply, &more, err);

        if (r <= 0)
                return r;
        /* The last reply of a stream may carry no event: the stream's end. */
        r = vgl_json_field(reply, "reply", "event", json_type_object, !more, &event, err);
        if (r < 0) {
                if (more)
                        vgl_client_abandon(c);
                return r;
        }
        if (r == 0)
                return 0;
        r = vgl_client_event_decode(event, ret, err);
        if (r < 0) {
                if (more)
                        vgl_client_abandon(c);
                return r;
        }
        return 1;
}
