#include <errno.h>
#include <string.h>

#include "policy.h"

static const char *const posture_names[] = {
        [VGL_POSTURE_LOW] = "low",
        [VGL_POSTURE_MEDIUM] = "medium",
        [VGL_POSTURE_HIGH] = "high",
        [VGL_POSTURE_PARANOID] = "paranoid",
};

static const char *const network_names[] = {
        [VGL_NET_OPEN] = "open",
        [VGL_NET_ALLOWLIST] = "allowlist",
        [VGL_NET_DECLARED] = "declared",
        [VGL_NET_NONE] = "none",
};

static int name_index(const char *const *names, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (name && strcmp(names[i], name) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *vgl_posture_name(enum vgl_posture p)
{
        return (unsigned)p < 4 ? posture_names[p] : "unknown";
}

int vgl_posture_from_name(const char *name, enum vgl_posture *ret)
{
        int i = name_index(posture_names, 4, name);
        if (i < 0)
                return i;
        *ret = (enum vgl_posture)i;
        return 0;
}

const char *vgl_network_mode_name(enum vgl_network_mode m)
{
        return (unsigned)m < 4 ? network_names[m] : "unknown";
}

int vgl_network_mode_from_name(const char *name, enum vgl_network_mode *ret)
{
        int i = name_index(network_names, 4, name);
        if (i < 0)
                return i;
        *ret = (enum vgl_network_mode)i;
        return 0;
}
