/* POLICY: parsing and validating the permission set. */
#include "proto-policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "proto-msg-priv.h"

#define MAX_ID    4294967294LL
#define MAX_LIMIT INT64_MAX

static const char *const priv_names[] = {
        "ptrace", "mount", "bpf", "module", "setuid", "namespace", "kexec", "reboot", "perf",
};

const char *vgl_priv_name(uint32_t bit)
{
        for (unsigned i = 0; i < ELEMENTSOF(priv_names); i++)
                if (bit == 1u << i)
                        return priv_names[i];
        return "unknown";
}

void vgl_policy_init_open(struct vgl_policy *p)
{
        memset(p, 0, sizeof(*p));
        p->uid = p->gid = -1;
        p->egress_any = true;
        p->writable_any = true;
        p->priv_allowed = VGL_PRIV_ALL;
}

/* "443" or "8000-8100" into [lo, hi]; 0 or -EINVAL. */
static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
        unsigned a, b;
        int n = 0;
        if (sscanf(s, "%5u%n", &a, &n) != 1 || n == 0)
                return -EINVAL;
        b = a;
        if (s[n] == '-') {
                int m = 0;
                if (sscanf(s + n + 1, "%5u%n", &b, &m) != 1 || m == 0)
                        return -EINVAL;
                n += m + 1;
        }
        if (s[n] || s[0] < '0' || s[0] > '9' || a > 65535 || b > 65535 || a > b)
                return -EINVAL;
        *lo = (uint16_t)a;
        *hi = (uint16_t)b;
        return 0;
}

/* True if no bit of addr beyond the prefix is set. */
static bool host_bits_clear(const uint8_t *addr, unsigned len, unsigned prefix)
{
        for (unsigned bit = prefix; bit < len * 8; bit++)
                if (addr[bit / 8] & (0x80u >> (bit % 8)))
                        return false;
        return true;
}

/* "a.b.c.d/n", "x::y/n" or a bare address (a host route). */
static int parse_cidr(const char *s, struct vgl_net_rule *r)
{
        char ip[64];
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        unsigned prefix = 0, len;
        int used = 0;

        if (n == 0 || n >= sizeof(ip))
                return -EINVAL;
        memcpy(ip, s, n);
        ip[n] = '\0';
        if (inet_pton(AF_INET, ip, r->addr) == 1)
                r->family = 4, len = 4;
        else if (inet_pton(AF_INET6, ip, r->addr) == 1)
                r->family = 6, len = 16;
        else
                return -EINVAL;
        prefix = len * 8;
        if (slash && (sscanf(slash + 1, "%3u%n", &prefix, &used) != 1 || slash[1 + used] ||
                      slash[1] < '0' || slash[1] > '9' || prefix > len * 8))
                return -EINVAL;
        if (!host_bits_clear(r->addr, len, prefix))
                return -EINVAL;
        r->prefix = (uint8_t)prefix;
        return 0;
}

/* Prefixes the message already in *err with `what`; returns -EBADMSG. */
static int rewrap(struct vgl_error *err, const char *what)
{
        char msg[VGL_ERROR_MSG_MAX];
        if (!err)
                return -EBADMSG;
        memcpy(msg, err->msg, sizeof(msg));
        return vgl_error_set(err, EBADMSG, "%s: %s", what, msg);
}

static int egress_entry(struct json_object *e, const char *what, struct vgl_net_rule *r,
                        struct vgl_error *err)
{
        char cidr[64] = "", ports[16] = "";

        if (!json_object_is_type(e, json_type_object))
                return vgl_error_set(err, EBADMSG, "%s: not an object", what);
        if (vgl_json_get_string(e, "cidr", true, VGL_JSON_STR_NAME | VGL_JSON_STR_NONEMPTY, cidr,
                                sizeof(cidr), err) < 0 ||
            vgl_json_get_string(e, "ports", false, VGL_JSON_STR_NAME, ports, sizeof(ports), err) <
                    0)
                return rewrap(err, what);
        *r = (struct vgl_net_rule){.port_lo = 0, .port_hi = 65535};
        if (parse_cidr(cidr, r) < 0)
                return vgl_error_set(err, EBADMSG, "%s: bad cidr \"%s\"", what, cidr);
        if (ports[0] && parse_ports(ports, &r->port_lo, &r->port_hi) < 0)
                return vgl_error_set(err, EBADMSG, "%s: bad ports \"%s\"", what, ports);
        return 0;
}

