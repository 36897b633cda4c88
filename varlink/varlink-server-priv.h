/* Internals shared by the server's files (varlink-server.c: listening and
 * accepting; varlink-connection.c: one client's I/O and lifecycle;
 * varlink-call.c: dispatch and replies; varlink-service.c: the built-in
 * org.varlink.service interface). Exposed to the unit tests too. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "varlink-reader.h"
#include "varlink-server.h"

/* Calls dispatched per wake-up of one client, so that a client pipelining
 * many cheap calls cannot starve the others. */
#define VGL_VARLINK_DISPATCH_BUDGET 64
/* Bytes read per wake-up of one client, for the same reason. */
#define VGL_VARLINK_READ_BUDGET ((size_t)256 << 10)
#define VGL_VARLINK_READ_CHUNK  ((size_t)64 << 10)
/* Connections accepted per wake-up of the listening socket. */
#define VGL_VARLINK_ACCEPT_BUDGET 32

#define VGL_VARLINK_MAX_OUTPUT_DEFAULT  ((size_t)16 << 20)
#define VGL_VARLINK_MAX_CLIENTS_DEFAULT 256u

struct vgl_varlink_iface_entry {
        const struct vgl_varlink_interface *iface;
        void *userdata;
};

struct vgl_varlink_conn;

struct vgl_varlink_server {
        char *vendor, *product, *version, *url;
        size_t max_message, max_output;
        unsigned max_clients;
        vgl_varlink_drop_fn on_drop;
        void *userdata;

        struct vgl_varlink_iface_entry *ifaces; /* [0] is org.varlink.service */
        size_t n_ifaces;

        int listen_fd;
        int listen_watch;  /* libvirt handle, -1 when none */
        int retry_timer;   /* re-enables accepting after EMFILE & co */
        char *socket_path; /* the file we created, removed at free */

        struct vgl_varlink_conn *conns; /* doubly linked */
        unsigned n_conns;

        _Atomic unsigned stat_clients;
        _Atomic uint64_t stat_accepted, stat_rejected, stat_dropped_protocol, stat_dropped_output,
                stat_calls;
};

struct vgl_varlink_conn {
        unsigned n_ref;                    /* the libvirt handle holds one; each call holds one */
        struct vgl_varlink_server *server; /* NULL once closed */
        struct vgl_varlink_conn *prev, *next;

        int fd;
        int watch; /* libvirt handle */
        int watch_events;
        int kick_timer; /* runs deferred work: next call, flush, cut-off */
        struct vgl_varlink_peer peer;

        struct vgl_varlink_reader in;
        struct vgl_buf out;
        size_t out_sent; /* bytes at the front of out already written */

        struct vgl_varlink_call *active; /* the call being answered, or NULL */
        bool read_eof;                   /* the peer will send nothing more */
        bool dispatching;                /* inside process(): replies need no kick */
        int doomed;                      /* < 0: cut off with this error at the next run */
        bool dead;
};

struct vgl_varlink_call {
        unsigned n_ref;
        struct vgl_varlink_conn *conn; /* referenced */
        struct vgl_varlink_request req;
        vgl_varlink_cancel_fn cancel;
        void *cancel_userdata;
        bool done;      /* final reply queued (or oneway handler returned) */
        bool cancelled; /* the client went away first */
};

/* varlink-connection.c */
int vgl_varlink_conn_new(struct vgl_varlink_server *s, int fd, const struct vgl_varlink_peer *peer);
void vgl_varlink_conn_close(struct vgl_varlink_conn *c, int error, const char *why);
struct vgl_varlink_conn *vgl_varlink_conn_ref(struct vgl_varlink_conn *c);
void vgl_varlink_conn_unref(struct vgl_varlink_conn *c);
/* Schedules a run of the client's deferred work on the loop. */
void vgl_varlink_conn_kick(struct vgl_varlink_conn *c);
/* Cuts the client off with error at its next run (never re-entrantly). */
void vgl_varlink_conn_doom(struct vgl_varlink_conn *c, int error);
/* Queues one encoded message (text + NUL) for sending. Past max_output the
 * connection is doomed (-ENOBUFS) and cut off from the loop. */
int vgl_varlink_conn_queue(struct vgl_varlink_conn *c, const char *error,
                           struct json_object *parameters, bool continues);

/* varlink-call.c */
void vgl_varlink_call_dispatch(struct vgl_varlink_conn *c, struct vgl_varlink_request *req);
/* Marks the active call cancelled, runs its cancel callback, drops it. */
void vgl_varlink_call_cancel(struct vgl_varlink_call *call);

/* varlink-service.c */
extern const struct vgl_varlink_interface vgl_varlink_service_interface;
/* Finds an interface by name (len bytes); NULL if not served. */
const struct vgl_varlink_iface_entry *vgl_varlink_server_find(const struct vgl_varlink_server *s,
                                                              const char *name, size_t len);
