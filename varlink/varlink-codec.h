/* The varlink message codec: parsing calls and replies, building them.
 *
 * A varlink message is one JSON object followed by a NUL byte on a stream
 * socket (framing: varlink-reader.h). Everything here treats the JSON text
 * as hostile: the parsers check every field's type, reject unknown fields
 * of a call, bound nesting depth and name lengths, and say precisely what
 * is wrong in *err. No I/O, no libvirt; used by the server, the client and
 * the fuzz harness. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "buf.h"
#include "error.h"

/* Default cap on one message (JSON text without the NUL terminator). */
#define VGL_VARLINK_MAX_MESSAGE_DEFAULT ((size_t)1 << 20)
/* Longest interface name, and longest member (method/error) name. */
#define VGL_VARLINK_MAX_NAME 255
/* Deepest JSON nesting a message may have. */
#define VGL_VARLINK_MAX_DEPTH 64

#define VGL_VARLINK_SERVICE "org.varlink.service"

/* The well-known errors of org.varlink.service. Their parameters:
 * InterfaceNotFound {interface}, MethodNotFound {method},
 * MethodNotImplemented {method}, InvalidParameter {parameter},
 * PermissionDenied {}, ExpectedMore {}. */
#define VGL_VARLINK_ERROR_INTERFACE_NOT_FOUND    "org.varlink.service.InterfaceNotFound"
#define VGL_VARLINK_ERROR_METHOD_NOT_FOUND       "org.varlink.service.MethodNotFound"
#define VGL_VARLINK_ERROR_METHOD_NOT_IMPLEMENTED "org.varlink.service.MethodNotImplemented"
#define VGL_VARLINK_ERROR_INVALID_PARAMETER      "org.varlink.service.InvalidParameter"
#define VGL_VARLINK_ERROR_PERMISSION_DENIED      "org.varlink.service.PermissionDenied"
#define VGL_VARLINK_ERROR_EXPECTED_MORE          "org.varlink.service.ExpectedMore"
/* Sent when a handler fails without replying: {"errno": N}. Not a varlink
 * standard error; vigil's own. */
#define VGL_VARLINK_ERROR_SYSTEM "io.vigil.System"

/* Flags of a call. */
#define VGL_VARLINK_CALL_ONEWAY  (1u << 0) /* no reply wanted */
#define VGL_VARLINK_CALL_MORE    (1u << 1) /* replies may carry "continues": true */
#define VGL_VARLINK_CALL_UPGRADE (1u << 2) /* the connection changes protocol after the reply */

/* A parsed call message. */
struct vgl_varlink_request {
        char *method;                   /* "interface.Method", validated */
        size_t interface_len;           /* method[0..interface_len) is the interface */
        struct json_object *parameters; /* always an object; empty when absent */
        unsigned flags;                 /* VGL_VARLINK_CALL_* */
};

/* A parsed reply message. */
struct vgl_varlink_reply {
        char *error;                    /* qualified error name, or NULL for a success reply */
        struct json_object *parameters; /* always an object; empty when absent */
        bool continues;
};

/* True if s[0..len) is a valid varlink interface name ("org.example.foo":
 * at least two dot-separated labels of letters, digits and inner dashes,
 * starting with a letter), at most VGL_VARLINK_MAX_NAME bytes. */
bool vgl_varlink_interface_name_valid(const char *s, size_t len);

/* True if s[0..len) is a valid member name: a capital letter followed by
 * letters and digits, at most VGL_VARLINK_MAX_NAME bytes. */
bool vgl_varlink_member_name_valid(const char *s, size_t len);

/* Checks a qualified name "interface.Member" (method or error). On success
 * returns the interface's length (the position of the last dot); otherwise
 * -EINVAL. */
int vgl_varlink_qualified_name_check(const char *s, size_t len);

/* Parses text[0..len) as exactly one JSON object (nothing but whitespace
 * after it; UTF-8 checked; depth <= VGL_VARLINK_MAX_DEPTH). On success the
 * caller owns *ret. -EBADMSG with *err saying why. */
int vgl_varlink_parse_object(const char *text, size_t len, struct json_object **ret,
                             struct vgl_error *err);

/* Parses one call message: {"method": "a.b.C", "parameters": {...}?,
 * "oneway": bool?, "more": bool?, "upgrade": bool?}. Unknown fields, wrong
 * types, an invalid method name and oneway together with more are errors.
 * "parameters": null counts as absent. On success the caller owns *ret (free
 * with vgl_varlink_request_done); on failure -EBADMSG, *ret untouched. */
int vgl_varlink_request_parse(const char *text, size_t len, struct vgl_varlink_request *ret,
                              struct vgl_error *err);

/* Frees the members of r and zeroes it. Accepts a zeroed r. */
void vgl_varlink_request_done(struct vgl_varlink_request *r);

/* Parses one reply message: {"parameters": {...}?, "continues": bool?,
 * "error": "a.b.Name"?}. Unknown fields are ignored (a client stays
 * compatible with newer servers). Caller owns *ret on success (free with
 * vgl_varlink_reply_done); -EBADMSG on failure, *ret untouched. */
int vgl_varlink_reply_parse(const char *text, size_t len, struct vgl_varlink_reply *ret,
                            struct vgl_error *err);

/* Frees the members of r and zeroes it. Accepts a zeroed r. */
void vgl_varlink_reply_done(struct vgl_varlink_reply *r);

/* Appends a call message and its NUL terminator to b. parameters is
 * borrowed and may be NULL (no "parameters" field). -EINVAL for an invalid
 * method name or flags, -ENOBUFS past b's limit (b unchanged), -ENOMEM. */
int vgl_varlink_call_append(struct vgl_buf *b, const char *method, struct json_object *parameters,
                            unsigned flags);

/* Appends a reply {"parameters": {...}, "continues": true?} and its NUL to
 * b. parameters is borrowed; NULL sends {}. Errors as vgl_varlink_call_append. */
int vgl_varlink_reply_append(struct vgl_buf *b, struct json_object *parameters, bool continues);

/* Appends an error reply {"error": name, "parameters": {...}} and its NUL.
 * parameters is borrowed; NULL sends {}. -EINVAL for an invalid error name. */
int vgl_varlink_error_append(struct vgl_buf *b, const char *error, struct json_object *parameters);

static inline void vgl_varlink_json_putp(struct json_object **o)
{
        if (*o)
                json_object_put(*o);
}
/* Same as proto-msg.h's _cleanup_json_, without pulling in the agent protocol. */
#define _cleanup_varlink_json_ __attribute__((cleanup(vgl_varlink_json_putp)))