static int parse_egress(struct json_object *o, struct vgl_policy *p, struct vgl_error *err)
{
        struct json_object *a = NULL;
        char what[48];

        VGL_TRY(vgl_json_get_array(o, "egress", false, VGL_POLICY_MAX_EGRESS, &a, err));
        p->egress_any = !a;
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                snprintf(what, sizeof(what), "field \"egress\" element %zu", i);
                VGL_TRY(egress_entry(json_object_array_get_idx(a, i), what, &p->egress[i], err));
                p->n_egress++;
        }
        return 0;
}

/* One path or pattern string: absolute, no "."/"..", at most VGL_POLICY_PATH_LEN. */
static int path_entry(struct json_object *v, const char *what, char out[VGL_POLICY_PATH_LEN + 1],
                      struct vgl_error *err)
{
        VGL_TRY(vgl_json_check_string(v, what, VGL_POLICY_PATH_LEN, VGL_JSON_STR_NONEMPTY, err));
        const char *s = json_object_get_string(v);
        if (vgl_path_validate(s, err) < 0)
                return rewrap(err, what);
        size_t n = strlen(s);
        memcpy(out, s, n + 1);
        /* "/tmp/" and "/tmp" are the same prefix; "/" stays. */
        while (n > 1 && out[n - 1] == '/')
                out[--n] = '\0';
        return 0;
}

static int parse_paths(struct json_object *o, const char *name,
                       char list[][VGL_POLICY_PATH_LEN + 1], uint32_t *n, bool *present,
                       struct vgl_error *err)
{
        struct json_object *a = NULL;
        char what[48];

        VGL_TRY(vgl_json_get_array(o, name, false, VGL_POLICY_MAX_PATHS, &a, err));
        if (present)
                *present = a != NULL;
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                snprintf(what, sizeof(what), "field \"%s\" element %zu", name, i);
                VGL_TRY(path_entry(json_object_array_get_idx(a, i), what, list[i], err));
                (*n)++;
        }
        return 0;
}

static int sensitive_entry(struct json_object *e, const char *what, struct vgl_sensitive *s,
                           struct vgl_error *err)
{
        struct json_object *v = NULL;
        char action[16] = "report";

        if (!json_object_is_type(e, json_type_object) ||
            !json_object_object_get_ex(e, "pattern", &v))
                return vgl_error_set(err, EBADMSG, "%s: needs a \"pattern\"", what);
        VGL_TRY(vgl_json_check_string(v, what, VGL_POLICY_PATH_LEN, VGL_JSON_STR_NONEMPTY, err));
        const char *pat = json_object_get_string(v);
        if (vgl_path_validate(pat, err) < 0)
                return rewrap(err, what);
        if (vgl_json_get_string(e, "action", false, VGL_JSON_STR_NAME, action, sizeof(action),
                                err) < 0)
                return vgl_error_set(err, EBADMSG, "%s: field \"action\" is not a short name",
                                     what);
        if (strcmp(action, "deny") != 0 && strcmp(action, "report") != 0)
                return vgl_error_set(err, EBADMSG, "%s: action must be \"deny\" or \"report\"",
                                     what);
        snprintf(s->pattern, sizeof(s->pattern), "%s", pat);
        s->deny = action[0] == 'd';
        return 0;
}

static int parse_sensitive(struct json_object *o, struct vgl_policy *p, struct vgl_error *err)
{
        struct json_object *a = NULL;
        char what[48];

        VGL_TRY(vgl_json_get_array(o, "sensitive", false, VGL_POLICY_MAX_SENSITIVE, &a, err));
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                snprintf(what, sizeof(what), "field \"sensitive\" element %zu", i);
                VGL_TRY(sensitive_entry(json_object_array_get_idx(a, i), what, &p->sensitive[i],
                                        err));
                p->n_sensitive++;
        }
        return 0;
}

