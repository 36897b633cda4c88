/* Reserve, Release, List, Get, ListTiers, and org.varlink.service.GetInfo. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "client-priv.h"

static int reserve_params(const struct vgl_client_reserve_request *req, struct json_object **ret)
{
        _cleanup_varlink_json_ struct json_object *p = json_object_new_object();
        struct json_object *labels = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = vgl_json_add_double(p, "desired_trust_level", req->desired_trust_level);
        if (r >= 0)
                r = vgl_json_add_string(p, "tier", req->tier);
        if (r >= 0 && req->ttl_s > 0)
                r = vgl_json_add_int(p, "ttl_s", req->ttl_s);
        if (r < 0)
                return r;
        if (req->n_labels > 0) {
                labels = json_object_new_object();
                if (!labels || json_object_object_add(p, "labels", labels) < 0)
                        return json_object_put(labels), -ENOMEM;
                for (size_t i = 0; i < req->n_labels; i++)
                        if (vgl_json_add_string(labels, req->labels[i].key, req->labels[i].value) <
                            0)
                                return -ENOMEM;
        }
        *ret = TAKE_PTR(p);
        return 0;
}

/* Decodes the "sandbox" member of a reply. */
static int reply_sandbox(struct json_object *reply, struct vgl_client_sandbox *ret,
                         struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = vgl_json_field(reply, "reply", "sandbox", json_type_object, false, &v, err);

        return r < 0 ? r : vgl_client_sandbox_decode(v, ret, err);
}

int vgl_client_reserve(struct vgl_client *c, const struct vgl_client_reserve_request *req,
                       struct vgl_client_sandbox *ret, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = NULL, *reply = NULL;
        int r = reserve_params(req, &p);

        if (r < 0)
                return vgl_error_set(err, -r, "out of memory");
        r = vgl_client_call_method(c, "Reserve", p, &reply, err);
        return r < 0 ? r : reply_sandbox(reply, ret, err);
}

/* Parameters {"id": id}. */
static struct json_object *id_params(const char *id)
{
        struct json_object *p = json_object_new_object();

        if (p && vgl_json_add_string(p, "id", id) < 0)
                p = (json_object_put(p), NULL);
        return p;
}

int vgl_client_release(struct vgl_client *c, const char *id, struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        return vgl_client_call_method(c, "Release", p, &reply, err);
}

int vgl_client_get(struct vgl_client *c, const char *id, struct vgl_client_sandbox *ret,
                   struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *p = id_params(id), *reply = NULL;
        int r;

        if (!p)
                return vgl_error_set(err, ENOMEM, "out of memory");
        r = vgl_client_call_method(c, "Get", p, &reply, err);
        return r < 0 ? r : reply_sandbox(reply, ret, err);
}

typedef int (*decode_fn)(struct json_object *o, void *ret, struct vgl_error *err);
typedef void (*free_fn)(void *array, size_t n);

/* Decodes reply[key], an array of records of size each, into a new array. */
static int decode_array(struct json_object *reply, const char *key, size_t size, decode_fn decode,
                        free_fn free_array, void **ret, size_t *ret_n, struct vgl_error *err)
{
        struct json_object *a = NULL;
        char *records;
        size_t n;
        int r = vgl_json_field(reply, "reply", key, json_type_array, false, &a, err);

        if (r < 0)
                return r;
        n = json_object_array_length(a);
        records = calloc(n + 1, size);
        if (!records)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                r = decode(json_object_array_get_idx(a, i), records + i * size, err);
                if (r < 0) {
                        free_array(records, i);
                        return r;
                }
        }
        *ret = records;
        *ret_n = n;
        return 0;
}

static int decode_sandbox(struct json_object *o, void *ret, struct vgl_error *err)
{
        return vgl_client_sandbox_decode(o, ret, err);
}

static int decode_tier(struct json_object *o, void *ret, struct vgl_error *err)
{
        return vgl_client_tier_decode(o, ret, err);
}

static void free_sandboxes(void *a, size_t n)
{
        vgl_client_sandboxes_free(a, n);
}

static void free_tiers(void *a, size_t n)
{
        vgl_client_tiers_free(a, n);
}

int vgl_client_list(struct vgl_client *c, struct vgl_client_sandbox **ret, size_t *ret_n,
                    struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *reply = NULL;
        void *records = NULL;
        int r = vgl_client_call_method(c, "List", NULL, &reply, err);

        if (r >= 0)
                r = decode_array(reply, "sandboxes", sizeof(**ret), decode_sandbox, free_sandboxes,
                                 &records, ret_n, err);
        if (r >= 0)
                *ret = records;
        return r;
}

int vgl_client_list_tiers(struct vgl_client *c, struct vgl_client_tier **ret, size_t *ret_n,
                          struct vgl_error *err)
{
        _cleanup_varlink_json_ struct json_object *reply = NULL;
        void *records = NULL;
        int r = vgl_client_call_method(c, "ListTiers", NULL, &reply, err);

        if (r >= 0)
                r = decode_array(reply, "tiers", sizeof(**ret), decode_tier, free_tiers, &records,
                                 ret_n, err);
        if (r >= 0)
                *ret = records;
        return r;
}
