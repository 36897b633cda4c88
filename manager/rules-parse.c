/* Parsing and validating rule files (the language: policies/rules/README.md). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "proto-msg.h"
#include "rules-priv.h"

#define JSON_MAX_DEPTH 16
#define QUAL_MAX       96 /* "sequence.steps[3].argv_contains[63]" */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_tokener *, json_tokener_free)

/* Condition fields, and which event kinds each applies to. */
enum {
        F_VERDICT = 1u << 0,
        F_OP = 1u << 1,
        F_PATH = 1u << 2,
        F_PATH_NOT = 1u << 3,
        F_PROGRAM = 1u << 4,
        F_ARGV = 1u << 5,
        F_ADDRESS = 1u << 6,
        F_PORT = 1u << 7,
        F_PRIVILEGE = 1u << 8,
        F_SYSCALL = 1u << 9,
        F_ARG0_IN = 1u << 10,
        F_ARG0_NOT_IN = 1u << 11,
};

static const struct {
        const char *name;
        unsigned bit;
} cond_fields[] = {
        {"kind", 0},
        {"verdict", F_VERDICT},
        {"op", F_OP},
        {"path", F_PATH},
        {"path_not", F_PATH_NOT},
        {"program", F_PROGRAM},
        {"argv_contains", F_ARGV},
        {"address", F_ADDRESS},
        {"port", F_PORT},
        {"privilege", F_PRIVILEGE},
        {"syscall", F_SYSCALL},
        {"arg0_in", F_ARG0_IN},
        {"arg0_not_in", F_ARG0_NOT_IN},
};

static const struct {
        const char *name;
        uint16_t type;
        unsigned fields;
} kinds[] = {
        {"syscall", VGL_REC_SYSCALL, F_VERDICT | F_SYSCALL},
        {"net", VGL_REC_NET, F_VERDICT | F_OP | F_ADDRESS | F_PORT},
        {"file", VGL_REC_FILE, F_VERDICT | F_OP | F_PATH | F_PATH_NOT},
        {"exec", VGL_REC_PROC, F_VERDICT | F_PATH | F_PATH_NOT | F_PROGRAM | F_ARGV},
        {"privilege", VGL_REC_PRIV,
         F_VERDICT | F_PRIVILEGE | F_SYSCALL | F_ARG0_IN | F_ARG0_NOT_IN},
};

static const char *const verdict_names[] = {"allow", "deny", "emulate", "report", "observe"};
static const char *const file_op_names[] = {NULL,    "read",  "write", "unlink", "rename",
                                            "chmod", "chown", "mkdir", "link"};
static const char *const net_op_names[] = {NULL, "connect", "sendto", "sendmsg", "bind"};
static const char *const priv_names[] = {"ptrace",    "mount", "bpf",    "module", "setuid",
                                         "namespace", "kexec", "reboot", "perf"};

static const char *const rule_keys[] = {"name",  "tag",      "severity", "description",
                                        "match", "sequence", NULL};
static const char *const seq_keys[] = {"within_s", "same_command", "ordered", "steps", NULL};

static void qual(char out[QUAL_MAX], const char *where, const char *key)
{
        snprintf(out, QUAL_MAX, "%s%s%s", where, *where ? "." : "", key);
}

static int check_keys(struct json_object *o, const char *const *known, const char *where,
                      struct vgl_error *err)
{
        json_object_object_foreach(o, key, val)
        {
                (void)val;
                bool found = false;
                for (size_t i = 0; known[i] && !found; i++)
                        found = strcmp(known[i], key) == 0;
                if (!found) {
                        char q[QUAL_MAX];
                        qual(q, where, key);
                        return vgl_error_set(err, EINVAL, "unknown field \"%s\"", q);
                }
        }
        return 0;
}

/* Looks up a field of the given JSON type: 1 present, 0 absent (null counts
 * as absent), -EINVAL missing but required or of another type. */
static int get(struct json_object *o, const char *key, const char *where, bool required,
               enum json_type type, struct json_object **ret, struct vgl_error *err)
{
        struct json_object *v = NULL;
        char q[QUAL_MAX];
        qual(q, where, key);
        if (!json_object_object_get_ex(o, key, &v) || !v)
                return required ? vgl_error_set(err, EINVAL, "missing field \"%s\"", q) : 0;
        if (!json_object_is_type(v, type))
                return vgl_error_set(err, EINVAL, "field \"%s\": expected %s %s", q,
                                     type == json_type_array || type == json_type_object ? "an"
                                                                                         : "a",
                                     json_type_to_name(type));
        *ret = v;
        return 1;
}

