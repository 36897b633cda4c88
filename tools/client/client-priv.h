/* Internals of libvigil-client shared by its files (and its tests). */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "varlink-client.h"
#include "vigil-client.h"

struct vgl_client {
        struct vgl_varlink_client *vl;
        char *error_name; /* last varlink error reply, or NULL */
        struct json_object *error_params;
        bool streaming; /* a `more` call's replies are still coming */
        bool broken;    /* a stream was abandoned: no more calls */
};

/* Forgets the last error reply; every public call starts with it. */
void vgl_client_forget_error(struct vgl_client *c);

/* Checks that c can start a call: -EBUSY while a stream runs, -ENOTCONN
 * after one was abandoned. Also forgets the last error. */
int vgl_client_begin(struct vgl_client *c, struct vgl_error *err);

/* Records an error reply in c and turns it into the project convention:
 * returns the mapped negative errno, with *err in words ("no such sandbox:
 * abc"). Takes the reply's members (rep is left zeroed). */
int vgl_client_take_error(struct vgl_client *c, struct vgl_varlink_reply *rep,
                          struct vgl_error *err);

/* Calls io.vigil.Manager.<member> and returns the reply's parameters (an
 * owned reference) in *ret; an error reply is mapped as above. */
int vgl_client_call_method(struct vgl_client *c, const char *member, struct json_object *params,
                           struct json_object **ret, struct vgl_error *err);

/* Sends io.vigil.Manager.<member> with "more"; read with
 * vgl_client_receive_more. */
int vgl_client_send_more(struct vgl_client *c, const char *member, struct json_object *params,
                         struct vgl_error *err);

/* Receives the next reply of the running stream: 1 with its parameters in
 * *ret (owned) and *ret_continues, 0 when the stream has already ended. An
 * error reply ends the stream and is mapped. */
int vgl_client_receive_more(struct vgl_client *c, struct json_object **ret, bool *ret_continues,
                            struct vgl_error *err);

/* Gives up on a running stream: the connection is closed, later calls fail
 * with -ENOTCONN. */
void vgl_client_abandon(struct vgl_client *c);

/* ---- JSON field access (client-json.c) ---- */

/* Looks up key in o, checking its type. Returns 1 with a borrowed *ret if
 * present; 0 if absent or null and optional; -EBADMSG naming what.key if
 * required and absent or of the wrong type. json_type_double also accepts
 * an integer. */
int vgl_json_field(struct json_object *o, const char *what, const char *key, json_type type,
                   bool optional, struct json_object **ret, struct vgl_error *err);

/* Adds key: string/int to o unless value is NULL / negative. -ENOMEM. */
int vgl_json_add_string(struct json_object *o, const char *key, const char *value);
int vgl_json_add_int(struct json_object *o, const char *key, int64_t value);

/* Adds key: d, written in the shortest form that reads back as d ("0.3",
 * not "0.29999999999999999"). -ENOMEM. */
int vgl_json_add_double(struct json_object *o, const char *key, double d);

/* Adds key: base64 of data[0..len). -ENOMEM. */
int vgl_json_add_b64(struct json_object *o, const char *key, const void *data, size_t len);

/* Decodes the base64 string field key of o into a new buffer (see
 * vgl_base64_decode). 0 and *ret NULL if absent and optional. */
int vgl_json_get_b64(struct json_object *o, const char *what, const char *key, bool optional,
                     uint8_t **ret, size_t *ret_len, struct vgl_error *err);
