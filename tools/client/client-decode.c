/* Decoding the records of io.vigil.Manager (Sandbox, Tier, Event) from reply
 * JSON. Every field is checked for presence and type, driven by tables;
 * strings stay owned by the JSON object the record keeps a reference to. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client-priv.h"

enum field_kind { F_STRING, F_INT, F_FLOAT };

struct field {
        const char *name;
        enum field_kind kind;
        size_t offset;
};

#define S(type, member)                                                                            \
        {                                                                                          \
#member, F_STRING, offsetof(type, member)                                          \
        }
#define I(type, member)                                                                            \
        {                                                                                          \
#member, F_INT, offsetof(type, member)                                             \
        }
#define D(type, member)                                                                            \
        {                                                                                          \
#member, F_FLOAT, offsetof(type, member)                                           \
        }

static const struct field resources_fields[] = {
        I(struct vgl_client_resources, vcpus),
        I(struct vgl_client_resources, max_vcpus),
        I(struct vgl_client_resources, memory_mib),
        I(struct vgl_client_resources, max_memory_mib),
        I(struct vgl_client_resources, cpu_quota_percent),
};

static const struct field agent_fields[] = {
        S(struct vgl_client_agent, agent_version),         S(struct vgl_client_agent, kernel),
        I(struct vgl_client_agent, proto_version),         I(struct vgl_client_agent, heartbeats),
        I(struct vgl_client_agent, last_heartbeat_age_ms),
};

static const struct field sandbox_fields[] = {
        S(struct vgl_client_sandbox, id),
        S(struct vgl_client_sandbox, domain),
        S(struct vgl_client_sandbox, tier),
        S(struct vgl_client_sandbox, posture),
        S(struct vgl_client_sandbox, state),
        I(struct vgl_client_sandbox, owner_uid),
        D(struct vgl_client_sandbox, desired_trust_level),
        D(struct vgl_client_sandbox, trust_score),
        I(struct vgl_client_sandbox, created),
};

static const struct field tier_fields[] = {
        S(struct vgl_client_tier, name),        S(struct vgl_client_tier, posture),
        D(struct vgl_client_tier, min_trust),   D(struct vgl_client_tier, max_trust),
        S(struct vgl_client_tier, image),       S(struct vgl_client_tier, network),
        I(struct vgl_client_tier, pool_target), I(struct vgl_client_tier, pool_ready),
};

static const struct field event_fields[] = {
        I(struct vgl_client_event, time),
        S(struct vgl_client_event, sandbox),
        S(struct vgl_client_event, kind),
        S(struct vgl_client_event, message),
};

static const json_type json_types[] = {
        [F_STRING] = json_type_string,
        [F_INT] = json_type_int,
        [F_FLOAT] = json_type_double,
};

static int decode_fields(struct json_object *o, const char *what, const struct field *fields,
                         size_t n, void *base, struct vgl_error *err)
{
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = NULL;
                char *p = (char *)base + fields[i].offset;
                int r = vgl_json_field(o, what, fields[i].name, json_types[fields[i].kind], false,
                                       &v, err);

                if (r < 0)
                        return r;
                if (fields[i].kind == F_STRING)
                        *(const char **)p = json_object_get_string(v);
                else if (fields[i].kind == F_INT)
                        *(int64_t *)p = json_object_get_int64(v);
                else
                        *(double *)p = json_object_get_double(v);
        }
        return 0;
}

static int decode_object(struct json_object *o, const char *what, const char *key, bool optional,
                         const struct field *fields, size_t n, void *base, struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = vgl_json_field(o, what, key, json_type_object, optional, &v, err);

        if (r <= 0)
                return r;
        r = decode_fields(v, key, fields, n, base, err);
        return r < 0 ? r : 1;
}

static int label_cmp(const void *a, const void *b)
{
        return strcmp(((const struct vgl_client_label *)a)->key,
                      ((const struct vgl_client_label *)b)->key);
}

static int decode_labels(struct json_object *o, struct vgl_client_label **ret, size_t *ret_n,
                         struct vgl_error *err)
{
        _cleanup_free_ struct vgl_client_label *labels = NULL;
        struct json_object *v = NULL;
        size_t n = 0;
        int r = vgl_json_field(o, "sandbox", "labels", json_type_object, true, &v, err);

        if (r <= 0)
                return r;
        labels = calloc((size_t)json_object_object_length(v) + 1, sizeof(*labels));
        if (!labels)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_object_object_foreach(v, key, val)
        {
                if (!json_object_is_type(val, json_type_string))
                        return vgl_error_set(err, EBADMSG, "reply: label %s is not a string", key);
                labels[n++] = (struct vgl_client_label){key, json_object_get_string(val)};
        }
        qsort(labels, n, sizeof(*labels), label_cmp);
        *ret = TAKE_PTR(labels);
        *ret_n = n;
        return 0;
}

static int decode_expires(struct json_object *o, struct vgl_client_sandbox *s,
                          struct vgl_error *err)
{
        struct json_object *v = NULL;
        int r = vgl_json_field(o, "sandbox", "expires", json_type_int, true, &v, err);

        if (r < 0)
                return r;
        s->has_expires = r > 0;
        s->expires = r > 0 ? json_object_get_int64(v) : 0;
        return 0;
}

int vgl_client_sandbox_decode(struct json_object *o, struct vgl_client_sandbox *ret,
                              struct vgl_error *err)
{
        struct vgl_client_sandbox s = {0};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "reply: sandbox is not an object");
        r = decode_fields(o, "sandbox", sandbox_fields, ELEMENTSOF(sandbox_fields), &s, err);
        if (r >= 0)
                r = decode_expires(o, &s, err);
        if (r >= 0)
                r = decode_object(o, "sandbox", "resources", false, resources_fields,
                                  ELEMENTSOF(resources_fields), &s.resources, err);
        if (r >= 0)
                r = decode_object(o, "sandbox", "agent", true, agent_fields,
                                  ELEMENTSOF(agent_fields), &s.agent, err);
        if (r >= 0) {
                s.has_agent = r > 0;
                r = decode_labels(o, &s.labels, &s.n_labels, err);
        }
        if (r < 0)
                return r;
        s.json = json_object_get(o);
        *ret = s;
        return 0;
}

int vgl_client_tier_decode(struct json_object *o, struct vgl_client_tier *ret,
                           struct vgl_error *err)
{
        struct vgl_client_tier t = {0};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "reply: tier is not an object");
        r = decode_fields(o, "tier", tier_fields, ELEMENTSOF(tier_fields), &t, err);
        if (r >= 0)
                r = decode_object(o, "tier", "resources", false, resources_fields,
                                  ELEMENTSOF(resources_fields), &t.resources, err);
        if (r < 0)
                return r;
        t.json = json_object_get(o);
        *ret = t;
        return 0;
}

int vgl_client_event_decode(struct json_object *o, struct vgl_client_event *ret,
                            struct vgl_error *err)
{
        struct vgl_client_event e = {0};
        int r;

        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EBADMSG, "reply: event is not an object");
        r = decode_fields(o, "event", event_fields, ELEMENTSOF(event_fields), &e, err);
        if (r < 0)
                return r;
        e.json = json_object_get(o);
        *ret = e;
        return 0;
}

void vgl_client_sandbox_done(struct vgl_client_sandbox *s)
{
        free(s->labels);
        if (s->json)
                json_object_put(s->json);
        *s = (struct vgl_client_sandbox){0};
}

void vgl_client_tier_done(struct vgl_client_tier *t)
{
        if (t->json)
                json_object_put(t->json);
        *t = (struct vgl_client_tier){0};
}

void vgl_client_event_done(struct vgl_client_event *e)
{
        if (e->json)
                json_object_put(e->json);
        *e = (struct vgl_client_event){0};
}

void vgl_client_sandboxes_free(struct vgl_client_sandbox *s, size_t n)
{
        for (size_t i = 0; s && i < n; i++)
                vgl_client_sandbox_done(&s[i]);
        free(s);
}

void vgl_client_tiers_free(struct vgl_client_tier *t, size_t n)
{
        for (size_t i = 0; t && i < n; i++)
                vgl_client_tier_done(&t[i]);
        free(t);
}