/* A string of 1..max bytes, UTF-8, no control characters. */
static int check_text(struct json_object *v, const char *what, size_t max, struct vgl_error *err)
{
        struct vgl_error e = {0};
        if (vgl_json_check_string(v, what, max, VGL_JSON_STR_NONEMPTY, &e) < 0)
                return vgl_error_set(err, EINVAL, "%s", e.msg);
        for (const char *s = json_object_get_string(v); *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f)
                        return vgl_error_set(err, EINVAL, "%s: holds a control character", what);
        return 0;
}

/* Names and tags: lowercase letters, digits and the given punctuation. */
static int check_ident(const char *s, const char *extra, const char *what, struct vgl_error *err)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
                        return vgl_error_set(err, EINVAL,
                                             "%s: '%s' may hold only a-z, 0-9 and '%s'", what, s,
                                             extra);
        return 0;
}

/* fnmatch(3) patterns, checked for what fnmatch would silently take
 * literally: an unclosed '[', a trailing '\'. */
static const char *glob_problem(const char *g, bool path)
{
        if (path && g[0] != '/' && g[0] != '*')
                return "must start with '/' or '*'";
        if (!path && strchr(g, '/'))
                return "is a program name: no '/'";
        /* fnmatch backtracks per '*': bound its work on a guest's 255-byte text. */
        size_t stars = 0;
        for (const char *p = g; (p = strchr(p, '*')); p++)
                stars++;
        if (stars > 3)
                return "has more than 3 '*'";
        for (const char *p = g; *p; p++) {
                if (*p == '\\' && !*++p)
                        return "ends with a lone '\\'";
                if (*p != '[')
                        continue;
                const char *q = p + 1;
                if (*q == '!' || *q == '^')
                        q++;
                if (*q == ']')
                        q++;
                while (*q && *q != ']')
                        q++;
                if (!*q)
                        return "has an unclosed '['";
                p = q;
        }
        return NULL;
}

static int parse_cidr(const char *s, struct rules_cidr *ret)
{
        char addr[INET6_ADDRSTRLEN + 8];
        const char *slash = strchr(s, '/');
        size_t alen = slash ? (size_t)(slash - s) : strlen(s);
        struct rules_cidr c = {0};
        if (alen == 0 || alen >= sizeof(addr))
                return -EINVAL;
        memcpy(addr, s, alen);
        addr[alen] = '\0';
        if (inet_pton(AF_INET, addr, c.addr) == 1)
                c.family = 4;
        else if (inet_pton(AF_INET6, addr, c.addr) == 1)
                c.family = 6;
        else
                return -EINVAL;
        unsigned max = c.family == 4 ? 32 : 128, prefix = max;
        if (slash) {
                char *end = NULL;
                errno = 0;
                unsigned long p = strtoul(slash + 1, &end, 10);
                if (!slash[1] || *end || errno || p > max || slash[1] == '+' || slash[1] == '-' ||
                    (slash[1] == '0' && slash[2]))
                        return -EINVAL;
                prefix = (unsigned)p;
        }
        c.prefix = (uint8_t)prefix;
        /* No host bits beyond the prefix: "10.0.0.1/8" is probably a typo. */
        for (unsigned bit = prefix; bit < max; bit++)
                if (c.addr[bit / 8] & (0x80u >> (bit % 8)))
                        return -ERANGE;
        *ret = c;
        return 0;
}

static int parse_port(struct json_object *v, const char *what, struct rules_ports *ret,
                      struct vgl_error *err)
{
        if (json_object_is_type(v, json_type_int)) {
                int64_t p = json_object_get_int64(v);
                if (p < 0 || p > 65535)
                        return vgl_error_set(err, EINVAL, "%s: %lld is not a port", what,
                                             (long long)p);
                ret->lo = ret->hi = (uint16_t)p;
                return 0;
        }
        unsigned lo = 1, hi = 0;
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        const char *dash = strchr(s, '-');
        /* "LO-HI": digits, one dash, digits; nothing sscanf would skip or sign. */
        if (dash && dash > s && strspn(s, "0123456789") == (size_t)(dash - s) && dash[1] &&
            strspn(dash + 1, "0123456789") == strlen(dash + 1) && dash - s <= 5 &&
            strlen(dash + 1) <= 5)
                sscanf(s, "%u-%u", &lo, &hi);
        if (lo > hi || hi > 65535)
                return vgl_error_set(err, EINVAL,
                                     "%s: expected a port or a range \"LO-HI\" with LO <= HI",
                                     what);
        ret->lo = (uint16_t)lo;
        ret->hi = (uint16_t)hi;
        return 0;
}

