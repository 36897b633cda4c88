/* Connection-level control messages (hello, hello-ack, error, shutdown,
 * policy-ack), version negotiation, and the helpers every typed message
 * shares. Exec messages are in proto-msg-exec.c, file transfer in
 * proto-msg-file.c. */
#include "proto-msg-priv.h"

#include <errno.h>
#include <string.h>

#include "cleanup.h"

#define MAX_CAPS        64
#define MAX_INTERVAL_MS 3600000u

static const char *const cap_names[] = {
        "exec", "files", "resources", "cgroup2", "seccomp-notify", "policy", "trace-bpf",
};

int vgl_msg_parse_typed(const struct vgl_frame *f, uint8_t type, bool need_stream,
                        vgl_msg_fields_fn fields, void *out, struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        const char *name = vgl_msg_type_name(type);
        int r;

        if (f->type != type)
                return vgl_error_set(err, EBADMSG, "%s: frame is of type %s", name,
                                     vgl_msg_type_name(f->type));
        if (need_stream && f->stream == 0)
                return vgl_error_set(err, EBADMSG, "%s: stream 0 is not valid", name);
        r = vgl_msg_parse_json(f, &o, err);
        if (r >= 0)
                r = fields(o, out, err);
        if (r < 0 && err) {
                char msg[sizeof(err->msg)];
                memcpy(msg, err->msg, sizeof(msg));
                vgl_error_set(err, -r, "%s: %s", name, msg);
        }
        return r < 0 ? r : 0;
}

int vgl_msg_append_put(struct vgl_buf *b, uint8_t type, uint32_t stream, struct json_object *o)
{
        int r = vgl_msg_append_json(b, type, stream, o);
        json_object_put(o);
        return r;
}

int vgl_json_get_u32(struct json_object *o, const char *name, bool required, uint32_t max,
                     uint32_t *ret, struct vgl_error *err)
{
        uint64_t v = 0;
        int r = vgl_json_get_u64(o, name, required, max, &v, err);
        if (r > 0)
                *ret = (uint32_t)v;
        return r;
}

void vgl_text_sanitize(char *dst, size_t size, const char *src)
{
        size_t o = 0;

        if (!size)
                return;
        for (size_t i = 0; src && src[i];) {
                size_t n = 1;
                while (n < 4 && src[i + n] && !vgl_utf8_valid(src + i, n))
                        n++;
                bool ok = vgl_utf8_valid(src + i, n);
                if (!ok)
                        n = 1;
                if (o + n >= size)
                        break;
                if (ok)
                        memcpy(dst + o, src + i, n);
                else
                        dst[o] = '?';
                o += n;
                i += n;
        }
        dst[o] = '\0';
}

int vgl_name_check(const char *s, size_t size)
{
        size_t len = strnlen(s, size);
        if (len == size)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (s[i] < 0x20 || s[i] > 0x7e)
                        return -EINVAL;
        return 0;
}

int vgl_text_check(const char *s, size_t max_len)
{
        size_t len = strnlen(s, max_len + 1);
        return len <= max_len && vgl_utf8_valid(s, len) ? 0 : -EINVAL;
}

/* ---- HELLO ---- */

static int caps_parse(struct json_object *o, uint32_t *ret, struct vgl_error *err)
{
        struct json_object *a = NULL;
        uint32_t caps = 0;
        int r = vgl_json_get_array(o, "caps", false, MAX_CAPS, &a, err);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                VGL_TRY(vgl_json_check_string(v, "field \"caps\" element", 32, VGL_JSON_STR_NAME,
                                              err));
                /* Unknown capabilities are a newer agent's: ignored. */
                for (size_t k = 0; k < ELEMENTSOF(cap_names); k++)
                        if (strcmp(json_object_get_string(v), cap_names[k]) == 0)
                                caps |= 1u << k;
        }
        *ret = caps;
        return 1;
}

static int hello_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_hello *h = out;
        const unsigned name = VGL_JSON_STR_NAME;

        VGL_TRY(vgl_json_get_u32(o, "proto_version", true, UINT32_MAX, &h->proto_version, err));
        if (h->proto_version == 0)
                return vgl_error_set(err, EBADMSG, "field \"proto_version\": must be >= 1");
        h->proto_min = h->proto_version;
        VGL_TRY(vgl_json_get_u32(o, "proto_min", false, UINT32_MAX, &h->proto_min, err));
        if (h->proto_min == 0 || h->proto_min > h->proto_version)
                return vgl_error_set(err, EBADMSG,
                                     "field \"proto_min\": must be in [1, proto_version]");
        VGL_TRY(vgl_json_get_string(o, "agent_version", true, name | VGL_JSON_STR_NONEMPTY,
                                    h->agent_version, sizeof(h->agent_version), err));
        VGL_TRY(vgl_json_get_string(o, "kernel", false, name, h->kernel, sizeof(h->kernel), err));
        VGL_TRY(vgl_json_get_string(o, "machine", false, name, h->machine, sizeof(h->machine),
                                    err));
        VGL_TRY(vgl_json_get_string(o, "hostname", false, name, h->hostname, sizeof(h->hostname),
                                    err));
        VGL_TRY(vgl_json_get_u64(o, "uptime_ms", false, INT64_MAX, &h->uptime_ms, err));
        VGL_TRY(vgl_json_get_bool(o, "init", false, &h->init_mode, err));
        VGL_TRY(caps_parse(o, &h->caps, err));
        return 0;
}

