/* See behaviour-permset.h. */
#include "behaviour-permset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-policy.h"
#include "behaviour-priv.h"
#include "cleanup.h"
#include "proto-msg.h"

struct vgl_permset {
        struct vgl_policy policy;
};

int vgl_permset_from_json(struct json_object *o, uint64_t generation, struct vgl_permset **ret,
                          struct vgl_error *err)
{
        _cleanup_json_ struct json_object *copy = NULL;
        _cleanup_free_ struct vgl_permset *p = NULL;
        const char *text;
        struct vgl_frame f = {.type = VGL_MSG_POLICY};

        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "permissions: not an object");
        if (generation > INT64_MAX)
                return vgl_error_set(err, EINVAL, "permissions: generation out of range");
        if (json_object_deep_copy(o, &copy, NULL) < 0 ||
            json_object_object_add(copy, "generation", json_object_new_int64((int64_t)generation)) <
                    0 ||
            !(text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_PLAIN)) ||
            !(p = malloc(sizeof(*p))))
                return vgl_error_set(err, ENOMEM, "out of memory");
        f.length = (uint32_t)strlen(text);
        f.payload = (const uint8_t *)text;
        if (vgl_msg_policy_parse(&f, &p->policy, err) < 0)
                return -EBADMSG;
        *ret = TAKE_PTR(p);
        return 0;
}

struct vgl_permset *vgl_permset_free(struct vgl_permset *p)
{
        free(p);
        return NULL;
}

uint64_t vgl_permset_generation(const struct vgl_permset *p)
{
        return p->policy.generation;
}

int vgl_permset_send(struct vgl_agent *a, const struct vgl_permset *p, struct vgl_error *err)
{
        return vgl_agent_send_policy(a, &p->policy, err);
}

int vgl_bhv_set_permset(struct vgl_bhv *b, const struct vgl_permset *p)
{
        return vgl_bhv_set_policy(b, p ? &p->policy : NULL);
}
