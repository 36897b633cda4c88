/* Matching paths and endpoints against a permission set. */
#include <fnmatch.h>
#include <string.h>

#include "proto-policy.h"

bool vgl_path_has_prefix(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);
        if (n == 1 && prefix[0] == '/')
                return path[0] == '/';
        return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool any_prefix(const char (*list)[VGL_POLICY_PATH_LEN + 1], uint32_t n, const char *path)
{
        for (uint32_t i = 0; i < n; i++)
                if (vgl_path_has_prefix(path, list[i]))
                        return true;
        return false;
}

bool vgl_policy_writable(const struct vgl_policy *p, const char *path)
{
        return p->writable_any || any_prefix(p->writable, p->n_writable, path);
}

bool vgl_policy_exec_allowed(const struct vgl_policy *p, const char *path)
{
        return p->n_exec == 0 || any_prefix(p->exec, p->n_exec, path);
}

static bool sensitive_match(const char *pattern, const char *path)
{
        size_t n = strlen(pattern);
        if (n > 1 && pattern[n - 1] == '/')
                return strncmp(path, pattern, n - 1) == 0 &&
                       (path[n - 1] == '\0' || path[n - 1] == '/');
        return fnmatch(pattern, path, 0) == 0;
}

const struct vgl_sensitive *vgl_policy_sensitive(const struct vgl_policy *p, const char *path)
{
        for (uint32_t i = 0; i < p->n_sensitive; i++)
                if (sensitive_match(p->sensitive[i].pattern, path))
                        return &p->sensitive[i];
        return NULL;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
        unsigned full = prefix / 8, rest = prefix % 8;
        if (memcmp(a, net, full) != 0)
                return false;
        if (!rest)
                return true;
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        return (a[full] & mask) == (net[full] & mask);
}

bool vgl_policy_egress_allowed(const struct vgl_policy *p, int family, const uint8_t *addr,
                               uint16_t port)
{
        if (p->egress_any)
                return true;
        for (uint32_t i = 0; i < p->n_egress; i++) {
                const struct vgl_net_rule *r = &p->egress[i];
                if (r->family == family && port >= r->port_lo && port <= r->port_hi &&
                    prefix_match(addr, r->addr, r->prefix))
                        return true;
        }
        return false;
}
