/* A varlink server on a Unix socket, driven by libvirt's event loop.
 *
 * The server registers its fds with virEventAddHandle and friends, so the
 * process must have registered an event implementation (vigild runs
 * libvirt's default loop as its main loop). Every function here, and every
 * handler and cancel callback, runs on the thread that runs that loop; the
 * only exception is setting a server up (new, add_interface, listen) before
 * any client can connect.
 *
 * Calls on one connection are handled one at a time, in arrival order: the
 * next call is dispatched when the previous one has sent its final reply
 * (or, for a oneway call, when its handler returned). Clients may pipeline;
 * the waiting calls stay unparsed in the connection's input buffer (at most
 * max_message + 1 bytes; when it is full the server stops reading from that
 * client until the current call completes). Concurrency comes from more
 * connections, as varlink intends.
 *
 * Bytes from clients are hostile. Malformed JSON, a non-object, a bad call
 * envelope, or a message over max_message closes that client; so does
 * queueing more than max_output bytes of replies that the client does not
 * read. Nothing is logged: on_drop and the stats say what happened. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "error.h"
#include "varlink-codec.h"

struct vgl_varlink_server;
struct vgl_varlink_call;

/* The client's identity, from SO_PEERCRED at accept time. */
struct vgl_varlink_peer {
        uid_t uid;
        gid_t gid;
        pid_t pid;
};

/* A method handler. It must answer the call, now or later, exactly once
 * with vgl_varlink_call_reply or vgl_varlink_call_error (a `more` call may
 * send vgl_varlink_call_notify replies before that). To answer after
 * returning, it takes a reference (vgl_varlink_call_ref) and returns 0.
 * Returning a negative errno without having replied makes the server send
 * VGL_VARLINK_ERROR_SYSTEM {"errno": N}. parameters is borrowed for the
 * duration of the call (take a json_object_get reference to keep it). */
typedef int (*vgl_varlink_method_fn)(struct vgl_varlink_call *call, struct json_object *parameters,
                                     void *userdata);

/* Called once when a call that has not finished can no longer be answered:
 * its client went away or was cut off, or the server is being freed. */
typedef void (*vgl_varlink_cancel_fn)(struct vgl_varlink_call *call, void *userdata);

/* Called when the server cuts a client off (not for ordinary disconnects).
 * error: -EBADMSG (malformed message), -EMSGSIZE (message over the cap),
 * -ENOBUFS (unread replies over the cap), -EUSERS (too many clients), or
 * the I/O error. why: a short text for a log line. */
typedef void (*vgl_varlink_drop_fn)(void *userdata, const struct vgl_varlink_peer *peer, int error,
                                    const char *why);

struct vgl_varlink_method {
        const char *name;         /* member name, e.g. "Reserve" */
        vgl_varlink_method_fn fn; /* NULL: declared but not implemented */
};

struct vgl_varlink_interface {
        const char *name;                         /* e.g. "io.vigil.Manager" */
        const char *description;                  /* the interface definition text (varlink IDL) */
        const struct vgl_varlink_method *methods; /* ends with { NULL, NULL } */
};

struct vgl_varlink_server_config {
        const char *vendor, *product, *version, *url; /* for GetInfo; NULL = "" */
        size_t max_message;          /* bytes per message; 0 = VGL_VARLINK_MAX_MESSAGE_DEFAULT */
        size_t max_output;           /* unsent reply bytes per client; 0 = 16 MiB */
        unsigned max_clients;        /* connections at once; 0 = 256 */
        vgl_varlink_drop_fn on_drop; /* may be NULL */
        void *userdata;              /* for on_drop */
};

struct vgl_varlink_server_stats {
        unsigned clients;          /* connected now */
        uint64_t accepted;         /* connections accepted and served */
        uint64_t rejected;         /* connections refused: too many clients */
        uint64_t dropped_protocol; /* cut off for a malformed or oversized message */
        uint64_t dropped_output;   /* cut off for not reading replies */
        uint64_t calls;            /* calls dispatched */
};

/* Creates a server. The config is copied. Caller frees with
 * vgl_varlink_server_free. -ENOMEM. */
int vgl_varlink_server_new(const struct vgl_varlink_server_config *config,
                           struct vgl_varlink_server **ret, struct vgl_error *err);

