/* POLICY and the extended POLICY_ACK: encoding (and the ACK's parser). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "proto-msg-priv.h"
#include "proto-policy.h"

static struct json_object *rule_new(const struct vgl_net_rule *r)
{
        char ip[INET6_ADDRSTRLEN], cidr[64], ports[16];
        struct json_object *o = json_object_new_object();

        if (!o || !inet_ntop(r->family == 4 ? AF_INET : AF_INET6, r->addr, ip, sizeof(ip))) {
                json_object_put(o);
                return NULL;
        }
        snprintf(cidr, sizeof(cidr), "%s/%u", ip, r->prefix);
        if (r->port_lo == r->port_hi)
                snprintf(ports, sizeof(ports), "%u", r->port_lo);
        else
                snprintf(ports, sizeof(ports), "%u-%u", r->port_lo, r->port_hi);
        if (vgl_json_add(o, "cidr", json_object_new_string(cidr)) < 0 ||
            vgl_json_add(o, "ports", json_object_new_string(ports)) < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int add_array(struct json_object *o, const char *key, struct json_object **ret)
{
        struct json_object *a = json_object_new_array();
        VGL_TRY(vgl_json_add(o, key, a));
        *ret = a;
        return 0;
}

static int push(struct json_object *a, struct json_object *v)
{
        if (!v || json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int add_lists(struct json_object *o, const struct vgl_policy *p)
{
        struct json_object *a = NULL;

        if (p->n_egress > VGL_POLICY_MAX_EGRESS || p->n_writable > VGL_POLICY_MAX_PATHS ||
            p->n_exec > VGL_POLICY_MAX_PATHS || p->n_sensitive > VGL_POLICY_MAX_SENSITIVE)
                return -EINVAL;
        if (!p->egress_any) {
                VGL_TRY(add_array(o, "egress", &a));
                for (uint32_t i = 0; i < p->n_egress; i++)
                        VGL_TRY(push(a, rule_new(&p->egress[i])));
        }
        if (!p->writable_any) {
                VGL_TRY(add_array(o, "writable", &a));
                for (uint32_t i = 0; i < p->n_writable; i++)
                        VGL_TRY(push(a, json_object_new_string(p->writable[i])));
        }
        VGL_TRY(add_array(o, "exec", &a));
        for (uint32_t i = 0; i < p->n_exec; i++)
                VGL_TRY(push(a, json_object_new_string(p->exec[i])));
        VGL_TRY(add_array(o, "sensitive", &a));
        for (uint32_t i = 0; i < p->n_sensitive; i++) {
                struct json_object *s = json_object_new_object();
                VGL_TRY(push(a, s));
                VGL_TRY(vgl_json_add(s, "pattern",
                                     json_object_new_string(p->sensitive[i].pattern)));
                VGL_TRY(vgl_json_add(
                        s, "action",
                        json_object_new_string(p->sensitive[i].deny ? "deny" : "report")));
        }
        VGL_TRY(add_array(o, "privileged", &a));
        for (uint32_t bit = 1; bit & VGL_PRIV_ALL; bit <<= 1)
                if (p->priv_allowed & bit)
                        VGL_TRY(push(a, json_object_new_string(vgl_priv_name(bit))));
        return 0;
}

static int add_scalars(struct json_object *o, const struct vgl_policy *p)
{
        struct json_object *l = json_object_new_object();

        VGL_TRY(vgl_json_add(o, "generation", json_object_new_int64((int64_t)p->generation)));
        VGL_TRY(vgl_json_add(
                o, "mode",
                json_object_new_string(p->mode == VGL_POLICY_TRACE ? "trace" : "critical")));
        VGL_TRY(vgl_json_add(o, "supervise", json_object_new_boolean(p->supervise)));
        VGL_TRY(vgl_json_add(o, "uid", json_object_new_int64(p->uid)));
        VGL_TRY(vgl_json_add(o, "gid", json_object_new_int64(p->gid)));
        VGL_TRY(vgl_json_add(o, "no_new_privs", json_object_new_boolean(p->no_new_privs)));
        VGL_TRY(vgl_json_add(o, "limits", l));
        VGL_TRY(vgl_json_add(l, "pids_max", json_object_new_int64((int64_t)p->pids_max)));
        return vgl_json_add(l, "memory_max", json_object_new_int64((int64_t)p->memory_max));
}

int vgl_msg_policy_append(struct vgl_buf *b, const struct vgl_policy *p)
{
        _cleanup_json_ struct json_object *o = json_object_new_object();
        _cleanup_free_ struct vgl_policy *check = malloc(sizeof(*check));
        struct vgl_buf tmp;
        int r;

        if (!o || !check)
                return -ENOMEM;
        if (p->generation > INT64_MAX || p->pids_max > INT64_MAX || p->memory_max > INT64_MAX)
                return -EINVAL;
        if ((r = add_scalars(o, p)) < 0 || (r = add_lists(o, p)) < 0)
                return r;
        /* Send only what the peer's parser accepts: run it on the encoding. */
        vgl_buf_init(&tmp, 0);
        r = vgl_msg_append_json(&tmp, VGL_MSG_POLICY, 0, o);
        if (r >= 0) {
                struct vgl_frame f = {.type = VGL_MSG_POLICY,
                                      .length = (uint32_t)(tmp.len - VGL_FRAME_HEADER_SIZE),
                                      .payload = tmp.data + VGL_FRAME_HEADER_SIZE};
                r = vgl_msg_policy_parse(&f, check, NULL) < 0 ? -EINVAL : 0;
        }
        if (r >= 0)
                r = vgl_buf_append(b, tmp.data, tmp.len);
        vgl_buf_free(&tmp);
        return r;
}