int vgl_msg_hello_parse(const struct vgl_frame *f, struct vgl_hello *ret, struct vgl_error *err)
{
        struct vgl_hello h = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_HELLO, false, hello_fields, &h, err);
        if (r >= 0)
                *ret = h;
        return r;
}

static struct json_object *caps_new(uint32_t caps)
{
        struct json_object *a = json_object_new_array();
        for (size_t k = 0; a && k < ELEMENTSOF(cap_names); k++) {
                if (!(caps & (1u << k)))
                        continue;
                struct json_object *s = json_object_new_string(cap_names[k]);
                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

int vgl_msg_hello_append(struct vgl_buf *b, const struct vgl_hello *h)
{
        uint32_t version = h->proto_version ? h->proto_version : VGL_PROTO_VERSION;
        uint32_t min = h->proto_min ? h->proto_min : VGL_PROTO_MIN_VERSION;
        struct json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        if (min > version || !h->agent_version[0] ||
            vgl_name_check(h->agent_version, sizeof(h->agent_version)) < 0 ||
            vgl_name_check(h->kernel, sizeof(h->kernel)) < 0 ||
            vgl_name_check(h->machine, sizeof(h->machine)) < 0 ||
            vgl_name_check(h->hostname, sizeof(h->hostname)) < 0 || h->uptime_ms > INT64_MAX)
                r = -EINVAL;
        r = r ?: vgl_json_add(o, "proto_version", json_object_new_int64(version));
        r = r ?: vgl_json_add(o, "proto_min", json_object_new_int64(min));
        r = r ?: vgl_json_add(o, "agent_version", json_object_new_string(h->agent_version));
        r = r ?: vgl_json_add(o, "kernel", json_object_new_string(h->kernel));
        r = r ?: vgl_json_add(o, "machine", json_object_new_string(h->machine));
        r = r ?: vgl_json_add(o, "hostname", json_object_new_string(h->hostname));
        r = r ?: vgl_json_add(o, "uptime_ms", json_object_new_uint64(h->uptime_ms));
        r = r ?: vgl_json_add(o, "init", json_object_new_boolean(h->init_mode));
        r = r ?: vgl_json_add(o, "caps", caps_new(h->caps));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_HELLO, 0, o);
}

/* ---- HELLO_ACK and negotiation ---- */

static int hello_ack_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_hello_ack *a = out;

        VGL_TRY(vgl_json_get_u32(o, "proto_version", true, UINT32_MAX, &a->proto_version, err));
        if (a->proto_version == 0)
                return vgl_error_set(err, EBADMSG, "field \"proto_version\": must be >= 1");
        VGL_TRY(vgl_json_get_string(o, "host_version", false, VGL_JSON_STR_NAME, a->host_version,
                                    sizeof(a->host_version), err));
        VGL_TRY(vgl_json_get_u32(o, "heartbeat_ms", false, MAX_INTERVAL_MS, &a->heartbeat_ms, err));
        VGL_TRY(vgl_json_get_u32(o, "sample_ms", false, MAX_INTERVAL_MS, &a->sample_ms, err));
        return 0;
}

int vgl_msg_hello_ack_parse(const struct vgl_frame *f, struct vgl_hello_ack *ret,
                            struct vgl_error *err)
{
        struct vgl_hello_ack a = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_HELLO_ACK, false, hello_ack_fields, &a, err);
        if (r >= 0)
                *ret = a;
        return r;
}

int vgl_msg_hello_ack_append(struct vgl_buf *b, const struct vgl_hello_ack *a)
{
        struct json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        if (a->proto_version == 0 || a->heartbeat_ms > MAX_INTERVAL_MS ||
            a->sample_ms > MAX_INTERVAL_MS ||
            vgl_name_check(a->host_version, sizeof(a->host_version)) < 0)
                r = -EINVAL;
        r = r ?: vgl_json_add(o, "proto_version", json_object_new_int64(a->proto_version));
        r = r ?: vgl_json_add(o, "host_version", json_object_new_string(a->host_version));
        r = r ?: vgl_json_add(o, "heartbeat_ms", json_object_new_int64(a->heartbeat_ms));
        r = r ?: vgl_json_add(o, "sample_ms", json_object_new_int64(a->sample_ms));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_HELLO_ACK, 0, o);
}