/* Frees the server: stops listening, removes the socket file it created,
 * closes every client (cancel callbacks of unfinished calls run now).
 * Calls still referenced by handlers stay valid; answering them returns
 * -ECONNRESET. Accepts NULL; returns NULL. */
struct vgl_varlink_server *vgl_varlink_server_free(struct vgl_varlink_server *s);

/* Adds an interface; iface (and its strings) must outlive the server.
 * userdata is passed to its handlers. -EEXIST for a name already added,
 * -EINVAL for an invalid interface or method name. */
int vgl_varlink_server_add_interface(struct vgl_varlink_server *s,
                                     const struct vgl_varlink_interface *iface, void *userdata,
                                     struct vgl_error *err);

/* Listens on a Unix socket at path: creates missing parent directories
 * (0755), replaces a stale socket file (one nobody listens on), sets the
 * socket's mode (0 = 0660). -EADDRINUSE if a server already answers
 * there, -EEXIST if path is something other than a socket, -EBUSY if this
 * server already listens; other errnos from the system calls. */
int vgl_varlink_server_listen(struct vgl_varlink_server *s, const char *path, mode_t mode,
                              struct vgl_error *err);

/* Serves on an already listening stream socket (socket activation, tests);
 * takes ownership of fd, even on failure. */
int vgl_varlink_server_listen_fd(struct vgl_varlink_server *s, int fd, struct vgl_error *err);

/* Copies the counters into *ret. Safe from any thread. */
void vgl_varlink_server_get_stats(struct vgl_varlink_server *s,
                                  struct vgl_varlink_server_stats *ret);

/* Answers the call with its final reply. parameters is borrowed; NULL
 * sends {}. Returns 0; -EALREADY if already answered; -ECONNRESET if the
 * client is gone; -ENOBUFS if the client's unsent output went over the
 * cap (the client is being cut off); -ENOMEM. A oneway call's reply is
 * dropped (returns 0). */
int vgl_varlink_call_reply(struct vgl_varlink_call *call, struct json_object *parameters);

/* Sends one reply with "continues": true to a call made with `more`; the
 * call stays open. -EINVAL if the call was not made with `more`; other
 * errors as vgl_varlink_call_reply. */
int vgl_varlink_call_notify(struct vgl_varlink_call *call, struct json_object *parameters);

/* Answers the call with an error reply: error is a qualified name such as
 * "io.vigil.Manager.NoSuchSandbox", parameters borrowed (NULL sends {}).
 * -EINVAL for an invalid name; other errors as vgl_varlink_call_reply. */
int vgl_varlink_call_error(struct vgl_varlink_call *call, const char *error,
                           struct json_object *parameters);

/* Answers with org.varlink.service.InvalidParameter {"parameter": name}. */
int vgl_varlink_call_error_invalid_parameter(struct vgl_varlink_call *call, const char *name);

/* Takes a reference, to answer the call after the handler returned. */
struct vgl_varlink_call *vgl_varlink_call_ref(struct vgl_varlink_call *call);

/* Drops a reference. Dropping the last reference of an unanswered call
 * sends VGL_VARLINK_ERROR_SYSTEM {"errno": EIO} (a handler bug, but the
 * connection must not hang). Accepts NULL; returns NULL. */
struct vgl_varlink_call *vgl_varlink_call_unref(struct vgl_varlink_call *call);

/* Sets (or with fn NULL, clears) the cancel callback of a call. */
void vgl_varlink_call_set_cancel(struct vgl_varlink_call *call, vgl_varlink_cancel_fn fn,
                                 void *userdata);

/* The caller's identity (valid while the call is referenced). */
const struct vgl_varlink_peer *vgl_varlink_call_get_peer(const struct vgl_varlink_call *call);

/* The qualified method name ("io.vigil.Manager.Get"). */
const char *vgl_varlink_call_get_method(const struct vgl_varlink_call *call);

/* VGL_VARLINK_CALL_* flags the client set. */
unsigned vgl_varlink_call_get_flags(const struct vgl_varlink_call *call);

/* True once the call can no longer be answered (client gone). */
bool vgl_varlink_call_is_cancelled(const struct vgl_varlink_call *call);

static inline void vgl_varlink_server_freep(struct vgl_varlink_server **s)
{
        vgl_varlink_server_free(*s);
}
#define _cleanup_varlink_server_ __attribute__((cleanup(vgl_varlink_server_freep)))