static int parse_priv(struct json_object *o, struct vgl_policy *p, struct vgl_error *err)
{
        struct json_object *a = NULL;

        VGL_TRY(vgl_json_get_array(o, "privileged", false, 32, &a, err));
        p->priv_allowed = 0;
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                struct json_object *v = json_object_array_get_idx(a, i);
                unsigned k = 0;
                VGL_TRY(vgl_json_check_string(v, "field \"privileged\" element", 31,
                                              VGL_JSON_STR_NAME, err));
                while (k < ELEMENTSOF(priv_names) &&
                       strcmp(priv_names[k], json_object_get_string(v)) != 0)
                        k++;
                if (k == ELEMENTSOF(priv_names))
                        return vgl_error_set(err, EBADMSG,
                                             "field \"privileged\": unknown call \"%s\"",
                                             json_object_get_string(v));
                p->priv_allowed |= 1u << k;
        }
        return 0;
}

static int parse_limits(struct json_object *o, struct vgl_policy *p, struct vgl_error *err)
{
        struct json_object *l = NULL;

        if (!json_object_object_get_ex(o, "limits", &l) || !l)
                return 0;
        if (!json_object_is_type(l, json_type_object))
                return vgl_error_set(err, EBADMSG, "field \"limits\": not an object");
        VGL_TRY(vgl_json_get_u64(l, "pids_max", false, MAX_LIMIT, &p->pids_max, err));
        VGL_TRY(vgl_json_get_u64(l, "memory_max", false, MAX_LIMIT, &p->memory_max, err));
        return 0;
}

static int parse_mode(struct json_object *o, struct vgl_policy *p, struct vgl_error *err)
{
        char mode[16] = "critical";
        VGL_TRY(vgl_json_get_string(o, "mode", false, VGL_JSON_STR_NAME, mode, sizeof(mode), err));
        if (strcmp(mode, "critical") == 0)
                p->mode = VGL_POLICY_CRITICAL;
        else if (strcmp(mode, "trace") == 0)
                p->mode = VGL_POLICY_TRACE;
        else
                return vgl_error_set(err, EBADMSG,
                                     "field \"mode\": must be \"critical\" or \"trace\"");
        return 0;
}

static int policy_fields(struct json_object *o, void *out, struct vgl_error *err)
{
        struct vgl_policy *p = out;

        memset(p, 0, sizeof(*p));
        p->uid = p->gid = -1;
        p->supervise = p->no_new_privs = true;
        VGL_TRY(vgl_json_get_u64(o, "generation", true, INT64_MAX, &p->generation, err));
        VGL_TRY(parse_mode(o, p, err));
        VGL_TRY(vgl_json_get_bool(o, "supervise", false, &p->supervise, err));
        VGL_TRY(vgl_json_get_i64(o, "uid", false, -1, MAX_ID, &p->uid, err));
        VGL_TRY(vgl_json_get_i64(o, "gid", false, -1, MAX_ID, &p->gid, err));
        VGL_TRY(vgl_json_get_bool(o, "no_new_privs", false, &p->no_new_privs, err));
        VGL_TRY(parse_limits(o, p, err));
        VGL_TRY(parse_egress(o, p, err));
        VGL_TRY(parse_paths(o, "writable", p->writable, &p->n_writable, &p->writable_any, err));
        p->writable_any = !p->writable_any;
        VGL_TRY(parse_paths(o, "exec", p->exec, &p->n_exec, NULL, err));
        VGL_TRY(parse_sensitive(o, p, err));
        return parse_priv(o, p, err);
}

int vgl_msg_policy_parse(const struct vgl_frame *f, struct vgl_policy *ret, struct vgl_error *err)
{
        _cleanup_free_ struct vgl_policy *p = malloc(sizeof(*p));
        if (!p)
                return vgl_error_set(err, ENOMEM, "policy: out of memory");
        int r = vgl_msg_parse_typed(f, VGL_MSG_POLICY, false, policy_fields, p, err);
        if (r < 0)
                return r;
        memcpy(ret, p, sizeof(*p));
        return 0;
}