/* Names from a fixed table, as a bit set. */
static int parse_names(struct json_object *arr, const char *what, const char *const *names,
                       size_t n_names, uint32_t *ret, struct vgl_error *err)
{
        uint32_t bits = 0;
        for (size_t i = 0; i < json_object_array_length(arr); i++) {
                struct json_object *v = json_object_array_get_idx(arr, i);
                char q[QUAL_MAX + 40];
                snprintf(q, sizeof(q), "field \"%s[%zu]\"", what, i);
                int r = check_text(v, q, 32, err);
                if (r < 0)
                        return r;
                size_t k = 0;
                while (k < n_names &&
                       !(names[k] && strcmp(names[k], json_object_get_string(v)) == 0))
                        k++;
                if (k == n_names)
                        return vgl_error_set(err, EINVAL, "%s: unknown value \"%s\"", q,
                                             json_object_get_string(v));
                bits |= 1u << k;
        }
        *ret = bits;
        return 0;
}

enum str_check { STR_PATH_GLOB, STR_PROGRAM_GLOB, STR_TEXT };

static int parse_strs(struct json_object *arr, const char *what, enum str_check check,
                      struct rules_strs *ret, struct vgl_error *err)
{
        size_t n = json_object_array_length(arr);
        ret->v = calloc(n, sizeof(char *));
        if (!ret->v)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(arr, i);
                char q[QUAL_MAX + 40];
                snprintf(q, sizeof(q), "field \"%s[%zu]\"", what, i);
                int r = check_text(v, q, VGL_RULES_PATTERN_MAX, err);
                if (r < 0)
                        return r;
                const char *s = json_object_get_string(v);
                const char *why =
                        check == STR_TEXT ? NULL : glob_problem(s, check == STR_PATH_GLOB);
                if (why)
                        return vgl_error_set(err, EINVAL, "%s: glob \"%s\" %s", q, s, why);
                ret->v[i] = strdup(s);
                if (!ret->v[i])
                        return vgl_error_set(err, ENOMEM, "out of memory");
                ret->n = i + 1;
        }
        return 0;
}

static int parse_u64s(struct json_object *arr, const char *what, uint64_t max,
                      struct rules_u64s *ret, struct vgl_error *err)
{
        size_t n = json_object_array_length(arr);
        ret->v = calloc(n, sizeof(uint64_t));
        if (!ret->v)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(arr, i);
                int64_t x = json_object_get_int64(v);
                if (!json_object_is_type(v, json_type_int) || x < 0 || (uint64_t)x > max ||
                    (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX))
                        return vgl_error_set(err, EINVAL,
                                             "field \"%s[%zu]\": expected an integer in [0, %llu]",
                                             what, i, (unsigned long long)max);
                ret->v[i] = (uint64_t)x;
        }
        ret->n = n;
        return 0;
}

static int parse_cidrs(struct json_object *arr, const char *what, struct rules_cond *c,
                       struct vgl_error *err)
{
        size_t n = json_object_array_length(arr);
        c->cidrs = calloc(n, sizeof(*c->cidrs));
        if (!c->cidrs)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                struct json_object *v = json_object_array_get_idx(arr, i);
                char q[QUAL_MAX + 40];
                snprintf(q, sizeof(q), "field \"%s[%zu]\"", what, i);
                int r = check_text(v, q, INET6_ADDRSTRLEN + 4, err);
                if (r < 0)
                        return r;
                r = parse_cidr(json_object_get_string(v), &c->cidrs[i]);
                if (r < 0)
                        return vgl_error_set(
                                err, EINVAL, "%s: bad CIDR \"%s\"%s", q, json_object_get_string(v),
                                r == -ERANGE ? " (host bits set beyond the prefix)" : "");
        }
        c->n_cidrs = n;
        return 0;
}

static int parse_ports(struct json_object *arr, const char *what, struct rules_cond *c,
                       struct vgl_error *err)
{
        size_t n = json_object_array_length(arr);
        c->ports = calloc(n, sizeof(*c->ports));
        if (!c->ports)
                return vgl_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                char q[QUAL_MAX + 40];
                snprintf(q, sizeof(q), "field \"%s[%zu]\"", what, i);
                int r = parse_port(json_object_array_get_idx(arr, i), q, &c->ports[i], err);
                if (r < 0)
                        return r;
        }
        c->n_ports = n;
        return 0;
}

