/* See client-farm.h. */
#include <errno.h>

#include "client-farm.h"
#include "client-priv.h"

int vgl_client_fd(const struct vgl_client *c)
{
        return c && c->vl && !c->broken ? vgl_varlink_client_fd(c->vl) : -ENOTCONN;
}