int vgl_msg_policy_ack_ext_append(struct vgl_buf *b, const struct vgl_policy_ack *a)
{
        struct json_object *o = json_object_new_object();

        if (a->generation > INT64_MAX) {
                json_object_put(o);
                return -EINVAL;
        }
        if (vgl_json_add(o, "generation", json_object_new_int64((int64_t)a->generation)) < 0 ||
            vgl_json_add(o, "supervised", json_object_new_boolean(a->supervised)) < 0 ||
            vgl_json_add(o, "cgroup2", json_object_new_boolean(a->cgroup2)) < 0 ||
            vgl_json_add(o, "trace",
                         json_object_new_string(a->trace_ebpf ? "ebpf" : "seccomp-notify")) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return vgl_msg_append_put(b, VGL_MSG_POLICY_ACK, 0, o);
}

static int ack_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_policy_ack *a = out;
        char trace[32] = "";
        VGL_TRY(vgl_json_get_u64(o, "generation", true, INT64_MAX, &a->generation, err));
        VGL_TRY(vgl_json_get_bool(o, "supervised", false, &a->supervised, err));
        VGL_TRY(vgl_json_get_bool(o, "cgroup2", false, &a->cgroup2, err));
        VGL_TRY(vgl_json_get_string(o, "trace", false, VGL_JSON_STR_NAME, trace, sizeof(trace),
                                    err));
        if (trace[0] && strcmp(trace, "ebpf") != 0 && strcmp(trace, "seccomp-notify") != 0)
                return vgl_error_set(err, EBADMSG, "field \"trace\": unknown method \"%s\"", trace);
        a->trace_ebpf = strcmp(trace, "ebpf") == 0;
        return 0;
}

int vgl_msg_policy_ack_ext_parse(const struct vgl_frame *f, struct vgl_policy_ack *ret,
                                 struct vgl_error *err)
{
        struct vgl_policy_ack a = {0};
        int r = vgl_msg_parse_typed(f, VGL_MSG_POLICY_ACK, false, ack_fields, &a, err);
        if (r >= 0)
                *ret = a;
        return r;
}