/* One condition list field of a known kind. */
static int parse_field(struct json_object *arr, unsigned bit, const char *what,
                       struct rules_cond *c, struct vgl_error *err)
{
        switch (bit) {
        case F_VERDICT:
                return parse_names(arr, what, verdict_names, ELEMENTSOF(verdict_names),
                                   &c->verdicts, err);
        case F_OP:
                return c->kind == VGL_REC_FILE
                               ? parse_names(arr, what, file_op_names, ELEMENTSOF(file_op_names),
                                             &c->ops, err)
                               : parse_names(arr, what, net_op_names, ELEMENTSOF(net_op_names),
                                             &c->ops, err);
        case F_PATH:
                return parse_strs(arr, what, STR_PATH_GLOB, &c->paths, err);
        case F_PATH_NOT:
                return parse_strs(arr, what, STR_PATH_GLOB, &c->paths_not, err);
        case F_PROGRAM:
                return parse_strs(arr, what, STR_PROGRAM_GLOB, &c->programs, err);
        case F_ARGV:
                return parse_strs(arr, what, STR_TEXT, &c->argv, err);
        case F_ADDRESS:
                return parse_cidrs(arr, what, c, err);
        case F_PORT:
                return parse_ports(arr, what, c, err);
        case F_PRIVILEGE:
                return parse_names(arr, what, priv_names, ELEMENTSOF(priv_names), &c->privs, err);
        case F_SYSCALL:
                return parse_u64s(arr, what, 4095, &c->syscalls, err);
        case F_ARG0_IN:
                return parse_u64s(arr, what, INT64_MAX, &c->arg0_in, err);
        default:
                return parse_u64s(arr, what, INT64_MAX, &c->arg0_not_in, err);
        }
}

static int parse_kind(struct json_object *o, const char *where, struct rules_cond *c,
                      unsigned *ret_fields, struct vgl_error *err)
{
        struct json_object *v = NULL;
        char q[QUAL_MAX];
        int r = get(o, "kind", where, true, json_type_string, &v, err);
        if (r < 0)
                return r;
        qual(q, where, "kind");
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                if (strcmp(kinds[i].name, json_object_get_string(v)) == 0) {
                        c->kind = kinds[i].type;
                        *ret_fields = kinds[i].fields;
                        return 0;
                }
        return vgl_error_set(err, EINVAL,
                             "field \"%s\": unknown kind \"%.32s\" (syscall, net, file, exec, "
                             "privilege)",
                             q, json_object_get_string(v));
}