int vgl_proto_negotiate(uint32_t peer_min, uint32_t peer_version, struct vgl_error *err)
{
        if (peer_min > peer_version)
                return vgl_error_set(err, EPROTONOSUPPORT,
                                     "peer announced an empty protocol version range %u..%u",
                                     peer_min, peer_version);
        uint32_t lo = peer_min > VGL_PROTO_MIN_VERSION ? peer_min : VGL_PROTO_MIN_VERSION;
        uint32_t hi = peer_version < VGL_PROTO_VERSION ? peer_version : VGL_PROTO_VERSION;
        if (lo > hi)
                return vgl_error_set(err, EPROTONOSUPPORT,
                                     "protocol version mismatch: peer speaks %u..%u, "
                                     "this build speaks %u..%u",
                                     peer_min, peer_version, VGL_PROTO_MIN_VERSION,
                                     VGL_PROTO_VERSION);
        return (int)hi;
}

/* ---- ERROR ---- */

static int error_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_error_msg *e = out;
        uint32_t ref = 0;

        VGL_TRY(vgl_json_get_string(o, "code", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY,
                                    e->code, sizeof(e->code), err));
        VGL_TRY(vgl_json_get_string(o, "message", false, 0, e->message, sizeof(e->message), err));
        VGL_TRY(vgl_json_get_u32(o, "ref_type", false, UINT8_MAX, &ref, err));
        e->ref_type = (uint8_t)ref;
        return 0;
}

int vgl_msg_error_parse(const struct vgl_frame *f, struct vgl_error_msg *ret, struct vgl_error *err)
{
        struct vgl_error_msg e = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_ERROR, false, error_fields, &e, err);
        if (r >= 0)
                *ret = e;
        return r;
}

int vgl_msg_error_append(struct vgl_buf *b, uint32_t stream, const char *code, uint8_t ref_type,
                         const char *message)
{
        char text[VGL_ERROR_MSG_MAX];
        struct json_object *o = NULL;
        int r;

        if (!code || !code[0] ||
            vgl_name_check(code, sizeof(((struct vgl_error_msg *)0)->code)) < 0)
                return -EINVAL;
        vgl_text_sanitize(text, sizeof(text), message);
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "code", json_object_new_string(code));
        r = r ?: vgl_json_add(o, "message", json_object_new_string(text));
        r = r ?: vgl_json_add(o, "ref_type", json_object_new_int(ref_type));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_ERROR, stream, o);
}

/* ---- SHUTDOWN ---- */

static int shutdown_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        char action[16];

        VGL_TRY(vgl_json_get_string(o, "action", true, VGL_JSON_STR_NAME, action, sizeof(action),
                                    err));
        if (strcmp(action, "poweroff") == 0)
                *(bool *)out = false;
        else if (strcmp(action, "reboot") == 0)
                *(bool *)out = true;
        else
                return vgl_error_set(err, EBADMSG,
                                     "field \"action\": expected \"poweroff\" or \"reboot\"");
        return 0;
}

int vgl_msg_shutdown_parse(const struct vgl_frame *f, bool *ret_reboot, struct vgl_error *err)
{
        bool reboot = false;
        int r = vgl_msg_parse_typed(f, VGL_MSG_SHUTDOWN, false, shutdown_fields, &reboot, err);
        if (r >= 0)
                *ret_reboot = reboot;
        return r;
}

int vgl_msg_shutdown_append(struct vgl_buf *b, bool reboot)
{
        struct json_object *o = json_object_new_object();
        int r = o ? 0 : -ENOMEM;

        r = r ?: vgl_json_add(o, "action", json_object_new_string(reboot ? "reboot" : "poweroff"));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_SHUTDOWN, 0, o);
}

/* ---- POLICY_ACK ---- */

static int policy_ack_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        VGL_TRY(vgl_json_get_u64(o, "generation", true, INT64_MAX, out, err));
        return 0;
}

int vgl_msg_policy_ack_parse(const struct vgl_frame *f, uint64_t *ret_generation,
                             struct vgl_error *err)
{
        uint64_t g = 0;
        int r = vgl_msg_parse_typed(f, VGL_MSG_POLICY_ACK, false, policy_ack_fields, &g, err);
        if (r >= 0)
                *ret_generation = g;
        return r;
}

int vgl_msg_policy_ack_append(struct vgl_buf *b, uint64_t generation)
{
        struct json_object *o = NULL;
        int r;

        if (generation > INT64_MAX)
                return -EINVAL;
        o = json_object_new_object();
        r = o ? 0 : -ENOMEM;
        r = r ?: vgl_json_add(o, "generation", json_object_new_uint64(generation));
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        return vgl_msg_append_put(b, VGL_MSG_POLICY_ACK, 0, o);
}
