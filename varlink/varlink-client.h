/* A small blocking varlink client (no libvirt; tools/ link it).
 *
 * One connection, one thread. Send calls with vgl_varlink_client_send and
 * read replies in order with vgl_varlink_client_receive; for a `more` call
 * keep receiving until a reply has continues == false. vgl_varlink_client_call
 * does both for a plain call. Error replies are ordinary replies with
 * reply->error set; transport and protocol failures are negative returns.
 * Replies from the server are bounded (max message, default 16 MiB) and
 * validated like any outside input. */
#pragma once

#include <stddef.h>

#include <json-c/json.h>

#include "error.h"
#include "varlink-codec.h"

struct vgl_varlink_client;

/* Default cap on one reply received. */
#define VGL_VARLINK_CLIENT_MAX_MESSAGE ((size_t)16 << 20)

/* Connects to the Unix socket at path. Caller frees with
 * vgl_varlink_client_free. Errors from socket/connect (-ENOENT,
 * -ECONNREFUSED, -EACCES, ...) with *err naming the path. */
int vgl_varlink_client_connect(const char *path, struct vgl_varlink_client **ret,
                               struct vgl_error *err);

/* Closes the connection and frees c. Accepts NULL; returns NULL. */
struct vgl_varlink_client *vgl_varlink_client_free(struct vgl_varlink_client *c);

/* Sets the limit for each later send or receive, in milliseconds; a
 * negative value (the default) waits forever. */
void vgl_varlink_client_set_timeout(struct vgl_varlink_client *c, int timeout_ms);

/* Sets the cap on one reply (0: the default). Call before receiving. */
void vgl_varlink_client_set_max_message(struct vgl_varlink_client *c, size_t max_message);

/* The socket, e.g. to poll it next to other fds. Still owned by c. */
int vgl_varlink_client_fd(const struct vgl_varlink_client *c);

/* Sends one call: method "interface.Method", parameters borrowed (NULL:
 * none), flags VGL_VARLINK_CALL_*. -EINVAL for a bad name or flags,
 * -ETIMEDOUT, -EPIPE/-ECONNRESET when the server is gone. */
int vgl_varlink_client_send(struct vgl_varlink_client *c, const char *method,
                            struct json_object *parameters, unsigned flags, struct vgl_error *err);

/* Receives the next reply into *ret (free with vgl_varlink_reply_done).
 * -ECONNRESET when the server closed the connection, -ETIMEDOUT,
 * -EBADMSG for a malformed reply, -EMSGSIZE for one over the cap. */
int vgl_varlink_client_receive(struct vgl_varlink_client *c, struct vgl_varlink_reply *ret,
                               struct vgl_error *err);

/* Sends a plain call and receives its reply (an error reply is a success
 * with ret->error set). */
int vgl_varlink_client_call(struct vgl_varlink_client *c, const char *method,
                            struct json_object *parameters, struct vgl_varlink_reply *ret,
                            struct vgl_error *err);

static inline void vgl_varlink_client_freep(struct vgl_varlink_client **c)
{
        vgl_varlink_client_free(*c);
}
#define _cleanup_varlink_client_ __attribute__((cleanup(vgl_varlink_client_freep)))