/* A condition object ("match", or one step of a sequence). */
static int parse_cond(struct json_object *o, const char *where, struct rules_cond *c,
                      struct vgl_error *err)
{
        unsigned allowed = 0;
        int r = parse_kind(o, where, c, &allowed, err);
        if (r < 0)
                return r;
        json_object_object_foreach(o, key, val)
        {
                char q[QUAL_MAX];
                size_t i = 0;
                qual(q, where, key);
                while (i < ELEMENTSOF(cond_fields) && strcmp(cond_fields[i].name, key) != 0)
                        i++;
                if (i == ELEMENTSOF(cond_fields))
                        return vgl_error_set(err, EINVAL, "unknown field \"%s\"", q);
                unsigned bit = cond_fields[i].bit;
                if (bit == 0)
                        continue; /* kind */
                if (!(allowed & bit))
                        return vgl_error_set(err, EINVAL,
                                             "field \"%s\" does not apply to kind \"%s\"", q,
                                             vgl_bhv_kind_name(c->kind));
                if (!json_object_is_type(val, json_type_array) ||
                    json_object_array_length(val) == 0 ||
                    json_object_array_length(val) > VGL_RULES_LIST_MAX)
                        return vgl_error_set(err, EINVAL,
                                             "field \"%s\": expected an array of 1 to %u entries",
                                             q, VGL_RULES_LIST_MAX);
                r = parse_field(val, bit, q, c, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_sequence(struct json_object *s, struct rules_rule *rule, struct vgl_error *err)
{
        struct json_object *steps = NULL;
        int r = check_keys(s, seq_keys, "sequence", err);
        if (r >= 0)
                r = get(s, "steps", "sequence", true, json_type_array, &steps, err);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(steps);
        if (n < 2 || n > VGL_RULES_STEPS_MAX)
                return vgl_error_set(err, EINVAL,
                                     "field \"sequence.steps\": expected 2 to %u steps",
                                     VGL_RULES_STEPS_MAX);
        for (size_t i = 0; i < n; i++) {
                char where[QUAL_MAX];
                struct json_object *step = json_object_array_get_idx(steps, i);
                snprintf(where, sizeof(where), "sequence.steps[%zu]", i);
                if (!json_object_is_type(step, json_type_object))
                        return vgl_error_set(err, EINVAL, "field \"%s\": expected an object",
                                             where);
                rule->n_steps = i + 1; /* so that a failure frees what this step holds */
                r = parse_cond(step, where, &rule->steps[i], err);
                if (r < 0)
                        return r;
        }
        uint64_t within = 0;
        struct vgl_error e = {0};
        rule->ordered = true;
        if (vgl_json_get_u64(s, "within_s", true, VGL_RULES_WITHIN_MAX_S, &within, &e) < 0 ||
            vgl_json_get_bool(s, "same_command", false, &rule->same_command, &e) < 0 ||
            vgl_json_get_bool(s, "ordered", false, &rule->ordered, &e) < 0)
                return vgl_error_set(err, EINVAL, "sequence: %s", e.msg);
        if (within == 0)
                return vgl_error_set(err, EINVAL, "field \"sequence.within_s\": must be >= 1");
        rule->within_ms = within * 1000u;
        return 0;
}

/* name, tag, severity, description. */
static int parse_labels(struct json_object *o, struct rules_rule *rule, struct vgl_error *err)
{
        static const struct {
                const char *key;
                size_t off, size;
        } labels[] = {
                {"name", offsetof(struct rules_rule, name), VGL_RULE_NAME_MAX},
                {"tag", offsetof(struct rules_rule, tag), VGL_RULE_TAG_MAX},
                {"description", offsetof(struct rules_rule, description), VGL_RULE_DESCRIPTION_MAX},
        };
        for (size_t i = 0; i < ELEMENTSOF(labels); i++) {
                struct json_object *v = NULL;
                char what[32];
                snprintf(what, sizeof(what), "field \"%s\"", labels[i].key);
                int r = get(o, labels[i].key, "", true, json_type_string, &v, err);
                if (r >= 0)
                        r = check_text(v, what, labels[i].size - 1, err);
                if (r < 0)
                        return r;
                snprintf((char *)rule + labels[i].off, labels[i].size, "%s",
                         json_object_get_string(v));
        }
        int r = check_ident(rule->name, "-_.", "field \"name\"", err);
        if (r >= 0)
                r = check_ident(rule->tag, "_", "field \"tag\"", err);
        if (r < 0)
                return r;
        struct json_object *v = NULL;
        r = get(o, "severity", "", true, json_type_string, &v, err);
        if (r >= 0 && vgl_severity_from_name(json_object_get_string(v), &rule->severity) < 0)
                r = vgl_error_set(err, EINVAL,
                                  "field \"severity\": unknown value \"%.32s\" (low, medium, "
                                  "high, critical)",
                                  json_object_get_string(v));
        return r < 0 ? r : 0;
}

static int parse_rule(struct json_object *o, struct rules_rule *rule, struct vgl_error *err)
{
        struct json_object *m = NULL, *s = NULL;
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "expected an object");
        int r = check_keys(o, rule_keys, "", err);
        if (r >= 0)
                r = parse_labels(o, rule, err);
        if (r >= 0)
                r = get(o, "match", "", false, json_type_object, &m, err);
        if (r >= 0)
                r = get(o, "sequence", "", false, json_type_object, &s, err);
        if (r < 0)
                return r;
        if (!m == !s)
                return vgl_error_set(err, EINVAL, "exactly one of \"match\" and \"sequence\"");
        if (s)
                return parse_sequence(s, rule, err);
        rule->n_steps = 1;
        return parse_cond(m, "match", &rule->steps[0], err);
}

static void rule_clear(struct rules_rule *rule)
{
        for (size_t i = 0; i < rule->n_steps; i++)
                vgl_rules_cond_clear(&rule->steps[i]);
        rule->n_steps = 0;
}

static int parse_json(const char *path, const char *text, size_t len, struct json_object **ret,
                      struct vgl_error *err)
{
        _cleanup_(json_tokener_freep) struct json_tokener *tok =
                json_tokener_new_ex(JSON_MAX_DEPTH);
        if (!tok)
                return vgl_error_set(err, ENOMEM, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                            JSON_TOKENER_VALIDATE_UTF8);
        _cleanup_json_ struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        if (e != json_tokener_success || !o)
                return vgl_error_set(err, EINVAL, "%s: invalid JSON at byte %zu: %s", path,
                                     json_tokener_get_parse_end(tok),
                                     e == json_tokener_continue ? "truncated"
                                                                : json_tokener_error_desc(e));
        size_t end = json_tokener_get_parse_end(tok);
        while (end < len && strchr(" \t\r\n", text[end]))
                end++;
        if (end != len)
                return vgl_error_set(err, EINVAL, "%s: bytes after the JSON object at byte %zu",
                                     path, end);
        if (!json_object_is_type(o, json_type_object))
                return vgl_error_set(err, EINVAL, "%s: expected a JSON object {\"rules\": [...]}",
                                     path);
        *ret = TAKE_PTR(o);
        return 0;
}

static const char *find_file_of(const struct vgl_rules *rs, const char *name)
{
        for (size_t i = 0; i < rs->n_rules; i++)
                if (strcmp(rs->rules[i].name, name) == 0)
                        return rs->rules[i].file;
        return NULL;
}

/* Parses rules[i] into the set's next slot. */
static int add_rule(struct vgl_rules *rs, const char *path, struct json_object *o, size_t i,
                    struct vgl_error *err)
{
        struct rules_rule *rule = &rs->rules[rs->n_rules];
        struct vgl_error e = {0};
        char label[VGL_RULE_NAME_MAX + 8] = "";
        struct json_object *name = NULL;
        /* Errors name the rule as soon as it has a usable name. */
        if (json_object_is_type(o, json_type_object) &&
            json_object_object_get_ex(o, "name", &name) &&
            json_object_is_type(name, json_type_string) && json_object_get_string_len(name) > 0 &&
            json_object_get_string_len(name) < (int)VGL_RULE_NAME_MAX &&
            check_ident(json_object_get_string(name), "-_.", "", NULL) == 0)
                snprintf(label, sizeof(label), " \"%s\"", json_object_get_string(name));
        memset(rule, 0, sizeof(*rule));
        int r = parse_rule(o, rule, &e);
        if (r >= 0 && find_file_of(rs, rule->name))
                r = vgl_error_set(&e, EINVAL, "name already used in %s",
                                  find_file_of(rs, rule->name));
        if (r >= 0 && rule->n_steps > 1 && rs->n_seq >= VGL_RULES_SEQ_MAX)
                r = vgl_error_set(&e, E2BIG, "more than %u sequence rules", VGL_RULES_SEQ_MAX);
        if (r < 0) {
                rule_clear(rule);
                return vgl_error_set(err, -r, "%s: rules[%zu]%s: %s", path, i, label, e.msg);
        }
        rule->file = rs->files[rs->n_files - 1];
        if (rule->n_steps > 1)
                rule->seq_slot = (unsigned)rs->n_seq++;
        rs->n_rules++;
        return 0;
}

int vgl_rules_add_text(struct vgl_rules *rs, const char *path, const char *text, size_t len,
                       struct vgl_error *err)
{
        _cleanup_json_ struct json_object *o = NULL;
        struct json_object *arr = NULL;
        struct vgl_error e = {0};
        int r = parse_json(path, text, len, &o, err);
        if (r < 0)
                return r;
        if (check_keys(o, (const char *const[]){"rules", NULL}, "", &e) < 0 ||
            get(o, "rules", "", true, json_type_array, &arr, &e) < 0)
                return vgl_error_set(err, EINVAL, "%s: %s", path, e.msg);
        size_t n = json_object_array_length(arr);
        if (rs->n_rules + n > VGL_RULES_MAX)
                return vgl_error_set(err, E2BIG, "%s: more than %u rules in the set", path,
                                     VGL_RULES_MAX);
        char **files = reallocarray(rs->files, rs->n_files + 1, sizeof(char *));
        if (!files)
                return vgl_error_set(err, ENOMEM, "out of memory");
        rs->files = files;
        if (!(rs->files[rs->n_files] = strdup(path)))
                return vgl_error_set(err, ENOMEM, "out of memory");
        rs->n_files++;
        struct rules_rule *rules = reallocarray(rs->rules, rs->n_rules + n + 1, sizeof(*rules));
        if (!rules)
                return vgl_error_set(err, ENOMEM, "out of memory");
        rs->rules = rules;
        for (size_t i = 0; i < n; i++) {
                r = add_rule(rs, path, json_object_array_get_idx(arr, i), i, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
