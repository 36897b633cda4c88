/* An addition to libvigil-client for vigil-farm: the connection's socket,
 * so that another thread can shutdown(2) it to cut a blocking call short
 * (Ctrl-C while a Reserve waits for a boot). The caller owns nothing:
 * dup(2) the fd to keep using it after the client may have closed it. */
#pragma once

#include "vigil-client.h"

/* The socket of c, or -ENOTCONN when c has no open connection. */
int vgl_client_fd(const struct vgl_client *c);
